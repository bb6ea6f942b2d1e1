import { buildEnvelope, InvalidEventError, type Envelope, type EventIssue } from '../../events/index.js';
import { destinationsFor } from '../../delivery/fan-out.js';
import type { DaemonContext } from '../context.js';
import { ApiError, objectBody, readJsonBody, sendJson } from '../http-utils.js';
import type { Router } from '../router.js';

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
    const results = await ctx.store.addEvents(
      incoming.map(({ envelope, to }) => ({ event: envelope, destinations: destinationsFor(envelope, destinations, to) })),
    );
    const fresh = results.filter((r) => !r.duplicate);
    ctx.metrics.eventsAccepted += fresh.length;
    ctx.metrics.eventsDuplicate += results.length - fresh.length;
    if (fresh.length) ctx.dispatcher.wake();
    const status = fresh.length === 0 ? 200 : 202;
    sendJson(res, status, {
      events: results.map((r) => ({ id: r.id, deliveries: r.deliveries, ...(r.duplicate ? { duplicate: true } : {}) })),
    });
  });

  router.on('GET', '/api/events/:id', async (_req, res, { id }) => {
    const stored = await ctx.store.getEvent(id);
    if (!stored) throw new ApiError(404, 'not_found', `no event ${id}`);
    sendJson(res, 200, { event: stored.event, receivedAt: new Date(stored.receivedAt).toISOString(), deliveries: stored.deliveries });
  });
}
