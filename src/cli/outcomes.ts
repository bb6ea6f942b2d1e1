import type { AnyConnector } from '../connectors/core/types.js';
import { destinationState, type ResolvedDestination } from '../destinations/index.js';
import { TERMINAL_STATES, type Delivery, type Store } from '../store/types.js';
import { table, type Output } from './output.js';

export interface DeliveryOutcome {
  destination: string;
  connector: string;
  deliveryId: string;
  state: Delivery['state'];
  attempts: number;
  statusCode?: number;
  durationMs?: number;
  error?: string;
  /** A remark on a delivery that succeeded all the same (a featured image left out, and why). */
  note?: string;
}

export async function outcomesOf(store: Store, deliveries: Delivery[], destinations: ResolvedDestination<AnyConnector>[]): Promise<DeliveryOutcome[]> {
  const disabledReasons = await store.disabledDestinations();
  return Promise.all(
    deliveries.map(async (d) => {
      const [last] = await store.listAttempts({ deliveryId: d.id, limit: 1 });
      const resolved = destinations.find((r) => r.dest.name === d.destination);
      // Kept, not failed: a disabled destination gets its deliveries once it is enabled again.
      const destination = resolved && destinationState({ enabled: resolved.dest.enabled, source: resolved.dest.source, disabledReason: disabledReasons[d.destination] });
      const disabled = !TERMINAL_STATES.includes(d.state) && destination?.state === 'disabled' ? destination.reason : undefined;
      return {
        destination: d.destination,
        connector: resolved?.connector.kind ?? 'unknown',
        deliveryId: d.id,
        state: disabled ? 'paused' : d.state,
        attempts: d.attempts,
        ...(last?.statusCode !== undefined ? { statusCode: last.statusCode } : {}),
        ...(last ? { durationMs: last.durationMs } : {}),
        ...(disabled ? { error: `destination disabled (${disabled}); kept until it is enabled` } : d.lastError ? { error: d.lastError } : {}),
        ...(d.state === 'succeeded' && last?.error ? { note: last.error } : {}),
      };
    }),
  );
}

export function printOutcomes(out: Output, outcomes: DeliveryOutcome[]): void {
  const c = out.color;
  const rows = outcomes.map((o) => {
    const mark = o.state === 'succeeded' ? c.green('✓') : o.state === 'skipped' ? c.dim('–') : o.state === 'failed' ? c.red('✗') : c.yellow('…');
    const detail = o.state === 'succeeded' ? `${o.statusCode ?? ''} in ${o.durationMs ?? 0} ms${o.note ? ` (${o.note})` : ''}`.trim() : (o.error ?? '');
    const state = o.state === 'succeeded' ? 'delivered' : o.state;
    return [mark, o.destination, c.dim(o.connector), state, detail];
  });
  for (const line of table(rows)) out.line(line);
}
