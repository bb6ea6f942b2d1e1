import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildEnvelope } from '../src/events/index.js';
import { PostgresStore } from '../src/store/postgres.js';
import { PG_MIGRATIONS } from '../src/store/postgres-migrations.js';
import { freshPostgresDatabase, postgresAnswers } from './helpers/stores.js';

const event = (id: string) => buildEnvelope({ id, type: 'session.started', data: { session: { id: 's' }, user: { id: 'u' } } });

describe.skipIf(!postgresAnswers)('several daemons on one PostgreSQL store', () => {
  let db: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let stores: PostgresStore[];
  beforeEach(async () => {
    db = await freshPostgresDatabase();
    // Opened together: the advisory lock lets one migrate while the others wait.
    stores = await Promise.all([PostgresStore.open(db.url), PostgresStore.open(db.url), PostgresStore.open(db.url)]);
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await db.drop();
  });

  it('migrates once when several open the database at the same time', async () => {
    const { rows } = await stores[0].pool.query('SELECT version FROM vidhook_schema');
    expect(rows).toEqual([{ version: PG_MIGRATIONS.length }]);
  });

  it('stores an event posted to two daemons once, the second answering duplicate', async () => {
    const [a, b] = await Promise.all([
      stores[0].addEvents([{ event: event('evt_same'), destinations: ['x', 'y'] }]),
      stores[1].addEvents([{ event: event('evt_same'), destinations: ['x', 'y'] }]),
    ]);
    expect([a[0].duplicate, b[0].duplicate].sort()).toEqual([false, true]);
    expect(a[0].deliveries).toBe(2);
    expect(b[0].deliveries).toBe(2);
    expect(await stores[2].countByState()).toEqual({ pending: 2 });
  });

  it('never leases one delivery to two daemons at once', async () => {
    await stores[0].addEvents(Array.from({ length: 60 }, (_, i) => ({ event: event(`evt_${i}`), destinations: ['a'] })));
    const leased = (
      await Promise.all(stores.flatMap((s) => [1, 2, 3].map(() => s.leaseDue('a', { now: Date.now(), limit: 7, leaseMs: 60_000 }))))
    ).flat();
    const ids = leased.map((l) => l.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(60);
  });

  it("holds a destination's concurrency across daemons: never more leased at once than its limit", async () => {
    await stores[0].addEvents(Array.from({ length: 20 }, (_, i) => ({ event: event(`evt_${i}`), destinations: ['a'] })));
    const lease = (s: PostgresStore) => s.leaseDue('a', { now: Date.now(), limit: 3, leaseMs: 60_000, limits: { concurrency: 2 } });
    const first = (await Promise.all(stores.flatMap((s) => [lease(s), lease(s)]))).flat();
    expect(first).toHaveLength(2);
    expect((await Promise.all(stores.map(lease))).flat()).toEqual([]);
    // A settled delivery frees its place for whichever daemon asks next.
    expect(await stores[0].settle(first[0], { state: 'succeeded' })).toBe(true);
    expect((await Promise.all(stores.map(lease))).flat()).toHaveLength(1);
    // An expired lease (its holder died) no longer counts.
    await stores[0].pool.query(`UPDATE deliveries SET lease_until = 0 WHERE id = $1`, [first[1].id]);
    expect((await Promise.all(stores.map(lease))).flat()).toHaveLength(1);
  });

  it('shares one per-second budget between daemons', async () => {
    await stores[0].addEvents(Array.from({ length: 40 }, (_, i) => ({ event: event(`evt_${i}`), destinations: ['a'] })));
    const lease = (s: PostgresStore) => s.leaseDue('a', { now: Date.now(), limit: 10, leaseMs: 60_000, limits: { perSecond: 5 } });
    const leased = (await Promise.all(stores.map(lease))).flat();
    // A full bucket holds one second's worth, whoever asks; without the shared budget each would take 5.
    expect(leased.length).toBeGreaterThanOrEqual(5);
    expect(leased.length).toBeLessThanOrEqual(6);
    const { rows } = await stores[0].pool.query(`SELECT tokens FROM destination_rates WHERE name = 'a'`);
    expect(rows[0].tokens).toBeLessThan(1);
  });

  it('lets a limit under one a second through one at a time', async () => {
    await stores[0].addEvents(Array.from({ length: 3 }, (_, i) => ({ event: event(`evt_${i}`), destinations: ['a'] })));
    const lease = (s: PostgresStore) => s.leaseDue('a', { now: Date.now(), limit: 3, leaseMs: 60_000, limits: { perSecond: 0.5 } });
    expect((await Promise.all(stores.map(lease))).flat()).toHaveLength(1);
  });

  it("fences a settlement by another daemon once the lease expired and was taken again", async () => {
    await stores[0].addEvents([{ event: event('evt_1'), destinations: ['a'] }]);
    const [first] = await stores[0].leaseDue('a', { now: Date.now(), limit: 1, leaseMs: -1 });
    const [second] = await stores[1].leaseDue('a', { now: Date.now(), limit: 1, leaseMs: 60_000 });
    expect(second.id).toBe(first.id);
    expect(BigInt(`0x${second.leaseToken}`)).toBeGreaterThan(BigInt(`0x${first.leaseToken}`));
    expect(await stores[0].settle(first, { state: 'succeeded' })).toBe(false);
    expect(await stores[1].settle(second, { state: 'succeeded' })).toBe(true);
    expect(await stores[1].settle(second, { state: 'failed' })).toBe(false);
    expect((await stores[2].getDelivery(first.id))?.state).toBe('succeeded');
  });

  it('wakes the other daemons with the destinations of new deliveries', async () => {
    let wake!: (destinations: string[]) => void;
    const woken = new Promise<string[]>((resolve) => (wake = resolve));
    await stores[1].onNewWork(wake);
    await stores[0].addEvents([{ event: event('evt_1'), destinations: ['slack', 'crm'] }]);
    expect((await woken).sort()).toEqual(['crm', 'slack']);
  });

  it('announces the ids of the attempts one daemon records to another, each once, in notices under the payload limit', async () => {
    const notices: number[][] = [];
    const stop = await stores[1].listenForAttempts((ids) => notices.push(ids), () => {});
    await stores[0].addEvents(Array.from({ length: 700 }, (_, i) => ({ event: event(`evt_${i}`), destinations: ['a'] })));
    const leases = await stores[0].leaseDue('a', { now: Date.now(), limit: 700, leaseMs: 60_000 });
    // Settled in one turn: one statement, and its attempts announced in several notices.
    await Promise.all(leases.map((lease) => stores[0].settle(lease, { state: 'succeeded' }, {
      deliveryId: lease.id, eventId: lease.eventId, eventType: lease.eventType, destination: 'a', number: 1,
      startedAt: new Date().toISOString(), durationMs: 5, outcome: 'ok', exchanges: [],
    })));
    const logged = (await stores[2].listAttempts({ limit: 1000 })).map((a) => a.id);
    await vi.waitFor(() => expect(notices.flat().length).toBe(700));
    expect(notices.flat().sort((x, y) => x - y)).toEqual(logged);
    expect(notices.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...notices.map((ids) => ids.join(',').length))).toBeLessThan(8000);
    await stop();
  });

  it('announces no attempt of a settlement that lost its lease', async () => {
    const notices: number[][] = [];
    const stop = await stores[1].listenForAttempts((ids) => notices.push(ids), () => {});
    await stores[0].addEvents([{ event: event('evt_1'), destinations: ['a'] }]);
    const [stale] = await stores[0].leaseDue('a', { now: Date.now(), limit: 1, leaseMs: -1 });
    const [held] = await stores[2].leaseDue('a', { now: Date.now(), limit: 1, leaseMs: 60_000 });
    const attempt = { deliveryId: held.id, eventId: 'evt_1', eventType: 'session.started', destination: 'a', number: 1, startedAt: new Date().toISOString(), durationMs: 5, outcome: 'ok' as const, exchanges: [] };
    expect(await stores[0].settle(stale, { state: 'succeeded' }, attempt)).toBe(false);
    expect(await stores[2].settle(held, { state: 'succeeded' }, attempt)).toBe(true);
    await vi.waitFor(() => expect(notices).toHaveLength(1));
    expect(notices[0]).toEqual((await stores[1].listAttempts({})).map((a) => a.id));
    await stop();
  });

  it('accepts a batch of new events, their deliveries and the wake-up in one round trip to the database', async () => {
    const queries = vi.spyOn(stores[0].pool, 'query');
    const connects = vi.spyOn(stores[0].pool, 'connect');
    const accepted = await stores[0].addEvents([
      { event: event('evt_1'), destinations: ['a', 'b'] },
      { event: event('evt_2'), destinations: ['a'] },
    ]);
    expect(accepted.map((a) => a.deliveries)).toEqual([2, 1]);
    // One statement on one connection (the pool's query takes it): no transaction of several statements.
    expect(queries).toHaveBeenCalledTimes(1);
    expect(connects).toHaveBeenCalledTimes(1);
  });

  it('gathers the settlements made while a settle statement is on its way into the next one', async () => {
    const store = stores[0];
    await store.addEvents(Array.from({ length: 4 }, (_, i) => ({ event: event(`evt_${i}`), destinations: ['a'] })));
    const leased = await store.leaseDue('a', { now: Date.now(), limit: 4, leaseMs: 60_000 });
    // The first statement is held on its way until the other three were made, each in a turn of its own.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const query = store.pool.query.bind(store.pool) as (...args: unknown[]) => Promise<unknown>;
    const queries = vi.spyOn(store.pool, 'query').mockImplementationOnce(((...args: unknown[]) => held.then(() => query(...args))) as never);
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const settled = [store.settle(leased[0], { state: 'succeeded' })];
    for (const lease of leased.slice(1)) {
      await turn();
      settled.push(store.settle(lease, { state: 'succeeded' }));
    }
    await turn();
    release();
    expect(await Promise.all(settled)).toEqual([true, true, true, true]);
    expect(queries).toHaveBeenCalledTimes(2);
  });

  it("reports the oldest pending delivery's age on the database's clock, whatever the host's clock says", async () => {
    await stores[0].addEvents([{ event: event('evt_1'), destinations: ['a'] }]);
    // This host's clock runs ten minutes ahead of the database's.
    const ahead = Date.now() + 600_000;
    vi.spyOn(Date, 'now').mockReturnValue(ahead);
    const [health] = await stores[1].health(['a'], ahead);
    vi.restoreAllMocks();
    expect(ahead - health.oldestPendingAt!).toBeLessThan(5_000);
  });

  it("sets a lease's expiry on the database's clock", async () => {
    await stores[0].addEvents([{ event: event('evt_1'), destinations: ['a'] }]);
    const leased = await stores[0].leaseDue('a', { now: Date.now(), limit: 1, leaseMs: 60_000 });
    expect(leased).toHaveLength(1);
    const { rows: [{ now }] } = await stores[0].pool.query(`SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS now`);
    expect(Math.abs(leased[0].nextAt - (now + 60_000))).toBeLessThan(1_000);
  });

  it('says which database it cannot reach, without the password', async () => {
    await expect(PostgresStore.open('postgres://vidhook:s3cret@127.0.0.1:1/nowhere')).rejects.toThrow(
      /cannot open the PostgreSQL store at postgres:\/\/vidhook:\*\*\*@127\.0\.0\.1:1\/nowhere/,
    );
  });
});
