import { connectorCatalogue, findConnector } from '../../connectors/registry.js';
import { CATEGORIES, type Category } from '../../connectors/core/types.js';
import { ConfigError, maskedSettings, resolveDestination } from '../../config/index.js';
import { assertPublicHost, BlockedTargetError } from '../../delivery/address-guard.js';
import { destinationStatuses } from '../../destinations/index.js';
import type { RuntimeDestination } from '../../store/types.js';
import type { DaemonContext } from '../context.js';
import { ApiError, objectBody, readJsonBody, sendJson } from '../http-utils.js';
import type { Router } from '../router.js';

const URL_SETTINGS = /url$/i;

/** Runtime registrations may only target public addresses, unless the daemon allows private ones. */
export async function checkTargets(ctx: DaemonContext, settings: Record<string, unknown>): Promise<void> {
  for (const [key, value] of Object.entries(settings)) {
    if (!URL_SETTINGS.test(key) || typeof value !== 'string') continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ApiError(400, 'invalid_request', `${key} is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ApiError(400, 'invalid_request', `${key} must be http(s)`);
    if (ctx.allowPrivateTargets) continue;
    try {
      await assertPublicHost(url.hostname);
    } catch (err) {
      if (err instanceof BlockedTargetError) {
        throw new ApiError(400, 'blocked_target', `${key}: ${err.message}; start the daemon with --allow-private-targets to allow it`);
      }
      throw err;
    }
  }
}

/** Validates a runtime destination as config would, then keeps it in the store. */
export async function saveRuntimeDestination(ctx: DaemonContext, dest: RuntimeDestination): Promise<void> {
  try {
    resolveDestination(
      { name: dest.name, source: 'runtime', file: 'request', body: { connector: dest.connector, events: dest.events, enabled: dest.enabled, ...dest.settings } },
      { customTypes: ctx.config.customTypes },
    );
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new ApiError(400, 'invalid_request', err.problem, { setting: err.where.setting });
    }
    throw err;
  }
  await checkTargets(ctx, dest.settings);
  await ctx.store.putRuntimeDestination(dest);
  await ctx.reloadDestinations();
}

export function eventsOf(value: unknown, fallback: string[]): string[] {
  if (value === undefined || value === null) return fallback;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((v) => typeof v !== 'string')) {
    throw new ApiError(400, 'invalid_request', 'events must be an event type or a list of them');
  }
  return list as string[];
}

export function integrationRoutes(router: Router, ctx: DaemonContext, startedAt: number, version: string): void {
  router.on('GET', '/api/integrations/connectors', (_req, res) => {
    sendJson(res, 200, { connectors: connectorCatalogue() });
  });

  router.on('GET', '/api/integrations/status', async (_req, res) => {
    const now = Date.now();
    const destinations = await destinationStatuses(ctx.store, ctx.destinations(), ctx.dispatcher.pauses(), now);
    sendJson(res, 200, {
      daemon: { version, uptimeSeconds: Math.round((now - startedAt) / 1000), inflight: ctx.dispatcher.inflight() },
      destinations,
    });
  });

  router.on('POST', '/api/integrations/:category/:connector/configure', async (req, res, params) => {
    const connector = findConnector(params.connector);
    if (!CATEGORIES.includes(params.category as Category) || !connector || connector.category !== params.category) {
      throw new ApiError(404, 'not_found', `no connector ${params.category}/${params.connector}; see GET /api/integrations/connectors`);
    }
    const body = objectBody(await readJsonBody(req, ctx.limits.maxBodyBytes));
    const { name = connector.kind, events, enabled, settings: nested, ...flat } = body;
    const settings = { ...flat, ...(nested && typeof nested === 'object' ? (nested as Record<string, unknown>) : {}) };
    const existing = (await ctx.store.listRuntimeDestinations()).find((d) => d.name === name);
    const dest: RuntimeDestination = {
      name: String(name),
      connector: connector.kind,
      events: eventsOf(events, existing?.events ?? connector.defaultEvents),
      enabled: enabled === undefined ? (existing?.enabled ?? true) : enabled === true,
      settings,
      createdAt: existing?.createdAt ?? new Date().toISOString(),
    };
    await saveRuntimeDestination(ctx, dest);
    const resolved = ctx.destinations().find((d) => d.dest.name === dest.name)!;
    sendJson(res, existing ? 200 : 201, {
      name: dest.name,
      connector: dest.connector,
      events: resolved.dest.events,
      enabled: dest.enabled,
      settings: maskedSettings(resolved),
    });
  });
}
