import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { HOT_SQL, SqliteStore } from '../src/store/sqlite.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { buildEnvelope } from '../src/events/index.js';
import type { Store } from '../src/store/types.js';
import { STORE_KINDS, type StoreUnderTest } from './helpers/stores.js';

const event = (id: string) => buildEnvelope({ id, type: 'session.started', data: { session: { id: 's' }, user: { id: 'u' } } });

describe.each(STORE_KINDS)('the $name store', (kind) => {
  let opened: StoreUnderTest;
  let store: Store;
  beforeEach(async (context) => {
    if (kind.skip) return context.skip();
    opened = await kind.open();
    store = opened.store;
  });
  afterEach(async () => {
    await opened?.close();
  });

  it('commits concurrent callers together and reports duplicates without new deliveries', async () => {
    const results = await Promise.all([
      store.addEvents([{ event: event('evt_1'), destinations: ['a', 'b'] }]),
      store.addEvents([{ event: event('evt_2'), destinations: ['a'] }]),
      store.addEvents([{ event: event('evt_1'), destinations: ['a', 'b', 'c'] }]),
    ]);
    expect(results.flat()).toEqual([
      { id: 'evt_1', deliveries: 2, duplicate: false },
      { id: 'evt_2', deliveries: 1, duplicate: false },
      { id: 'evt_1', deliveries: 2, duplicate: true },
    ]);
    expect(await store.countByState()).toEqual({ pending: 3 });
  });

  it('pages deliveries newest first, bounded in time, and counts what a retry by filter would take', async () => {
    await store.addEvents([{ event: event('evt_1'), destinations: ['a', 'b'] }]);
    await store.addEvents([{ event: event('evt_2'), destinations: ['a'] }]);
    const oldest = await store.listDeliveries({ destination: 'a' });
    const newest = await store.listDeliveries({ destination: 'a', newestFirst: true });
    expect(newest.map((d) => d.id)).toEqual(oldest.map((d) => d.id).reverse());
    expect(await store.listDeliveries({ destination: 'a', newestFirst: true, after: newest[0].id })).toEqual([newest[1]]);
    expect(await store.listDeliveries({ until: Date.now() - 60_000 })).toEqual([]);
    expect(await store.countRequeue({ destination: 'a' })).toBe(2);
    expect(await store.countRequeue({ eventId: 'evt_1' })).toBe(2);
  });

  it('counts attempts per bucket and latency class, and events per bucket, for the console', async () => {
    await store.addEvents([{ event: event('evt_1'), destinations: ['a'] }]);
    const [lease] = await store.leaseDue('a', { now: Date.now(), limit: 1, leaseMs: 60_000 });
    const startedAt = new Date().toISOString();
    const summary = { deliveryId: lease.id, eventId: 'evt_1', eventType: 'session.started', destination: 'a', number: 1, startedAt, durationMs: 40, outcome: 'retrying' as const, exchanges: [] };
    await store.settle(lease, { state: 'retrying', nextAt: Date.now(), error: 'HTTP 503' }, summary);
    const activity = await store.activity(['a', 'b'], Date.now() - 3_600_000, 60_000);
    expect(activity.attempts).toHaveLength(1);
    expect(activity.attempts[0]).toMatchObject({ destination: 'a', attempts: 1, failures: 1 });
    expect(activity.events.reduce((n, e) => n + e.count, 0)).toBe(1);
  });

  it('fences settlements with the lease token', async () => {
    await store.addEvents([{ event: event('evt_1'), destinations: ['a'] }]);
    const [first] = await store.leaseDue('a', { now: Date.now(), limit: 1, leaseMs: 1 });
    await new Promise((r) => setTimeout(r, 5));
    const [second] = await store.leaseDue('a', { now: Date.now(), limit: 1, leaseMs: 60_000 });
    expect(second.id).toBe(first.id);
    expect(await store.settle(first, { state: 'succeeded' })).toBe(false);
    expect(await store.settle(second, { state: 'succeeded' })).toBe(true);
  });

  it('hands out a lease with the delivery as it now stands, its last error and its event', async () => {
    const sent = event('evt_1');
    await store.addEvents([{ event: sent, destinations: ['a'] }]);
    const [first] = await store.leaseDue('a', { now: Date.now(), limit: 1, leaseMs: 60_000 });
    expect(first.lastError).toBeUndefined();
    await store.settle(first, { state: 'retrying', nextAt: 0, error: 'HTTP 503' }, undefined);

    const now = Date.now();
    const [lease] = await store.leaseDue('a', { now, limit: 1, leaseMs: 60_000 });
    expect(lease).toMatchObject({
      id: first.id,
      eventId: 'evt_1',
      eventType: 'session.started',
      destination: 'a',
      state: 'in_flight',
      attempts: 1,
      createdAt: first.createdAt,
      lastError: 'HTTP 503',
    });
    // SQLite takes the caller's clock; PostgreSQL reads the database's, a few ms later here.
    const close = (at: number, expected: number) => (kind.exactClock ? expect(at).toBe(expected) : expect(Math.abs(at - expected)).toBeLessThan(1_000));
    close(lease.nextAt, now + 60_000);
    close(lease.updatedAt, now);
    expect(lease.leaseToken).toMatch(/^[0-9a-f]{16}$/);
    expect(lease.event).toEqual(sent);
    expect(await store.getDelivery(lease.id)).toMatchObject({ state: 'in_flight', nextAt: lease.nextAt, lastError: 'HTTP 503' });
  });

  it('keeps counting attempts across a manual retry, and leases it with where the new round starts', async () => {
    await store.addEvents([{ event: event('evt_1'), destinations: ['a'] }]);
    for (const state of ['retrying', 'failed'] as const) {
      const [lease] = await store.leaseDue('a', { now: Date.now(), limit: 1, leaseMs: 60_000 });
      expect(lease.attemptsBeforeRequeue).toBe(0);
      expect(lease.requeuedAt).toBeUndefined();
      await store.settle(lease, { state, nextAt: 0, error: 'HTTP 500' });
    }
    const before = Date.now();
    const [requeued] = await store.requeue({ status: 'failed' });
    expect(requeued).toMatchObject({ state: 'pending', attempts: 2 });
    expect(requeued.lastError).toBeUndefined();

    const [lease] = await store.leaseDue('a', { now: Date.now() + 1_000, limit: 1, leaseMs: 60_000 });
    expect(lease).toMatchObject({ attempts: 2, attemptsBeforeRequeue: 2 });
    expect(lease.requeuedAt).toBeGreaterThanOrEqual(before - (kind.exactClock ? 0 : 1_000));
    await store.settle(lease, { state: 'failed', error: 'HTTP 500' });
    expect(await store.getDelivery(lease.id)).toMatchObject({ state: 'failed', attempts: 3 });
  });

  it('prunes old settled events and attempts, never unfinished work', async () => {
    await store.addEvents([{ event: event('evt_done'), destinations: ['a'] }, { event: event('evt_open'), destinations: ['b'] }]);
    const [lease] = await store.leaseDue('a', { now: Date.now(), limit: 1, leaseMs: 60_000 });
    await store.settle(lease, { state: 'succeeded' });
    const pruned = await store.prune(Date.now() + 1000);
    expect(pruned.events).toBe(1);
    expect(await store.getEvent('evt_done')).toBeUndefined();
    expect(await store.getEvent('evt_open')).toBeDefined();
  });

  it('backfills a destination only with events it has no delivery for', async () => {
    await store.addEvents([{ event: event('evt_1'), destinations: ['a'] }, { event: event('evt_2'), destinations: [] }]);
    expect((await store.storedEventCounts('a', 0)).reduce((n, s) => n + s.withoutDelivery, 0)).toBe(1);
    expect(await store.backfill('a', { since: 0 })).toBe(1);
    expect(await store.backfill('a', { since: 0 })).toBe(0);
  });

  it('counts stored events per type with those a destination has no delivery for, and backfills only the types named', async () => {
    const completed = buildEnvelope({ id: 'evt_c', type: 'video.completed', data: { video: { id: 'v', title: 't', url: 'https://v.test/v' }, user: { id: 'u' } } });
    await store.addEvents([{ event: event('evt_1'), destinations: ['a'] }, { event: event('evt_2'), destinations: [] }, { event: completed, destinations: [] }]);
    expect(await store.storedEventCounts('a', 0)).toEqual([
      { type: 'session.started', events: 2, withoutDelivery: 1 },
      { type: 'video.completed', events: 1, withoutDelivery: 1 },
    ]);
    expect(await store.storedEventCounts('a', Date.now() + 60_000)).toEqual([]);
    expect(await store.backfill('a', { since: 0, types: [] })).toBe(0);
    expect(await store.backfill('a', { since: 0, types: ['video.completed'] })).toBe(1);
    expect((await store.listDeliveries({ destination: 'a' })).map((d) => d.eventId).sort()).toEqual(['evt_1', 'evt_c']);
  });

  it('keeps a destination disabled with its reason until it is enabled again', async () => {
    await store.setDisabled('crm', 'endpoint answered HTTP 410 Gone');
    await store.setDisabled('slack', 'disabled by ops');
    await store.setDisabled('slack', 'disabled again by ops');
    expect(await store.disabledDestinations()).toEqual({ crm: 'endpoint answered HTTP 410 Gone', slack: 'disabled again by ops' });
    await store.setDisabled('crm', null);
    await store.setDisabled('never-disabled', null);
    expect(await store.disabledDestinations()).toEqual({ slack: 'disabled again by ops' });
  });

  it('records the attempt of a settlement that holds its lease, and none of one that lost it', async () => {
    await store.addEvents([{ event: event('evt_1'), destinations: ['a'] }, { event: event('evt_2'), destinations: ['a'] }]);
    const [stale, held] = await store.leaseDue('a', { now: Date.now(), limit: 2, leaseMs: 60_000, owner: 'host:9:dead' });
    expect(await store.recoverLeases((owner) => owner === 'host:9:dead')).toBe(2);
    const attempt = (deliveryId: string, eventId: string) => ({
      deliveryId, eventId, eventType: 'session.started', destination: 'a', number: 1, startedAt: new Date().toISOString(),
      durationMs: 12, outcome: 'ok' as const, statusCode: 200, exchanges: [{ startedAt: new Date().toISOString(), durationMs: 12, request: { method: 'POST', url: 'https://x.test/', headers: {} } }],
    });
    const [retaken] = await store.leaseDue('a', { now: Date.now(), limit: 1, leaseMs: 60_000, eventIds: [held.eventId] });
    const results = await Promise.all([
      store.settle(stale, { state: 'succeeded' }, attempt(stale.id, stale.eventId)),
      store.settle(retaken, { state: 'succeeded' }, attempt(retaken.id, retaken.eventId)),
    ]);
    expect(results).toEqual([false, true]);
    const attempts = await store.listAttempts({ destination: 'a' });
    expect(attempts.map((a) => [a.eventId, a.statusCode, a.exchanges[0].request.url])).toEqual([[held.eventId, 200, 'https://x.test/']]);
    expect(await store.countByState()).toEqual({ retrying: 1, succeeded: 1 });
  });

  it('pages back through the attempt log from the newest page with beforeId', async () => {
    await store.addEvents(['evt_1', 'evt_2', 'evt_3'].map((id) => ({ event: event(id), destinations: ['a'] })));
    for (const lease of await store.leaseDue('a', { now: Date.now(), limit: 3, leaseMs: 60_000 })) {
      const summary = { deliveryId: lease.id, eventId: lease.eventId, eventType: 'session.started', destination: 'a', number: 1, startedAt: new Date().toISOString(), durationMs: 5, outcome: 'ok' as const, exchanges: [] };
      await store.settle(lease, { state: 'succeeded' }, summary);
    }
    const all = (await store.listAttempts({ limit: 10 })).map((a) => a.id);
    expect(all).toHaveLength(3);
    const newest = await store.listAttempts({ limit: 2 });
    expect(newest.map((a) => a.id)).toEqual(all.slice(1));
    const older = await store.listAttempts({ beforeId: newest[0].id, limit: 2 });
    expect(older.map((a) => a.id)).toEqual(all.slice(0, 1));
  });

  it("takes back a dead process's leases, and only theirs", async () => {
    await store.addEvents([{ event: event('evt_1'), destinations: ['a'] }, { event: event('evt_2'), destinations: ['a'] }]);
    await store.leaseDue('a', { now: Date.now(), limit: 1, leaseMs: 60_000, owner: 'host:1:dead' });
    await store.leaseDue('a', { now: Date.now(), limit: 1, leaseMs: 60_000, owner: 'host:2:alive' });
    expect(await store.recoverLeases((owner) => owner === 'host:1:dead')).toBe(1);
    const again = await store.leaseDue('a', { now: Date.now(), limit: 5, leaseMs: 60_000 });
    expect(again.map((d) => d.eventId)).toEqual(['evt_1']);
  });

  it('renews leases still held, and not one lost meanwhile', async () => {
    await store.addEvents([{ event: event('evt_1'), destinations: ['a'] }, { event: event('evt_2'), destinations: ['a'] }]);
    const [kept, lost] = await store.leaseDue('a', { now: Date.now(), limit: 2, leaseMs: 60_000 });
    // The second lease lapses and another holder takes it: its old token no longer renews.
    expect(await store.settle(lost, { state: 'retrying', nextAt: Date.now() - 1 }, undefined)).toBe(true);
    const [retaken] = await store.leaseDue('a', { now: Date.now(), limit: 1, leaseMs: 60_000 });
    expect(retaken.id).toBe(lost.id);
    const renewed = await store.renewLeases([kept, lost], { now: Date.now(), leaseMs: 600_000 });
    expect(renewed).toEqual([kept.id]);
    const due = (await store.getDelivery(kept.id))!.nextAt;
    expect(due).toBeGreaterThan(Date.now() + 500_000);
    // Renewed, it is not due again when its first term would have ended; the retaken one, not renewed, is.
    const later = await store.leaseDue('a', { now: Date.now() + 120_000, limit: 5, leaseMs: 60_000 });
    expect(later.map((d) => d.id)).toEqual([retaken.id]);
  });

  it('keeps holds on destinations until they end, the latest replacing the one before', async () => {
    const now = Date.now();
    await store.holdDestination('a', { until: now + 30_000, cause: 'circuit', reason: 'circuit opened' });
    await store.holdDestination('b', { until: now + 5_000, cause: 'rate_limit', reason: 'asked to wait' });
    await store.holdDestination('b', { until: now + 10_000, cause: 'rate_limit', reason: 'asked to wait longer' });
    const holds = await store.destinationHolds(now);
    expect(Object.keys(holds).sort()).toEqual(['a', 'b']);
    expect(holds.b).toMatchObject({ cause: 'rate_limit', reason: 'asked to wait longer' });
    expect(Math.abs(holds.a.until - (now + 30_000))).toBeLessThan(1_000);
    expect(Object.keys(await store.destinationHolds(now + 20_000))).toEqual(['a']);
    expect(await store.destinationHolds(now + 40_000)).toEqual({});
  });

  it('finds attempts by their ids, oldest first, passing over ids it does not hold', async () => {
    await store.addEvents([{ event: event('evt_1'), destinations: ['a'] }, { event: event('evt_2'), destinations: ['a'] }]);
    const leases = await store.leaseDue('a', { now: Date.now(), limit: 2, leaseMs: 60_000 });
    for (const lease of leases) {
      await store.settle(lease, { state: 'succeeded' }, {
        deliveryId: lease.id, eventId: lease.eventId, eventType: lease.eventType, destination: 'a', number: 1,
        startedAt: new Date().toISOString(), durationMs: 5, outcome: 'ok', statusCode: 200, exchanges: [],
      });
    }
    const logged = await store.listAttempts({ destination: 'a' });
    expect(logged).toHaveLength(2);
    expect(await store.attemptsByIds([logged[1].id, 999_999, logged[0].id])).toEqual(logged);
    expect(await store.attemptsByIds([])).toEqual([]);
  });

  it('reports how late the oldest due delivery is per destination, and 0 when nothing is due', async () => {
    await store.addEvents([{ event: event('evt_1'), destinations: ['late', 'early'] }]);
    const now = Date.now();
    const [late] = await store.leaseDue('late', { now, limit: 1, leaseMs: 60_000 });
    const [early] = await store.leaseDue('early', { now, limit: 1, leaseMs: 60_000 });
    await store.settle(late, { state: 'retrying', nextAt: now - 90_000 });
    await store.settle(early, { state: 'retrying', nextAt: now + 90_000 });
    const [lateHealth, earlyHealth, idle] = await store.health(['late', 'early', 'idle'], now);
    // SQLite takes the caller's clock; PostgreSQL reads the database's, a few ms later here.
    if (kind.exactClock) expect(lateHealth.queueLagMs).toBe(90_000);
    else expect(Math.abs(lateHealth.queueLagMs - 90_000)).toBeLessThan(1_000);
    expect(earlyHealth).toMatchObject({ pending: 1, queueLagMs: 0 });
    expect(idle).toMatchObject({ pending: 0, queueLagMs: 0 });
  });
});

describe('the SQLite store', () => {
  let dir: string;
  let store: SqliteStore;
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = () => {
    dir = mkdtempSync(join(tmpdir(), 'vidhook-store-'));
    store = SqliteStore.open(dir);
  };
  it('uses WAL with full sync, so an answered event survives a crash', () => {
    open();
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('runs the statements of every delivery without temporary b-trees, the due query on its index', () => {
    open();
    for (const [name, sql] of Object.entries(HOT_SQL)) {
      const params = Array.from({ length: sql.split('?').length - 1 }, () => null);
      const opcodes = (store.db.prepare(`EXPLAIN ${sql}`).all(...params) as Array<{ opcode: string }>).map((op) => op.opcode);
      expect(opcodes.filter((op) => op === 'OpenEphemeral' || op === 'SorterOpen'), name).toEqual([]);
    }
    const plan = (store.db.prepare(`EXPLAIN QUERY PLAN ${HOT_SQL.due}`).all('a', 0, 1) as Array<{ detail: string }>).map((r) => r.detail);
    expect(plan.join(' | ')).toMatch(/deliveries_due/);
  });

  it("takes back a dead process's leases, found through their own index", async () => {
    open();
    await store.addEvents([{ event: event('evt_1'), destinations: ['a'] }, { event: event('evt_2'), destinations: ['a'] }]);
    await store.leaseDue('a', { now: Date.now(), limit: 1, leaseMs: 60_000, owner: 'host:1:dead' });
    await store.leaseDue('a', { now: Date.now(), limit: 1, leaseMs: 60_000, owner: 'host:2:alive' });
    const plan = store.db.prepare(`EXPLAIN QUERY PLAN SELECT DISTINCT lease_owner FROM deliveries WHERE state = 'in_flight' AND lease_owner IS NOT NULL`).all();
    expect(JSON.stringify(plan)).toMatch(/deliveries_leased/);
    expect(await store.recoverLeases((owner) => owner === 'host:1:dead')).toBe(1);
    const again = await store.leaseDue('a', { now: Date.now(), limit: 5, leaseMs: 60_000 });
    expect(again.map((d) => d.eventId)).toEqual(['evt_1']);
  });

  it('moves disabled flags kept as connector state by an older version into their own table', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vidhook-store-'));
    const old = new Database(join(dir, 'vidhook.db'));
    const before = MIGRATIONS.findIndex((sql) => sql.includes('disabled_destinations'));
    for (const sql of MIGRATIONS.slice(0, before)) old.exec(sql);
    old.pragma(`user_version = ${before}`);
    const insert = old.prepare('INSERT INTO connector_state (scope, key, value) VALUES (?, ?, ?)');
    insert.run('destination:partner', 'disabled', 'endpoint answered HTTP 410 Gone');
    insert.run('connector:partner', 'generatedSecret', 'whsec_kept');
    old.close();

    store = SqliteStore.open(dir);
    expect(await store.disabledDestinations()).toEqual({ partner: 'endpoint answered HTTP 410 Gone' });
    expect(await store.stateGet('destination:partner', 'disabled')).toBeUndefined();
    expect(await store.stateGet('connector:partner', 'generatedSecret')).toBe('whsec_kept');
  });
});
