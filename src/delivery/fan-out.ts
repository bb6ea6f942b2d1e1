import { matchesEventFilter, type Envelope } from '../events/index.js';
import type { AcceptedEvent, Store } from '../store/types.js';
import type { ResolvedDestination } from '../destinations/index.js';

/** The destinations an event goes to: those whose filter matches, narrowed by `to` when given. */
export function destinationsFor(event: Envelope, destinations: ResolvedDestination[], to?: readonly string[]): string[] {
  return destinations
    .filter(({ dest }) => (to ? to.includes(dest.name) : true) && matchesEventFilter(event.type, dest.events))
    .map(({ dest }) => dest.name);
}

/** Commits events with one delivery per matching destination; resolves only once durable. */
export function acceptEvents(
  store: Store,
  events: Envelope[],
  destinations: ResolvedDestination[],
  to?: readonly string[],
): Promise<AcceptedEvent[]> {
  return store.addEvents(events.map((event) => ({ event, destinations: destinationsFor(event, destinations, to) })));
}
