import { z } from 'zod';
import { parseSince } from '../../config/duration.js';
import { replayTo } from '../../delivery/replay.js';
import {
  DELIVERY_STATES as STATES,
  type Attempt,
  type AttemptOutcome,
  type Delivery,
  type DeliveryFilter,
  type DeliveryState,
} from '../../store/types.js';
import type { DaemonContext } from '../context.js';
import { ApiError, objectBody, queryOf, readJsonBody, sendJson } from '../http-utils.js';
import type { Router } from '../router.js';
import { parseStreamId, streamValue } from '../sse.js';

/** The most attempts a reconnecting stream is sent from the log (the newest of those it missed). */
const REPLAY_LIMIT = 10_000;

const OUTCOMES = ['ok', 'retrying', 'failed', 'skipped'] as const satisfies readonly AttemptOutcome[];

const epochMs = () => z.number().int().describe('Epoch milliseconds.');

export const deliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    destination: z.string(),
    state: z.enum(STATES),
    attempts: z.number().int().nonnegative().describe('Attempts made so far.'),
    nextAt: epochMs().describe('Epoch milliseconds at which the delivery is due.'),
    createdAt: epochMs(),
    updatedAt: epochMs(),
    lastError: z.string().optional(),
  })
  .describe('One event on its way to one destination.') satisfies z.ZodType<Delivery>;

const headers = () => z.record(z.string(), z.string()).describe('Secrets masked.');

export const exchangeSchema = z
  .object({
    startedAt: z.string(),
    durationMs: z.number().nonnegative(),
    request: z.object({ method: z.string(), url: z.string(), headers: headers(), body: z.string().optional() }),
    response: z.object({ status: z.number().int(), headers: headers(), body: z.string() }).optional(),
    error: z.string().optional(),
  })
  .describe('One HTTP request of an attempt and its answer (or the error instead of one).');

export const attemptSchema = z
  .object({
    id: z.number().int().describe('Grows with each attempt: the cursor for `after`.'),
    deliveryId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    destination: z.string(),
    number: z.number().int().positive().describe('1 for the first try.'),
    startedAt: z.string(),
    durationMs: z.number().nonnegative(),
    outcome: z.enum(OUTCOMES),
    statusCode: z.number().int().optional(),
    error: z.string().optional(),
    exchanges: z.array(exchangeSchema),
  })
  .describe('One try of a delivery.') satisfies z.ZodType<Attempt>;

export const deliveryPageSchema = z.object({
  deliveries: z.array(deliverySchema),
  next: z.string().nullable().describe('Pass as `after` for the next page; null on the last page.'),
});
export const deliveryDetailSchema = z.object({ delivery: deliverySchema, attempts: z.array(attemptSchema) });
export const attemptListSchema = z.object({ attempts: z.array(attemptSchema).describe('Oldest first.') });
export const retriedOneSchema = z.object({ retried: z.number().int().nonnegative(), deliveries: z.array(deliverySchema) });
export const retriedSchema = z.object({ retried: z.number().int().nonnegative().describe('How many deliveries were queued again.') });
export const retryRequestSchema = z.object({
  ids: z.array(z.string()).optional().describe('These deliveries; with no status, whatever their state.'),
  status: z.string().optional().describe('Comma-separated delivery states (default failed).'),
  destination: z.string().optional(),
  type: z.string().optional(),
  since: z.string().optional().describe('A duration ago (10m, 2d) or an ISO date.'),
  until: z.string().optional().describe('Created before this: a duration ago or an ISO date.'),
  event: z.string().optional().describe("This event's deliveries only."),
  dryRun: z.boolean().optional().describe('Count what would be queued, and queue nothing.'),
});
export const streamTicketSchema = z
  .object({ ticket: z.string(), expiresAt: z.string() })
  .describe("Opens GET /api/deliveries/stream?ticket=… (browsers' EventSource cannot send a header) until expiresAt; nothing else.");
export const retryCountSchema = z.object({ matched: z.number().int().nonnegative(), dryRun: z.literal(true) });
export const replayRequestSchema = z.object({
  destination: z.string(),
  since: z.string().describe('Events received since a duration ago (7d) or an ISO date.'),
  type: z.string().optional(),
  dryRun: z.boolean().optional().describe('Count the events, and queue nothing.'),
});
export const replayResultSchema = z.object({
  destination: z.string(),
  events: z.number().int().nonnegative().describe('Events queued (or that would be, on a dry run).'),
  dryRun: z.boolean(),
  destinationEvents: z.array(z.string()).describe("The destination's event filter: only events of the types it takes are replayed."),
  stored: z
    .array(
      z.object({
        type: z.string(),
        events: z.number().int().nonnegative().describe('Events of this type kept since `since`.'),
        withoutDelivery: z.number().int().nonnegative().describe('Of those, how many have no delivery to the destination.'),
      }),
    )
    .describe('Every event kept since `since`, per type, whatever `type` and the filter: why a replay matched what it did.'),
});

function since(value: string | null | undefined, name = 'since'): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const at = parseSince(value);
  if (at === undefined) throw new ApiError(400, 'invalid_request', `${name} "${value}" is not a duration (10m, 2d) or an ISO date`);
  return at;
}

function limit(value: string | null | undefined, max = 1000): number | undefined {
  if (!value) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ApiError(400, 'invalid_request', `limit must be a whole number from 1 to ${max}`);
  return n;
}

/** The cursor of /api/deliveries: the id of the last delivery of the previous page. */
function deliveryCursor(value: string | null): string | undefined {
  if (!value) return undefined;
  if (!/^dlv_[0-9A-Z]{26}$/.test(value)) throw new ApiError(400, 'invalid_request', `after "${value}" is not a delivery id; pass the "next" of the previous page`);
  return value;
}

/** The cursor of /api/attempts: the id of the last attempt seen. */
function attemptCursor(value: string | null): number | undefined {
  if (!value) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new ApiError(400, 'invalid_request', `after "${value}" is not an attempt id (a whole number)`);
  return n;
}

function states(value: unknown): DeliveryState[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const list = String(value).split(',');
  const bad = list.find((s) => !STATES.includes(s as DeliveryState));
  if (bad) throw new ApiError(400, 'invalid_request', `status "${bad}" is not one of ${STATES.join(', ')}`);
  return list as DeliveryState[];
}

function outcome(value: string | null): AttemptOutcome | undefined {
  if (!value) return undefined;
  if (!(OUTCOMES as readonly string[]).includes(value)) throw new ApiError(400, 'invalid_request', `status "${value}" is not one of ${OUTCOMES.join(', ')}`);
  return value as AttemptOutcome;
}

export function deliveryRoutes(router: Router, ctx: DaemonContext): void {
  router.on('GET', '/api/deliveries', async (req, res) => {
    const q = queryOf(req);
    const order = q.get('order') ?? 'oldest';
    if (order !== 'oldest' && order !== 'newest') throw new ApiError(400, 'invalid_request', `order "${order}" is not oldest or newest`);
    const filter: DeliveryFilter = {
      status: states(q.get('status')),
      destination: q.get('destination') || undefined,
      type: q.get('type') || undefined,
      eventId: q.get('event') || undefined,
      since: since(q.get('since')),
      until: since(q.get('until'), 'until'),
      limit: limit(q.get('limit')) ?? 100,
      after: deliveryCursor(q.get('after')),
      newestFirst: order === 'newest',
    };
    const deliveries = await ctx.store.listDeliveries(filter);
    const next = deliveries.length === filter.limit ? deliveries.at(-1)!.id : null;
    sendJson(res, 200, { deliveries, next } satisfies z.input<typeof deliveryPageSchema>);
  });

  router.on('POST', '/api/deliveries/stream/ticket', (req, res) => {
    req.resume();
    const ticket = ctx.tickets.issue();
    sendJson(res, 201, ticket satisfies z.input<typeof streamTicketSchema>);
  });

  router.on('GET', '/api/deliveries/stream', async (req, res) => {
    const q = queryOf(req);
    const wanted = { destination: q.get('destination'), type: q.get('type'), status: outcome(q.get('status')) };
    const lastId = req.headers['last-event-id'] ?? q.get('lastEventId') ?? undefined;
    const last = typeof lastId === 'string' && lastId !== '' ? parseStreamId(lastId) : undefined;
    if (typeof lastId === 'string' && lastId !== '' && !last) {
      throw new ApiError(400, 'invalid_request', `Last-Event-ID "${lastId}" is not an id this stream sent (dlv_…/<attempt number>)`);
    }
    // The attempts made since the client's last one, from the attempt log: a restart or a dropped
    // connection loses nothing the log still holds.
    const missed = last
      ? async () => {
          const seen = (await ctx.store.listAttempts({ deliveryId: last.deliveryId, limit: 1000 })).find((a) => a.number === last.number);
          if (!seen) return [];
          const after = await ctx.store.listAttempts({ afterId: seen.id, limit: REPLAY_LIMIT });
          return after.map(streamValue);
        }
      : undefined;
    await ctx.stream.subscribe(
      req,
      res,
      (a) =>
        (!wanted.destination || a.destination === wanted.destination) &&
        (!wanted.type || a.eventType === wanted.type) &&
        (!wanted.status || a.outcome === wanted.status),
      missed,
    );
  });

  router.on('GET', '/api/deliveries/:id', async (_req, res, { id }) => {
    const delivery = await ctx.store.getDelivery(id);
    if (!delivery) throw new ApiError(404, 'not_found', `no delivery ${id}`);
    const attempts = await ctx.store.listAttempts({ deliveryId: id, limit: 1000 });
    sendJson(res, 200, { delivery, attempts } satisfies z.input<typeof deliveryDetailSchema>);
  });

  router.on('POST', '/api/deliveries/:id/retry', async (req, res, { id }) => {
    req.resume();
    const delivery = await ctx.store.getDelivery(id);
    if (!delivery) throw new ApiError(404, 'not_found', `no delivery ${id}`);
    if (delivery.state === 'in_flight') throw new ApiError(409, 'in_flight', `delivery ${id} is being attempted right now`);
    const retried = await ctx.store.requeue({ ids: [id] });
    ctx.dispatcher.wake([delivery.destination], { recheck: true });
    sendJson(res, 202, { retried: retried.length, deliveries: retried } satisfies z.input<typeof retriedOneSchema>);
  });

  router.on('POST', '/api/deliveries/retry', async (req, res) => {
    const body = objectBody(await readJsonBody(req, ctx.limits.maxBodyBytes));
    const ids = Array.isArray(body.ids) ? body.ids.map(String) : undefined;
    const filter = {
      status: states(body.status) ?? (ids ? undefined : (['failed'] as DeliveryState[])),
      destination: typeof body.destination === 'string' ? body.destination : undefined,
      type: typeof body.type === 'string' ? body.type : undefined,
      since: since(typeof body.since === 'string' ? body.since : undefined),
      until: since(typeof body.until === 'string' ? body.until : undefined, 'until'),
      eventId: typeof body.event === 'string' && body.event ? body.event : undefined,
      ids,
    };
    if (body.dryRun === true) return sendJson(res, 200, { matched: await ctx.store.countRequeue(filter), dryRun: true } satisfies z.input<typeof retryCountSchema>);
    const retried = await ctx.store.requeue(filter);
    ctx.dispatcher.wake(new Set(retried.map((d) => d.destination)), { recheck: true });
    sendJson(res, 202, { retried: retried.length } satisfies z.input<typeof retriedSchema>);
  });

  router.on('POST', '/api/replay', async (req, res) => {
    const body = objectBody(await readJsonBody(req, ctx.limits.maxBodyBytes));
    const destination = String(body.destination ?? '');
    const dest = ctx.destinations().find((d) => d.dest.name === destination)?.dest;
    if (!dest) throw new ApiError(400, 'invalid_request', `no destination named "${destination}"`);
    const from = since(typeof body.since === 'string' ? body.since : undefined);
    if (from === undefined) throw new ApiError(400, 'invalid_request', 'since is required, e.g. "7d"');
    const dryRun = body.dryRun === true;
    const { events, stored } = await replayTo(ctx.store, dest, { since: from, type: typeof body.type === 'string' ? body.type : undefined, dryRun });
    if (!dryRun) ctx.dispatcher.wake([destination], { recheck: true });
    sendJson(res, dryRun ? 200 : 202, { destination, events, dryRun, destinationEvents: dest.events, stored } satisfies z.input<typeof replayResultSchema>);
  });

  router.on('GET', '/api/attempts', async (req, res) => {
    const q = queryOf(req);
    const attempts = await ctx.store.listAttempts({
      destination: q.get('destination') ?? undefined,
      type: q.get('type') ?? undefined,
      outcome: outcome(q.get('status')),
      since: since(q.get('since')),
      limit: limit(q.get('limit'), 10_000) ?? 100,
      afterId: attemptCursor(q.get('after')),
    });
    sendJson(res, 200, { attempts } satisfies z.input<typeof attemptListSchema>);
  });
}
