import type { Store } from '../store/types.js';
import type { CircuitState } from './circuit-breaker.js';
import { destinationScope, DISABLED_KEY, type ResolvedDestination } from './dispatcher.js';

export interface DestinationStatus {
  name: string;
  connector: string;
  category: string;
  source: string;
  /** active, off (enabled: false), disabled (by the operator or a 410), paused (circuit open). */
  state: 'active' | 'off' | 'disabled' | 'paused';
  circuit?: CircuitState;
  disabledReason?: string;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastError: string | null;
  attemptsLastHour: number;
  failuresLastHour: number;
  failureRate: number;
  pending: number;
  lagSeconds: number;
}

/** Each destination's health from the store; circuit states come from a running dispatcher when there is one. */
export async function destinationStatuses(
  store: Store,
  resolved: ResolvedDestination[],
  circuits?: Record<string, CircuitState>,
  now = Date.now(),
): Promise<DestinationStatus[]> {
  const health = await store.health(resolved.map((r) => r.dest.name), now);
  return Promise.all(
    resolved.map(async (r, i) => {
      const h = health[i];
      const disabledReason = await store.stateGet(destinationScope(r.dest.name), DISABLED_KEY);
      const circuit = circuits ? (circuits[r.dest.name] ?? 'closed') : undefined;
      const state = !r.dest.enabled ? 'off' : disabledReason ? 'disabled' : circuit && circuit !== 'closed' ? 'paused' : 'active';
      return {
        name: r.dest.name,
        connector: r.connector.kind,
        category: r.connector.category,
        source: r.dest.source,
        state,
        ...(circuit ? { circuit } : {}),
        ...(disabledReason ? { disabledReason } : {}),
        lastSuccessAt: h.lastSuccessAt ?? null,
        lastFailureAt: h.lastFailureAt ?? null,
        lastError: h.lastError ?? null,
        attemptsLastHour: h.attemptsLastHour,
        failuresLastHour: h.failuresLastHour,
        failureRate: h.attemptsLastHour ? +(h.failuresLastHour / h.attemptsLastHour).toFixed(3) : 0,
        pending: h.pending,
        lagSeconds: h.oldestPendingAt !== undefined ? Math.round((now - h.oldestPendingAt) / 1000) : 0,
      };
    }),
  );
}
