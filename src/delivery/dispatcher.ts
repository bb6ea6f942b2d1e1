import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DeliveryError, EndpointGoneError, RetryableError, SkipDelivery } from '../connectors/core/errors.js';
import type { AnyConnector, ConnectorState, DeliveryContext, Destination } from '../connectors/core/types.js';
import { secretKeys } from '../connectors/core/settings.js';
import type { AttemptOutcome, AttemptSummary, ExchangeRecord, LeasedDelivery, Settlement, Store } from '../store/types.js';
import { CircuitBreaker, DEFAULT_CIRCUIT, type CircuitOptions, type CircuitState } from './circuit-breaker.js';
import { createHttp, DEFAULT_TIMEOUT_MS } from './http.js';
import { decideRetry, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
import { TokenBucket } from './token-bucket.js';

export interface ResolvedDestination {
  dest: Destination;
  connector: AnyConnector;
}

export interface DispatcherOptions {
  store: Store;
  destinations: () => ResolvedDestination[];
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
}

export const DISABLED_KEY = 'disabled';
export const destinationScope = (name: string) => `destination:${name}`;

export function connectorState(store: Store, destination: string): ConnectorState {
  const scope = `connector:${destination}`;
  return {
    get: (key) => store.stateGet(scope, key),
    set: (key, value) => store.stateSet(scope, key, value),
    delete: (key) => store.stateDelete(scope, key),
  };
}

export function secretValues(resolved: ResolvedDestination): string[] {
  const settings = resolved.dest.settings as Record<string, unknown>;
  return secretKeys(resolved.connector.settings)
    .map((key) => settings[key])
    .filter((v): v is string => typeof v === 'string' && v.length > 0);
}

/** host:pid:nonce — the nonce tells this process from an earlier one that had the same pid (PID 1 in a container). */
export const LEASE_OWNER = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

/** A lease holder on this host whose process no longer exists (a crash, kill -9). */
export function isDeadOwner(owner: string): boolean {
  const [host, pid] = owner.split(':');
  if (host !== hostname() || !pid || owner === LEASE_OWNER) return false;
  if (Number(pid) === process.pid) return true;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** How many deliveries per unit of concurrency a fast lane leases ahead. */
const LEASE_AHEAD = 32;

export class LeaseConfigError extends Error {
  readonly code = 'config_error';
}

/** One destination's queue: its own concurrency, rate limit and circuit, so no lane waits on another. */
class Lane {
  inflight = 0;
  readonly circuit: CircuitBreaker;
  private bucket?: TokenBucket;
  private pausedUntil = 0;
  private timer?: NodeJS.Timeout;
  private pumping = false;
  private again = false;
  private buffer: LeasedDelivery[] = [];
  private leasing?: Promise<void>;
  private secretsOf?: ResolvedDestination;
  private cachedSecrets: string[] = [];
  private cachedContext?: DeliveryContext;
  /** Moving average of attempt time, deciding how far ahead to lease; optimistic until measured. */
  latencyMs = 0;

  constructor(private readonly dispatcher: Dispatcher, public resolved: ResolvedDestination, circuit: CircuitOptions) {
    this.circuit = new CircuitBreaker(circuit);
    const perSecond = resolved.connector.limits?.perSecond;
    if (perSecond) this.bucket = new TokenBucket(perSecond);
  }

  get name(): string {
    return this.resolved.dest.name;
  }

  /** The destination's secret values and connector context, worked out once per configuration rather than per attempt. */
  get secrets(): string[] {
    this.refreshCache();
    return this.cachedSecrets;
  }

  get context(): DeliveryContext {
    this.refreshCache();
    return this.cachedContext!;
  }

  private refreshCache(): void {
    if (this.secretsOf === this.resolved) return;
    this.secretsOf = this.resolved;
    this.cachedSecrets = secretValues(this.resolved);
    this.cachedContext = { state: connectorState(this.dispatcher.store, this.name), now: () => new Date() };
  }

  get concurrency(): number {
    return this.resolved.connector.limits?.concurrency ?? 4;
  }

  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  wake(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.dispatcher.stopped) return;
    this.timer = setTimeout(() => this.wake(), Math.max(5, Math.min(ms, this.dispatcher.pollMs)));
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.again = false;
        await this.pumpOnce();
      } while (this.again && !this.dispatcher.stopped);
    } catch (err) {
      this.dispatcher.reportError(err);
      this.schedule(1000);
    } finally {
      this.pumping = false;
    }
  }

  private async pumpOnce(): Promise<void> {
    if (this.dispatcher.stopped) return this.releaseBuffer();
    const now = Date.now();
    const known = this.dispatcher.isDisabled(this.name);
    const disabled = typeof known === 'boolean' ? known : await known;
    if (!this.resolved.dest.enabled || disabled) return this.hold(this.dispatcher.pollMs);
    if (now < this.pausedUntil) return this.hold(this.pausedUntil - now);
    if (this.circuit.state === 'open') return this.hold(this.circuit.reopensAt() - now);

    let room = this.concurrency - this.inflight;
    if (this.bucket) {
      if (this.bucket.available() < 1) return this.hold(this.bucket.waitMs());
      room = Math.min(room, this.bucket.available());
    }
    room = this.circuit.allowance(room);
    if (room <= 0) return;

    // Lease ahead while the destination answers fast: one store write then serves many
    // completions, and the buffer drains long before its leases could lapse.
    const fast = this.latencyMs < 500 && this.circuit.state === 'closed' && !this.bucket;
    const ahead = fast ? this.concurrency * LEASE_AHEAD : 0;
    if (this.buffer.length < room) await this.refill(room - this.buffer.length + ahead);
    const starting = this.buffer.splice(0, room);
    // Refill before the buffer runs dry, so the slots never wait on the store.
    if (fast && this.buffer.length < ahead / 2 && starting.length === room) {
      this.refill(ahead - this.buffer.length).then(
        () => this.wake(),
        (err) => this.dispatcher.reportError(err),
      );
    }
    if (starting.length === 0) this.circuit.cancelProbe();
    this.bucket?.take(starting.length);
    for (const delivery of starting) {
      // A lease that would lapse during the attempt is handed back rather than risk a double send.
      if (delivery.nextAt - Date.now() < this.dispatcher.minLeaseLeftMs) {
        await this.release(delivery);
        continue;
      }
      this.inflight++;
      let freed = false;
      // The slot is free once the service has answered; recording the attempt need not hold it.
      const free = () => {
        if (freed) return;
        freed = true;
        this.inflight--;
        this.wake();
      };
      void this.dispatcher
        .attempt(this, delivery, free)
        .catch((err) => this.dispatcher.reportError(err))
        .finally(free);
    }
    if (starting.length === room) {
      this.again = this.inflight < this.concurrency;
      return;
    }
    const next = await this.dispatcher.store.nextDueAt(this.name, this.dispatcher.onlyEvents);
    this.schedule(next === undefined ? this.dispatcher.pollMs : next - Date.now());
  }

  /** One lease at a time: a second caller waits for the one in progress. */
  private refill(limit: number): Promise<void> {
    this.leasing ??= this.dispatcher.store
      .leaseDue(this.name, {
        now: Date.now(),
        limit,
        leaseMs: this.dispatcher.leaseMs,
        eventIds: this.dispatcher.onlyEvents,
        owner: LEASE_OWNER,
      })
      .then((leased) => void this.buffer.push(...leased))
      .finally(() => (this.leasing = undefined));
    return this.leasing;
  }

  /** Waits, handing back what was leased ahead so it is not held while nothing is sent. */
  private async hold(ms: number): Promise<void> {
    await this.releaseBuffer();
    this.schedule(ms);
  }

  async releaseBuffer(): Promise<void> {
    await this.leasing?.catch(() => undefined);
    for (const delivery of this.buffer.splice(0)) await this.release(delivery);
  }

  private release(delivery: LeasedDelivery): Promise<boolean> {
    const state = delivery.attempts === 0 ? 'pending' : 'retrying';
    return this.dispatcher.store.settle(delivery, { state, nextAt: Date.now(), countsAsAttempt: false });
  }
}

export class Dispatcher {
  readonly store: Store;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly onlyEvents?: string[];
  /** Lease time an attempt needs left to start: the request timeout and a margin. */
  readonly minLeaseLeftMs: number;
  stopped = true;
  private readonly lanes = new Map<string, Lane>();
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly disabledCache = new Map<string, { value: boolean; at: number }>();
  private readonly errors: unknown[] = [];
  private settling = 0;

  constructor(private readonly options: DispatcherOptions) {
    this.store = options.store;
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
    if (recheck) this.disabledCache.clear();
    for (const name of names) this.lanes.get(name)?.wake();
  }

  inflight(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.inflight;
    return n;
  }

  circuitStates(): Record<string, CircuitState> {
    return Object.fromEntries([...this.lanes].map(([name, lane]) => [name, lane.circuit.state]));
  }

  /** Stops taking work, then waits (bounded) for attempts in flight. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    for (const lane of this.lanes.values()) lane.stop();
    const deadline = Date.now() + graceMs;
    while ((this.inflight() > 0 || this.settling > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await Promise.all([...this.lanes.values()].map((lane) => lane.releaseBuffer()));
  }

  reportError(err: unknown): void {
    this.errors.push(err);
    if (this.errors.length > 20) this.errors.shift();
  }

  /**
   * Whether a destination is disabled, re-read at most once a second (in the background once
   * known): answered at once from what is known, so a lane's every turn need not wait a tick for it.
   */
  isDisabled(destination: string): boolean | Promise<boolean> {
    const cached = this.disabledCache.get(destination);
    if (cached && Date.now() - cached.at < 1000) return cached.value;
    const reading = this.readDisabled(destination);
    if (cached) {
      cached.at = Date.now();
      reading.catch((err) => this.reportError(err));
      return cached.value;
    }
    return reading;
  }

  private async readDisabled(destination: string): Promise<boolean> {
    const value = (await this.store.stateGet(destinationScope(destination), DISABLED_KEY)) !== undefined;
    this.disabledCache.set(destination, { value, at: Date.now() });
    return value;
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
    const startedAt = new Date();
    const number = delivery.attempts + 1;
    let outcome: AttemptOutcome = 'ok';
    let error: string | undefined;
    let settlement: Settlement;

    try {
      await connector.deliver(delivery.event, dest, http, lane.context);
      lane.circuit.success();
      settlement = { state: 'succeeded' };
      // A remark on a success (a part left out, and why) is shown where an error would be.
      if (http.notes.length) error = http.notes.join('; ');
    } catch (err) {
      if (err instanceof SkipDelivery) {
        outcome = 'skipped';
        error = err.reason;
        settlement = { state: 'skipped', error };
      } else {
        const failure = err instanceof DeliveryError ? err : new RetryableError(`connector error: ${(err as Error)?.message ?? err}`);
        error = failure.message;
        if (failure instanceof RetryableError) {
          lane.circuit.failure();
          if (failure.rateLimited && failure.afterMs) lane.pauseFor(failure.afterMs);
          const policy = dest.retrySchedule ? { ...this.retry, schedule: dest.retrySchedule } : this.retry;
          const decision = decideRetry(policy, number, Date.now() - delivery.createdAt, failure.afterMs);
          if (decision.retry) {
            outcome = 'retrying';
            settlement = { state: 'retrying', nextAt: Date.now() + decision.delayMs, error };
          } else {
            outcome = 'failed';
            error = `${error} (${decision.reason})`;
            settlement = { state: 'failed', error };
          }
        } else {
          outcome = 'failed';
          settlement = { state: 'failed', error };
          if (failure instanceof EndpointGoneError) await this.disable(dest.name, failure.message);
        }
      }
    }

    lane.latencyMs = lane.latencyMs * 0.8 + (Date.now() - startedAt.getTime()) * 0.2;
    answered();
    const last = http.exchanges.at(-1);
    const summary: AttemptSummary = {
      deliveryId: delivery.id,
      eventId: delivery.eventId,
      eventType: delivery.eventType,
      destination: dest.name,
      number,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      outcome,
      ...(last?.response ? { statusCode: last.response.status } : {}),
      ...(error ? { error } : {}),
    };
    this.record(delivery, settlement, summary, http.exchanges);
  }

  /**
   * Stores the attempt without holding up the attempt's own promise: only its summary waits for the
   * commit, so the event, the bodies and the promises of the attempt can be collected young rather
   * than outlive a slow fsync.
   */
  private record(delivery: LeasedDelivery, settlement: Settlement, summary: AttemptSummary, exchanges: ExchangeRecord[]): void {
    this.settling++;
    this.store.settle(delivery, settlement, { ...summary, exchanges }).then(
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
        this.reportError(err);
      },
    );
  }

  async disable(destination: string, reason: string): Promise<void> {
    await this.store.stateSet(destinationScope(destination), DISABLED_KEY, reason);
    this.disabledCache.delete(destination);
    await this.options.onDisabled?.(destination, reason);
  }
}

