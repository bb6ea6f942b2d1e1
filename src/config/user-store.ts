import Conf from 'conf';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, jsonSyntaxProblem } from './errors.js';

export type StoredDestination = Record<string, unknown> & { connector: string };

interface UserConfig {
  destinations: Record<string, StoredDestination>;
}

export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VIDHOOK_CONFIG_DIR) return env.VIDHOOK_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'vidhook');
}

/** Destinations written by `vidhook configure`: a JSON file readable by its owner only. */
export class UserStore {
  private readonly conf: Conf<UserConfig>;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    const cwd = userConfigDir(env);
    this.conf = new Conf<UserConfig>({
      projectName: 'vidhook',
      projectSuffix: '',
      configFileMode: 0o600,
      cwd,
      defaults: { destinations: {} },
      // A file that does not parse is an error that says where, and stays as it is for the user to
      // mend (conf never rewrites a file it could not read).
      deserialize: (text) => {
        if (text.trim() === '') return {};
        try {
          return JSON.parse(text);
        } catch (err) {
          throw new ConfigError(`cannot be read: ${jsonSyntaxProblem(text, err)}`, { file: join(cwd, 'config.json') });
        }
      },
    });
  }

  get path(): string {
    return this.conf.path;
  }

  destinations(): Record<string, StoredDestination> {
    return this.conf.get('destinations') ?? {};
  }

  put(name: string, destination: StoredDestination): void {
    this.conf.set('destinations', { ...this.destinations(), [name]: destination });
  }

  remove(name: string): boolean {
    const all = this.destinations();
    if (!(name in all)) return false;
    delete all[name];
    this.conf.set('destinations', all);
    return true;
  }
}
