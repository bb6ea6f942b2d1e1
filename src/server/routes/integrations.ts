import { z } from 'zod';
import { connectorCatalogue, findConnector } from '../../connectors/registry.js';
import { CATEGORIES, type Category } from '../../connectors/core/types.js';
import { ConfigError, maskedSettings, resolveDestination } from '../../config/index.js';
import { assertPublicHost, BlockedTargetError, blockedTargetFix } from '../../delivery/address-guard.js';
import { DESTINATION_STATES, destinationStatuses, type DestinationStatus } from '../../destinations/index.js';
import type { RuntimeDestination } from '../../store/types.js';
import type { DaemonContext } from '../context.js';
import { ApiError, objectBody, readJsonBody, sendJson } from '../http-utils.js';
import type { Router } from '../router.js';

const URL_SETTINGS = /url$/i;

const categorySchema = z.enum(CATEGORIES as readonly [Category, ...Category[]]);

export const connectorCatalogueSchema = z.object({
  connectors: z.array(
    z.object({
      kind: z.string(),
      title: z.string(),
      category: categorySchema,
      description: z.string(),
      defaultEvents: z.array(z.string()),
      settings: z.array(z.object({ key: z.string(), secret: z.boolean(), required: z.boolean(), description: z.string() })),
    }),
  ),
}) satisfies z.ZodType<{ connectors: ReturnType<typeof connectorCatalogue> }>;

const isoOrNull = () => z.string().nullable();

export const integrationStatusSchema = z.object({
  daemon: z.object({
    version: z.string(),
    uptimeSeconds: z.number().int().nonnegative(),
    inflight: z.number().int().nonnegative(),
    configGeneration: z.number().int().positive().optional().describe('Goes up by one each time the daemon reloads its configuration (user store or project file changed, SIGHUP).'),
    store: z.object({ writable: z.boolean(), error: z.string().optional() }).describe('Whether the store takes writes (a full disk refuses them), and why not.'),
  }),
  destinations: z.array(
    z.object({
      name: z.string(),
      connector: z.string(),
      category: z.string(),
      source: z.string().describe('Where it is configured: user, project or runtime.'),
      state: z.enum(DESTINATION_STATES).describe('enabled; disabled (by an operator, a 410 Gone, or enabled: false); paused (circuit open or rate-limited); invalid (its config did not validate).'),
      reason: z.string().optional().describe('Why it is not enabled.'),
      lastSuccessAt: isoOrNull(),
      lastFailureAt: isoOrNull(),
      lastError: z.string().nullable(),
      attemptsLastHour: z.number().int().nonnegative(),
      failuresLastHour: z.number().int().nonnegative(),
      failureRate: z.number().min(0).max(1),
      pending: z.number().int().nonnegative(),
      lagSeconds: z.number().int().nonnegative().describe('Age of the oldest delivery not yet settled.'),
    }) satisfies z.ZodType<DestinationStatus>,
  ),
});

export const configureRequestSchema = z.looseObject({
  name: z.string().optional().describe('Destination name (default: the connector kind); the same name updates it.'),
  events: z.union([z.string(), z.array(z.string())]).optional().describe("Event types or globs (default: the connector's)."),
  enabled: z.boolean().optional(),
  settings: z.record(z.string(), z.unknown()).optional().describe('The connector settings; they may also be given at the top level.'),
});

export const configuredSchema = z.object({
  name: z.string(),
  connector: z.string(),
  events: z.array(z.string()),
  enabled: z.boolean(),
  settings: z.record(z.string(), z.unknown()).describe('Secrets masked.'),
});

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
        throw new ApiError(400, 'blocked_target', `${key}: ${err.message}; ${blockedTargetFix(err)}`);
      }
      throw err;
    }
  }
}

/** Settings naming a file the daemon would write or read (the log connector's `path`, a key file). */
const FILE_SETTINGS = /path$/i;

/** Validates a runtime destination as config would, then keeps it in the store. */
export async function saveRuntimeDestination(ctx: DaemonContext, dest: RuntimeDestination): Promise<void> {
  const fileSetting = Object.keys(dest.settings).find((key) => FILE_SETTINGS.test(key));
  if (fileSetting) {
    throw new ApiError(
      400,
      'invalid_request',
      `${fileSetting}: registrations through the API cannot name file paths; set it in the operator's config file instead`,
      { setting: fileSetting },
    );
  }
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
    sendJson(res, 200, { connectors: connectorCatalogue() } satisfies z.input<typeof connectorCatalogueSchema>);
  });

  router.on('GET', '/api/integrations/status', async (_req, res) => {
    const now = Date.now();
    const destinations = await destinationStatuses(ctx.store, ctx.destinations(), ctx.dispatcher.pauses(), now);
    sendJson(res, 200, {
      daemon: {
        version,
        uptimeSeconds: Math.round((now - startedAt) / 1000),
        inflight: ctx.dispatcher.inflight(),
        configGeneration: ctx.configGeneration(),
        store: ctx.dispatcher.storeTrouble ? { writable: false, error: ctx.dispatcher.storeTrouble.message } : { writable: true },
      },
      destinations,
    } satisfies z.input<typeof integrationStatusSchema>);
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
    } satisfies z.input<typeof configuredSchema>);
  });
}
