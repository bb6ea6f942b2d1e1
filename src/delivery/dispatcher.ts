import type { AnyConnector } from '../connectors/core/types.js';
import type { Pause, ResolvedDestination } from '../destinations/index.js';
import type { AttemptSummary, DestinationHold, ExchangeRecord, LeasedDelivery, NewAttempt, Settlement, Store } from '../store/types.js';
import { DEFAULT_CIRCUIT, type CircuitOptions } from './circuit-breaker.js';
import { systemClock, type Clock, type Timer } from './clock.js';
import { createHttp, DEFAULT_TIMEOUT_MS } from './http.js';
import { Lane } from './lane.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
import { attemptResultOf, OUTCOME_OF, settleAttempt, SUCCEEDED, type AttemptResult, type Effects } from './settlement.js';

export { connectorState, secretValues } from './connector-context.js';
export { isDeadOwner, LEASE_OWNER } from './lease-owner.js';

export interface DispatcherOptions {
  store: Store;
  destinations: () => ResolvedDestination<AnyConnector>[];
  retry?: RetryPolicy;
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** Must exceed the request timeout, so a slow answer is not sent twice. */
  leaseMs?: number;
  circuit?: CircuitOptions;
  /** Runtime registrations may not reach private addresses unless allowed. */
  allowPrivateTargets?: boolean;
  /** Longest idle sleep of a lane before it looks at the store again. */
  pollMs?: number;
  onAttempt?: (attempt: AttemptSummary) => void;
  /** Deliver only these events' deliveries (the CLI's in-process run). */
  onlyEvents?: string[];
  /** Called when a destination is disabled by its endpoint (410 Gone, unknown webhook). */
  onDisabled?: (destination: string, reason: string) => void | Promise<void>;
  /** The time lanes, circuits, rate limits and retries go by; tests pass a virtual one. */
  clock?: Clock;
  /** Told when the store starts refusing writes (a full disk), and again when it takes them anew. */
  onStoreTrouble?: (message: string | undefined) => void;
}

/** Why the store refuses the dispatcher's writes, since when. */
export interface StoreTrouble {
  message: string;
  since: number;
}

/** How often a store that refused a write is tried again. */
const STORE_PROBE_MS = 1_000;
/** Settlements kept to be written once the store takes writes again; past this, their leases lapse and are retried. */
const MAX_UNSETTLED = 10_000;

export class LeaseConfigError extends Error {
  readonly code = 'config_error';
}

/** How long a read of the disabled flags serves before it is read again (an operator's change shows within it). */
const DISABLED_FLAGS_TTL_MS = 1000;

export class Dispatcher {
  readonly store: Store;
  readonly clock: Clock;
  readonly retry: RetryPolicy;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly onlyEvents?: string[];
  /** Lease time an attempt needs left to start: the request timeout and a margin. */
  readonly minLeaseLeftMs: number;
  stopped = true;
  private readonly lanes = new Map<string, Lane>();
  private readonly timeoutMs: number;
  private disabledFlags?: { reasons: Record<string, string>; holds: Record<string, DestinationHold>; at: number };
  private readingFlags?: Promise<Record<string, string>>;
  private leaseRenewal?: Timer;
  private readonly errors: unknown[] = [];
  private settling = 0;
  /** Store writes refused since the start (a counter for /metrics). */
  storeErrors = 0;
  /** Set while the store refuses writes: lanes hold their work and a probe tries the store again. */
  storeTrouble?: StoreTrouble;
  private storeProbe?: Timer;
  /** Attempts made whose record could not be written: written when the store takes writes again. */
  private unsettled: Array<{ delivery: LeasedDelivery; settlement: Settlement; record: NewAttempt; summary: AttemptSummary }> = [];

  constructor(private readonly options: DispatcherOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.leaseMs = options.leaseMs ?? this.timeoutMs + 30_000;
    this.pollMs = options.pollMs ?? 1_000;
    this.onlyEvents = options.onlyEvents;
    this.minLeaseLeftMs = this.timeoutMs + 5_000;
    if (this.leaseMs <= this.timeoutMs + 5_000) {
      throw new LeaseConfigError(
        `the lease (${this.leaseMs} ms) must exceed the request timeout (${this.timeoutMs} ms) by at least 5 s, or a slow answer would be sent twice`,
      );
    }
  }

  start(): void {
    this.stopped = false;
    this.syncLanes();
    this.scheduleLeaseRenewal();
  }

  /**
   * Leases held (waiting in a buffer or with an attempt running) are renewed a few times per lease
   * term: an attempt of several requests may outlast one term, and must not be taken meanwhile.
   */
  private scheduleLeaseRenewal(): void {
    this.leaseRenewal = this.clock.setTimeout(() => {
      void this.renewLeases().finally(() => {
        if (!this.stopped) this.scheduleLeaseRenewal();
      });
    }, this.leaseMs / 3);
  }

  private async renewLeases(): Promise<void> {
    const held = [...this.lanes.values()].flatMap((lane) => lane.heldLeases());
    if (held.length === 0 || this.storeTrouble) return;
    const now = this.clock.now();
    try {
      const renewed = new Set(await this.store.renewLeases(held, { now, leaseMs: this.leaseMs }));
      for (const delivery of held) if (renewed.has(delivery.id)) delivery.nextAt = now + this.leaseMs;
    } catch (err) {
      this.reportError(err);
    }
  }

  /** Picks up added, changed or removed destinations. */
  syncLanes(): void {
    const current = new Map(this.options.destinations().map((r) => [r.dest.name, r]));
    for (const [name, lane] of this.lanes) {
      if (!current.has(name)) {
        lane.stop();
        this.lanes.delete(name);
      }
    }
    for (const [name, resolved] of current) {
      const lane = this.lanes.get(name);
      if (lane) lane.resolved = resolved;
      else this.lanes.set(name, new Lane(this, resolved, this.options.circuit ?? DEFAULT_CIRCUIT));
    }
    if (!this.stopped) for (const lane of this.lanes.values()) lane.wake();
  }

  /** Looks for due work now; `recheck` re-reads the disabled flags (an operator may just have re-enabled). */
  wake(destinations?: Iterable<string>, { recheck = false }: { recheck?: boolean } = {}): void {
    if (this.stopped) return;
    const names = destinations ? [...destinations] : [...this.lanes.keys()];
    if (recheck) this.disabledFlags = undefined;
    for (const name of names) this.lanes.get(name)?.wake();
  }

  inflight(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.inflight;
    return n;
  }

  /** The destinations held back now (circuit, rate limit, a store refusing writes), each with why. */
  pauses(): Record<string, Pause> {
    const now = this.clock.now();
    const paused: Record<string, Pause> = {};
    const trouble = this.storeTrouble;
    for (const [name, lane] of this.lanes) {
      const pause = trouble
        ? {
            cause: 'store' as const,
            reason: `the store refuses writes since ${new Date(trouble.since).toISOString()} (${trouble.message}); deliveries are held and resume by themselves once it takes writes again`,
          }
        : lane.pause(now);
      if (pause) paused[name] = pause;
    }
    return paused;
  }

  /**
   * A store write failed inside the lanes (a full disk): lanes hold their work, the failure is
   * reported once, and a probe writes to the store every second until it succeeds.
   */
  storeFailed(err: unknown): void {
    this.storeErrors++;
    this.reportError(err);
    if (this.storeTrouble) return;
    this.storeTrouble = { message: (err as Error)?.message ?? String(err), since: this.clock.now() };
    this.options.onStoreTrouble?.(this.storeTrouble.message);
    this.scheduleStoreProbe();
  }

  private scheduleStoreProbe(): void {
    this.clock.clearTimeout(this.storeProbe);
    this.storeProbe = this.clock.setTimeout(() => void this.probeStore(), STORE_PROBE_MS);
  }

  private async probeStore(): Promise<void> {
    try {
      await this.store.stateSet('dispatcher', 'store-probe', String(this.clock.now()));
      // Attempts already made are recorded first: while their leases hold, nothing is sent twice.
      while (this.unsettled.length) {
        const { delivery, settlement, record, summary } = this.unsettled[0];
        const settled = await this.store.settle(delivery, settlement, record);
        this.unsettled.shift();
        if (settled) this.options.onAttempt?.(summary);
      }
    } catch {
      if (!this.stopped) this.scheduleStoreProbe();
      return;
    }
    this.storeTrouble = undefined;
    this.options.onStoreTrouble?.(undefined);
    this.wake();
  }

  /** Stops taking work, then waits (bounded) for attempts in flight. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.storeProbe);
    this.clock.clearTimeout(this.leaseRenewal);
    for (const lane of this.lanes.values()) lane.stop();
    // Real time, not the clock's: this waits on sockets and the store, which virtual time does not move.
    const deadline = Date.now() + graceMs;
    while ((this.inflight() > 0 || this.settling > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await Promise.all([...this.lanes.values()].map((lane) => lane.releaseBuffer()));
  }

  reportError(err: unknown): void {
    this.errors.push(err);
    if (this.errors.length > 20) this.errors.shift();
  }

  /**
   * Whether a destination is disabled. All flags are read in one go at most once a second (in the
   * background once known): answered at once from what is known, so a lane's turn need not wait a tick for it.
   */
  isDisabled(destination: string): boolean | Promise<boolean> {
    const known = this.disabledFlags;
    if (known && this.clock.now() - known.at < DISABLED_FLAGS_TTL_MS) return destination in known.reasons;
    const reading = this.readDisabledFlags();
    if (known) {
      reading.catch((err) => this.reportError(err));
      return destination in known.reasons;
    }
    return reading.then((reasons) => destination in reasons);
  }

  /** What another daemon sharing the store holds this destination back for, as last read with the disabled flags. */
  sharedHold(destination: string): DestinationHold | undefined {
    const hold = this.disabledFlags?.holds[destination];
    return hold && hold.until > this.clock.now() ? hold : undefined;
  }

  /** One read for every lane that asks meanwhile; with a shared store, the holds other daemons set come along. */
  private readDisabledFlags(): Promise<Record<string, string>> {
    const now = this.clock.now();
    this.readingFlags ??= Promise.all([this.store.disabledDestinations(), this.store.shared ? this.store.destinationHolds(now) : {}])
      .then(([reasons, holds]) => {
        this.disabledFlags = { reasons, holds, at: now };
        return reasons;
      })
      .finally(() => (this.readingFlags = undefined));
    return this.readingFlags;
  }

  /** Tells the other daemons sharing the store to hold a destination back too. */
  private shareHold(lane: Lane, hold: DestinationHold): void {
    if (!this.store.shared) return;
    this.store.holdDestination(lane.name, hold).catch((err) => this.reportError(err));
  }

  /** Makes one attempt; resolves once the service has answered and the attempt is on its way to the store. */
  async attempt(lane: Lane, delivery: LeasedDelivery, answered: () => void = () => undefined): Promise<void> {
    const { dest, connector } = lane.resolved;
    const http = createHttp({
      secrets: lane.secrets,
      timeoutMs: this.timeoutMs,
      connectTimeoutMs: this.options.connectTimeoutMs,
      publicTargetsOnly: dest.source === 'runtime' && !this.options.allowPrivateTargets,
    });
    const startedAt = this.clock.now();
    const number = delivery.attempts + 1;
    let result: AttemptResult = SUCCEEDED;
    try {
      await connector.deliver(delivery.event, dest, http, lane.context);
    } catch (err) {
      result = attemptResultOf(err);
    }
    const now = this.clock.now();
    // A manual retry starts the retry schedule and its deadline afresh; the numbering goes on.
    const { settlement, effects } = settleAttempt({
      result,
      policy: lane.retryPolicy,
      attempt: number - delivery.attemptsBeforeRequeue,
      ageMs: now - (delivery.requeuedAt ?? delivery.createdAt),
      now,
    });
    await this.apply(lane, effects);

    lane.latencyMs = lane.latencyMs * 0.8 + (now - startedAt) * 0.2;
    answered();
    const last = http.exchanges.at(-1);
    // A remark on a success (a part left out, and why) is shown where an error would be.
    const error = settlement.state === 'succeeded' ? (http.notes.length ? http.notes.join('; ') : undefined) : settlement.error;
    const summary: AttemptSummary = {
      deliveryId: delivery.id,
      eventId: delivery.eventId,
      eventType: delivery.eventType,
      destination: dest.name,
      number,
      startedAt: new Date(startedAt).toISOString(),
      durationMs: this.clock.now() - startedAt,
      outcome: OUTCOME_OF[settlement.state],
      ...(last?.response ? { statusCode: last.response.status } : {}),
      ...(error ? { error } : {}),
    };
    this.record(delivery, settlement, summary, http.exchanges);
  }

  /** Carries out what the settlement decided for the destination. */
  private async apply(lane: Lane, effects: Effects): Promise<void> {
    if (effects.circuit === 'success') lane.circuit.success();
    else if (effects.circuit === 'failure') {
      const before = lane.circuit.reopensAt();
      lane.circuit.failure();
      const until = lane.circuit.reopensAt();
      // It opened (or a failed probe opened it again): the other daemons pause too.
      if (until !== before) {
        this.shareHold(lane, { until, cause: 'circuit', reason: `circuit opened by repeated failures; next probe at ${new Date(until).toISOString()}` });
      }
    } else if (effects.circuit === 'inconclusive') lane.circuit.cancelProbe();
    if (effects.pauseMs) {
      lane.pauseFor(effects.pauseMs);
      const until = this.clock.now() + effects.pauseMs;
      this.shareHold(lane, { until, cause: 'rate_limit', reason: `the service asked to wait; sending again at ${new Date(until).toISOString()}` });
    }
    if (effects.disable !== undefined) await this.disable(lane.name, effects.disable);
  }

  /**
   * Stores the attempt without holding up the attempt's own promise: only its summary waits for the
   * commit, so the event, the bodies and the promises of the attempt can be collected young rather
   * than outlive a slow fsync.
   */
  private record(delivery: LeasedDelivery, settlement: Settlement, summary: AttemptSummary, exchanges: ExchangeRecord[]): void {
    this.settling++;
    const record = { ...summary, exchanges };
    this.store.settle(delivery, settlement, record).then(
      (settled) => {
        this.settling--;
        try {
          if (settled) this.options.onAttempt?.(summary);
        } catch (err) {
          this.reportError(err);
        }
      },
      (err) => {
        this.settling--;
        if (this.unsettled.length < MAX_UNSETTLED) this.unsettled.push({ delivery, settlement, record, summary });
        this.storeFailed(err);
      },
    );
  }

  async disable(destination: string, reason: string): Promise<void> {
    await this.store.setDisabled(destination, reason);
    this.disabledFlags = undefined;
    await this.options.onDisabled?.(destination, reason);
  }
}
