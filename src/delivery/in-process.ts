import type { AnyConnector } from '../connectors/core/types.js';
import type { ResolvedDestination } from '../destinations/index.js';
import type { AttemptSummary, Delivery, Store } from '../store/types.js';
import { TERMINAL_STATES } from '../store/types.js';
import { Dispatcher } from './dispatcher.js';
import { DEFAULT_TIMEOUT_MS } from './http.js';
import { SHORT_RETRY_SCHEDULE_MS, type RetryPolicy } from './retry-policy.js';

export interface InProcessOptions {
  store: Store;
  destinations: ResolvedDestination<AnyConnector>[];
  eventIds: string[];
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  onAttempt?: (attempt: AttemptSummary) => void;
}

/**
 * Runs the dispatcher in this process until the given events' deliveries settle (the CLI without a
 * daemon), or until its own retry policy is spent: deliveries still open are returned as they stand.
 */
export async function deliverInProcess(options: InProcessOptions): Promise<Delivery[]> {
  const { store, eventIds } = options;
  const dispatcher = new Dispatcher({
    store,
    destinations: () => options.destinations,
    retry: { schedule: SHORT_RETRY_SCHEDULE_MS, jitter: 0, maxDelayMs: 10_000, ...options.retry },
    timeoutMs: options.timeoutMs,
    onlyEvents: eventIds,
    pollMs: 50,
    onAttempt: options.onAttempt,
  });
  const settled = async () => {
    const all: Delivery[] = [];
    for (const id of eventIds) all.push(...((await store.getEvent(id))?.deliveries ?? []));
    return all;
  };
  // Deliveries to a disabled destination wait for it to be enabled again; nothing here will send them.
  const disabled = await store.disabledDestinations();
  const enabled = new Set(options.destinations.filter(({ dest }) => dest.enabled && !(dest.name in disabled)).map(({ dest }) => dest.name));
  // Bounded by its own policy: another process on the same store (a daemon) may have taken a
  // delivery and scheduled it far out; waiting for it would hang the command.
  const schedule = options.retry?.schedule ?? SHORT_RETRY_SCHEDULE_MS;
  const perAttemptMs = (options.timeoutMs ?? DEFAULT_TIMEOUT_MS) + 5_000;
  const deadline = Date.now() + schedule.reduce((sum, ms) => sum + ms, 0) + schedule.length * perAttemptMs;
  dispatcher.start();
  try {
    for (;;) {
      const deliveries = await settled();
      const open = deliveries.filter((d) => enabled.has(d.destination) && !TERMINAL_STATES.includes(d.state));
      if (open.length === 0) return deliveries;
      if (Date.now() > deadline) return deliveries;
      if (open.every((d) => d.state !== 'in_flight' && d.nextAt > deadline)) return deliveries;
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    await dispatcher.stop();
  }
}
