import type { Envelope } from '../events/index.js';

export const DELIVERY_STATES = ['pending', 'in_flight', 'retrying', 'succeeded', 'failed', 'skipped', 'paused'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];
export const TERMINAL_STATES: readonly DeliveryState[] = ['succeeded', 'failed', 'skipped'];
export type AttemptOutcome = 'ok' | 'retrying' | 'failed' | 'skipped';

export interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  destination: string;
  state: DeliveryState;
  attempts: number;
  /** Epoch ms at which the delivery is due. */
  nextAt: number;
  createdAt: number;
  updatedAt: number;
  lastError?: string;
}

export interface LeasedDelivery extends Delivery {
  leaseToken: string;
  event: Envelope;
  /** Attempts made before the last manual retry: the retry policy counts only the ones after it. */
  attemptsBeforeRequeue: number;
  /** Epoch ms of the last manual retry, if any: the retry deadline counts from then. */
  requeuedAt?: number;
}

export interface ExchangeRecord {
  startedAt: string;
  durationMs: number;
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  response?: { status: number; headers: Record<string, string>; body: string };
  error?: string;
}

export interface Attempt {
  id: number;
  deliveryId: string;
  eventId: string;
  eventType: string;
  destination: string;
  /** 1 for the first try. */
  number: number;
  startedAt: string;
  durationMs: number;
  outcome: AttemptOutcome;
  statusCode?: number;
  error?: string;
  exchanges: ExchangeRecord[];
}

export type NewAttempt = Omit<Attempt, 'id'>;

/** An attempt as it is logged and streamed: without its requests and answers. */
export type AttemptSummary = Omit<NewAttempt, 'exchanges'>;

export interface AcceptedEvent {
  id: string;
  deliveries: number;
  /** True when the id was already stored: nothing new was created. */
  duplicate: boolean;
}

/** How many events of one type are stored, and how many of them a destination has no delivery for. */
export interface StoredTypeCount {
  type: string;
  events: number;
  withoutDelivery: number;
}

export interface StoredEvent {
  event: Envelope;
  receivedAt: number;
  deliveries: Delivery[];
}

export interface DeliveryFilter {
  status?: DeliveryState | DeliveryState[];
  destination?: string;
  type?: string;
  eventId?: string;
  /** Epoch ms: created at or after. */
  since?: number;
  limit?: number;
  /** Cursor: a delivery id; returns those after it (before it, newest first). */
  after?: string;
  /** Epoch ms: created before. */
  until?: number;
  /** Newest first (the console's log); `after` then pages towards older deliveries. */
  newestFirst?: boolean;
}

export interface AttemptFilter {
  destination?: string;
  type?: string;
  outcome?: AttemptOutcome;
  deliveryId?: string;
  since?: number;
  /** Return only attempts with a larger id (for following). */
  afterId?: number;
  /** Return only attempts with a smaller id (paging back from the newest page). */
  beforeId?: number;
  /** The newest `limit` attempts, still returned oldest first. */
  limit?: number;
}

export interface LeaseOptions {
  now: number;
  limit: number;
  leaseMs: number;
  /** Only deliveries of these events (the CLI delivering what it just emitted). */
  eventIds?: string[];
  /** Who holds the lease (host:pid), so a restarted daemon can take back what a dead process held. */
  owner?: string;
  /**
   * The destination's limits, held across every daemon sharing the store: never more of its
   * deliveries leased at once than `concurrency`, never more leased per second than `perSecond`.
   * A store only one daemon uses leaves them to that daemon's lane.
   */
  limits?: { concurrency?: number; perSecond?: number };
}

/** A destination held back for every daemon sharing the store: its circuit opened, or the service asked to wait. */
export interface DestinationHold {
  /** Epoch ms, on the caller's clock. */
  until: number;
  cause: 'circuit' | 'rate_limit';
  reason: string;
}

export interface Settlement {
  state: Exclude<DeliveryState, 'in_flight'>;
  nextAt?: number;
  error?: string;
  /** False when the try did not count (a deferral by the circuit breaker). */
  countsAsAttempt?: boolean;
}

export interface DestinationHealth {
  destination: string;
  lastSuccessAt?: string;
  lastFailureAt?: string;
  lastError?: string;
  attemptsLastHour: number;
  failuresLastHour: number;
  pending: number;
  /** Epoch ms creation time of the oldest delivery not yet settled (lag), on the caller's clock. */
  oldestPendingAt?: number;
  /** How late the oldest due delivery is, in ms (now − its due time, on the store's clock); 0 when nothing is due. */
  queueLagMs: number;
}

export interface RuntimeDestination {
  name: string;
  connector: string;
  events: string[];
  enabled: boolean;
  settings: Record<string, unknown>;
  createdAt: string;
  description?: string;
}

/**
 * Everything vidhook keeps. Async so that a server database can implement it; no correctness
 * lives only in memory (in-flight work is a lease with an expiry and a fencing token).
 */
export interface Store extends ConsoleStore {
  addEvents(batch: Array<{ event: Envelope; destinations: string[] }>): Promise<AcceptedEvent[]>;
  getEvent(id: string): Promise<StoredEvent | undefined>;
  /** The newest events of one type, newest first, looking only at the last `window` events received. */
  recentEvents(type: string, options: { limit: number; window: number }): Promise<Envelope[]>;
  leaseDue(destination: string, options: LeaseOptions): Promise<LeasedDelivery[]>;
  nextDueAt(destination: string, eventIds?: string[]): Promise<number | undefined>;
  /** Makes deliveries leased by owners that `isDead` says are gone due again now; returns how many. */
  recoverLeases(isDead: (owner: string) => boolean): Promise<number>;
  /** Extends leases still held to `now + leaseMs`; returns the ids renewed (a lease lost meanwhile is not). */
  renewLeases(leases: Array<Pick<LeasedDelivery, 'id' | 'leaseToken'>>, options: { now: number; leaseMs: number }): Promise<string[]>;
  /** Ends a lease; the fencing token makes it a no-op (false) when the lease was lost meanwhile. */
  settle(delivery: Pick<LeasedDelivery, 'id' | 'leaseToken'>, settlement: Settlement, attempt?: NewAttempt): Promise<boolean>;
  listDeliveries(filter: DeliveryFilter): Promise<Delivery[]>;
  getDelivery(id: string): Promise<Delivery | undefined>;
  listAttempts(filter: AttemptFilter): Promise<Attempt[]>;
  /** The attempts with these ids (those the log still holds), oldest first. */
  attemptsByIds(ids: number[]): Promise<Attempt[]>;
  /**
   * Makes failed (or any matching) deliveries due again now, with a fresh attempt budget; their
   * attempts go on being counted (and numbered) from where they stood.
   */
  requeue(filter: DeliveryFilter & { ids?: string[] }): Promise<Delivery[]>;
  /** Creates deliveries to one destination for stored events (of these types) it has none for (backfill); a dry run counts with storedEventCounts. */
  backfill(destination: string, options: { since: number; types?: readonly string[] }): Promise<number>;
  /** Events received since `since`, counted per type, with how many of them have no delivery to `destination`. */
  storedEventCounts(destination: string, since: number): Promise<StoredTypeCount[]>;
  health(destinations: string[], now: number): Promise<DestinationHealth[]>;
  countByState(): Promise<Record<string, number>>;
  prune(olderThan: number): Promise<{ events: number; attempts: number }>;

  stateGet(scope: string, key: string): Promise<string | undefined>;
  stateSet(scope: string, key: string, value: string): Promise<void>;
  stateDelete(scope: string, key: string): Promise<void>;

  /** Destinations disabled by an operator or by their endpoint (410 Gone), each with the reason. */
  disabledDestinations(): Promise<Record<string, string>>;
  /** Disables a destination for the reason given, or enables it again with null. */
  setDisabled(destination: string, reason: string | null): Promise<void>;

  /** Holds a destination back until `hold.until` (a later hold of the same destination replaces it). */
  holdDestination(destination: string, hold: DestinationHold): Promise<void>;
  /** The holds not yet over at `now`, by destination. */
  destinationHolds(now: number): Promise<Record<string, DestinationHold>>;

  listRuntimeDestinations(): Promise<RuntimeDestination[]>;
  putRuntimeDestination(dest: RuntimeDestination): Promise<void>;
  deleteRuntimeDestination(name: string): Promise<boolean>;

  /** Bytes the store takes on disk (the disk budget). */
  sizeBytes(): Promise<number>;
  /** True when several daemons may share this store: limits and holds are then kept in it. */
  readonly shared?: boolean;
  readonly isOpen: boolean;
  close(): Promise<void>;
}

/** Attempts of one destination in one time bucket and one latency class (the console's charts). */
export interface ActivityRow {
  destination: string;
  /** Epoch ms at which the bucket starts. */
  bucket: number;
  /** floor(ln(durationMs + 1) / ln(LATENCY_CLASS_RATIO)): durations within about 10 % share a class. */
  latencyClass: number;
  attempts: number;
  failures: number;
}

export interface Activity {
  attempts: ActivityRow[];
  /** Events received per bucket (buckets without events are absent). */
  events: Array<{ bucket: number; count: number }>;
}

/** The ratio between successive latency classes of `ActivityRow`. */
export const LATENCY_CLASS_RATIO = 1.1;

/** What the console reads beyond the Store interface; its own part so the two can be merged apart. */
export interface ConsoleStore {
  /** Attempts (skipped ones aside) and events since `since`, counted per `bucketMs`. */
  activity(destinations: string[], since: number, bucketMs: number): Promise<Activity>;
  /** How many deliveries `requeue` would take with this filter. */
  countRequeue(filter: DeliveryFilter & { ids?: string[] }): Promise<number>;
}

/** A store shared by several daemons tells each of the work the others create. */
export interface NewWorkSource {
  /** Calls `wake` with the destinations of deliveries any daemon created; resolves once listening. */
  onNewWork(wake: (destinations: string[]) => void): Promise<void>;
}

export function announcesNewWork(store: Store): store is Store & NewWorkSource {
  return typeof (store as Partial<NewWorkSource>).onNewWork === 'function';
}

/** A store shared by several daemons tells each of the attempts any of them recorded. */
export interface AttemptNoticeSource {
  /**
   * Calls `recorded` with the ids of attempts as their settlements commit, in commit order, and
   * `lost` if the listening connection drops; resolves once listening, with a function that stops.
   */
  listenForAttempts(recorded: (ids: number[]) => void, lost: (err: Error) => void): Promise<() => Promise<void>>;
}

export function announcesAttempts(store: Store): store is Store & AttemptNoticeSource {
  return typeof (store as Partial<AttemptNoticeSource>).listenForAttempts === 'function';
}
