import type { SqliteStore } from './sqlite.js';
import { NEW_WORK_CHANNEL, type PostgresStore } from './postgres.js';
import { PG_MIGRATION_LOCK } from './postgres-migrations.js';

type Row = Record<string, unknown>;
type ColumnType = 'text' | 'bigint' | 'integer';

interface TableCopy {
  table: CopiedTable;
  /** The columns both schemas share, with their PostgreSQL type. */
  columns: Record<string, ColumnType>;
  /** Rows per round trip: attempts carry their requests and answers, so fewer of them. */
  batch: number;
  /** A row as it should stand in the shared store. */
  adapt?: (row: Row) => Row;
  /** Keeps a row out when the target has it already (a table without a natural key). */
  guard?: string;
}

export const COPIED_TABLES = ['events', 'deliveries', 'attempts', 'connector_state', 'runtime_destinations', 'disabled_destinations'] as const;
export type CopiedTable = (typeof COPIED_TABLES)[number];

export interface TableCount {
  /** Rows inserted into the shared store. */
  copied: number;
  /** Rows the shared store had already (a copy run before, or the same id accepted there). */
  existing: number;
}

export type CopyReport = Record<CopiedTable, TableCount> & {
  /** Deliveries that were in flight when the SQLite store's daemon stopped, copied as due now. */
  dueAgain: number;
};

/** Advisory lock of a copy: two copies at once would each find the other's attempts missing. */
const COPY_LOCK = PG_MIGRATION_LOCK + 2;

/**
 * A lease of a daemon that no longer runs is void: the delivery is due again now, as a restart
 * would make it (recoverLeases); no lease, owner or token crosses over.
 */
function dueAgain(row: Row): Row {
  if (row.state !== 'in_flight') return row;
  const triedSinceRequeue = (row.attempts as number) > (row.attempts_before_requeue as number);
  return { ...row, state: triedSinceRequeue ? 'retrying' : 'pending', next_at: Date.now() };
}

// Events first: deliveries refer to them.
const TABLES: TableCopy[] = [
  { table: 'events', batch: 1000, columns: { id: 'text', type: 'text', timestamp: 'text', received_at: 'bigint', body: 'text' } },
  {
    table: 'deliveries',
    batch: 1000,
    columns: {
      id: 'text', event_id: 'text', event_type: 'text', destination: 'text', state: 'text', attempts: 'integer',
      next_at: 'bigint', created_at: 'bigint', updated_at: 'bigint', last_error: 'text',
      attempts_before_requeue: 'integer', requeued_at: 'bigint',
    },
    adapt: dueAgain,
  },
  {
    table: 'attempts',
    batch: 200,
    // Attempt ids are each store's own sequence: an attempt is known by its delivery, number and start.
    columns: {
      delivery_id: 'text', event_id: 'text', event_type: 'text', destination: 'text', number: 'integer', started_at: 'text',
      started_ms: 'bigint', duration_ms: 'integer', outcome: 'text', status_code: 'integer', error: 'text', exchanges: 'text',
    },
    guard: `NOT EXISTS (SELECT 1 FROM attempts x WHERE x.delivery_id = u.delivery_id AND x.number = u.number AND x.started_ms = u.started_ms)`,
  },
  { table: 'connector_state', batch: 1000, columns: { scope: 'text', key: 'text', value: 'text' } },
  { table: 'runtime_destinations', batch: 1000, columns: { name: 'text', body: 'text' } },
  { table: 'disabled_destinations', batch: 1000, columns: { name: 'text', reason: 'text' } },
];

/** One batch as one statement: a column array per parameter, inserted in the order read. */
function insertSql({ table, columns, guard }: TableCopy): string {
  const names = Object.keys(columns);
  const returning = table === 'deliveries' ? ' RETURNING id' : '';
  const arrays = Object.values(columns).map((type, i) => `$${i + 1}::${type}[]`);
  return `INSERT INTO ${table} (${names.join(', ')})
    SELECT ${names.map((n) => `u.${n}`).join(', ')} FROM unnest(${arrays.join(', ')}) WITH ORDINALITY AS u(${names.join(', ')}, n)
    ${guard ? `WHERE ${guard}` : ''} ORDER BY u.n
    ON CONFLICT DO NOTHING${returning}`;
}

/**
 * Copies a SQLite store into a PostgreSQL one, batch by batch (memory stays flat in the store's
 * size). Rows the target already has are left as they are, so a copy can be run again: after an
 * interruption it takes up what is missing. The SQLite store must not be in use meanwhile.
 */
export async function copyToPostgres(
  from: SqliteStore,
  to: PostgresStore,
  onTable?: (table: CopiedTable, count: TableCount) => void,
): Promise<CopyReport> {
  const client = await to.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [COPY_LOCK]);
    try {
      const report = { dueAgain: 0 } as CopyReport;
      for (const spec of TABLES) {
        const names = Object.keys(spec.columns);
        const read = from.db.prepare(`SELECT rowid AS copy_rowid, ${names.join(', ')} FROM ${spec.table} WHERE rowid > ? ORDER BY rowid LIMIT ?`);
        const insert = insertSql(spec);
        const count: TableCount = { copied: 0, existing: 0 };
        for (let after = 0; ;) {
          const rows = read.all(after, spec.batch) as Row[];
          if (rows.length === 0) break;
          after = rows.at(-1)!.copy_rowid as number;
          const adapted = spec.adapt ? rows.map(spec.adapt) : rows;
          const inserted = await client.query(insert, names.map((n) => adapted.map((r) => r[n] ?? null)));
          const copied = inserted.rowCount ?? 0;
          count.copied += copied;
          count.existing += rows.length - copied;
          if (spec.table === 'deliveries') {
            const wasInFlight = new Set(rows.filter((r) => r.state === 'in_flight').map((r) => r.id));
            report.dueAgain += inserted.rows.filter((r) => wasInFlight.has(r.id)).length;
          }
        }
        report[spec.table] = count;
        onTable?.(spec.table, count);
      }
      // Daemons already on the shared store take the copied work now, not at their next poll.
      if (report.deliveries.copied > 0) await client.query('SELECT pg_notify($1, $2)', [NEW_WORK_CHANNEL, '']);
      return report;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [COPY_LOCK]);
    }
  } finally {
    client.release();
  }
}
