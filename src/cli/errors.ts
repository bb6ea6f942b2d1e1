/** Bad usage, input or config: exit 2 with a message that says what to fix. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string, readonly code = 'usage_error') {
    super(message);
    this.name = 'UsageError';
  }
}

/** A delivery or check failed: exit 1. The details were already printed. */
export class FailedError extends Error {
  readonly exitCode = 1;
  constructor(message: string, readonly code = 'failed') {
    super(message);
    this.name = 'FailedError';
  }
}

const INPUT_CODES = new Set(['invalid_event', 'unknown_event_type', 'config_error', 'invalid_json', 'usage_error', 'invalid_signature']);

/** The one place errors become exit codes: 2 for what the user can fix in their input, 1 otherwise. */
export function exitCodeFor(err: unknown): number {
  const e = err as { exitCode?: number; code?: string; name?: string };
  if (typeof e?.exitCode === 'number') return e.exitCode;
  if (e?.name === 'ExitPromptError' || e?.name === 'AbortPromptError') return 130;
  if (e?.code && INPUT_CODES.has(e.code)) return 2;
  return 1;
}

export function errorCode(err: unknown): string {
  return (err as { code?: string })?.code ?? 'error';
}
