import { secretKeys } from '../connectors/core/settings.js';
import { maskSecret } from '../connectors/core/masking.js';
import type { ResolvedDestination } from '../delivery/dispatcher.js';

/** A destination's settings with every secret masked, for display and --json. */
export function maskedSettings({ connector, dest }: ResolvedDestination): Record<string, unknown> {
  const secrets = new Set(secretKeys(connector.settings));
  return Object.fromEntries(
    Object.entries(dest.settings as Record<string, unknown>).map(([key, value]) => [
      key,
      !secrets.has(key) ? value : typeof value === 'string' ? maskSecret(value) : '****',
    ]),
  );
}
