import type { Command } from 'commander';
import { errorCode, exitCodeFor } from './errors.js';
import type { GlobalOptions } from './output.js';

export type Action<O> = (args: string[], options: O, globals: GlobalOptions, command: Command) => Promise<number | void>;

/** Wraps a command's lazily-loaded action: errors become one clear line (or JSON) and an exit code. */
export function lazy<O>(load: () => Promise<{ default: Action<O> }>) {
  return async (...raw: unknown[]) => {
    const command = raw[raw.length - 1] as Command;
    const options = raw[raw.length - 2] as O;
    const args = raw.slice(0, -2).flat().filter((a): a is string => typeof a === 'string');
    const globals = command.optsWithGlobals() as GlobalOptions;
    try {
      const action = (await load()).default;
      const code = await action(args, options, globals, command);
      process.exitCode = typeof code === 'number' ? code : (process.exitCode ?? 0);
    } catch (err) {
      reportError(err, globals);
      process.exitCode = exitCodeFor(err);
    }
  };
}

export function reportError(err: unknown, globals: GlobalOptions): void {
  const message = err instanceof Error ? err.message : String(err);
  if (globals.json) {
    const details = (err as { details?: unknown }).details;
    process.stderr.write(`${JSON.stringify({ error: { code: errorCode(err), message, ...(details ? { details } : {}) } })}\n`);
  } else {
    process.stderr.write(`error: ${message}\n`);
    if (globals.verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  }
}
