import type { AnyConnector } from '../connectors/core/types.js';
import type { ResolvedDestination } from '../destinations/index.js';
import type { RuntimeDestination } from '../store/types.js';
import { parseDuration } from './duration.js';
import { loadProjectFile, type ProjectConfig } from './project-file.js';
import { UserStore } from './user-store.js';
import { mergeSources, resolveAll, type DestinationSource } from './destinations.js';

export { ConfigError, ConfigErrors } from './errors.js';
export { parseDuration, parseSince, formatDuration } from './duration.js';
export { resolveDataDir } from './data-dir.js';
export { UserStore, userConfigDir } from './user-store.js';
export { resolveDestination, resolveAll, mergeSources, type DestinationSource } from './destinations.js';
export { maskedSettings } from './settings-view.js';
export type { ProjectConfig } from './project-file.js';

/** What the project file changes of the retry policy; the rest is the dispatcher's default. */
export interface RetryOverrides {
  schedule?: number[];
  deadlineMs?: number;
}

export interface LoadedConfig {
  projectFile?: string;
  project: ProjectConfig;
  userStorePath: string;
  customTypes: string[];
  retry: RetryOverrides;
  timeoutMs?: number;
  connectTimeoutMs?: number;
  retentionMs: number;
  userSources: DestinationSource[];
  projectSources: DestinationSource[];
  env: NodeJS.ProcessEnv;
}

export const DEFAULT_RETENTION_MS = 30 * 86_400_000;

export async function loadConfig(options: { configPath?: string; cwd?: string; env?: NodeJS.ProcessEnv }): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const { file, config } = await loadProjectFile({ configPath: options.configPath ?? env.VIDHOOK_CONFIG, cwd: options.cwd ?? process.cwd() });
  const user = new UserStore(env);
  const schedule = config.retry?.schedule?.map((s) => parseDuration(String(s))!);
  const deadline = config.retry?.deadline !== undefined ? parseDuration(String(config.retry.deadline)) : undefined;
  return {
    projectFile: file,
    project: config,
    userStorePath: user.path,
    customTypes: config.events?.custom ?? [],
    retry: { ...(schedule ? { schedule } : {}), ...(deadline !== undefined ? { deadlineMs: deadline } : {}) },
    timeoutMs: config.http?.timeout !== undefined ? parseDuration(String(config.http.timeout)) : undefined,
    connectTimeoutMs: config.http?.connectTimeout !== undefined ? parseDuration(String(config.http.connectTimeout)) : undefined,
    retentionMs: config.retention !== undefined ? parseDuration(String(config.retention))! : DEFAULT_RETENTION_MS,
    userSources: Object.entries(user.destinations()).map(([name, body]) => ({ name, source: 'user', file: user.path, body })),
    projectSources: Object.entries(config.destinations ?? {}).map(([name, body]) => ({ name, source: 'project', file, body })),
    env,
  };
}

export function runtimeSources(runtime: RuntimeDestination[]): DestinationSource[] {
  return runtime.map((r) => ({
    name: r.name,
    source: 'runtime',
    file: 'daemon registration',
    body: { connector: r.connector, events: r.events, enabled: r.enabled, ...r.settings },
  }));
}

/** Every destination, merged by name (user store < project file < runtime), validated. */
export function resolveDestinations(config: LoadedConfig, runtime: RuntimeDestination[] = []): ResolvedDestination<AnyConnector>[] {
  const sources = mergeSources(config.userSources, config.projectSources, runtimeSources(runtime));
  return resolveAll(sources, { env: config.env, customTypes: config.customTypes });
}
