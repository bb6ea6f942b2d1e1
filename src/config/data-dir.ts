import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** `--data-dir`, else VIDHOOK_DATA_DIR, else the user's state dir. */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.VIDHOOK_DATA_DIR) return resolve(env.VIDHOOK_DATA_DIR);
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'vidhook');
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'vidhook');
}
