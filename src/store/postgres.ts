import pg from 'pg';
import type { Envelope } from '../events/index.js';
import { newId } from '../events/ids.js';
import { Lease } from './lease.js';
import { attemptRow, type AttemptRow } from './attempt-row.js';
import { toAttempt, toDelivery } from './row-mapping.js';
import { redactUrl } from './store-url.js';
import { PG_LIMITS_LOCK, PG_MIGRATIONS, PG_MIGRATION_LOCK } from './postgres-migrations.js';
import { LATENCY_CLASS_RATIO } from './types.js';
import type {
  AcceptedEvent, Activity, ActivityRow, Attempt, AttemptFilter, Delivery, DeliveryFilter, DestinationHealth, DestinationHold, LeaseOptions, LeasedDelivery,
  NewAttempt, RuntimeDestination, Settlement, Store, StoredEvent, StoredTypeCount,
} from './types.js';

type Row = Record<string, unknown>;
type IngestBatch = Array<{ event: Envelope; destinations: string[] }>;
interface SettleItem {
  id: string;
  count: number;
  state: Settlement['state'];
  delay: number;
  counts: number;
  error: string | null;
  attempt?: AttemptRow;
}

/** The database's clock in epoch ms: due times never depend on one host's clock. */
const DB_NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;
const UNSETTLED = `('pending', 'retrying', 'in_flight', 'paused')`;
/** The channel a store announces new deliveries on (payload: the destinations). */
export const NEW_WORK_CHANNEL = 'vidhook_new_work';
/** The channel a store announces recorded attempts on (payload: their ids, comma separated). */
export const ATTEMPTS_CHANNEL = 'vidhook_attempts';
/** Ids per notification: 300 of up to 20 characters stay under PostgreSQL's 8000-byte payload limit. */
const IDS_PER_NOTICE = 300;

/** Numbers come back as numbers: every bigint here is an epoch ms or a count, far below 2^53. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** A lease's fencing token: the delivery's lease counter, so a later lease always carries a larger one. */
function fencingToken(count: number): string {
  return count.toString(16).padStart(16, '0');
}

/** Builds `WHERE` clauses with numbered parameters. */
class Where {
  readonly clauses: string[] = [];
  constructor(readonly params: unknown[] = []) {}
  add(sql: (p: string) => string, value: unknown): void {
    this.params.push(value);
    this.clauses.push(sql(`$${this.params.length}`));
  }
  get sql(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

function deliveryWhere(filter: DeliveryFilter & { ids?: string[] }, params: unknown[] = []): Where {
  const w = new Where(params);
  if (filter.status) w.add((p) => `state = ANY(${p})`, Array.isArray(filter.status) ? filter.status : [filter.status]);
  if (filter.destination) w.add((p) => `destination = ${p}`, filter.destination);
  if (filter.type) w.add((p) => `event_type = ${p}`, filter.type);
  if (filter.eventId) w.add((p) => `event_id = ${p}`, filter.eventId);
  if (filter.since !== undefined) w.add((p) => `created_at >= ${p}`, filter.since);
  if (filter.until !== undefined) w.add((p) => `created_at < ${p}`, filter.until);
  if (filter.after) w.add((p) => (filter.newestFirst ? `id < ${p}` : `id > ${p}`), filter.after);
  if (filter.ids) w.add((p) => `id = ANY(${p})`, filter.ids);
  return w;
}

/** The database cannot be reached now: the daemon answers 503 with Retry-After and tries again later. */
export class PostgresStoreError extends Error {
  readonly code = 'store_unavailable';
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03']);

/** Connection failures become a `store_unavailable` error; anything else is passed on as it is. */
function unreachable(err: unknown, url: string): unknown {
  const e = err as { code?: string; message?: string };
  const lost = (e.code && (CONNECTION_ERRORS.has(e.code) || e.code.startsWith('08')))
    || /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(e.message ?? '');
  return lost ? new PostgresStoreError(`the PostgreSQL store at ${redactUrl(url)} is unreachable: ${e.message}`) : err;
}

/**
 * The shared store: several daemons on one PostgreSQL database. Work is claimed with
 * `FOR UPDATE SKIP LOCKED` under leases fenced by a per-delivery counter; every time is the
 * database's clock; new deliveries are announced with NOTIFY.
 */
export class PostgresStore implements Store {
  readonly shared = true;
  private open = true;
  private listener?: pg.Client;

  private constructor(readonly pool: pg.Pool, readonly url: string) {}

  static async open(url: string, options: { max?: number } = {}): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types, connectionTimeoutMillis: 10_000 });
    // An idle client losing its connection must not crash the daemon; the next query reports it.
    pool.on('error', () => {});
    const store = new PostgresStore(pool, url);
    try {
      await store.migrate();
    } catch (err) {
      await pool.end();
      throw new PostgresStoreError(`cannot open the PostgreSQL store at ${redactUrl(url)}: ${(err as Error).message}`);
    }
    return store;
  }

  /** Migrations under an advisory lock: daemons starting together migrate once. */
  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [PG_MIGRATION_LOCK]);
      try {
        await client.query('CREATE TABLE IF NOT EXISTS vidhook_schema (version integer NOT NULL)');
        const { rows } = await client.query('SELECT version FROM vidhook_schema');
        let version = (rows[0]?.version as number | undefined) ?? 0;
        if (rows.length === 0) await client.query('INSERT INTO vidhook_schema (version) VALUES (0)');
        for (; version < PG_MIGRATIONS.length; version++) {
          await client.query('BEGIN');
          try {
            await client.query(PG_MIGRATIONS[version]);
            await client.query('UPDATE vidhook_schema SET version = $1', [version + 1]);
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK');
            throw err;
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [PG_MIGRATION_LOCK]);
      }
    } finally {
      client.release();
    }
  }

  /** Calls `wake` with the destinations of deliveries any daemon creates; resolves once listening. */
  async onNewWork(wake: (destinations: string[]) => void): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', () => {
      // The poll keeps delivering; the next store call reports an unreachable database.
      this.listener = undefined;
    });
    client.on('notification', (msg) => {
      if (msg.channel === NEW_WORK_CHANNEL) wake(msg.payload ? msg.payload.split('\n') : []);
    });
    await client.connect();
    await client.query(`LISTEN ${NEW_WORK_CHANNEL}`);
    this.listener = client;
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw unreachable(err, this.url);
    }
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw unreachable(err, this.url);
    } finally {
      client.release();
    }
  }

  /** `name`: a statement every delivery runs, prepared once per connection so it is not planned anew each time. */
  private async query(sql: string, params: unknown[] = [], name?: string): Promise<pg.QueryResult> {
    try {
      return await (name ? this.pool.query({ name, text: sql, values: params }) : this.pool.query(sql, params));
    } catch (err) {
      throw unreachable(err, this.url);
    }
  }

  private async rows(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.query(sql, params)).rows as Row[];
  }

  private ingestQueue: Array<{ batch: IngestBatch; resolve: (r: AcceptedEvent[]) => void; reject: (e: unknown) => void }> = [];

  /**
   * Callers within one turn of the event loop share a transaction, committed in their order:
   * one round trip and one commit for many requests, and the first of two equal ids wins.
   */
  addEvents(batch: IngestBatch): Promise<AcceptedEvent[]> {
    return new Promise((resolve, reject) => {
      this.ingestQueue.push({ batch, resolve, reject });
      if (this.ingestQueue.length === 1) setImmediate(() => this.flushIngest());
    });
  }

  private flushIngest(): void {
    const waiting = this.ingestQueue.splice(0);
    this.track(this.insertEvents(waiting.flatMap((w) => w.batch))).then(
      (accepted) => {
        let at = 0;
        for (const w of waiting) {
          w.resolve(accepted.slice(at, at + w.batch.length));
          at += w.batch.length;
        }
      },
      (err) => waiting.forEach((w) => w.reject(err)),
    );
  }

  /**
   * One statement, so one round trip and its own commit: the events, the deliveries of those that are
   * new, and the NOTIFY of their destinations (sent at the commit). Only duplicates take a second
   * round trip, for the deliveries they already have.
   */
  private async insertEvents(batch: IngestBatch): Promise<AcceptedEvent[]> {
    if (batch.length === 0) return [];
    // Deliveries for the first of equal ids in the batch only; the statement keeps those whose event it inserted.
    const deliveries: Array<[string, string, string, string]> = [];
    const first = new Set<string>();
    for (const { event, destinations } of batch) {
      if (first.has(event.id)) continue;
      first.add(event.id);
      for (const destination of destinations) deliveries.push([newId('dlv', Date.now()), event.id, event.type, destination]);
    }
    const { rows: [{ inserted }] } = await this.query(
      `WITH clock AS (SELECT ${DB_NOW} AS now),
       inserted AS (
         INSERT INTO events (id, type, timestamp, received_at, body)
         SELECT t.id, t.type, t.ts, clock.now, t.body
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(id, type, ts, body, n), clock
         ORDER BY t.n
         ON CONFLICT (id) DO NOTHING RETURNING id
       ), created AS (
         INSERT INTO deliveries (id, event_id, event_type, destination, state, next_at, created_at, updated_at)
         SELECT d.id, d.event_id, d.event_type, d.destination, 'pending', clock.now, clock.now, clock.now
         FROM unnest($5::text[], $6::text[], $7::text[], $8::text[]) AS d(id, event_id, event_type, destination), clock
         WHERE d.event_id IN (SELECT id FROM inserted)
         RETURNING destination
       ), announced AS (
         SELECT pg_notify($9, string_agg(DISTINCT destination, E'\n')) FROM created HAVING count(*) > 0
       )
       SELECT (SELECT coalesce(array_agg(id), '{}') FROM inserted) AS inserted, (SELECT count(*) FROM announced) AS announced`,
      [batch.map((b) => b.event.id), batch.map((b) => b.event.type), batch.map((b) => b.event.timestamp), batch.map((b) => JSON.stringify(b.event)),
        deliveries.map((d) => d[0]), deliveries.map((d) => d[1]), deliveries.map((d) => d[2]), deliveries.map((d) => d[3]), NEW_WORK_CHANNEL],
      'vidhook_ingest',
    );
    const insertedIds = new Set(inserted as string[]);
    const created = new Set<string>();
    const accepted = batch.map(({ event, destinations }) => {
      if (!insertedIds.has(event.id) || created.has(event.id)) return { id: event.id, deliveries: -1, duplicate: true };
      created.add(event.id);
      return { id: event.id, deliveries: destinations.length, duplicate: false };
    });
    const duplicates = accepted.filter((a) => a.duplicate).map((a) => a.id);
    if (duplicates.length > 0) {
      const counts = new Map(
        (await this.rows('SELECT event_id, count(*)::integer AS n FROM deliveries WHERE event_id = ANY($1) GROUP BY event_id', [duplicates]))
          .map((r) => [r.event_id as string, r.n as number]),
      );
      for (const a of accepted) if (a.duplicate) a.deliveries = counts.get(a.id) ?? 0;
    }
    return accepted;
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    const [row] = await this.rows('SELECT body, received_at FROM events WHERE id = $1', [id]);
    if (!row) return undefined;
    const deliveries = await this.rows('SELECT * FROM deliveries WHERE event_id = $1 ORDER BY destination', [id]);
    return { event: JSON.parse(row.body as string), receivedAt: row.received_at as number, deliveries: deliveries.map(toDelivery) };
  }

  async recentEvents(type: string, { limit, window }: { limit: number; window: number }): Promise<Envelope[]> {
    const rows = await this.rows(
      `SELECT body FROM (SELECT seq, type, body FROM events ORDER BY seq DESC LIMIT $1) recent
       WHERE type = $2 ORDER BY seq DESC LIMIT $3`,
      [window, type, limit],
    );
    return rows.map((row) => JSON.parse(row.body as string) as Envelope);
  }

  /** `now` as the caller meant it, read on the database's clock (the caller's offset from its own clock kept). */
  private static callerNow(index: number): string {
    return `(${DB_NOW} + $${index}::bigint)`;
  }

  async leaseDue(destination: string, options: LeaseOptions): Promise<LeasedDelivery[]> {
    if (options.limit <= 0) return [];
    const { concurrency, perSecond } = options.limits ?? {};
    if (!concurrency && !perSecond) return this.claim(this.pool, destination, options, options.limit);
    return this.transaction(async (client) => {
      // One daemon at a time counts and takes a limited destination's budget, on the database's clock.
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [PG_LIMITS_LOCK, destination]);
      const { rows: [budget] } = await client.query(
        `SELECT ${DB_NOW} AS now,
           (SELECT count(*)::integer FROM deliveries WHERE destination = $1 AND state = 'in_flight' AND lease_until > ${DB_NOW}) AS leased,
           (SELECT tokens + (${DB_NOW} - updated_at) / 1000.0 * $2 FROM destination_rates WHERE name = $1) AS tokens`,
        [destination, perSecond ?? 0],
      );
      let room = options.limit;
      if (concurrency) room = Math.min(room, concurrency - (budget.leased as number));
      // A full bucket holds one second's worth (at least one request), as each daemon's own bucket does.
      const capacity = Math.max(1, perSecond ?? 0);
      const tokens = perSecond ? Math.min(capacity, (budget.tokens as number | null) ?? capacity) : 0;
      if (perSecond) room = Math.min(room, Math.floor(tokens));
      const leased = room > 0 ? await this.claim(client, destination, options, room) : [];
      if (perSecond) {
        await client.query(
          `INSERT INTO destination_rates (name, tokens, updated_at) VALUES ($1, $2, $3)
           ON CONFLICT (name) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at`,
          [destination, tokens - leased.length, budget.now],
        );
      }
      return leased;
    });
  }

  /** Leases up to `limit` due deliveries of one destination, skipping rows other daemons are taking. */
  private async claim(
    db: pg.Pool | pg.PoolClient,
    destination: string,
    { now, leaseMs, eventIds, owner }: LeaseOptions,
    limit: number,
  ): Promise<LeasedDelivery[]> {
    const params: unknown[] = [destination, limit, leaseMs, owner ?? null, now - Date.now()];
    const dbNow = PostgresStore.callerNow(5);
    let onlyEvents = '';
    if (eventIds) {
      params.push(eventIds);
      onlyEvents = `AND d.event_id = ANY($${params.length})`;
    }
    let rows: Row[];
    try {
      rows = (await db.query({
        // Prepared once per connection (the CLI's variant, limited to some events, is not).
        name: eventIds ? undefined : 'vidhook_claim',
        text: `WITH clock AS (SELECT ${dbNow} AS now),
         due AS (
           SELECT d.id, d.next_at AS due_at FROM deliveries d, clock
           WHERE d.destination = $1 AND d.state IN ('pending', 'retrying', 'in_flight') AND d.next_at <= clock.now ${onlyEvents}
           ORDER BY d.next_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED
         )
         UPDATE deliveries d SET state = 'in_flight', next_at = clock.now + $3, lease_until = clock.now + $3,
           lease_count = d.lease_count + 1, lease_owner = $4, updated_at = clock.now
         FROM due, clock, events e
         WHERE d.id = due.id AND e.id = d.event_id
         RETURNING d.id, d.event_id, d.event_type, d.attempts, d.attempts_before_requeue, d.requeued_at, d.created_at, d.last_error, e.body, d.lease_count, d.next_at, d.updated_at, due.due_at`,
        values: params,
      })).rows as Row[];
    } catch (err) {
      throw unreachable(err, this.url);
    }
    rows.sort((a, b) => (a.due_at as number) - (b.due_at as number) || (a.id as string).localeCompare(b.id as string));
    return rows.map((r) =>
      new Lease(
        { destination, leaseToken: fencingToken(r.lease_count as number), until: r.next_at as number, leasedAt: r.updated_at as number, rows: [] },
        [r.id as string, r.event_id as string, r.event_type as string, r.attempts as number, r.attempts_before_requeue as number,
          (r.requeued_at as number | null) ?? null, r.created_at as number, (r.last_error as string | null) ?? null, r.body as string],
      ),
    );
  }

  async nextDueAt(destination: string, eventIds?: string[]): Promise<number | undefined> {
    const params: unknown[] = [destination, Date.now()];
    let onlyEvents = '';
    if (eventIds) {
      params.push(eventIds);
      onlyEvents = `AND event_id = ANY($3)`;
    }
    // Read on the database's clock, answered on the caller's: the dispatcher sleeps on its own clock.
    const [row] = await this.rows(
      `SELECT min(next_at) - ${DB_NOW} + $2::bigint AS at FROM deliveries
       WHERE destination = $1 AND state IN ('pending', 'retrying', 'in_flight') ${onlyEvents}`,
      params,
    );
    return (row.at as number | null) ?? undefined;
  }

  async recoverLeases(isDead: (owner: string) => boolean): Promise<number> {
    const held = await this.rows(`SELECT DISTINCT lease_owner AS owner FROM deliveries WHERE state = 'in_flight' AND lease_owner IS NOT NULL`);
    const dead = held.map((r) => r.owner as string).filter(isDead);
    if (dead.length === 0) return 0;
    const result = await this.query(
      `UPDATE deliveries SET state = 'retrying', next_at = ${DB_NOW}, lease_until = NULL, lease_owner = NULL, updated_at = ${DB_NOW}
       WHERE state = 'in_flight' AND lease_owner = ANY($1)`,
      [dead],
    );
    return result.rowCount ?? 0;
  }

  async renewLeases(leases: Array<Pick<LeasedDelivery, 'id' | 'leaseToken'>>, { leaseMs }: { now: number; leaseMs: number }): Promise<string[]> {
    if (leases.length === 0) return [];
    const rows = await this.rows(
      `UPDATE deliveries d SET next_at = ${DB_NOW} + $3, lease_until = ${DB_NOW} + $3
       FROM unnest($1::text[], $2::bigint[]) AS l(id, count)
       WHERE d.id = l.id AND d.lease_count = l.count AND d.state = 'in_flight'
       RETURNING d.id`,
      [leases.map((l) => l.id), leases.map((l) => Number.parseInt(l.leaseToken, 16)), leaseMs],
    );
    return rows.map((r) => r.id as string);
  }

  private readonly flushing = new Set<Promise<unknown>>();

  /** Keeps a flush in view until it ends, so that `close` waits for it. */
  private track<T>(work: Promise<T>): Promise<T> {
    this.flushing.add(work);
    const done = () => void this.flushing.delete(work);
    work.then(done, done);
    return work;
  }

  private settleQueue: Array<{ item: SettleItem; resolve: (settled: boolean) => void; reject: (e: unknown) => void }> = [];
  /** Whether a settle statement is on its way: settlements arriving meanwhile go in the next one. */
  private settling = false;

  /**
   * Settlements go to the database as one statement: the fenced update and the attempts' insert
   * together, one round trip and one commit for all. One statement at a time, so that under load
   * the settlements made while one is on its way gather into the next rather than each turn's few
   * taking a round trip (and a plan, and a commit) of their own.
   */
  settle(delivery: Pick<LeasedDelivery, 'id' | 'leaseToken'>, settlement: Settlement, attempt?: NewAttempt): Promise<boolean> {
    const count = Number.parseInt(delivery.leaseToken, 16);
    if (!Number.isSafeInteger(count)) return Promise.resolve(false);
    const item: SettleItem = {
      id: delivery.id,
      count,
      state: settlement.state,
      // The caller's due time becomes a delay from the database's clock.
      delay: settlement.nextAt !== undefined ? settlement.nextAt - Date.now() : 0,
      counts: settlement.countsAsAttempt === false ? 0 : 1,
      error: settlement.error ?? null,
      attempt: attempt && attemptRow(attempt),
    };
    return new Promise((resolve, reject) => {
      this.settleQueue.push({ item, resolve, reject });
      if (this.settleQueue.length === 1 && !this.settling) setImmediate(() => this.flushSettlements());
    });
  }

  private flushSettlements(): void {
    const waiting = this.settleQueue.splice(0);
    if (waiting.length === 0) return;
    this.settling = true;
    // One row per delivery per statement: a second settlement of the same lease finds it settled.
    const first = new Map<string, number>();
    waiting.forEach((w, i) => first.has(w.item.id) || first.set(w.item.id, i));
    const items = [...first.values()].map((i) => waiting[i].item);
    const next = () => {
      this.settling = false;
      this.flushSettlements();
    };
    this.track(this.settleItems(items)).then(
      (settled) => waiting.forEach((w, i) => w.resolve(first.get(w.item.id) === i && settled.has(w.item.id))),
      (err) => waiting.forEach((w) => w.reject(err)),
    ).then(next);
  }

  private async settleItems(items: SettleItem[]): Promise<Set<string>> {
    const col = <K extends keyof SettleItem>(k: K) => items.map((i) => i[k]);
    const attempts = items.flatMap((i) => (i.attempt ? [i.attempt] : []));
    const a = <K extends keyof AttemptRow>(k: K) => attempts.map((x) => x[k] ?? null);
    const { rows } = await this.query(
      `WITH settled AS (
         UPDATE deliveries d SET state = u.state, next_at = ${DB_NOW} + u.delay, attempts = d.attempts + u.counts,
           lease_until = NULL, lease_owner = NULL, updated_at = ${DB_NOW}, last_error = u.error
         FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::integer[], $6::text[]) AS u(id, count, state, delay, counts, error)
         WHERE d.id = u.id AND d.lease_count = u.count AND d.state = 'in_flight'
         RETURNING d.id, d.state
       ), recorded AS (
         INSERT INTO attempts (delivery_id, event_id, event_type, destination, number, started_at, started_ms,
           duration_ms, outcome, status_code, error, exchanges)
         SELECT a.* FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::integer[], $12::text[], $13::bigint[],
           $14::integer[], $15::text[], $16::integer[], $17::text[], $18::text[])
           AS a(delivery_id, event_id, event_type, destination, number, started_at, started_ms, duration_ms, outcome, status_code, error, exchanges)
         WHERE a.delivery_id IN (SELECT id FROM settled)
         RETURNING id
       ), announced AS (
         -- Sent on commit, in commit order: the stream of every daemon shows each attempt once it is in the log.
         SELECT pg_notify('${ATTEMPTS_CHANNEL}', string_agg(id::text, ',' ORDER BY id))
         FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / ${IDS_PER_NOTICE} AS chunk FROM recorded) r
         GROUP BY chunk
       )
       -- Read here because a CTE nobody reads is never run.
       SELECT id, state, (SELECT count(*) FROM announced) AS notices FROM settled`,
      [col('id'), col('count'), col('state'), col('delay'), col('counts'), col('error'),
        a('deliveryId'), a('eventId'), a('eventType'), a('destination'), a('number'), a('startedAt'),
        attempts.map((x) => Date.parse(x.startedAt)), a('durationMs'), a('outcome'), a('statusCode'), a('error'), a('exchanges')],
      'vidhook_settle',
    );
    if (rows.some((r) => r.state === 'pending' || r.state === 'retrying')) await this.query('SELECT pg_notify($1, $2)', [NEW_WORK_CHANNEL, '']);
    return new Set(rows.map((r) => r.id as string));
  }

  async listDeliveries(filter: DeliveryFilter): Promise<Delivery[]> {
    const w = deliveryWhere(filter);
    w.params.push(filter.limit ?? 100);
    const rows = await this.rows(`SELECT * FROM deliveries ${w.sql} ORDER BY id${filter.newestFirst ? ' DESC' : ''} LIMIT $${w.params.length}`, w.params);
    return rows.map(toDelivery);
  }

  async getDelivery(id: string): Promise<Delivery | undefined> {
    const [row] = await this.rows('SELECT * FROM deliveries WHERE id = $1', [id]);
    return row ? toDelivery(row) : undefined;
  }

  async listAttempts(filter: AttemptFilter): Promise<Attempt[]> {
    const w = new Where();
    if (filter.destination) w.add((p) => `destination = ${p}`, filter.destination);
    if (filter.type) w.add((p) => `event_type = ${p}`, filter.type);
    if (filter.outcome) w.add((p) => `outcome = ${p}`, filter.outcome);
    if (filter.deliveryId) w.add((p) => `delivery_id = ${p}`, filter.deliveryId);
    if (filter.since !== undefined) w.add((p) => `started_ms >= ${p}`, filter.since);
    if (filter.afterId !== undefined) w.add((p) => `id > ${p}`, filter.afterId);
    if (filter.beforeId !== undefined) w.add((p) => `id < ${p}`, filter.beforeId);
    w.params.push(filter.limit ?? 100);
    const newestFirst = await this.rows(`SELECT * FROM attempts ${w.sql} ORDER BY id DESC LIMIT $${w.params.length}`, w.params);
    return newestFirst.reverse().map(toAttempt);
  }

  async attemptsByIds(ids: number[]): Promise<Attempt[]> {
    if (ids.length === 0) return [];
    return (await this.rows('SELECT * FROM attempts WHERE id = ANY($1::bigint[]) ORDER BY id', [ids])).map(toAttempt);
  }

  /** Listens on a connection of its own, open only while someone follows the attempts. */
  async listenForAttempts(recorded: (ids: number[]) => void, lost: (err: Error) => void): Promise<() => Promise<void>> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 10_000 });
    let stopped = false;
    client.on('error', (err) => {
      if (!stopped) lost(unreachable(err, this.url) as Error);
      stopped = true;
    });
    client.on('notification', (msg) => {
      if (!stopped && msg.channel === ATTEMPTS_CHANNEL && msg.payload) recorded(msg.payload.split(',').map(Number));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${ATTEMPTS_CHANNEL}`);
    } catch (err) {
      stopped = true;
      await client.end().catch(() => {});
      throw unreachable(err, this.url) as Error;
    }
    return async () => {
      stopped = true;
      await client.end().catch(() => {});
    };
  }

  async requeue(filter: DeliveryFilter & { ids?: string[] }): Promise<Delivery[]> {
    const w = deliveryWhere({ ...filter, limit: undefined });
    w.clauses.push(`state <> 'in_flight'`);
    const rows = await this.rows(
      `UPDATE deliveries SET state = 'pending', attempts_before_requeue = attempts, requeued_at = ${DB_NOW}, next_at = ${DB_NOW}, updated_at = ${DB_NOW}, last_error = NULL
       ${w.sql} RETURNING *`,
      w.params,
    );
    if (rows.length > 0) await this.query('SELECT pg_notify($1, $2)', [NEW_WORK_CHANNEL, [...new Set(rows.map((r) => r.destination))].join('\n')]);
    return rows.map(toDelivery).sort((a, b) => a.id.localeCompare(b.id));
  }

  async backfill(destination: string, { since, types }: { since: number; types?: readonly string[] }): Promise<number> {
    if (types?.length === 0) return 0;
    const w = new Where();
    w.add((p) => `received_at >= ${p}`, since);
    w.add((p) => `NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.destination = ${p})`, destination);
    if (types) w.add((p) => `type = ANY(${p})`, types);
    return this.transaction(async (client) => {
      const { rows } = await client.query(`SELECT id, type FROM events ${w.sql} ORDER BY received_at, seq`, w.params);
      if (rows.length === 0) return 0;
      const now = Date.now();
      await client.query(
        `INSERT INTO deliveries (id, event_id, event_type, destination, state, next_at, created_at, updated_at)
         SELECT id, event_id, event_type, $4, 'pending', ${DB_NOW}, ${DB_NOW}, ${DB_NOW}
         FROM unnest($1::text[], $2::text[], $3::text[]) AS t(id, event_id, event_type)
         ON CONFLICT (event_id, destination) DO NOTHING`,
        [rows.map(() => newId('dlv', now)), rows.map((r) => r.id), rows.map((r) => r.type), destination],
      );
      await client.query('SELECT pg_notify($1, $2)', [NEW_WORK_CHANNEL, destination]);
      return rows.length;
    });
  }

  async storedEventCounts(destination: string, since: number): Promise<StoredTypeCount[]> {
    const rows = await this.rows(
      `SELECT type, count(*)::integer AS events,
         count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.destination = $1))::integer AS without_delivery
       FROM events WHERE received_at >= $2 GROUP BY type ORDER BY type`,
      [destination, since],
    );
    return rows.map((r) => ({ type: r.type as string, events: r.events as number, withoutDelivery: r.without_delivery as number }));
  }

  async health(destinations: string[], now: number): Promise<DestinationHealth[]> {
    const hourAgo = now - 3_600_000;
    return Promise.all(destinations.map(async (destination) => {
      const [[ok], [bad], [h], [b]] = await Promise.all([
        this.rows(`SELECT started_at, error FROM attempts WHERE destination = $1 AND outcome = 'ok' ORDER BY id DESC LIMIT 1`, [destination]),
        this.rows(`SELECT started_at, error FROM attempts WHERE destination = $1 AND outcome IN ('retrying', 'failed') ORDER BY id DESC LIMIT 1`, [destination]),
        this.rows(
          `SELECT count(*)::integer AS total, count(*) FILTER (WHERE outcome IN ('retrying', 'failed'))::integer AS failures
           FROM attempts WHERE destination = $1 AND started_ms >= $2`,
          [destination, hourAgo],
        ),
        this.rows(
          `SELECT count(*)::integer AS n, min(created_at) AS oldest, ${DB_NOW} AS now,
                  min(next_at) FILTER (WHERE state IN ('pending', 'retrying', 'in_flight')) AS due
           FROM deliveries WHERE destination = $1 AND state IN ${UNSETTLED}`,
          [destination],
        ),
      ]);
      return {
        destination,
        ...(ok ? { lastSuccessAt: ok.started_at as string } : {}),
        ...(bad ? { lastFailureAt: bad.started_at as string, lastError: (bad.error as string) ?? undefined } : {}),
        attemptsLastHour: (h.total as number) ?? 0,
        failuresLastHour: (h.failures as number) ?? 0,
        pending: b.n as number,
        // Moved onto this host's clock, so its age is the same on every daemon whatever their clocks say.
        ...(b.oldest != null ? { oldestPendingAt: (b.oldest as number) - (b.now as number) + Date.now() } : {}),
        // On the database's clock, as due times are: every daemon reports the same lag.
        queueLagMs: b.due != null ? Math.max(0, (b.now as number) - (b.due as number)) : 0,
      };
    }));
  }

  async countByState(): Promise<Record<string, number>> {
    const rows = await this.rows('SELECT state, count(*)::integer AS n FROM deliveries GROUP BY state');
    return Object.fromEntries(rows.map((r) => [r.state as string, r.n as number]));
  }

  /** One daemon prunes at a time: the others skip while it holds the lock. */
  async prune(olderThan: number): Promise<{ events: number; attempts: number }> {
    return this.transaction(async (client) => {
      const { rows: [{ locked }] } = await client.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [PG_MIGRATION_LOCK + 1]);
      if (!locked) return { events: 0, attempts: 0 };
      const attempts = (await client.query('DELETE FROM attempts WHERE started_ms < $1', [olderThan])).rowCount ?? 0;
      const events = (await client.query(
        `DELETE FROM events WHERE received_at < $1 AND NOT EXISTS (
           SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.state IN ${UNSETTLED})`,
        [olderThan],
      )).rowCount ?? 0;
      return { events, attempts };
    });
  }

  async stateGet(scope: string, key: string): Promise<string | undefined> {
    const [row] = await this.rows('SELECT value FROM connector_state WHERE scope = $1 AND key = $2', [scope, key]);
    return row?.value as string | undefined;
  }

  async stateSet(scope: string, key: string, value: string): Promise<void> {
    await this.query(
      'INSERT INTO connector_state (scope, key, value) VALUES ($1, $2, $3) ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value',
      [scope, key, value],
    );
  }

  async stateDelete(scope: string, key: string): Promise<void> {
    await this.query('DELETE FROM connector_state WHERE scope = $1 AND key = $2', [scope, key]);
  }

  async disabledDestinations(): Promise<Record<string, string>> {
    const rows = await this.rows('SELECT name, reason FROM disabled_destinations');
    return Object.fromEntries(rows.map((r) => [r.name as string, r.reason as string]));
  }

  async setDisabled(destination: string, reason: string | null): Promise<void> {
    if (reason === null) await this.query('DELETE FROM disabled_destinations WHERE name = $1', [destination]);
    else {
      await this.query(
        'INSERT INTO disabled_destinations (name, reason) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET reason = excluded.reason',
        [destination, reason],
      );
    }
  }

  async holdDestination(destination: string, { until, cause, reason }: DestinationHold): Promise<void> {
    // Kept on the database's clock, so every daemon reads the same end whatever its own clock says.
    await this.query(
      `INSERT INTO destination_holds (name, until, cause, reason) VALUES ($1, ${DB_NOW} + $2, $3, $4)
       ON CONFLICT (name) DO UPDATE SET until = excluded.until, cause = excluded.cause, reason = excluded.reason`,
      [destination, Math.round(until - Date.now()), cause, reason],
    );
  }

  async destinationHolds(now: number): Promise<Record<string, DestinationHold>> {
    const rows = await this.rows(
      `SELECT name, until - ${DB_NOW} + $1::bigint AS until, cause, reason FROM destination_holds WHERE until > ${PostgresStore.callerNow(2)}`,
      [Date.now(), now - Date.now()],
    );
    return Object.fromEntries(rows.map((r) => [r.name as string, { until: r.until as number, cause: r.cause as DestinationHold['cause'], reason: r.reason as string }]));
  }

  async listRuntimeDestinations(): Promise<RuntimeDestination[]> {
    const rows = await this.rows('SELECT body FROM runtime_destinations ORDER BY name');
    return rows.map((r) => JSON.parse(r.body as string));
  }

  async putRuntimeDestination(dest: RuntimeDestination): Promise<void> {
    await this.query(
      'INSERT INTO runtime_destinations (name, body) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET body = excluded.body',
      [dest.name, JSON.stringify(dest)],
    );
  }

  async deleteRuntimeDestination(name: string): Promise<boolean> {
    return (await this.query('DELETE FROM runtime_destinations WHERE name = $1', [name])).rowCount === 1;
  }

  /** The tables' size: the disk budget of a shared database is the operator's, but the figure is still shown. */
  async sizeBytes(): Promise<number> {
    const [row] = await this.rows(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes FROM pg_class c
       WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
         AND c.relname IN ('events', 'deliveries', 'attempts', 'connector_state', 'runtime_destinations', 'disabled_destinations')`,
    );
    return row.bytes as number;
  }

  get isOpen(): boolean {
    return this.open;
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    // Work queued for this turn is sent, and what is on its way is answered, before the pool ends.
    await new Promise((resolve) => setImmediate(resolve));
    // A settle statement ending may start the next with what gathered meanwhile: wait for that too.
    while (this.flushing.size > 0 || this.settling) await Promise.allSettled([...this.flushing]);
    await this.listener?.end().catch(() => {});
    await this.pool.end();
  }

  async activity(destinations: string[], since: number, bucketMs: number): Promise<Activity> {
    // Latency as a histogram of classes, so percentiles need no per-attempt rows (as in SQLite).
    const attempts = destinations.length
      ? await this.rows(
          `SELECT destination, (started_ms / $1) * $1 AS bucket,
                  floor(ln(duration_ms + 1) / ln(${LATENCY_CLASS_RATIO}))::integer AS "latencyClass",
                  count(*)::integer AS attempts, (count(*) FILTER (WHERE outcome IN ('retrying', 'failed')))::integer AS failures
           FROM attempts
           WHERE destination = ANY($2) AND started_ms >= $3 AND outcome <> 'skipped'
           GROUP BY destination, bucket, "latencyClass"`,
          [bucketMs, destinations, since],
        )
      : [];
    const events = await this.rows(
      `SELECT (received_at / $1) * $1 AS bucket, count(*)::integer AS count FROM events WHERE received_at >= $2 GROUP BY bucket`,
      [bucketMs, since],
    );
    return {
      attempts: attempts.map((r) => ({ ...r, bucket: Number(r.bucket) }) as ActivityRow),
      events: events.map((r) => ({ bucket: Number(r.bucket), count: r.count as number })),
    };
  }

  async countRequeue(filter: DeliveryFilter & { ids?: string[] }): Promise<number> {
    const w = deliveryWhere({ ...filter, limit: undefined });
    // The same guard as requeue's: deliveries in flight are not taken.
    w.clauses.push(`state <> 'in_flight'`);
    return (await this.rows(`SELECT count(*)::integer AS n FROM deliveries ${w.sql}`, w.params))[0].n as number;
  }
}
