import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { buildEnvelope } from '../../src/events/index.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { followAttemptLog } from '../../src/cli/attempt-follow.js';
import type { Attempt, LeasedDelivery } from '../../src/store/types.js';
import { eventually } from '../helpers/daemon.js';
import { freshPostgresDatabase, postgresAnswers } from '../helpers/stores.js';

const event = (id: string) => buildEnvelope({ id, type: 'session.started', data: { session: { id: 's' }, user: { id: 'u' } } });
const attemptOf = (lease: LeasedDelivery) => ({
  deliveryId: lease.id, eventId: lease.eventId, eventType: 'session.started', destination: 'a', number: 1,
  startedAt: new Date().toISOString(), durationMs: 3, outcome: 'ok' as const, statusCode: 200, exchanges: [],
});

describe.skipIf(!postgresAnswers)('following the attempt log of a shared store', () => {
  let db: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let store: PostgresStore;
  let other: pg.Client;
  let stop: AbortController;
  beforeEach(async () => {
    stop = new AbortController();
    db = await freshPostgresDatabase();
    store = await PostgresStore.open(db.url);
    // Another daemon's connection, whose transaction commits late.
    other = new pg.Client({ connectionString: db.url });
    await other.connect();
  });
  afterEach(async () => {
    stop.abort();
    await other.end();
    await store.close();
    await db.drop();
  });

  it('shows an attempt whose id was taken before a larger one but committed after it, and each attempt once', async () => {
    await store.addEvents([{ event: event('evt_late'), destinations: ['a'] }, { event: event('evt_early'), destinations: ['a'] }]);
    const leases = await store.leaseDue('a', { now: Date.now(), limit: 2, leaseMs: 60_000 });
    const late = leases.find((l) => l.eventId === 'evt_late')!;
    const early = leases.find((l) => l.eventId === 'evt_early')!;

    await other.query('BEGIN');
    await other.query(
      `INSERT INTO attempts (delivery_id, event_id, event_type, destination, number, started_at, started_ms, duration_ms, outcome, exchanges)
       VALUES ($1, 'evt_late', 'session.started', 'a', 1, $2, $3, 3, 'ok', '[]')`,
      [late.id, new Date().toISOString(), Date.now()],
    );
    await store.settle(early, { state: 'succeeded' }, attemptOf(early));

    const seen: Attempt[] = [];
    let reads = 0;
    const counted = new Proxy(store, {
      get: (target, key) => (key === 'listAttempts' ? (...args: Parameters<PostgresStore['listAttempts']>) => (reads++, target.listAttempts(...args)) : Reflect.get(target, key)),
    });
    const following = followAttemptLog(counted, {}, 0, (a) => seen.push(a), stop.signal, { pollMs: 20, graceMs: 60_000 });
    await eventually(() => seen.some((a) => a.eventId === 'evt_early'));
    await other.query('COMMIT');
    await eventually(() => seen.some((a) => a.eventId === 'evt_late'));
    // A few more polls re-read the same window and print nothing again.
    const readsBefore = reads;
    await eventually(() => reads >= readsBefore + 5);
    stop.abort();
    await following;
    expect(seen.map((a) => a.eventId)).toEqual(['evt_early', 'evt_late']);
    expect(seen[1].id).toBeLessThan(seen[0].id);
  });
});
