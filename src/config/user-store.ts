import Conf from 'conf';
import { homedir } from 'node:os';
import { join } from 'node:path';

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
    this.conf = new Conf<UserConfig>({
      projectName: 'vidhook',
      projectSuffix: '',
      configFileMode: 0o600,
      cwd: userConfigDir(env),
      defaults: { destinations: {} },
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
