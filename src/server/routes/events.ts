import { z } from 'zod';
import {
  buildEnvelope,
  customDataSchema,
  dataSchemas,
  EVENT_DESCRIPTIONS,
  EVENT_ID_PATTERN,
  InvalidEventError,
  type BuiltinEventType,
  type Envelope,
  type EventIssue,
} from '../../events/index.js';
import { destinationsFor } from '../../delivery/fan-out.js';
import type { DaemonContext } from '../context.js';
import { ApiError, objectBody, readJsonBody, sendJson } from '../http-utils.js';
import type { Router } from '../router.js';
import { deliverySchema } from './deliveries.js';

const envelopeFields = {
  id: z.string().regex(EVENT_ID_PATTERN).optional().describe('The idempotency key: the same id sent twice is stored once. Generated when absent.'),
  timestamp: z.string().optional().describe('When it happened, ISO-8601 (default: now).'),
  to: z
    .union([z.array(z.string()), z.string()])
    .optional()
    .describe('Only these destinations (a list, or names separated by commas).'),
};

/** What POST /api/events takes for a built-in type: the envelope around that type's data. */
export function eventInputSchema(type: BuiltinEventType): z.ZodType {
  return z.object({ ...envelopeFields, type: z.literal(type), data: dataSchemas[type] }).describe(EVENT_DESCRIPTIONS[type]);
}

export const customEventInputSchema = z
  .object({
    ...envelopeFields,
    type: z.string().describe('A type declared under events.custom in the config.'),
    data: customDataSchema.optional(),
  })
  .describe('A custom event: its type must be declared under events.custom in the config; its data is free-form.');

export const acceptedEventsSchema = z.object({
  events: z.array(
    z.object({
      id: z.string(),
      deliveries: z.number().int().nonnegative().describe('Deliveries created, one per destination that takes the event.'),
      duplicate: z.literal(true).optional().describe('The id was already stored: this is the stored result, and nothing new was created.'),
    }),
  ),
});

export const storedEventSchema = z.object({
  event: z.object({ id: z.string(), type: z.string(), timestamp: z.string(), data: z.record(z.string(), z.unknown()) }),
  receivedAt: z.string(),
  deliveries: z.array(deliverySchema),
});

interface Incoming {
  envelope: Envelope;
  to?: string[];
}

function parseTo(value: unknown, index: number, known: Set<string>): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || list.some((v) => typeof v !== 'string')) {
    throw new ApiError(400, 'invalid_event', `events[${index}].to must be a list of destination names`);
  }
  const unknown = (list as string[]).filter((n) => !known.has(n));
  if (unknown.length) throw new ApiError(400, 'invalid_event', `events[${index}].to names unknown destination(s): ${unknown.join(', ')}`);
  return list as string[];
}

/** SQLite's "database or disk is full", or the file system's own ENOSPC/EDQUOT. */
function isOutOfSpace(err: Error & { code?: string }): boolean {
  return err?.code === 'SQLITE_FULL' || err?.code === 'ENOSPC' || err?.code === 'EDQUOT' || /database or disk is full|no space left/i.test(err?.message ?? '');
}

/** The disk budget is checked every 5 s: a client may try again after that. */
const STORE_FULL_RETRY_AFTER_SEC = 5;

/** Events validated between two turns of the event loop, so a large batch does not stall deliveries. */
const VALIDATE_CHUNK = 100;

/** Validates every event before any is stored: one bad event refuses the whole batch. */
async function validateBatch(ctx: DaemonContext, body: Record<string, unknown>): Promise<Incoming[]> {
  const batch = 'events' in body ? body.events : [body];
  if (!Array.isArray(batch)) throw new ApiError(400, 'invalid_request', '"events" must be an array of events');
  if (batch.length === 0) throw new ApiError(400, 'invalid_request', '"events" is empty');
  if (batch.length > ctx.limits.maxBatch) {
    throw new ApiError(413, 'batch_too_large', `a batch holds at most ${ctx.limits.maxBatch} events; this one has ${batch.length}`);
  }
  const known = new Set(ctx.destinations().map((d) => d.dest.name));
  const details: Array<EventIssue & { index: number }> = [];
  let firstMessage: string | undefined;
  const seen = new Set<string>();
  const accepted: Incoming[] = [];
  for (const [index, raw] of batch.entries()) {
    if (index > 0 && index % VALIDATE_CHUNK === 0) await new Promise((resolve) => setImmediate(resolve));
    try {
      const input = objectBody(raw);
      const envelope = buildEnvelope(input, { customTypes: ctx.config.customTypes });
      if (seen.has(envelope.id)) throw new InvalidEventError('duplicate id in batch', [{ path: 'id', message: 'appears twice in this batch' }]);
      seen.add(envelope.id);
      accepted.push({ envelope, to: parseTo(input.to, index, known) });
    } catch (err) {
      if (err instanceof InvalidEventError) details.push(...err.details.map((d) => ({ index, ...d })));
      else if (err instanceof ApiError) details.push({ index, path: 'to', message: err.message });
      else throw err;
      firstMessage ??= batch.length > 1 ? `events[${index}]: ${(err as Error).message}` : (err as Error).message;
    }
  }
  if (details.length) throw new ApiError(400, 'invalid_event', `${firstMessage}; nothing was stored`, details);
  return accepted;
}

export function eventRoutes(router: Router, ctx: DaemonContext): void {
  router.on('POST', '/api/events', async (req, res) => {
    const refusal = ctx.refusal();
    if (refusal) {
      req.resume();
      throw new ApiError(503, 'unavailable', refusal.message, undefined, { 'retry-after': String(refusal.retryAfterSec) });
    }
    const body = objectBody(await readJsonBody(req, ctx.limits.maxBodyBytes));
    const incoming = await validateBatch(ctx, body);
    const destinations = ctx.destinations();
    const results = await ctx.store
      .addEvents(incoming.map(({ envelope, to }) => ({ event: envelope, destinations: destinationsFor(envelope, destinations, to) })))
      .catch((err: Error & { code?: string }) => {
        if (!isOutOfSpace(err)) throw err;
        ctx.storeFull(err.message);
        throw new ApiError(503, 'unavailable', `the store has no room for new events (${err.message}); nothing was stored, retry later`, undefined, {
          'retry-after': String(STORE_FULL_RETRY_AFTER_SEC),
        });
      });
    const fresh = results.filter((r) => !r.duplicate);
    ctx.metrics.eventsAccepted += fresh.length;
    ctx.metrics.eventsDuplicate += results.length - fresh.length;
    if (fresh.length) ctx.dispatcher.wake();
    const status = fresh.length === 0 ? 200 : 202;
    sendJson(res, status, {
      events: results.map((r) => ({ id: r.id, deliveries: r.deliveries, ...(r.duplicate ? { duplicate: true as const } : {}) })),
    } satisfies z.input<typeof acceptedEventsSchema>);
  });

  router.on('GET', '/api/events/:id', async (_req, res, { id }) => {
    const stored = await ctx.store.getEvent(id);
    if (!stored) throw new ApiError(404, 'not_found', `no event ${id}`);
    sendJson(res, 200, {
      event: stored.event,
      receivedAt: new Date(stored.receivedAt).toISOString(),
      deliveries: stored.deliveries,
    } satisfies z.input<typeof storedEventSchema>);
  });
}
