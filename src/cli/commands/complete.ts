import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { GlobalOptions } from '../output.js';

/**
 * Destination names for shell completion, read fast and quietly: the user store's JSON file and the
 * project file. Runtime registrations live in the store and are left out (opening it costs more than
 * a keypress should).
 */
async function destinationNames(globals: GlobalOptions): Promise<string[]> {
  const names = new Set<string>();
  const env = process.env;
  const dir = env.VIDHOOK_CONFIG_DIR || join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'vidhook');
  try {
    const user = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { destinations?: Record<string, unknown> };
    for (const name of Object.keys(user.destinations ?? {})) names.add(name);
  } catch {
    // no user store yet
  }
  try {
    const { loadProjectFile } = await import('../../config/project-file.js');
    const { config } = await loadProjectFile({ configPath: globals.config ?? env.VIDHOOK_CONFIG, cwd: process.cwd() });
    for (const name of Object.keys(config.destinations ?? {})) names.add(name);
  } catch {
    // a broken project file is reported by the commands themselves, not by a completion
  }
  return [...names].sort();
}

export default async function complete([what]: string[], _: unknown, globals: GlobalOptions): Promise<void> {
  if (what === 'destinations') for (const name of await destinationNames(globals)) process.stdout.write(`${name}\n`);
}
