import { secretKeys } from '../connectors/core/settings.js';
import { maskSecret, redact } from '../connectors/core/masking.js';
import type { AnyConnector } from '../connectors/core/types.js';
import type { ResolvedDestination } from '../destinations/index.js';

/** Every string inside a value with the given secrets masked (a webhook's `headers`, a URL's token part). */
function redactDeep(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redact(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, secrets)]));
  }
  return value;
}

/** A destination's settings with every secret masked, for display and --json. */
export function maskedSettings({ connector, dest }: ResolvedDestination<AnyConnector>): Record<string, unknown> {
  const secrets = new Set(secretKeys(connector.settings));
  // Credentials a connector derives from other settings are masked where they appear.
  const values = connector.secretValues(dest.settings);
  return Object.fromEntries(
    Object.entries(dest.settings as Record<string, unknown>).map(([key, value]) => [
      key,
      !secrets.has(key) ? redactDeep(value, values) : typeof value === 'string' ? maskSecret(value) : '****',
    ]),
  );
}
