import type { AnyConnector, DeliveryContext } from '../connectors/core/types.js';
import type { DeliveryLimits, Pause, ResolvedDestination } from '../destinations/index.js';
import type { DestinationHold, LeasedDelivery } from '../store/types.js';
import { CircuitBreaker, type CircuitOptions } from './circuit-breaker.js';
import type { Timer } from './clock.js';
import { connectorState, secretValues } from './connector-context.js';
import type { Dispatcher } from './dispatcher.js';
import { LEASE_OWNER } from './lease-owner.js';
import type { RetryPolicy } from './retry-policy.js';
import { TokenBucket } from './token-bucket.js';

/** How many deliveries per unit of concurrency a fast lane leases ahead. */
const LEASE_AHEAD = 32;
/** Requests in flight per destination and daemon when neither the connector nor the config sets a limit. */
const DEFAULT_CONCURRENCY = 4;
/** How soon a lane held back by limits shared with other daemons asks the store again. */
const SHARED_LIMIT_RETRY_MS = 50;

/** One destination's queue: its own concurrency, rate limit and circuit, so no lane waits on another. */
export class Lane {
  inflight = 0;
  readonly circuit: CircuitBreaker;
  private bucket?: TokenBucket;
  private pausedUntil = 0;
  private timer?: Timer;
  private pumping = false;
  private again = false;
  private buffer: LeasedDelivery[] = [];
  /** Deliveries whose attempt is running: their leases are renewed until it ends. */
  private readonly running = new Set<LeasedDelivery>();
  private leasing?: Promise<void>;
  private cachedFor?: ResolvedDestination<AnyConnector>;
  private cachedSecrets: string[] = [];
  private cachedContext?: DeliveryContext;
  private cachedPolicy?: RetryPolicy;
  private cachedLimits: DeliveryLimits = {};
  /** Moving average of attempt time, deciding how far ahead to lease; optimistic until measured. */
  latencyMs = 0;

  constructor(private readonly dispatcher: Dispatcher, public resolved: ResolvedDestination<AnyConnector>, circuit: CircuitOptions) {
    this.circuit = new CircuitBreaker(circuit, dispatcher.clock);
  }

  get name(): string {
    return this.resolved.dest.name;
  }

  /** The destination's secret values, connector context and retry policy, worked out once per configuration rather than per attempt. */
  get secrets(): string[] {
    this.refreshCache();
    return this.cachedSecrets;
  }

  get context(): DeliveryContext {
    this.refreshCache();
    return this.cachedContext!;
  }

  get retryPolicy(): RetryPolicy {
    this.refreshCache();
    return this.cachedPolicy!;
  }

  private refreshCache(): void {
    if (this.cachedFor === this.resolved) return;
    this.cachedFor = this.resolved;
    const { clock, store, retry } = this.dispatcher;
    const { retrySchedule } = this.resolved.dest;
    this.cachedSecrets = secretValues(this.resolved);
    this.cachedContext = { state: connectorState(store, this.name), now: () => new Date(clock.now()) };
    this.cachedPolicy = retrySchedule ? { ...retry, schedule: retrySchedule } : retry;
    // The config's limits override the connector's, each on its own.
    const limits = { ...this.resolved.connector.limits, ...this.resolved.dest.limits };
    if (limits.perSecond !== this.cachedLimits.perSecond) this.bucket = limits.perSecond ? new TokenBucket(limits.perSecond, clock) : undefined;
    this.cachedLimits = limits;
  }

  /** The limits that apply: the config's, else the connector's. */
  get limits(): DeliveryLimits {
    this.refreshCache();
    return this.cachedLimits;
  }

  get concurrency(): number {
    return this.limits.concurrency ?? DEFAULT_CONCURRENCY;
  }

  /** Limits the store holds across every daemon that shares it (none when only this daemon uses it). */
  private get sharedLimits(): DeliveryLimits | undefined {
    if (!this.dispatcher.store.shared) return undefined;
    const { concurrency, perSecond } = this.limits;
    return concurrency || perSecond ? this.limits : undefined;
  }

  /** Every lease this lane holds now: waiting in its buffer or with an attempt running. */
  heldLeases(): LeasedDelivery[] {
    return [...this.buffer, ...this.running];
  }

  /** Another daemon sharing the store opened this destination's circuit or was asked to wait. */
  adoptHold(hold: DestinationHold): void {
    if (hold.cause === 'circuit') this.circuit.adoptOpen(hold.until);
    else this.pausedUntil = Math.max(this.pausedUntil, hold.until);
  }

  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.dispatcher.clock.now() + ms);
  }

  /** Why this lane holds its deliveries back now, if it does. */
  pause(now: number): Pause | undefined {
    if (now < this.pausedUntil) {
      return { cause: 'rate_limit', reason: `the service asked to wait; sending again at ${new Date(this.pausedUntil).toISOString()}` };
    }
    const circuit = this.circuit.state;
    if (circuit === 'open') {
      return { cause: 'circuit', reason: `circuit open after repeated failures; next probe at ${new Date(this.circuit.reopensAt()).toISOString()}` };
    }
    if (circuit === 'half_open') return { cause: 'circuit', reason: 'circuit half-open: one probe at a time until one succeeds' };
    return undefined;
  }

  wake(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  stop(): void {
    this.dispatcher.clock.clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    const { clock } = this.dispatcher;
    clock.clearTimeout(this.timer);
    if (this.dispatcher.stopped) return;
    this.timer = clock.setTimeout(() => this.wake(), Math.max(5, Math.min(ms, this.dispatcher.pollMs)));
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.again = false;
        await this.pumpOnce();
      } while (this.again && !this.dispatcher.stopped);
    } catch (err) {
      // Everything a turn awaits is the store: a refused write holds the lane until a probe succeeds.
      this.dispatcher.storeFailed(err);
      this.schedule(1000);
    } finally {
      this.pumping = false;
    }
  }

  private async pumpOnce(): Promise<void> {
    const { dispatcher } = this;
    const { clock } = dispatcher;
    if (dispatcher.stopped) return this.releaseBuffer();
    // The store refuses writes: what is leased stays leased (handing it back is a write too).
    if (dispatcher.storeTrouble) return this.schedule(dispatcher.pollMs);
    const now = clock.now();
    const known = dispatcher.isDisabled(this.name);
    const disabled = typeof known === 'boolean' ? known : await known;
    if (!this.resolved.dest.enabled || disabled) return this.hold(dispatcher.pollMs);
    const shared = dispatcher.sharedHold(this.name);
    if (shared) this.adoptHold(shared);
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
    // Not when the concurrency is counted across daemons: leases waiting here would count as in flight.
    const sharedLimits = this.sharedLimits;
    const fast = this.latencyMs < 500 && this.circuit.state === 'closed' && !this.bucket && !sharedLimits?.concurrency;
    const ahead = fast ? this.concurrency * LEASE_AHEAD : 0;
    if (this.buffer.length < room) await this.refill(room - this.buffer.length + ahead);
    const starting = this.buffer.splice(0, room);
    // Refill before the buffer runs dry, so the slots never wait on the store.
    if (fast && this.buffer.length < ahead / 2 && starting.length === room) {
      this.refill(ahead - this.buffer.length).then(
        () => this.wake(),
        (err) => dispatcher.storeFailed(err),
      );
    }
    if (starting.length === 0) this.circuit.cancelProbe();
    this.bucket?.take(starting.length);
    for (const delivery of starting) {
      // A lease that would lapse during the attempt is handed back rather than risk a double send.
      if (delivery.nextAt - clock.now() < dispatcher.minLeaseLeftMs) {
        await this.release(delivery);
        continue;
      }
      this.inflight++;
      this.running.add(delivery);
      let freed = false;
      // The slot is free once the service has answered; recording the attempt need not hold it.
      const free = () => {
        if (freed) return;
        freed = true;
        this.inflight--;
        this.wake();
      };
      void dispatcher
        .attempt(this, delivery, free)
        .catch((err) => dispatcher.reportError(err))
        .finally(() => {
          this.running.delete(delivery);
          free();
        });
    }
    if (starting.length === room) {
      this.again = this.inflight < this.concurrency;
      return;
    }
    const next = await dispatcher.store.nextDueAt(this.name, dispatcher.onlyEvents);
    const wait = next === undefined ? dispatcher.pollMs : next - clock.now();
    // Due work the store withheld is another daemon's turn under the shared limits: ask again soon, not at once.
    this.schedule(sharedLimits && wait <= 0 ? this.sharedRetryMs(sharedLimits) : wait);
  }

  private sharedRetryMs({ perSecond }: DeliveryLimits): number {
    return perSecond ? Math.max(SHARED_LIMIT_RETRY_MS, Math.ceil(1000 / perSecond)) : SHARED_LIMIT_RETRY_MS;
  }

  /** One lease at a time: a second caller waits for the one in progress. */
  private refill(limit: number): Promise<void> {
    const { dispatcher } = this;
    this.leasing ??= dispatcher.store
      .leaseDue(this.name, {
        now: dispatcher.clock.now(),
        limit,
        leaseMs: dispatcher.leaseMs,
        eventIds: dispatcher.onlyEvents,
        owner: LEASE_OWNER,
        limits: this.sharedLimits,
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
    const state = delivery.attempts === delivery.attemptsBeforeRequeue ? 'pending' : 'retrying';
    return this.dispatcher.store.settle(delivery, { state, nextAt: this.dispatcher.clock.now(), countsAsAttempt: false });
  }
}
