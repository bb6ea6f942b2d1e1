import { newId } from '../../events/index.js';
import { generateSecret } from '../../signing/standard-webhooks.js';
import type { RuntimeDestination } from '../../store/types.js';
import { destinationState } from '../../destinations/index.js';
import type { DaemonContext } from '../context.js';
import { ApiError, objectBody, readJsonBody, sendJson } from '../http-utils.js';
import type { Router } from '../router.js';
import { eventsOf, saveRuntimeDestination } from './integrations.js';

export const ROTATION_OVERLAP_MS = 24 * 3_600_000;

async function findWebhook(ctx: DaemonContext, id: string): Promise<RuntimeDestination> {
  const found = (await ctx.store.listRuntimeDestinations()).find((d) => d.name === id && d.connector === 'webhook');
  if (!found) throw new ApiError(404, 'not_found', `no webhook endpoint ${id}`);
  return found;
}

/** Views of webhook endpoints, with their state as every destination shows it. */
async function views(ctx: DaemonContext, endpoints: RuntimeDestination[]) {
  const disabled = await ctx.store.disabledDestinations();
  const pauses = ctx.dispatcher.pauses();
  return endpoints.map((d) => {
    const { state, reason } = destinationState({ enabled: d.enabled, source: 'runtime', disabledReason: disabled[d.name], pause: pauses[d.name] });
    return {
      id: d.name,
      url: d.settings.url,
      events: d.events,
      description: d.description ?? '',
      enabled: d.enabled,
      state,
      ...(reason !== undefined ? { reason } : {}),
      createdAt: d.createdAt,
    };
  });
}

const view = async (ctx: DaemonContext, d: RuntimeDestination) => (await views(ctx, [d]))[0];

export function webhookRoutes(router: Router, ctx: DaemonContext): void {
  router.on('POST', '/api/integrations/webhooks', async (req, res) => {
    const body = objectBody(await readJsonBody(req, ctx.limits.maxBodyBytes));
    if (typeof body.url !== 'string') throw new ApiError(400, 'invalid_request', 'url is required');
    const dest: RuntimeDestination = {
      name: newId('wh'),
      connector: 'webhook',
      events: eventsOf(body.events, ['*']),
      enabled: true,
      settings: { url: body.url, secret: generateSecret() },
      createdAt: new Date().toISOString(),
      ...(typeof body.description === 'string' ? { description: body.description } : {}),
    };
    await saveRuntimeDestination(ctx, dest);
    // The secret is shown this once; later reads never include it.
    sendJson(res, 201, { ...(await view(ctx, dest)), secret: dest.settings.secret });
  });

  router.on('GET', '/api/integrations/webhooks', async (_req, res) => {
    const all = (await ctx.store.listRuntimeDestinations()).filter((d) => d.connector === 'webhook');
    sendJson(res, 200, { webhooks: await views(ctx, all) });
  });

  router.on('GET', '/api/integrations/webhooks/:id', async (_req, res, { id }) => {
    sendJson(res, 200, await view(ctx, await findWebhook(ctx, id)));
  });

  router.on('DELETE', '/api/integrations/webhooks/:id', async (_req, res, { id }) => {
    await findWebhook(ctx, id);
    await ctx.store.deleteRuntimeDestination(id);
    await ctx.reloadDestinations();
    res.writeHead(204).end();
  });

  router.on('POST', '/api/integrations/webhooks/:id/rotate-secret', async (req, res, { id }) => {
    req.resume();
    const dest = await findWebhook(ctx, id);
    const now = Date.now();
    const expiresAt = new Date(now + ROTATION_OVERLAP_MS).toISOString();
    const previous = ((dest.settings.previousSecrets as Array<{ secret: string; expiresAt: string }>) ?? []).filter(
      (p) => Date.parse(p.expiresAt) > now,
    );
    const secret = generateSecret();
    dest.settings = { ...dest.settings, secret, previousSecrets: [...previous, { secret: dest.settings.secret as string, expiresAt }] };
    await saveRuntimeDestination(ctx, dest);
    sendJson(res, 200, { id, secret, previousSecretExpiresAt: expiresAt });
  });
}
