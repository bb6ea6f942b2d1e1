import { z } from 'zod';
import { buildEnvelope, isBuiltinEventType, knownEventTypes, newId, SAMPLES } from '../../events/index.js';
import { zapierPayload } from '../../connectors/zapier/index.js';
import type { RuntimeDestination } from '../../store/types.js';
import type { DaemonContext } from '../context.js';
import { ApiError, objectBody, readJsonBody, sendJson } from '../http-utils.js';
import type { Router } from '../router.js';
import { eventsOf, saveRuntimeDestination } from './integrations.js';

export const zapierSubscribeRequestSchema = z
  .object({
    hookUrl: z.string().optional(),
    targetUrl: z.string().optional(),
    target_url: z.string().optional(),
    url: z.string().optional(),
    event: z.string().optional(),
    events: z.union([z.string(), z.array(z.string())]).optional(),
  })
  .describe('The hook URL Zapier gives (as hookUrl, targetUrl, target_url or url) and the event type(s) it wants (default: every event).');
export const zapierSubscriptionSchema = z.object({ id: z.string(), events: z.array(z.string()), createdAt: z.string() });
export const zapierUnsubscribedSchema = z
  .object({ id: z.string(), deleted: z.boolean() })
  .describe('deleted is false when the subscription was already gone (after a 410, or a second unsubscribe).');
export const zapierSamplesSchema = z
  .array(z.object({ id: z.string(), type: z.string(), timestamp: z.string(), data: z.record(z.string(), z.unknown()) }))
  .describe('The newest real events of the type, else one sample, as a REST Hook receives them (Zapier reads a list).');
export const zapierMeSchema = z.object({ ok: z.literal(true), service: z.literal('vidhook'), version: z.string() });

/** How many real events a sample answer holds, and how far back among all events received it looks. */
const SAMPLE_COUNT = 10;
const SAMPLE_WINDOW = 10_000;

/** The Zapier REST Hooks protocol: Zapier subscribes a target URL, unsubscribes it, and asks for samples. */
export function zapierRoutes(router: Router, ctx: DaemonContext, version: string): void {
  router.on('POST', '/api/integrations/zapier/subscribe', async (req, res) => {
    const body = objectBody(await readJsonBody(req, ctx.limits.maxBodyBytes));
    const hookUrl = body.hookUrl ?? body.targetUrl ?? body.target_url ?? body.url;
    if (typeof hookUrl !== 'string') throw new ApiError(400, 'invalid_request', 'hookUrl (or target_url, url) is required');
    const events = eventsOf(body.events ?? body.event, ['*']);
    const dest: RuntimeDestination = {
      name: newId('zap'),
      connector: 'zapier',
      events,
      enabled: true,
      settings: { hookUrl },
      createdAt: new Date().toISOString(),
    };
    await saveRuntimeDestination(ctx, dest);
    sendJson(res, 201, { id: dest.name, events, createdAt: dest.createdAt } satisfies z.input<typeof zapierSubscriptionSchema>);
  });

  // Zapier unsubscribes when a Zap is turned off, and may do so for a subscription that is already
  // gone (removed after a 410, or unsubscribed twice): that is success, or the Zap cannot be turned off.
  router.on('DELETE', '/api/integrations/zapier/subscribe/:id', async (_req, res, { id }) => {
    const found = (await ctx.store.listRuntimeDestinations()).find((d) => d.name === id && d.connector === 'zapier');
    if (found) {
      await ctx.store.deleteRuntimeDestination(id);
      await ctx.reloadDestinations();
    }
    sendJson(res, 200, { id, deleted: Boolean(found) } satisfies z.input<typeof zapierUnsubscribedSchema>);
  });

  // Samples for the Zap editor: the newest real events of the type when there are any, else the built-in sample.
  router.on('GET', '/api/integrations/zapier/samples/:type', async (_req, res, { type }) => {
    if (!knownEventTypes(ctx.config.customTypes).includes(type)) {
      throw new ApiError(404, 'not_found', `no event type ${type}; the types are ${knownEventTypes(ctx.config.customTypes).join(', ')}`);
    }
    const recent = await ctx.store.recentEvents(type, { limit: SAMPLE_COUNT, window: SAMPLE_WINDOW });
    if (recent.length > 0) {
      sendJson(res, 200, recent.map(zapierPayload) satisfies z.input<typeof zapierSamplesSchema>);
      return;
    }
    const data = isBuiltinEventType(type) ? SAMPLES[type]() : {};
    const sample = buildEnvelope({ type, data, id: 'evt_sample', timestamp: '2026-11-27T19:40:00.000Z' }, { customTypes: ctx.config.customTypes });
    sendJson(res, 200, [zapierPayload(sample)] satisfies z.input<typeof zapierSamplesSchema>);
  });

  router.on('GET', '/api/integrations/zapier/me', (_req, res) => {
    sendJson(res, 200, { ok: true, service: 'vidhook', version } satisfies z.input<typeof zapierMeSchema>);
  });
}
