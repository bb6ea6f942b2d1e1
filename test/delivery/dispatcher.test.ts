import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dispatcher, isDeadOwner, LEASE_OWNER, LeaseConfigError } from '../../src/delivery/dispatcher.js';
import { hostname } from 'node:os';
import { decideRetry, DEFAULT_RETRY_POLICY } from '../../src/delivery/retry-policy.js';
import { CircuitBreaker } from '../../src/delivery/circuit-breaker.js';
import { TokenBucket } from '../../src/delivery/token-bucket.js';
import { webhook } from '../../src/connectors/webhook/index.js';
import type { AnyConnector } from '../../src/connectors/core/types.js';
import type { ResolvedDestination } from '../../src/destinations/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { buildEnvelope } from '../../src/events/index.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { ManualClock, pass, runUntil } from '../helpers/manual-clock.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const event = (id: string) => buildEnvelope({ id, type: 'video.generated', data: { video: { id: 'v', title: 't' }, user: { id: 'u' } } });
const MINUTE = 60_000;

describe('the dispatcher, on virtual time', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(responder: Parameters<typeof startReceiver>[0]) {
    const dir = mkdtempSync(join(tmpdir(), 'vidhook-dispatch-'));
    const store = SqliteStore.open(dir);
    const receiver: Receiver = await startReceiver(responder);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close(), () => receiver.close());
    const destination: ResolvedDestination<AnyConnector> = {
      connector: webhook,
      dest: { name: 'flaky', connector: 'webhook', events: ['*'], enabled: true, source: 'project', settings: { url: receiver.url, secret: SECRET } },
    };
    const clock = new ManualClock();
    return { store, receiver, destination, clock };
  }

  /** Drives `dispatcher` on `clock`: time stands still while an attempt is on the wire. */
  function drive(clock: ManualClock, dispatcher: Dispatcher) {
    const quiet = () => dispatcher.inflight() === 0;
    return {
      until: <T>(check: () => T | false | undefined | Promise<T | false | undefined>) => runUntil(clock, check, { quiet }),
      pass: (ms: number) => pass(clock, ms, { quiet }),
    };
  }

  const stateOf = async (store: SqliteStore, eventId: string) => (await store.getEvent(eventId))!.deliveries[0];

  it('opens the circuit after repeated failures: deliveries wait out the cooldown without spending attempts, then a probe closes it', async () => {
    let healthy = false;
    const { store, receiver, destination, clock } = await setup(() => ({ status: healthy ? 200 : 503 }));
    const dispatcher = new Dispatcher({
      store,
      destinations: () => [destination],
      retry: { schedule: Array(10).fill(0), jitter: 0 },
      circuit: { threshold: 3, cooldownMs: 30_000, maxCooldownMs: 30_000 },
      clock,
    });
    cleanups.push(() => dispatcher.stop());
    const time = drive(clock, dispatcher);
    await store.addEvents([{ event: event('evt_c1'), destinations: ['flaky'] }]);
    dispatcher.start();
    const pause = await time.until(() => dispatcher.pauses().flaky);
    const openedAt = clock.now();
    expect(pause).toMatchObject({ cause: 'circuit', reason: expect.stringMatching(/^circuit open/) });
    expect(receiver.requests).toHaveLength(3);

    healthy = true;
    await time.pass(29_000);
    // While open, nothing is sent and the delivery keeps its remaining attempts.
    expect(receiver.requests).toHaveLength(3);
    expect(await stateOf(store, 'evt_c1')).toMatchObject({ state: 'retrying', attempts: 3 });

    await time.until(async () => (await stateOf(store, 'evt_c1')).state === 'succeeded');
    expect(clock.now() - openedAt).toBeGreaterThanOrEqual(30_000);
    expect(dispatcher.pauses()).toEqual({});
    expect(receiver.requests).toHaveLength(4);
  });

  it('retries on the schedule, no earlier, then fails the delivery for good and keeps it replayable', async () => {
    const { store, receiver, destination, clock } = await setup(() => ({ status: 500 }));
    // A long idle poll: the lane sleeps until its next retry is due, so only those instants are visited.
    const dispatcher = new Dispatcher({ store, destinations: () => [destination], retry: { schedule: [0, 5 * MINUTE, 30 * MINUTE], jitter: 0 }, pollMs: 10 * MINUTE, clock });
    cleanups.push(() => dispatcher.stop());
    const time = drive(clock, dispatcher);
    await store.addEvents([{ event: event('evt_f1'), destinations: ['flaky'] }]);
    const startedAt = clock.now();
    dispatcher.start();

    await time.until(() => receiver.requests.length === 2);
    expect(clock.now() - startedAt).toBeGreaterThanOrEqual(5 * MINUTE);
    const failed = await time.until(async () => {
      const d = await stateOf(store, 'evt_f1');
      return d.state === 'failed' && d;
    });
    expect(clock.now() - startedAt).toBeGreaterThanOrEqual(35 * MINUTE);
    expect(failed.attempts).toBe(3);
    expect(failed.lastError).toMatch(/HTTP 500.*gave up after 3 attempts/);
    expect(receiver.requests).toHaveLength(3);

    receiver.respond(() => ({ status: 200 }));
    expect(await store.requeue({ status: 'failed' })).toHaveLength(1);
    dispatcher.wake();
    await time.until(async () => (await stateOf(store, 'evt_f1')).state === 'succeeded');
    // The manual retry's attempt goes on from the three before it.
    expect((await store.listAttempts({})).map((a) => a.number)).toEqual([1, 2, 3, 4]);
    expect((await stateOf(store, 'evt_f1')).attempts).toBe(4);
  });

  it('pauses the whole destination for as long as a 429 asks, then sends what waited', async () => {
    const { store, receiver, destination, clock } = await setup((_req, index) => (index === 0 ? { status: 429, headers: { 'retry-after': '120' } } : { status: 200 }));
    const dispatcher = new Dispatcher({ store, destinations: () => [{ ...destination, connector: { ...webhook, limits: { concurrency: 1 } } }], clock });
    cleanups.push(() => dispatcher.stop());
    const time = drive(clock, dispatcher);
    await store.addEvents([{ event: event('evt_r1'), destinations: ['flaky'] }, { event: event('evt_r2'), destinations: ['flaky'] }]);
    const startedAt = clock.now();
    dispatcher.start();

    expect(await time.until(() => dispatcher.pauses().flaky)).toMatchObject({ cause: 'rate_limit' });
    await time.pass(119_000);
    expect(receiver.requests).toHaveLength(1);

    await time.until(async () => (await stateOf(store, 'evt_r1')).state === 'succeeded' && (await stateOf(store, 'evt_r2')).state === 'succeeded');
    expect(clock.now() - startedAt).toBeGreaterThanOrEqual(120_000);
    expect(receiver.requests).toHaveLength(3);
  });

  it("holds a destination to the limits its config sets, over the connector's own", async () => {
    const { store, receiver, destination, clock } = await setup(() => ({ status: 200, delayMs: 20 }));
    // The webhook connector would keep 4 in flight and has no rate limit of its own.
    const limited = { ...destination, dest: { ...destination.dest, limits: { concurrency: 1, perSecond: 2 } } };
    const dispatcher = new Dispatcher({ store, destinations: () => [limited], clock });
    cleanups.push(() => dispatcher.stop());
    const time = drive(clock, dispatcher);
    const ids = ['evt_l1', 'evt_l2', 'evt_l3', 'evt_l4', 'evt_l5', 'evt_l6'];
    await store.addEvents(ids.map((id) => ({ event: event(id), destinations: ['flaky'] })));
    const startedAt = clock.now();
    dispatcher.start();
    await time.until(async () => (await Promise.all(ids.map((id) => stateOf(store, id)))).every((d) => d.state === 'succeeded'));
    expect(receiver.maxInFlight).toBe(1);
    // Two at once (a full bucket), then two a second: the sixth goes two seconds after the first.
    expect(clock.now() - startedAt).toBeGreaterThanOrEqual(2_000);
  });

  it('renews the lease of an attempt that outlasts it, so the delivery is not taken and sent again', async () => {
    const { store, receiver, destination, clock } = await setup(() => ({ status: 200 }));
    const calls: string[] = [];
    // An attempt of many requests: virtual time runs on for three lease terms while it is under way.
    const slow: AnyConnector = {
      ...webhook,
      async deliver(...args: Parameters<AnyConnector['deliver']>) {
        calls.push(args[0].id);
        if (calls.length === 1) {
          for (let step = 0; step < 30; step++) {
            const target = clock.now() + 1_000;
            while (clock.fireNext(target));
            clock.jumpTo(target);
            await new Promise((r) => setTimeout(r, 15));
          }
        }
        return webhook.deliver(...args);
      },
    };
    const dispatcher = new Dispatcher({ store, destinations: () => [{ ...destination, connector: slow }], clock, timeoutMs: 1_000, leaseMs: 9_000 });
    cleanups.push(() => dispatcher.stop());
    const time = drive(clock, dispatcher);
    await store.addEvents([{ event: event('evt_long'), destinations: ['flaky'] }]);
    dispatcher.start();
    await time.until(async () => (await stateOf(store, 'evt_long')).state === 'succeeded');
    expect(calls).toEqual(['evt_long']);
    expect(receiver.requests).toHaveLength(1);
  });

  it('disables a destination whose endpoint is gone, and sends nothing more to it', async () => {
    const { store, receiver, destination, clock } = await setup(() => ({ status: 410 }));
    const disabled: string[] = [];
    const dispatcher = new Dispatcher({ store, destinations: () => [destination], clock, onDisabled: (name) => void disabled.push(name) });
    cleanups.push(() => dispatcher.stop());
    const time = drive(clock, dispatcher);
    await store.addEvents([{ event: event('evt_g1'), destinations: ['flaky'] }]);
    dispatcher.start();
    await time.until(async () => (await stateOf(store, 'evt_g1')).state === 'failed');
    expect(await store.disabledDestinations()).toEqual({ flaky: expect.stringMatching(/410 Gone/) });
    expect(disabled).toEqual(['flaky']);

    await store.addEvents([{ event: event('evt_g2'), destinations: ['flaky'] }]);
    dispatcher.wake();
    await time.pass(10_000);
    expect(receiver.requests).toHaveLength(1);
    expect((await stateOf(store, 'evt_g2')).state).toBe('pending');
  });

  it('refuses a lease that does not outlast the request timeout', async () => {
    const { store, destination } = await setup(() => ({ status: 200 }));
    expect(() => new Dispatcher({ store, destinations: () => [destination], timeoutMs: 30_000, leaseMs: 30_000 })).toThrow(LeaseConfigError);
  });

  it('takes back a lease whose holder died, and only that one', async () => {
    const { store } = await setup(() => ({ status: 200 }));
    await store.addEvents([{ event: event('evt_l1'), destinations: ['flaky'] }, { event: event('evt_l2'), destinations: ['flaky'] }]);
    const now = Date.now();
    await store.leaseDue('flaky', { now, limit: 1, leaseMs: 60_000, owner: 'here:1' });
    await store.leaseDue('flaky', { now, limit: 1, leaseMs: 60_000, owner: 'here:2' });
    expect(await store.recoverLeases((owner) => owner === 'here:1')).toBe(1);
    const states = (await store.listDeliveries({})).map((d) => d.state).sort();
    expect(states).toEqual(['in_flight', 'retrying']);
  });
});

describe('lease owners', () => {
  it('counts as dead an earlier process with our pid, or a pid that is gone, but never us or another host', () => {
    expect(isDeadOwner(LEASE_OWNER)).toBe(false);
    expect(isDeadOwner(`${hostname()}:${process.pid}:00000000`)).toBe(true);
    expect(isDeadOwner(`${hostname()}:4194303:00000000`)).toBe(true);
    expect(isDeadOwner(`${hostname()}:${process.ppid}:00000000`)).toBe(false);
    expect(isDeadOwner(`another-host:4194303:00000000`)).toBe(false);
  });
});

describe('the retry policy', () => {
  const never = () => 0.999;
  it('follows the schedule with jitter that only adds', () => {
    const d = decideRetry(DEFAULT_RETRY_POLICY, 2, 0, undefined, () => 0);
    expect(d).toEqual({ retry: true, delayMs: 300_000 });
    const jittered = decideRetry(DEFAULT_RETRY_POLICY, 2, 0, undefined, never);
    expect(jittered.retry && jittered.delayMs).toBeGreaterThan(300_000);
  });
  it('uses a longer delay the service names as given, and never a shorter one', () => {
    expect(decideRetry(DEFAULT_RETRY_POLICY, 1, 0, 120_000, never)).toEqual({ retry: true, delayMs: 120_000 });
    const shorter = decideRetry(DEFAULT_RETRY_POLICY, 2, 0, 1_000, () => 0);
    expect(shorter).toEqual({ retry: true, delayMs: 300_000 });
  });
  it('gives up when the schedule is spent, or past the deadline after the attempt floor', () => {
    expect(decideRetry(DEFAULT_RETRY_POLICY, 8, 0, undefined).retry).toBe(false);
    expect(decideRetry(DEFAULT_RETRY_POLICY, 3, 4 * 86_400_000, undefined).retry).toBe(false);
    expect(decideRetry(DEFAULT_RETRY_POLICY, 2, 4 * 86_400_000, undefined).retry).toBe(true);
  });
  it('lets the CLI give up on a long wait rather than block', () => {
    const d = decideRetry({ schedule: [0, 1000, 2000], jitter: 0, maxDelayMs: 10_000 }, 1, 0, 3_600_000);
    expect(d.retry).toBe(false);
  });
});

describe('the circuit breaker', () => {
  it('allows one probe when half-open and doubles its pause after a failed probe', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ threshold: 2, cooldownMs: 100, maxCooldownMs: 1000 }, { now: () => now });
    breaker.failure();
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.allowance(4)).toBe(0);
    now = 100;
    expect(breaker.allowance(4)).toBe(1);
    expect(breaker.allowance(4)).toBe(0);
    breaker.failure();
    expect(breaker.reopensAt()).toBe(300);
    now = 300;
    expect(breaker.allowance(4)).toBe(1);
    breaker.success();
    expect(breaker.allowance(4)).toBe(4);
  });
});

describe('the token bucket', () => {
  it('allows a burst of its rate, then one more per interval', () => {
    let now = 0;
    const bucket = new TokenBucket(2, { now: () => now });
    expect(bucket.available()).toBe(2);
    bucket.take(2);
    expect(bucket.available()).toBe(0);
    expect(bucket.waitMs()).toBe(500);
    now = 500;
    expect(bucket.available()).toBe(1);
  });
});
