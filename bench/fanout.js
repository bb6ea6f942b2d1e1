// Fan-out: from the first accepted event to the last delivery, against a bare undici loop sending the
// same requests to the same receivers with as many requests in flight as the daemon (the ceiling).
// The receivers run in a process of their own, so neither side shares a thread with them.
import { Pool, request } from 'undici';
import { startDaemon, stopDaemon, tempDir, startReceiverProcess, sampleEvent, cpuMs, wallClockMs, fmt } from './lib.js';

const DESTINATIONS = 4;
/** The webhook connector's default concurrency: the daemon keeps this many requests in flight per destination. */
const PER_LANE = 4;
const BATCH = 500;
/** Both sides get this many events' worth of warm-up first, so neither is measured while V8 is still compiling it. */
const WARM_UP_EVENTS = 1000;
/** The target of SPEC §8: deliveries/s as a share of the bare loop's requests/s. */
export const FANOUT_TARGET = 0.5;

/**
 * Sends `perReceiver` copies of `sample` to each receiver, PER_LANE at a time each (DESTINATIONS ×
 * PER_LANE in flight in all, as the daemon), and returns requests per second and this process's
 * CPU per request (it does nothing else meanwhile).
 */
async function bareLoop(receivers, perReceiver, sample) {
  const pools = receivers.urls.map((url) => new Pool(new URL(url).origin, { connections: PER_LANE }));
  const path = new URL(receivers.urls[0]).pathname;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    pools.map(async (pool) => {
      let left = perReceiver;
      const sender = async () => {
        while (left-- > 0) {
          const res = await pool.request({ method: 'POST', path, headers: sample.headers, body: sample.body });
          await res.body.dump();
        }
      };
      await Promise.all(Array.from({ length: PER_LANE }, sender));
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await Promise.all(pools.map((p) => p.close()));
  const requests = perReceiver * pools.length;
  return { perSec: requests / elapsed, cpuUsPerRequest: (cpu.user + cpu.system) / requests };
}

/**
 * Posts the batches one after another and waits until the receivers have had `expected` more
 * requests. Returns the seconds from the first accepted event (the first 202) to the last delivery,
 * as SPEC §8 counts.
 */
async function deliverAll(daemon, receivers, batches, expected, receivedBefore) {
  const lastDelivery = receivers.until(receivedBefore + expected);
  let firstAcceptedAt;
  for (const body of batches) {
    const res = await request(`${daemon.url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await res.body.dump();
    if (res.statusCode !== 202) throw new Error(`the daemon answered ${res.statusCode} to a batch`);
    firstAcceptedAt ??= wallClockMs();
  }
  return ((await lastDelivery) - firstAcceptedAt) / 1000;
}

function batchesOf(events, prefix) {
  // Serialised before any clock starts: the bare loop sends text made in advance too.
  const batches = [];
  for (let i = 0; i < events; i += BATCH) {
    batches.push(JSON.stringify({ events: Array.from({ length: Math.min(BATCH, events - i) }, (_, j) => sampleEvent(`${prefix}${i + j}`)) }));
  }
  return batches;
}

/** Rounds of [daemon, ceiling] after a first ceiling: the machine's speed drifts, so the median round is reported. */
const ROUNDS = Number(process.env.BENCH_FANOUT_ROUNDS ?? 5);

export async function benchFanout(events = 5000) {
  const receivers = await startReceiverProcess(DESTINATIONS);
  const dir = tempDir('fanout');
  const destinations = Object.fromEntries(
    receivers.urls.map((url, i) => [`dest${i}`, { connector: 'webhook', url, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }]),
  );
  const daemon = await startDaemon(dir, { destinations });
  try {
    let received = 0;
    await deliverAll(daemon, receivers, batchesOf(WARM_UP_EVENTS, 'warm'), WARM_UP_EVENTS * DESTINATIONS, received);
    received += WARM_UP_EVENTS * DESTINATIONS;
    // The bare loop sends the daemon's own first delivery (headers, signature and body) again and
    // again, so the two differ only in the work of getting a request out, not in what is sent.
    const sample = await receivers.firstRequest();
    await bareLoop(receivers, WARM_UP_EVENTS, sample);
    received += WARM_UP_EVENTS * DESTINATIONS;

    // Each round's ceiling is the mean of the bare loop's runs just before and just after it.
    const rounds = [];
    const expected = events * DESTINATIONS;
    let before = await bareLoop(receivers, events, sample);
    received += expected;
    for (let round = 0; round < ROUNDS; round++) {
      const batches = batchesOf(events, `f${round}_`);
      const daemonCpuBefore = cpuMs(daemon.child.pid);
      const receiversCpuBefore = cpuMs(receivers.pid);
      const elapsed = await deliverAll(daemon, receivers, batches, expected, received);
      received += expected;
      const daemonCpuUsPerDelivery = ((cpuMs(daemon.child.pid) - daemonCpuBefore) * 1000) / expected;
      const receiversCpuUsPerRequest = ((cpuMs(receivers.pid) - receiversCpuBefore) * 1000) / expected;
      const after = await bareLoop(receivers, events, sample);
      received += expected;
      const ceilingPerSec = (before.perSec + after.perSec) / 2;
      const deliveriesPerSec = expected / elapsed;
      rounds.push({
        deliveriesPerSec,
        ceilingPerSec,
        ratio: deliveriesPerSec / ceilingPerSec,
        deliveries: expected,
        daemonCpuUsPerDelivery,
        bareCpuUsPerRequest: (before.cpuUsPerRequest + after.cpuUsPerRequest) / 2,
        receiversCpuUsPerRequest,
      });
      before = after;
    }
    const byRatio = [...rounds].sort((a, b) => a.ratio - b.ratio);
    return { ...byRatio[Math.floor(byRatio.length / 2)], rounds, inFlight: DESTINATIONS * PER_LANE };
  } finally {
    await stopDaemon(daemon);
    await receivers.close();
  }
}

export function formatFanout(r) {
  const ratios = r.rounds.map((x) => `${fmt(x.ratio * 100)} %`).join(', ');
  return (
    `fan-out, median of ${r.rounds.length} rounds: ratio ${fmt(r.ratio * 100)} % of the bare loop (target ≥ ${fmt(FANOUT_TARGET * 100)} %; rounds: ${ratios})\n` +
    `       daemon ${fmt(r.deliveriesPerSec)} deliveries/s end to end, ${fmt(r.daemonCpuUsPerDelivery)} µs CPU per delivery (all its threads); ` +
    `bare undici loop ${fmt(r.ceilingPerSec)} requests/s, ${fmt(r.bareCpuUsPerRequest)} µs CPU per request; ` +
    `${r.inFlight} requests in flight on both sides; receivers (own process) ${fmt(r.receiversCpuUsPerRequest)} µs CPU per request; ${fmt(r.deliveries)} deliveries a round`
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatFanout(await benchFanout()));
}
