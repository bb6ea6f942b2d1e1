// Memory flat in the backlog: 1,000,000 queued deliveries in the store, the daemon's RSS while it
// drains them, and the time from a restart to the first delivery.
import { join } from 'node:path';
import { SqliteStore } from '../dist/store/sqlite.js';
import { startDaemon, stopDaemon, tempDir, startReceiver, sampleEvent, rssMb, fmt } from './lib.js';

const DESTINATIONS = 4;
/** How long RSS is sampled while the backlog drains, once a second. */
const SAMPLE_SECONDS = Number(process.env.BENCH_BACKLOG_SECONDS ?? 10);

export async function benchBacklog(deliveries = 1_000_000) {
  const dir = tempDir('backlog');
  const store = SqliteStore.open(join(dir, 'data'));
  const events = Math.ceil(deliveries / DESTINATIONS);
  const names = Array.from({ length: DESTINATIONS }, (_, i) => `dest${i}`);
  const filling = performance.now();
  for (let i = 0; i < events; i += 5000) {
    const batch = [];
    for (let j = i; j < Math.min(events, i + 5000); j++) {
      const e = sampleEvent(`b${j}`);
      batch.push({ event: { ...e, timestamp: new Date().toISOString() }, destinations: names });
    }
    await store.addEvents(batch);
  }
  const fillMs = performance.now() - filling;
  await store.close();

  let firstAt;
  const receivers = await Promise.all(names.map(() => startReceiver(() => (firstAt ??= performance.now()))));
  const destinations = Object.fromEntries(names.map((n, i) => [n, { connector: 'webhook', url: receivers[i].url, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }]));
  const spawnedAt = performance.now();
  const daemon = await startDaemon(dir, { destinations });
  try {
    while (firstAt === undefined) await new Promise((r) => setTimeout(r, 2));
    const firstDeliveryMs = firstAt - spawnedAt;
    const samples = [];
    const heap = [];
    for (let i = 0; i < SAMPLE_SECONDS; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      samples.push(rssMb(daemon.child.pid));
      const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
      heap.push(Number(/nodejs_heap_used_bytes (\d+)/.exec(metrics)[1]) / 1048576);
    }
    if (process.env.BENCH_VERBOSE) console.log({ rss: samples.map((x) => x.toFixed(0)).join(' '), heap: heap.map((x) => x.toFixed(0)).join(' ') });
    const delivered = receivers.reduce((n, r) => n + r.count, 0);
    return { deliveries: events * DESTINATIONS, fillMs, firstDeliveryMs, rssMaxMb: Math.max(...samples), rssLastMb: samples.at(-1), delivered, sampleSeconds: SAMPLE_SECONDS };
  } finally {
    await stopDaemon(daemon);
    await Promise.all(receivers.map((r) => r.close()));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 1_000_000);
  const r = await benchBacklog(count);
  console.log(`backlog: ${fmt(r.deliveries)} queued deliveries; restart to first delivery ${fmt(r.firstDeliveryMs)} ms; RSS max ${fmt(r.rssMaxMb, 1)} MB while draining (${fmt(r.delivered)} delivered in ${r.sampleSeconds} s)`);
}
