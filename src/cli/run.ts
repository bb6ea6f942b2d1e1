import type { Command } from 'commander';
import { errorCode, exitCodeFor } from './errors.js';
import type { GlobalOptions } from './output.js';

export type Action<O> = (args: string[], options: O, globals: GlobalOptions, command: Command) => Promise<number | void>;

/** An action whatever its options: commander parses each command's own. */
type AnyAction = Action<never>;

/**
 * Wraps the action `name` of a module loaded only when its command runs (start-up stays fast):
 * errors become one clear line (or JSON) and an exit code.
 */
export function lazy<M extends Record<K, AnyAction>, K extends string>(load: () => Promise<M>, name: K) {
  return async (...raw: unknown[]) => {
    const command = raw[raw.length - 1] as Command;
    const options = raw[raw.length - 2] as never;
    const args = raw.slice(0, -2).flat().filter((a): a is string => typeof a === 'string');
    const globals = command.optsWithGlobals() as GlobalOptions;
    try {
      const action: AnyAction = (await load())[name];
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
