import { redact } from '../core/masking.js';

/** Masks known secrets in an error's message before it leaves the connector: vendors echo input back. */
export function scrubbed<E>(error: E, secrets: ReadonlyArray<string | undefined>): E {
  if (error instanceof Error) error.message = redact(error.message, secrets.filter((s): s is string => !!s));
  return error;
}
