// Fan-out: from the first accepted event to the last delivery, against a bare undici loop to the
// same receivers with the same number of requests in flight (the ceiling).
import { Pool, request } from 'undici';
import { readFileSync } from 'node:fs';
import { startDaemon, stopDaemon, tempDir, startReceiver, sampleEvent, fmt } from './lib.js';

/** CPU time (user + system) a process has used, in ms. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

const DESTINATIONS = 4;
const PER_LANE = 4; // the webhook connector's default concurrency

async function rawCeiling(receivers, total, body) {
  const pools = receivers.map((r) => new Pool(new URL(r.url).origin, { connections: PER_LANE }));
  const started = performance.now();
  await Promise.all(
    pools.map(async (pool) => {
      let left = total;
      const worker = async () => {
        while (left-- > 0) {
          const res = await pool.request({ method: 'POST', path: '/hook', headers: { 'content-type': 'application/json' }, body });
          await res.body.dump();
        }
      };
      await Promise.all(Array.from({ length: PER_LANE }, worker));
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(pools.map((p) => p.close()));
  return (total * receivers.length) / elapsed;
}

export async function benchFanout(events = 5000) {
  const receivers = await Promise.all(Array.from({ length: DESTINATIONS }, () => startReceiver()));
  const body = JSON.stringify(sampleEvent('ceiling'));
  const dir = tempDir('fanout');
  const destinations = Object.fromEntries(
    receivers.map((r, i) => [`dest${i}`, { connector: 'webhook', url: r.url, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }]),
  );
  const daemon = await startDaemon(dir, { destinations });
  try {
    const ceiling = await rawCeiling(receivers, events, body);
    // Batches are serialised before the clock starts: the receivers share this thread.
    const batches = [];
    for (let i = 0; i < events; i += 500) {
      batches.push(JSON.stringify({ events: Array.from({ length: Math.min(500, events - i) }, (_, j) => sampleEvent(`f${i + j}`)) }));
    }
    const before = receivers.map((r) => r.count);
    const cpuBefore = cpuMs(daemon.child.pid);
    const started = performance.now();
    for (const body of batches) {
      const res = await request(`${daemon.url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.body.dump();
    }
    const expected = events * DESTINATIONS;
    for (;;) {
      const done = receivers.reduce((n, r, i) => n + r.count - before[i], 0);
      if (done >= expected) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const elapsed = (performance.now() - started) / 1000;
    const rate = expected / elapsed;
    const daemonCpuUsPerDelivery = ((cpuMs(daemon.child.pid) - cpuBefore) * 1000) / expected;
    return { deliveriesPerSec: rate, ceilingPerSec: ceiling, ratio: rate / ceiling, deliveries: expected, daemonCpuUsPerDelivery };
  } finally {
    await stopDaemon(daemon);
    await Promise.all(receivers.map((r) => r.close()));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchFanout();
  console.log(`fan-out: ${fmt(r.deliveriesPerSec)} deliveries/s end to end vs ceiling ${fmt(r.ceilingPerSec)}/s = ${fmt(r.ratio * 100)} % (${fmt(r.deliveries)} deliveries; daemon CPU ${fmt(r.daemonCpuUsPerDelivery)} µs per delivery)`);
}
