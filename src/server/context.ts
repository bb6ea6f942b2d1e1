import type { LoadedConfig } from '../config/index.js';
import type { AnyConnector } from '../connectors/core/types.js';
import type { Dispatcher } from '../delivery/dispatcher.js';
import type { ResolvedDestination } from '../destinations/index.js';
import type { Store } from '../store/types.js';
import type { Metrics } from './metrics.js';
import type { AttemptStream } from './sse.js';
import type { StreamTickets } from './auth.js';

/** What route handlers share: the store, the live destinations, the dispatcher and the daemon's limits. */
export interface DaemonContext {
  store: Store;
  config: LoadedConfig;
  dispatcher: Dispatcher;
  metrics: Metrics;
  stream: AttemptStream;
  /** Tickets that open the attempt stream for a browser's EventSource. */
  tickets: StreamTickets;
  limits: { maxBodyBytes: number; maxBatch: number };
  allowPrivateTargets: boolean;
  destinations(): ResolvedDestination<AnyConnector>[];
  /** Goes up by one each time the daemon takes a changed configuration (GET /api/integrations/status). */
  configGeneration(): number;
  /** Re-reads runtime registrations and hands the new set to the dispatcher. */
  reloadDestinations(): Promise<void>;
  /** Why new events cannot be taken right now (draining, disk budget), or undefined. */
  refusal(): { message: string; retryAfterSec: number } | undefined;
  /** The store refused an event for lack of space: refuse new ones until the disk check finds room. */
  storeFull(message: string): void;
}
