// Durable ingest: events/s through POST /api/events with the store syncing each group commit,
// and the answer-time distribution at a steady 1,000 events/s.
import { Pool } from 'undici';
import { startDaemon, stopDaemon, tempDir, percentile, sampleEvent, fmt } from './lib.js';

let serial = 0;

async function throughput(url, seconds, concurrency) {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const deadline = performance.now() + seconds * 1000;
  let sent = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const res = await pool.request({ method: 'POST', path: '/api/events', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sampleEvent(`t${serial++}`)) });
      await res.body.dump();
      if (res.statusCode !== 202) throw new Error(`answer ${res.statusCode}`);
      sent++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return sent / elapsed;
}

async function latencyAtRate(url, rate, seconds) {
  const pool = new Pool(url, { connections: 64 });
  const total = rate * seconds;
  const latencies = [];
  const started = performance.now();
  const inflight = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      (async () => {
        const t0 = performance.now();
        const res = await pool.request({ method: 'POST', path: '/api/events', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sampleEvent(`l${i}`)) });
        await res.body.dump();
        latencies.push(performance.now() - t0);
      })(),
    );
  }
  await Promise.all(inflight);
  await pool.close();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), count: latencies.length };
}

export async function benchIngest() {
  const dir = tempDir('ingest');
  // A disabled destination: each event still commits its delivery row, but nothing is sent.
  const daemon = await startDaemon(dir, {
    destinations: { parked: { connector: 'webhook', url: 'http://127.0.0.1:9/unused', enabled: false } },
  });
  try {
    await throughput(daemon.url, 1, 32); // warm-up
    const eventsPerSec = await throughput(daemon.url, 5, 64);
    const latency = await latencyAtRate(daemon.url, 1000, 5);
    return { eventsPerSec, ...latency };
  } finally {
    await stopDaemon(daemon);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchIngest();
  console.log(`ingest: ${fmt(r.eventsPerSec)} events/s durable; at 1,000/s p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms`);
}
