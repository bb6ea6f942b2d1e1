import { secretKeys } from '../connectors/core/settings.js';
import type { AnyConnector, ConnectorState } from '../connectors/core/types.js';
import type { ResolvedDestination } from '../destinations/index.js';
import type { Store } from '../store/types.js';

/** The durable key/value state a connector keeps for one destination (a post id per video, a cached token). */
export function connectorState(store: Store, destination: string): ConnectorState {
  const scope = `connector:${destination}`;
  return {
    get: (key) => store.stateGet(scope, key),
    set: (key, value) => store.stateSet(scope, key, value),
    delete: (key) => store.stateDelete(scope, key),
  };
}

/** The values of a destination's secret settings, masked in everything recorded. */
export function secretValues(resolved: ResolvedDestination<AnyConnector>): string[] {
  const settings = resolved.dest.settings as Record<string, unknown>;
  return secretKeys(resolved.connector.settings)
    .map((key) => settings[key])
    .filter((v): v is string => typeof v === 'string' && v.length > 0);
}
