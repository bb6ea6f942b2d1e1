import { execa } from 'execa';
import { resolve } from 'node:path';
import { BIN } from './cli.js';

const SCRIPT = resolve(import.meta.dirname, 'pty.py');

export interface PtyStep {
  /** A regex the screen must show (since the previous step) before `send` is typed. */
  expect: string;
  send: string;
  delay?: number;
}

export interface PtyResult {
  exitCode: number;
  /** Everything the terminal showed, ANSI escapes removed. */
  screen: string;
  raw: string;
  /** The index of the step whose text never appeared, or null. */
  failedStep: number | null;
}

export const KEY = { enter: '\r', down: '\x1b[B', up: '\x1b[A', space: ' ', ctrlC: '\x03', backspace: '\x7f' } as const;

/** Runs the built CLI in a pseudo-terminal (python3's pty: no native addon needed) and types the steps' answers. */
export async function runInPty(args: string[], options: { cwd: string; env: Record<string, string>; steps: PtyStep[]; timeout?: number; pipedStdin?: string }): Promise<PtyResult> {
  const env = { ...process.env, TERM: 'xterm-256color', ...options.env } as Record<string, string>;
  delete env.CI;
  // With pipedStdin, stdout stays the terminal but stdin is a pipe: the case where answers must not be read from it.
  const argv = options.pipedStdin === undefined
    ? ['node', BIN, ...args]
    : ['sh', '-c', 'printf "%s" "$VIDHOOK_PIPED" | exec node "$@"', 'sh', BIN, ...args];
  if (options.pipedStdin !== undefined) env.VIDHOOK_PIPED = options.pipedStdin;
  const spec = { argv, cwd: options.cwd, env, steps: options.steps, timeout: (options.timeout ?? 20_000) / 1000 };
  const { stdout } = await execa('python3', [SCRIPT, JSON.stringify(spec)], { timeout: (options.timeout ?? 20_000) + 5_000 });
  const parsed = JSON.parse(stdout) as { exitCode: number; output: string; failedStep: number | null };
  // eslint-disable-next-line no-control-regex
  const screen = parsed.output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
  return { exitCode: parsed.exitCode, raw: parsed.output, screen, failedStep: parsed.failedStep };
}
