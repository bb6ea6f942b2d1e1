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

/** A destination's credentials (secret settings and those derived from others), masked in everything recorded. */
export function secretValues(resolved: ResolvedDestination<AnyConnector>): string[] {
  return resolved.connector.secretValues(resolved.dest.settings);
}
