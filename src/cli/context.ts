import { loadConfig, resolveDataDir, resolveDestinations, type LoadedConfig } from '../config/index.js';
import type { AnyConnector } from '../connectors/core/types.js';
import type { ResolvedDestination } from '../destinations/index.js';
import { SqliteStore } from '../store/sqlite.js';
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
  return SqliteStore.open(dataDir);
}

/** The store the daemon would use: the shared PostgreSQL one when VIDHOOK_STORE or `store:` names it. */
export async function openConfiguredStore(ctx: CliContext): Promise<Store> {
  const url = storeUrl(undefined, ctx.config.project.store);
  if (!url) return openStore(ctx.dataDir);
  const { PostgresStore } = await import('../store/postgres.js');
  return PostgresStore.open(url);
}

/** Every destination: user store, project file, and the runtime registrations kept in the store. */
export async function allDestinations(ctx: CliContext, store?: Store): Promise<ResolvedDestination<AnyConnector>[]> {
  const runtime = store ? await store.listRuntimeDestinations() : [];
  return resolveDestinations(ctx.config, runtime);
}

export function serverUrl(globals: GlobalOptions): string | undefined {
  return globals.server ?? process.env.VIDHOOK_SERVER ?? undefined;
}

export function serverToken(globals: GlobalOptions): string | undefined {
  return globals.token ?? process.env.VIDHOOK_TOKEN ?? undefined;
}
