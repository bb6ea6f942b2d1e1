import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SqliteStore } from '../../src/store/sqlite.js';
import { PostgresStore } from '../../src/store/postgres.js';
import type { Store } from '../../src/store/types.js';

/** The PostgreSQL the tests use: this machine's, and CI's (`.ci/run` starts it). */
export const POSTGRES_ADMIN_URL = process.env.VIDHOOK_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export const postgresAnswers = await answers(POSTGRES_ADMIN_URL);
if (!postgresAnswers && process.env.VIDHOOK_REAL_POSTGRES === 'required') {
  throw new Error(`VIDHOOK_REAL_POSTGRES=required but no PostgreSQL answers at ${POSTGRES_ADMIN_URL}: start it (.ci/run does)`);
}
if (!postgresAnswers) {
  console.warn(`PostgreSQL store tests skipped: no PostgreSQL answers at ${POSTGRES_ADMIN_URL} (start it, or set VIDHOOK_TEST_POSTGRES)`);
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh database for one test; `drop` removes it. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `vidhook_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))) };
}

export interface StoreUnderTest {
  store: Store;
  close(): Promise<void>;
}

export interface StoreKind {
  name: string;
  /** Whether due times are the caller's `now` exactly (SQLite) or read on the database's clock (PostgreSQL). */
  exactClock: boolean;
  skip: boolean;
  open(): Promise<StoreUnderTest>;
}

export const STORE_KINDS: StoreKind[] = [
  {
    name: 'SQLite',
    exactClock: true,
    skip: false,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'vidhook-store-'));
      const store = SqliteStore.open(dir);
      return { store, close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  },
  {
    name: 'PostgreSQL',
    exactClock: false,
    skip: !postgresAnswers,
    async open() {
      const db = await freshPostgresDatabase();
      const store = await PostgresStore.open(db.url);
      return { store, close: async () => { await store.close(); await db.drop(); } };
    },
  },
];
