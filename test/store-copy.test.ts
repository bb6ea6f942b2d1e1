import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEnvelope } from '../src/events/index.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { PostgresStore } from '../src/store/postgres.js';
import { copyToPostgres } from '../src/store/copy-to-postgres.js';
import type { NewAttempt } from '../src/store/types.js';
import { freshPostgresDatabase, postgresAnswers } from './helpers/stores.js';

const event = (id: string) => buildEnvelope({ id, type: 'session.started', data: { session: { id: 's' }, user: { id: 'u' } } });
const attempt = (deliveryId: string, eventId: string, outcome: NewAttempt['outcome'], statusCode: number): NewAttempt => ({
  deliveryId, eventId, eventType: 'session.started', destination: 'a', number: 1, startedAt: new Date().toISOString(),
  durationMs: 12, outcome, statusCode, exchanges: [{ startedAt: new Date().toISOString(), durationMs: 12, request: { method: 'POST', url: 'https://a.test/', headers: {} } }],
});

describe.skipIf(!postgresAnswers)('copying a SQLite store into PostgreSQL', () => {
  let dir: string;
  let sqlite: SqliteStore;
  let db: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let target: PostgresStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vidhook-copy-'));
    sqlite = SqliteStore.open(dir);
    db = await freshPostgresDatabase();
    target = await PostgresStore.open(db.url);
  });
  afterEach(async () => {
    await target.close();
    await db.drop();
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One delivery of each kind: succeeded, retrying later, in flight (a stopped daemon's lease), pending. */
  async function fill() {
    await sqlite.addEvents(['evt_ok', 'evt_retry', 'evt_flight', 'evt_new'].map((id) => ({ event: event(id), destinations: ['a'] })));
    const leased = await sqlite.leaseDue('a', { now: Date.now(), limit: 3, leaseMs: 60_000, owner: 'host:1:gone' });
    const byEvent = new Map(leased.map((l) => [l.eventId, l]));
    const ok = byEvent.get('evt_ok') ?? leased[0];
    const retry = leased.find((l) => l !== ok)!;
    await sqlite.settle(ok, { state: 'succeeded' }, attempt(ok.id, ok.eventId, 'ok', 200));
    const later = Date.now() + 3_600_000;
    await sqlite.settle(retry, { state: 'retrying', nextAt: later, error: 'HTTP 503' }, attempt(retry.id, retry.eventId, 'retrying', 503));
    await sqlite.stateSet('hubspot:crm', 'token', 'tok_1');
    await sqlite.setDisabled('old-crm', 'disabled by ops');
    await sqlite.putRuntimeDestination({ name: 'hook_1', connector: 'webhook', events: ['*'], enabled: true, settings: { url: 'https://h.test/' }, createdAt: new Date().toISOString() });
    return { ok, retry, inFlight: leased.find((l) => l !== ok && l !== retry)!, later };
  }

  it('keeps the attempt count of a delivery retried by hand, so its attempts go on being numbered', async () => {
    const { ok } = await fill();
    await sqlite.requeue({ ids: [ok.id] });
    await copyToPostgres(sqlite, target);
    const leased = (await target.leaseDue('a', { now: Date.now(), limit: 10, leaseMs: 60_000 })).find((d) => d.id === ok.id);
    expect(leased).toMatchObject({ attempts: 1, attemptsBeforeRequeue: 1, requeuedAt: expect.any(Number) });
  });

  it('copies events, deliveries, attempts, connector state, registrations and disabled flags', async () => {
    const { ok, retry, inFlight, later } = await fill();
    const report = await copyToPostgres(sqlite, target);
    expect(report).toEqual({
      events: { copied: 4, existing: 0 },
      deliveries: { copied: 4, existing: 0 },
      attempts: { copied: 2, existing: 0 },
      connector_state: { copied: 1, existing: 0 },
      runtime_destinations: { copied: 1, existing: 0 },
      disabled_destinations: { copied: 1, existing: 0 },
      dueAgain: 1,
    });
    expect((await target.getEvent('evt_new'))?.event).toEqual((await sqlite.getEvent('evt_new'))?.event);
    expect(await target.getDelivery(ok.id)).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(await target.getDelivery(retry.id)).toMatchObject({ state: 'retrying', attempts: 1, nextAt: later, lastError: 'HTTP 503' });
    // What was in flight is due now, and leased again by the shared store's rules.
    expect(await target.getDelivery(inFlight.id)).toMatchObject({ state: 'pending' });
    const due = await target.leaseDue('a', { now: Date.now(), limit: 10, leaseMs: 60_000 });
    expect(due.map((d) => d.eventId).sort()).toEqual([inFlight.eventId, 'evt_new'].sort());
    expect((await target.listAttempts({ deliveryId: retry.id })).map((a) => [a.statusCode, a.exchanges[0].request.url])).toEqual([[503, 'https://a.test/']]);
    expect(await target.stateGet('hubspot:crm', 'token')).toBe('tok_1');
    expect(await target.disabledDestinations()).toEqual({ 'old-crm': 'disabled by ops' });
    expect((await target.listRuntimeDestinations()).map((d) => d.name)).toEqual(['hook_1']);
  });

  it('copies nothing twice when run again, and takes only what is new', async () => {
    await fill();
    await copyToPostgres(sqlite, target);
    await sqlite.addEvents([{ event: event('evt_later'), destinations: ['a'] }]);
    const again = await copyToPostgres(sqlite, target);
    expect(again).toMatchObject({
      events: { copied: 1, existing: 4 },
      deliveries: { copied: 1, existing: 4 },
      attempts: { copied: 0, existing: 2 },
      connector_state: { copied: 0, existing: 1 },
      dueAgain: 0,
    });
    expect(await target.countByState()).toEqual({ succeeded: 1, retrying: 1, pending: 3 });
    expect(await target.listAttempts({})).toHaveLength(2);
  });

  it('copies in batches: a store larger than one batch arrives whole', async () => {
    const ids = Array.from({ length: 2_500 }, (_, i) => `evt_${String(i).padStart(5, '0')}`);
    await sqlite.addEvents(ids.map((id) => ({ event: event(id), destinations: ['a'] })));
    const report = await copyToPostgres(sqlite, target);
    expect(report.events).toEqual({ copied: 2_500, existing: 0 });
    expect(await target.countByState()).toEqual({ pending: 2_500 });
    // In the order they were received: the newest stays the newest.
    expect((await target.recentEvents('session.started', { limit: 1, window: 10 }))[0].id).toBe(ids.at(-1));
  });

  it('leaves a shared store that daemons already use alone where it has the same ids', async () => {
    await target.addEvents([{ event: event('evt_new'), destinations: ['a', 'b'] }]);
    await fill();
    const report = await copyToPostgres(sqlite, target);
    expect(report.events).toEqual({ copied: 3, existing: 1 });
    // evt_new's delivery to a was created by the shared store: the SQLite one is not added beside it.
    expect(report.deliveries).toEqual({ copied: 3, existing: 1 });
    expect((await target.getEvent('evt_new'))?.deliveries.map((d) => d.destination)).toEqual(['a', 'b']);
  });
});
