import { parseSince } from '../../config/duration.js';
import { DELIVERY_STATES as STATES, type AttemptOutcome, type DeliveryFilter, type DeliveryState } from '../../store/types.js';
import type { DaemonContext } from '../context.js';
import { ApiError, objectBody, queryOf, readJsonBody, sendJson } from '../http-utils.js';
import type { Router } from '../router.js';

const OUTCOMES: AttemptOutcome[] = ['ok', 'retrying', 'failed', 'skipped'];

function since(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const at = parseSince(value);
  if (at === undefined) throw new ApiError(400, 'invalid_request', `since "${value}" is not a duration (10m, 2d) or an ISO date`);
  return at;
}

function limit(value: string | null | undefined, max = 1000): number | undefined {
  if (!value) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ApiError(400, 'invalid_request', `limit must be a whole number from 1 to ${max}`);
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
  if (!OUTCOMES.includes(value as AttemptOutcome)) throw new ApiError(400, 'invalid_request', `status "${value}" is not one of ${OUTCOMES.join(', ')}`);
  return value as AttemptOutcome;
}

export function deliveryRoutes(router: Router, ctx: DaemonContext): void {
  router.on('GET', '/api/deliveries', async (req, res) => {
    const q = queryOf(req);
    const filter: DeliveryFilter = {
      status: states(q.get('status')),
      destination: q.get('destination') ?? undefined,
      type: q.get('type') ?? undefined,
      since: since(q.get('since')),
      limit: limit(q.get('limit')) ?? 100,
      after: q.get('after') ?? undefined,
    };
    const deliveries = await ctx.store.listDeliveries(filter);
    const next = deliveries.length === filter.limit ? deliveries.at(-1)!.id : null;
    sendJson(res, 200, { deliveries, next });
  });

  router.on('GET', '/api/deliveries/stream', (req, res) => {
    const q = queryOf(req);
    const wanted = { destination: q.get('destination'), type: q.get('type'), status: outcome(q.get('status')) };
    ctx.stream.subscribe(req, res, (a) =>
      (!wanted.destination || a.destination === wanted.destination) &&
      (!wanted.type || a.eventType === wanted.type) &&
      (!wanted.status || a.outcome === wanted.status),
    );
  });

  router.on('GET', '/api/deliveries/:id', async (_req, res, { id }) => {
    const delivery = await ctx.store.getDelivery(id);
    if (!delivery) throw new ApiError(404, 'not_found', `no delivery ${id}`);
    const attempts = await ctx.store.listAttempts({ deliveryId: id, limit: 1000 });
    sendJson(res, 200, { delivery, attempts });
  });

  router.on('POST', '/api/deliveries/:id/retry', async (req, res, { id }) => {
    req.resume();
    const delivery = await ctx.store.getDelivery(id);
    if (!delivery) throw new ApiError(404, 'not_found', `no delivery ${id}`);
    if (delivery.state === 'in_flight') throw new ApiError(409, 'in_flight', `delivery ${id} is being attempted right now`);
    const retried = await ctx.store.requeue({ ids: [id] });
    ctx.dispatcher.wake([delivery.destination], { recheck: true });
    sendJson(res, 202, { retried: retried.length, deliveries: retried });
  });

  router.on('POST', '/api/deliveries/retry', async (req, res) => {
    const body = objectBody(await readJsonBody(req, ctx.limits.maxBodyBytes));
    const ids = Array.isArray(body.ids) ? body.ids.map(String) : undefined;
    const filter = {
      status: states(body.status) ?? (ids ? undefined : (['failed'] as DeliveryState[])),
      destination: typeof body.destination === 'string' ? body.destination : undefined,
      type: typeof body.type === 'string' ? body.type : undefined,
      since: since(typeof body.since === 'string' ? body.since : undefined),
      ids,
    };
    const retried = await ctx.store.requeue(filter);
    ctx.dispatcher.wake(new Set(retried.map((d) => d.destination)), { recheck: true });
    sendJson(res, 202, { retried: retried.length });
  });

  router.on('POST', '/api/replay', async (req, res) => {
    const body = objectBody(await readJsonBody(req, ctx.limits.maxBodyBytes));
    const destination = String(body.destination ?? '');
    if (!ctx.destinations().some((d) => d.dest.name === destination)) {
      throw new ApiError(400, 'invalid_request', `no destination named "${destination}"`);
    }
    const from = since(typeof body.since === 'string' ? body.since : undefined);
    if (from === undefined) throw new ApiError(400, 'invalid_request', 'since is required, e.g. "7d"');
    const count = await ctx.store.backfill(destination, {
      since: from,
      type: typeof body.type === 'string' ? body.type : undefined,
      dryRun: body.dryRun === true,
    });
    if (body.dryRun !== true) ctx.dispatcher.wake([destination], { recheck: true });
    sendJson(res, body.dryRun === true ? 200 : 202, { destination, events: count, dryRun: body.dryRun === true });
  });

  router.on('GET', '/api/attempts', async (req, res) => {
    const q = queryOf(req);
    const attempts = await ctx.store.listAttempts({
      destination: q.get('destination') ?? undefined,
      type: q.get('type') ?? undefined,
      outcome: outcome(q.get('status')),
      since: since(q.get('since')),
      limit: limit(q.get('limit'), 10_000) ?? 100,
      afterId: q.get('after') ? Number(q.get('after')) : undefined,
    });
    sendJson(res, 200, { attempts });
  });
}
