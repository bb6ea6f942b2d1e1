import { matchesEventFilter } from '../events/index.js';
import type { Store, StoredTypeCount } from '../store/types.js';
import type { Destination } from '../destinations/index.js';

export interface ReplayRequest {
  /** Epoch ms: events received since then. */
  since: number;
  /** Only events of this type. */
  type?: string;
  /** Count, and queue nothing. */
  dryRun?: boolean;
}

export interface ReplayOutcome {
  /** Events queued, or that would be on a dry run. */
  events: number;
  /** Every event kept since `since`, per type, whatever the filters: what explains a count of 0. */
  stored: StoredTypeCount[];
}

/**
 * Backfills a destination with the stored events it has no delivery for: of `type` when given,
 * and only of the types its own `events` filter takes, as if they had arrived now.
 */
export async function replayTo(store: Store, destination: Pick<Destination, 'name' | 'events'>, request: ReplayRequest): Promise<ReplayOutcome> {
  const stored = await store.storedEventCounts(destination.name, request.since);
  const taken = stored.filter((s) => (request.type === undefined || s.type === request.type) && matchesEventFilter(s.type, destination.events));
  const waiting = taken.reduce((n, s) => n + s.withoutDelivery, 0);
  if (request.dryRun || waiting === 0) return { events: waiting, stored };
  return { events: await store.backfill(destination.name, { since: request.since, types: taken.map((s) => s.type) }), stored };
}
