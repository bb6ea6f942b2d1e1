import { loadConfig, resolveDataDir, resolveDestinations, type LoadedConfig } from '../config/index.js';
import type { AnyConnector } from '../connectors/core/types.js';
import type { ResolvedDestination } from '../destinations/index.js';
import { SqliteStore } from '../store/sqlite.js';
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

/** Every destination: user store, project file, and the runtime registrations kept in the store. */
export async function allDestinations(ctx: CliContext, store?: SqliteStore): Promise<ResolvedDestination<AnyConnector>[]> {
  const runtime = store ? await store.listRuntimeDestinations() : [];
  return resolveDestinations(ctx.config, runtime);
}

export function serverUrl(globals: GlobalOptions): string | undefined {
  return globals.server ?? process.env.VIDHOOK_SERVER ?? undefined;
}

export function serverToken(globals: GlobalOptions): string | undefined {
  return globals.token ?? process.env.VIDHOOK_TOKEN ?? undefined;
}
