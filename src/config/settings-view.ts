import { secretKeys } from '../connectors/core/settings.js';
import { maskSecret } from '../connectors/core/masking.js';
import type { AnyConnector } from '../connectors/core/types.js';
import type { ResolvedDestination } from '../destinations/index.js';

/** A destination's settings with every secret masked, for display and --json. */
export function maskedSettings({ connector, dest }: ResolvedDestination<AnyConnector>): Record<string, unknown> {
  const secrets = new Set(secretKeys(connector.settings));
  return Object.fromEntries(
    Object.entries(dest.settings as Record<string, unknown>).map(([key, value]) => [
      key,
      !secrets.has(key) ? value : typeof value === 'string' ? maskSecret(value) : '****',
    ]),
  );
}
