import { getHeapStatistics } from 'node:v8';
import { z } from 'zod';
import type { DaemonContext } from '../context.js';
import { sendJson } from '../http-utils.js';
import type { Router } from '../router.js';

export const healthSchema = z.object({ ok: z.literal(true) });
export const readinessSchema = z.object({
  ready: z.boolean(),
  store: z.boolean().describe('The store is open and takes writes.'),
  dispatcher: z.boolean().describe('The dispatcher is running.'),
  reason: z.string().optional().describe('Why the daemon is not ready (the store refuses writes, and since when).'),
});

export function healthRoutes(router: Router, ctx: DaemonContext, isReady: () => boolean): void {
  router.on('GET', '/healthz', (_req, res) => sendJson(res, 200, { ok: true } satisfies z.input<typeof healthSchema>));

  router.on('GET', '/readyz', (_req, res) => {
    const ready = isReady();
    const trouble = ctx.dispatcher.storeTrouble;
    sendJson(res, ready ? 200 : 503, {
      ready,
      store: ctx.store.isOpen && !trouble,
      dispatcher: !ctx.dispatcher.stopped,
      ...(trouble ? { reason: `the store refuses writes since ${new Date(trouble.since).toISOString()}: ${trouble.message}` } : {}),
    } satisfies z.input<typeof readinessSchema>);
  });

  router.on('GET', '/metrics', async (_req, res) => {
    const now = Date.now();
    const names = ctx.destinations().map((d) => d.dest.name);
    const health = await ctx.store.health(names, now);
    const pauses = ctx.dispatcher.pauses();
    const text = ctx.metrics.render([
      {
        name: 'vidhook_queue_depth',
        help: 'Deliveries not yet settled, per destination: the whole queue, read from the store (the same on every daemon sharing it).',
        values: health.map((h) => ({ labels: { destination: h.destination }, value: h.pending })),
      },
      {
        name: 'vidhook_oldest_pending_seconds',
        help: 'Age of the oldest delivery not yet settled, per destination: the whole queue, read from the store.',
        values: health.map((h) => ({
          labels: { destination: h.destination },
          value: h.oldestPendingAt !== undefined ? Math.round((now - h.oldestPendingAt) / 1000) : 0,
        })),
      },
      {
        name: 'vidhook_queue_lag_seconds',
        help: 'How late the oldest due delivery is (now minus its due time, on the store\'s clock; 0 when nothing is due), per destination: the whole queue, read from the store.',
        values: health.map((h) => ({ labels: { destination: h.destination }, value: h.queueLagMs / 1000 })),
      },
      {
        name: 'vidhook_circuit_open',
        help: '1 while this daemon holds a destination paused by its circuit breaker.',
        values: names.map((n) => ({ labels: { destination: n }, value: pauses[n]?.cause === 'circuit' ? 1 : 0 })),
      },
      {
        name: 'process_resident_memory_bytes',
        help: 'Resident memory of the daemon.',
        values: [{ labels: {}, value: process.memoryUsage().rss }],
      },
      {
        name: 'nodejs_heap_used_bytes',
        help: 'V8 heap this daemon uses.',
        values: [{ labels: {}, value: process.memoryUsage().heapUsed }],
      },
      {
        name: 'nodejs_heap_size_limit_bytes',
        help: 'The most V8 heap the daemon may use before it stops for want of memory.',
        values: [{ labels: {}, value: getHeapStatistics().heap_size_limit }],
      },
      {
        name: 'vidhook_inflight_attempts',
        help: 'Attempts this daemon has in flight now.',
        values: [{ labels: {}, value: ctx.dispatcher.inflight() }],
      },
      {
        name: 'vidhook_store_writable',
        help: '0 while the store refuses this daemon\'s delivery lanes\' writes (a full disk), else 1.',
        values: [{ labels: {}, value: ctx.dispatcher.storeTrouble ? 0 : 1 }],
      },
    ], ctx.dispatcher.storeErrors);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(text);
  });
}
