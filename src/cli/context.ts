import { loadConfig, resolveDataDir, resolveDestinations, type LoadedConfig } from '../config/index.js';
import type { AnyConnector } from '../connectors/core/types.js';
import type { ResolvedDestination } from '../destinations/index.js';
import { SqliteStore } from '../store/sqlite.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './errors.js';
import type { Store } from '../store/types.js';
import { storeUrl } from './store-choice.js';
import type { GlobalOptions } from './output.js';

export interface CliContext {
  config: LoadedConfig;
  dataDir: string;
}

export async function loadCliConfig(globals: GlobalOptions): Promise<CliContext> {
  const config = await loadConfig({ configPath: globals.config });
  return { config, dataDir: resolveDataDir(globals.dataDir) };
}

export function openStore(dataDir: string): SqliteStore {
  try {
    return SqliteStore.open(dataDir);
  } catch (err) {
    // As `vidhook serve` says it: where, and the fix.
    throw new UsageError(
      `cannot open the store in ${dataDir}: ${(err as Error).message}; point --data-dir (or VIDHOOK_DATA_DIR) at a directory vidhook may write`,
      'store_unavailable',
    );
  }
}

/** The store a command works on, and how to name it to the user. */
export interface ConfiguredStore {
  store: Store;
  /** The data dir, or the PostgreSQL URL with its password masked. */
  where: string;
}

/**
 * The store the daemon would use: the shared PostgreSQL one when --store, VIDHOOK_STORE or
 * `store:` names it, else SQLite in the data dir.
 */
export async function openConfiguredStore(ctx: CliContext, flag?: string): Promise<ConfiguredStore> {
  const url = storeUrl(flag, ctx.config.project.store);
  if (!url) return { store: openStore(ctx.dataDir), where: ctx.dataDir };
  const [{ PostgresStore }, { redactUrl }] = await Promise.all([import('../store/postgres.js'), import('../store/store-url.js')]);
  // A command makes a few queries at a time: two connections are plenty.
  return { store: await PostgresStore.open(url, { max: 2 }), where: redactUrl(url) };
}

/** Every destination: user store, project file, and the runtime registrations kept in the store. */
export async function allDestinations(ctx: CliContext, store?: Store): Promise<ResolvedDestination<AnyConnector>[]> {
  const runtime = store ? await store.listRuntimeDestinations() : [];
  return resolveDestinations(ctx.config, runtime);
}

/** `127.0.0.1:8765` and `localhost:8765` mean http://…; a URL is taken as it is. */
export function normalizeServer(text: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`--server ${text}: expected host:port or a URL such as http://127.0.0.1:8765`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--server ${text}: expected an http:// or https:// address`);
  return withScheme.replace(/\/+$/, '');
}

/** The daemon named with --server or VIDHOOK_SERVER, if any. */
export function serverUrl(globals: GlobalOptions): string | undefined {
  const named = globals.server ?? process.env.VIDHOOK_SERVER ?? undefined;
  return named ? normalizeServer(named) : undefined;
}

/** The file `vidhook serve` writes in its data dir while it runs, so commands find it. */
export const DAEMON_FILE = 'daemon.json';

export interface DaemonRecord {
  url: string;
  pid: number;
  version?: string;
}

export interface DaemonTarget {
  url: string;
  /** Named with --server or VIDHOOK_SERVER: unreachable is then an error, never a fallback. */
  named: boolean;
  token?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The daemon `vidhook serve` recorded in this data dir, when its process lives (answering or not). */
export function daemonProcessOn(dataDir: string): DaemonRecord | undefined {
  let record: DaemonRecord;
  try {
    record = JSON.parse(readFileSync(join(dataDir, DAEMON_FILE), 'utf8')) as DaemonRecord;
  } catch {
    return undefined;
  }
  if (typeof record?.url !== 'string' || typeof record.pid !== 'number' || !alive(record.pid)) return undefined;
  return record;
}

/** The daemon `vidhook serve` recorded in this data dir, when its process lives and it answers. */
async function recordedDaemon(dataDir: string): Promise<string | undefined> {
  const record = daemonProcessOn(dataDir);
  if (!record) return undefined;
  try {
    const res = await fetch(`${record.url}/healthz`, { signal: AbortSignal.timeout(1500) });
    await res.body?.cancel();
    return res.ok ? record.url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which daemon a command talks to: the one named (--server, VIDHOOK_SERVER), else the one
 * `vidhook serve` runs on this data dir (at its default address, its config's `server:` or any
 * other), else none: the command works on the local store and delivers in-process.
 */
export async function findDaemon(globals: GlobalOptions, config?: LoadedConfig): Promise<DaemonTarget | undefined> {
  const token = serverToken(globals) ?? config?.project.server?.token;
  const named = serverUrl(globals);
  if (named) return { url: named, named: true, token };
  const url = await recordedDaemon(resolveDataDir(globals.dataDir));
  return url ? { url, named: false, token } : undefined;
}

export function serverToken(globals: GlobalOptions): string | undefined {
  return globals.token ?? process.env.VIDHOOK_TOKEN ?? undefined;
}
