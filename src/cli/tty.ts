import type { GlobalOptions } from './output.js';

export interface Terminal {
  stdin: { isTTY?: boolean };
  stdout: { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

const truthy = (value: string | undefined) => value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';

/**
 * Whether a command may ask questions. Only a person at a terminal can answer: piped stdin would be
 * read as answers by inquirer, CI has nobody watching, and --json promises machine output only.
 */
export function canPrompt(globals: Pick<GlobalOptions, 'json'>, terminal: Terminal = process): boolean {
  if (globals.json) return false;
  if (!terminal.stdin.isTTY || !terminal.stdout.isTTY) return false;
  if (truthy(terminal.env.CI) || truthy(terminal.env.VIDHOOK_NO_PROMPT)) return false;
  return true;
}

/** Progress goes to stderr, and only when someone is watching it. */
export function showsProgress(globals: Pick<GlobalOptions, 'json' | 'quiet'>, stream: { isTTY?: boolean } = process.stderr): boolean {
  return !globals.quiet && stream.isTTY === true;
}
