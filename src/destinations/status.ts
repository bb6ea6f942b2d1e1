import type { Store } from '../store/types.js';
import { destinationState, type DestinationState, type Pause } from './state.js';
import type { ResolvedDestination } from './types.js';

/** What a status view needs of a connector. */
export interface ConnectorLabel {
  kind: string;
  category: string;
}

export interface DestinationStatus {
  name: string;
  connector: string;
  category: string;
  source: string;
  state: DestinationState;
  /** Why it is not enabled. */
  reason?: string;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastError: string | null;
  attemptsLastHour: number;
  failuresLastHour: number;
  failureRate: number;
  pending: number;
  lagSeconds: number;
}

/** Each destination's health from the store; pauses come from a running dispatcher when there is one. */
export async function destinationStatuses(
  store: Store,
  resolved: ResolvedDestination<ConnectorLabel>[],
  pauses: Record<string, Pause> = {},
  now = Date.now(),
): Promise<DestinationStatus[]> {
  const [health, disabled] = await Promise.all([store.health(resolved.map((r) => r.dest.name), now), store.disabledDestinations()]);
  return resolved.map((r, i) => {
    const h = health[i];
    const { name, enabled, source } = r.dest;
    const { state, reason } = destinationState({ enabled, source, disabledReason: disabled[name], pause: pauses[name] });
    return {
      name,
      connector: r.connector.kind,
      category: r.connector.category,
      source,
      state,
      ...(reason !== undefined ? { reason } : {}),
      lastSuccessAt: h.lastSuccessAt ?? null,
      lastFailureAt: h.lastFailureAt ?? null,
      lastError: h.lastError ?? null,
      attemptsLastHour: h.attemptsLastHour,
      failuresLastHour: h.failuresLastHour,
      failureRate: h.attemptsLastHour ? +(h.failuresLastHour / h.attemptsLastHour).toFixed(3) : 0,
      pending: h.pending,
      lagSeconds: h.oldestPendingAt !== undefined ? Math.round((now - h.oldestPendingAt) / 1000) : 0,
    };
  });
}
