import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type { Envelope } from '../events/index.js';
import { newId } from '../events/ids.js';
import { memoize } from '../memoize.js';
import { DUE, MIGRATIONS } from './migrations.js';
import { leasesOf, type LeaseBatch, type LeaseRow } from './lease.js';
import { attemptRow, type AttemptRow } from './attempt-row.js';
import { eventRow, type EventRow } from './event-row.js';
import { toAttempt, toDelivery } from './row-mapping.js';
import type {
  AcceptedEvent, Attempt, AttemptFilter, Delivery, DeliveryFilter, DestinationHealth, DestinationHold, LeaseOptions, LeasedDelivery, NewAttempt,
  RuntimeDestination, Settlement, Store, StoredEvent, StoredTypeCount, Activity,
} from './types.js';
import { LATENCY_CLASS_RATIO } from './types.js';

type Row = Record<string, unknown>;
/** The columns of `HOT_SQL.due`, in order. */
type DueRow = [rowid: number, ...LeaseRow];

/**
 * The smallest delivery id created at `ms`: ids begin with their creation time, so a time bound
 * is also a bound on the primary key, which SQLite can seek to instead of scanning.
 */
const deliveryIdAt = (ms: number) => newId('dlv', Math.max(0, Math.floor(ms))).slice(0, 'dlv_'.length + 10);

function where(clauses: string[]): string {
  return clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
}

/** Work from concurrent callers queued within one tick and committed in one transaction. */
class GroupCommit<I, R> {
  private queue: Array<{ item: I; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;

  constructor(private readonly commit: (items: I[]) => R[], private readonly delayMs = 0) {}

  add(item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      if (this.delayMs > 0) setTimeout(() => this.flush(), this.delayMs);
      else setImmediate(() => this.flush());
    });
  }

  flush(): void {
    this.scheduled = false;
    const waiting = this.queue.splice(0);
    if (waiting.length === 0) return;
    try {
      const results = this.commit(waiting.map((w) => w.item));
      waiting.forEach((w, i) => w.resolve(results[i]));
    } catch (err) {
      waiting.forEach((w) => w.reject(err));
    }
  }
}

/**
 * Leases and settlements wait this long to share a transaction: each commit writes every page it
 * touched, and a lane's lease and its settlements touch the same pages.
 */
const WORK_WINDOW_MS = 4;

type WorkItem =
  | { kind: 'settle'; delivery: Pick<LeasedDelivery, 'id' | 'leaseToken'>; settlement: Settlement; attempt?: AttemptRow }
  | { kind: 'lease'; destination: string; options: LeaseOptions };

/**
 * The statements every delivery runs. None may need a temporary b-tree (an IN list, a RETURNING
 * or an ORDER BY off the index): SQLite would build and free one per call. A test holds them to it.
 */
export const HOT_SQL = {
  insertEvent: 'INSERT INTO events (id, type, timestamp, received_at, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
  insertDelivery: `INSERT INTO deliveries (id, event_id, event_type, destination, state, next_at, created_at, updated_at)
    VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)`,
  // Only what a lease carries, as arrays (raw): a row object per delivery costs more than the query.
  due: `SELECT d.rowid, d.id, d.event_id, d.event_type, d.attempts, d.attempts_before_requeue, d.requeued_at, d.created_at, d.last_error, e.body
    FROM deliveries d JOIN events e ON e.id = d.event_id
    WHERE d.destination = ? AND ${DUE} AND d.next_at <= ? ORDER BY d.next_at LIMIT ?`,
  // Row by row on the rowid: a single UPDATE … RETURNING would stage its rows in temporary b-trees.
  lease: `UPDATE deliveries SET state = 'in_flight', next_at = ?, lease_until = ?, lease_token = ?, lease_owner = ?, updated_at = ?
    WHERE rowid = ?`,
  settle: `UPDATE deliveries SET state = ?, next_at = ?, attempts = attempts + ?,
      lease_until = NULL, lease_token = NULL, lease_owner = NULL, updated_at = ?, last_error = ?
    WHERE id = ? AND lease_token = ?`,
  insertAttempt: `INSERT INTO attempts (delivery_id, event_id, event_type, destination, number, started_at, started_ms,
      duration_ms, outcome, status_code, error, exchanges)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
};

export interface SqliteStoreOptions {
  /** Group-commit window: events of concurrent callers arriving within it share one fsync. */
  commitDelayMs?: number;
}

/** The embedded store: one SQLite file in the data dir, WAL, synchronous=FULL. */
export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly ingest: GroupCommit<EventRow[], AcceptedEvent[]>;
  private readonly work: GroupCommit<WorkItem, boolean | LeaseBatch>;

  constructor(readonly path: string, options: SqliteStoreOptions = {}) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // 4 MiB of pages: the hot set is the head of each destination's queue and the tail of the
    // logs, and the operating system caches the rest. Keeps a sidecar's memory flat.
    this.db.pragma('cache_size = -4000');
    // Fewer, larger checkpoints: each one syncs the database file.
    this.db.pragma('wal_autocheckpoint = 8000');
    this.migrate();
    this.ingest = new GroupCommit((batches) => this.commitEvents(batches), options.commitDelayMs ?? 0);
    // Settlements and leases need not survive a power cut: losing one only repeats an attempt,
    // which at-least-once allows; they are safe against a process crash all the same.
    this.work = new GroupCommit((items) => this.relaxed(() => this.commitWork(items)), WORK_WINDOW_MS);
  }

  /** Prepared once, reused: preparing is a large share of a short query's cost. */
  private readonly statement = memoize((sql: string) => this.db.prepare(sql), 500);

  private relaxed<T>(work: () => T): T {
    this.statement('PRAGMA synchronous = NORMAL').run();
    try {
      return work();
    } finally {
      this.statement('PRAGMA synchronous = FULL').run();
    }
  }

  static open(dataDir: string, options?: SqliteStoreOptions): SqliteStore {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    return new SqliteStore(join(dataDir, 'vidhook.db'), options);
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  addEvents(batch: Array<{ event: Envelope; destinations: string[] }>): Promise<AcceptedEvent[]> {
    return this.addEventRows(batch.map(({ event, destinations }) => eventRow(event, destinations)));
  }

  /** `addEvents` with the events already serialised (by the thread that accepted them). */
  addEventRows(rows: EventRow[]): Promise<AcceptedEvent[]> {
    return this.ingest.add(rows);
  }

  private commitEvents(batches: EventRow[][]): AcceptedEvent[][] {
    const insertEvent = this.statement(HOT_SQL.insertEvent);
    const insertDelivery = this.statement(HOT_SQL.insertDelivery);
    const countDeliveries = this.statement('SELECT count(*) AS n FROM deliveries WHERE event_id = ?');
    return this.db.transaction(() =>
      batches.map((batch) =>
        batch.map(({ id, type, timestamp, body, destinations }): AcceptedEvent => {
          const now = Date.now();
          const inserted = insertEvent.run(id, type, timestamp, now, body).changes === 1;
          if (!inserted) {
            const { n } = countDeliveries.get(id) as { n: number };
            return { id, deliveries: n, duplicate: true };
          }
          for (const destination of destinations) {
            insertDelivery.run(newId('dlv', now), id, type, destination, now, now, now);
          }
          return { id, deliveries: destinations.length, duplicate: false };
        }),
      ),
    )();
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    const row = this.statement('SELECT body, received_at FROM events WHERE id = ?').get(id) as Row | undefined;
    if (!row) return undefined;
    const deliveries = this.statement('SELECT * FROM deliveries WHERE event_id = ? ORDER BY destination').all(id) as Row[];
    return { event: JSON.parse(row.body as string), receivedAt: row.received_at as number, deliveries: deliveries.map(toDelivery) };
  }

  async recentEvents(type: string, { limit, window }: { limit: number; window: number }): Promise<Envelope[]> {
    // Newest first along the rowid (insertion order), bounded so that a type never sent cannot scan the whole table.
    const rows = this.statement(
      'SELECT body FROM events WHERE rowid > (SELECT coalesce(max(rowid), 0) FROM events) - ? AND type = ? ORDER BY rowid DESC LIMIT ?',
    ).all(window, type, limit) as Row[];
    return rows.map((row) => JSON.parse(row.body as string) as Envelope);
  }

  async leaseDue(destination: string, options: LeaseOptions): Promise<LeasedDelivery[]> {
    return leasesOf(await this.leaseBatch(destination, options));
  }

  /** Leases due work with each event's stored JSON, so the caller decides where to parse it. */
  async leaseBatch(destination: string, options: LeaseOptions): Promise<LeaseBatch> {
    if (options.limit <= 0) return { destination, leaseToken: '', until: 0, leasedAt: options.now, rows: [] };
    return this.work.add({ kind: 'lease', destination, options }) as Promise<LeaseBatch>;
  }

  private leaseRows(destination: string, { now, limit, leaseMs, eventIds, owner }: LeaseOptions): LeaseBatch {
    const due = eventIds
      ? this.statement(HOT_SQL.due.replace('ORDER BY', `AND d.event_id IN (${eventIds.map(() => '?').join(', ')}) ORDER BY`))
      : this.statement(HOT_SQL.due);
    const lease = this.statement(HOT_SQL.lease);
    const leaseToken = randomBytes(8).toString('hex');
    const until = now + leaseMs;
    const rows = (due.raw(true).all(destination, now, ...(eventIds ?? []), limit) as DueRow[]).map(([rowid, ...row]) => {
      lease.run(until, until, leaseToken, owner ?? null, now, rowid);
      return row;
    });
    return { destination, leaseToken, until, leasedAt: now, rows };
  }

  async nextDueAt(destination: string, eventIds?: string[]): Promise<number | undefined> {
    const onlyEvents = eventIds ? `AND event_id IN (${eventIds.map(() => '?').join(', ')})` : '';
    const row = this.statement(
      `SELECT min(next_at) AS at FROM deliveries
       WHERE destination = ? AND ${DUE} ${onlyEvents}`,
    ).get(destination, ...(eventIds ?? [])) as Row;
    return (row.at as number | null) ?? undefined;
  }

  async recoverLeases(isDead: (owner: string) => boolean): Promise<number> {
    return this.releaseLeasesOf((await this.leaseOwners()).filter(isDead));
  }

  /** Who holds leases on in-flight work. */
  async leaseOwners(): Promise<string[]> {
    const held = this.statement(`SELECT DISTINCT lease_owner AS owner FROM deliveries WHERE state = 'in_flight' AND lease_owner IS NOT NULL`)
      .all() as Row[];
    return held.map((r) => r.owner as string);
  }

  /** Makes the in-flight work of these owners due again now; returns how many. */
  async releaseLeasesOf(dead: string[]): Promise<number> {
    if (dead.length === 0) return 0;
    const now = Date.now();
    return this.statement(
        `UPDATE deliveries SET state = 'retrying', next_at = ?, lease_until = NULL, lease_token = NULL, lease_owner = NULL, updated_at = ?
         WHERE state = 'in_flight' AND lease_owner IN (${dead.map(() => '?').join(', ')})`,
      )
      .run(now, now, ...dead).changes;
  }

  async renewLeases(leases: Array<Pick<LeasedDelivery, 'id' | 'leaseToken'>>, { now, leaseMs }: { now: number; leaseMs: number }): Promise<string[]> {
    const renew = this.statement(
      `UPDATE deliveries SET next_at = ?, lease_until = ? WHERE id = ? AND lease_token = ? AND state = 'in_flight'`,
    );
    const until = now + leaseMs;
    return this.db.transaction(() => leases.filter((l) => renew.run(until, until, l.id, l.leaseToken).changes === 1).map((l) => l.id))();
  }

  settle(delivery: Pick<LeasedDelivery, 'id' | 'leaseToken'>, settlement: Settlement, attempt?: NewAttempt): Promise<boolean> {
    return this.settleRow(delivery, settlement, attempt && attemptRow(attempt));
  }

  /** `settle` with the attempt's row already built (by the thread that made the attempt). */
  settleRow(delivery: Pick<LeasedDelivery, 'id' | 'leaseToken'>, settlement: Settlement, attempt?: AttemptRow): Promise<boolean> {
    return this.work.add({ kind: 'settle', delivery, settlement, attempt }) as Promise<boolean>;
  }

  private commitWork(items: WorkItem[]): Array<boolean | LeaseBatch> {
    const settle = this.statement(HOT_SQL.settle);
    // A lease reads, then writes: the write lock is taken first (IMMEDIATE), or a commit by another
    // process in between would fail the whole batch.
    return this.db.transaction(() =>
      items.map((item) => {
        if (item.kind === 'lease') return this.leaseRows(item.destination, item.options);
        const { delivery, settlement, attempt } = item;
        const now = Date.now();
        const counts = settlement.countsAsAttempt === false ? 0 : 1;
        const changed = settle.run(settlement.state, settlement.nextAt ?? now, counts, now, settlement.error ?? null, delivery.id, delivery.leaseToken).changes;
        if (changed === 0) return false;
        if (attempt) this.insertAttempt(attempt);
        return true;
      }),
    ).immediate();
  }

  private insertAttempt(a: AttemptRow): void {
    this.statement(HOT_SQL.insertAttempt).run(a.deliveryId, a.eventId, a.eventType, a.destination, a.number, a.startedAt, Date.parse(a.startedAt),
        a.durationMs, a.outcome, a.statusCode ?? null, a.error ?? null, a.exchanges);
  }

  private deliveryWhere(filter: DeliveryFilter & { ids?: string[] }): { sql: string; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (filter.status) {
      const states = Array.isArray(filter.status) ? filter.status : [filter.status];
      clauses.push(`state IN (${states.map(() => '?').join(', ')})`);
      params.push(...states);
    }
    if (filter.destination) { clauses.push('destination = ?'); params.push(filter.destination); }
    if (filter.type) { clauses.push('event_type = ?'); params.push(filter.type); }
    if (filter.eventId) { clauses.push('event_id = ?'); params.push(filter.eventId); }
    if (filter.since !== undefined) { clauses.push('created_at >= ?', 'id >= ?'); params.push(filter.since, deliveryIdAt(filter.since)); }
    if (filter.until !== undefined) { clauses.push('created_at < ?', 'id < ?'); params.push(filter.until, deliveryIdAt(filter.until)); }
    if (filter.after) { clauses.push(filter.newestFirst ? 'id < ?' : 'id > ?'); params.push(filter.after); }
    if (filter.ids) {
      clauses.push(`id IN (${filter.ids.map(() => '?').join(', ')})`);
      params.push(...filter.ids);
    }
    return { sql: where(clauses), params };
  }

  async listDeliveries(filter: DeliveryFilter): Promise<Delivery[]> {
    const { sql, params } = this.deliveryWhere(filter);
    const rows = this.statement(`SELECT * FROM deliveries ${sql} ORDER BY id${filter.newestFirst ? ' DESC' : ''} LIMIT ?`)
      .all(...params, filter.limit ?? 100) as Row[];
    return rows.map(toDelivery);
  }

  async getDelivery(id: string): Promise<Delivery | undefined> {
    const row = this.statement('SELECT * FROM deliveries WHERE id = ?').get(id) as Row | undefined;
    return row ? toDelivery(row) : undefined;
  }

  async listAttempts(filter: AttemptFilter): Promise<Attempt[]> {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (filter.destination) { clauses.push('destination = ?'); params.push(filter.destination); }
    if (filter.type) { clauses.push('event_type = ?'); params.push(filter.type); }
    if (filter.outcome) { clauses.push('outcome = ?'); params.push(filter.outcome); }
    if (filter.deliveryId) { clauses.push('delivery_id = ?'); params.push(filter.deliveryId); }
    if (filter.since !== undefined) { clauses.push('started_ms >= ?'); params.push(filter.since); }
    if (filter.afterId !== undefined) { clauses.push('id > ?'); params.push(filter.afterId); }
    if (filter.beforeId !== undefined) { clauses.push('id < ?'); params.push(filter.beforeId); }
    const newestFirst = this.statement(`SELECT * FROM attempts ${where(clauses)} ORDER BY id DESC LIMIT ?`)
      .all(...params, filter.limit ?? 100) as Row[];
    return newestFirst.reverse().map(toAttempt);
  }

  async attemptsByIds(ids: number[]): Promise<Attempt[]> {
    if (ids.length === 0) return [];
    // As JSON, so one statement serves any number of ids.
    const rows = this.statement('SELECT * FROM attempts WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id').all(JSON.stringify(ids)) as Row[];
    return rows.map(toAttempt);
  }

  async requeue(filter: DeliveryFilter & { ids?: string[] }): Promise<Delivery[]> {
    const { sql, params } = this.deliveryWhere({ ...filter, limit: undefined });
    const now = Date.now();
    const guard = `state NOT IN ('in_flight')`;
    const rows = this.statement(
        `UPDATE deliveries SET state = 'pending', attempts_before_requeue = attempts, requeued_at = ?, next_at = ?, updated_at = ?, last_error = NULL
         ${sql ? `${sql} AND ${guard}` : `WHERE ${guard}`} RETURNING *`,
      )
      .all(now, now, now, ...params) as Row[];
    return rows.map(toDelivery);
  }

  async backfill(destination: string, { since, types }: { since: number; types?: readonly string[] }): Promise<number> {
    if (types?.length === 0) return 0;
    const clauses = ['received_at >= ?', 'NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.destination = ?)'];
    const params: unknown[] = [since, destination];
    if (types) { clauses.push(`type IN (${types.map(() => '?').join(', ')})`); params.push(...types); }
    const now = Date.now();
    return this.db.transaction(() => {
      const ids = this.statement(`SELECT id, type FROM events ${where(clauses)} ORDER BY received_at`).all(...params) as Row[];
      const insert = this.statement(
        `INSERT INTO deliveries (id, event_id, event_type, destination, state, next_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)`,
      );
      for (const row of ids) insert.run(newId('dlv', now), row.id, row.type, destination, now, now, now);
      return ids.length;
    })();
  }

  async storedEventCounts(destination: string, since: number): Promise<StoredTypeCount[]> {
    const rows = this.statement(
      `SELECT type, count(*) AS events,
         sum(NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.destination = ?)) AS without_delivery
       FROM events WHERE received_at >= ? GROUP BY type ORDER BY type`,
    ).all(destination, since) as Row[];
    return rows.map((r) => ({ type: r.type as string, events: r.events as number, withoutDelivery: r.without_delivery as number }));
  }

  async health(destinations: string[], now: number): Promise<DestinationHealth[]> {
    const hourAgo = now - 3_600_000;
    const lastOf = this.statement(
      `SELECT started_at, error FROM attempts WHERE destination = ? AND outcome = ? ORDER BY id DESC LIMIT 1`,
    );
    const lastFailure = this.statement(
      `SELECT started_at, error FROM attempts WHERE destination = ? AND outcome IN ('retrying', 'failed') ORDER BY id DESC LIMIT 1`,
    );
    const hour = this.statement(
      `SELECT count(*) AS total, sum(outcome IN ('retrying', 'failed')) AS failures FROM attempts
       WHERE destination = ? AND started_ms >= ?`,
    );
    const backlog = this.statement(
      // Spelt as the due index's condition so that index answers it (no delivery row is ever
      // stored 'paused': a paused destination's deliveries keep their state).
      `SELECT count(*) AS n, min(created_at) AS oldest, min(next_at) AS due FROM deliveries
       WHERE destination = ? AND ${DUE}`,
    );
    return destinations.map((destination) => {
      const ok = lastOf.get(destination, 'ok') as Row | undefined;
      const bad = lastFailure.get(destination) as Row | undefined;
      const h = hour.get(destination, hourAgo) as Row;
      const b = backlog.get(destination) as Row;
      return {
        destination,
        ...(ok ? { lastSuccessAt: ok.started_at as string } : {}),
        ...(bad ? { lastFailureAt: bad.started_at as string, lastError: (bad.error as string) ?? undefined } : {}),
        attemptsLastHour: (h.total as number) ?? 0,
        failuresLastHour: (h.failures as number) ?? 0,
        pending: b.n as number,
        ...(b.oldest != null ? { oldestPendingAt: b.oldest as number } : {}),
        queueLagMs: b.due != null ? Math.max(0, now - (b.due as number)) : 0,
      };
    });
  }

  async countByState(): Promise<Record<string, number>> {
    const rows = this.statement('SELECT state, count(*) AS n FROM deliveries GROUP BY state').all() as Row[];
    return Object.fromEntries(rows.map((r) => [r.state as string, r.n as number]));
  }

  async prune(olderThan: number): Promise<{ events: number; attempts: number }> {
    return this.db.transaction(() => {
      const attempts = this.statement('DELETE FROM attempts WHERE started_ms < ?').run(olderThan).changes;
      // Events whose deliveries are all settled; unfinished work is never pruned.
      const events = this.statement(
          `DELETE FROM events WHERE received_at < ? AND NOT EXISTS (
             SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.state IN ('pending', 'retrying', 'in_flight', 'paused'))`,
        )
        .run(olderThan).changes;
      return { events, attempts };
    })();
  }

  async stateGet(scope: string, key: string): Promise<string | undefined> {
    const row = this.statement('SELECT value FROM connector_state WHERE scope = ? AND key = ?').get(scope, key) as Row | undefined;
    return row?.value as string | undefined;
  }

  async stateSet(scope: string, key: string, value: string): Promise<void> {
    this.statement('INSERT INTO connector_state (scope, key, value) VALUES (?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value')
      .run(scope, key, value);
  }

  async stateDelete(scope: string, key: string): Promise<void> {
    this.statement('DELETE FROM connector_state WHERE scope = ? AND key = ?').run(scope, key);
  }

  async disabledDestinations(): Promise<Record<string, string>> {
    const rows = this.statement('SELECT name, reason FROM disabled_destinations').all() as Row[];
    return Object.fromEntries(rows.map((r) => [r.name as string, r.reason as string]));
  }

  async setDisabled(destination: string, reason: string | null): Promise<void> {
    if (reason === null) this.statement('DELETE FROM disabled_destinations WHERE name = ?').run(destination);
    else {
      this.statement('INSERT INTO disabled_destinations (name, reason) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET reason = excluded.reason')
        .run(destination, reason);
    }
  }

  async holdDestination(destination: string, { until, cause, reason }: DestinationHold): Promise<void> {
    this.statement(
      `INSERT INTO destination_holds (name, until, cause, reason) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET until = excluded.until, cause = excluded.cause, reason = excluded.reason`,
    ).run(destination, until, cause, reason);
  }

  async destinationHolds(now: number): Promise<Record<string, DestinationHold>> {
    const rows = this.statement('SELECT name, until, cause, reason FROM destination_holds WHERE until > ?').all(now) as Row[];
    return Object.fromEntries(rows.map((r) => [r.name as string, { until: r.until as number, cause: r.cause as DestinationHold['cause'], reason: r.reason as string }]));
  }

  async listRuntimeDestinations(): Promise<RuntimeDestination[]> {
    const rows = this.statement('SELECT body FROM runtime_destinations ORDER BY name').all() as Row[];
    return rows.map((r) => JSON.parse(r.body as string));
  }

  async putRuntimeDestination(dest: RuntimeDestination): Promise<void> {
    this.statement('INSERT INTO runtime_destinations (name, body) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET body = excluded.body')
      .run(dest.name, JSON.stringify(dest));
  }

  async deleteRuntimeDestination(name: string): Promise<boolean> {
    return this.statement('DELETE FROM runtime_destinations WHERE name = ?').run(name).changes === 1;
  }

  async sizeBytes(): Promise<number> {
    return (this.db.pragma('page_count', { simple: true }) as number) * (this.db.pragma('page_size', { simple: true }) as number);
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  async close(): Promise<void> {
    this.ingest.flush();
    this.work.flush();
    if (this.db.open) this.db.close();
  }

  async activity(destinations: string[], since: number, bucketMs: number): Promise<Activity> {
    // One pass over the (destination, started_ms) index per destination; latency is kept as a
    // histogram of classes, so percentiles need no per-attempt rows.
    const attempts = destinations.length
      ? (this.statement(
          `SELECT destination, CAST(started_ms / ? AS INTEGER) * ? AS bucket,
                  CAST(ln(duration_ms + 1) / ln(${LATENCY_CLASS_RATIO}) AS INTEGER) AS latencyClass,
                  count(*) AS attempts, sum(outcome IN ('retrying', 'failed')) AS failures
           FROM attempts
           WHERE destination IN (${destinations.map(() => '?').join(', ')}) AND started_ms >= ? AND outcome != 'skipped'
           GROUP BY destination, bucket, latencyClass`,
        ).all(bucketMs, bucketMs, ...destinations, since) as Activity['attempts'])
      : [];
    const events = this.statement(
      `SELECT CAST(received_at / ? AS INTEGER) * ? AS bucket, count(*) AS count FROM events WHERE received_at >= ? GROUP BY bucket`,
    ).all(bucketMs, bucketMs, since) as Activity['events'];
    return { attempts, events };
  }

  async countRequeue(filter: DeliveryFilter & { ids?: string[] }): Promise<number> {
    const { sql, params } = this.deliveryWhere({ ...filter, limit: undefined });
    // The same guard as requeue's: deliveries in flight are not taken.
    const guard = `state NOT IN ('in_flight')`;
    const row = this.statement(`SELECT count(*) AS n FROM deliveries ${sql ? `${sql} AND ${guard}` : `WHERE ${guard}`}`)
      .get(...params) as { n: number };
    return row.n;
  }
}
