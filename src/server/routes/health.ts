import { getHeapStatistics } from 'node:v8';
import type { DaemonContext } from '../context.js';
import { sendJson } from '../http-utils.js';
import type { Router } from '../router.js';

export function healthRoutes(router: Router, ctx: DaemonContext, isReady: () => boolean): void {
  router.on('GET', '/healthz', (_req, res) => sendJson(res, 200, { ok: true }));

  router.on('GET', '/readyz', (_req, res) => {
    const ready = isReady();
    sendJson(res, ready ? 200 : 503, { ready, store: ready, dispatcher: !ctx.dispatcher.stopped });
  });

  router.on('GET', '/metrics', async (_req, res) => {
    const now = Date.now();
    const names = ctx.destinations().map((d) => d.dest.name);
    const health = await ctx.store.health(names, now);
    const pauses = ctx.dispatcher.pauses();
    const text = ctx.metrics.render([
      {
        name: 'vidhook_queue_depth',
        help: 'Deliveries not yet settled, per destination.',
        values: health.map((h) => ({ labels: { destination: h.destination }, value: h.pending })),
      },
      {
        name: 'vidhook_oldest_pending_seconds',
        help: 'Age of the oldest delivery not yet settled, per destination (lag).',
        values: health.map((h) => ({
          labels: { destination: h.destination },
          value: h.oldestPendingAt !== undefined ? Math.round((now - h.oldestPendingAt) / 1000) : 0,
        })),
      },
      {
        name: 'vidhook_circuit_open',
        help: '1 while a destination is paused by its circuit breaker.',
        values: names.map((n) => ({ labels: { destination: n }, value: pauses[n]?.cause === 'circuit' ? 1 : 0 })),
      },
      {
        name: 'process_resident_memory_bytes',
        help: 'Resident memory of the daemon.',
        values: [{ labels: {}, value: process.memoryUsage().rss }],
      },
      {
        name: 'nodejs_heap_used_bytes',
        help: 'V8 heap in use.',
        values: [{ labels: {}, value: process.memoryUsage().heapUsed }],
      },
      {
        name: 'nodejs_heap_size_limit_bytes',
        help: 'The most V8 heap the daemon may use before it stops for want of memory.',
        values: [{ labels: {}, value: getHeapStatistics().heap_size_limit }],
      },
      {
        name: 'vidhook_inflight_attempts',
        help: 'Attempts in flight now.',
        values: [{ labels: {}, value: ctx.dispatcher.inflight() }],
      },
    ]);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(text);
  });
}
