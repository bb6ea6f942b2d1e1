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
const BATCH = 500;
/** Both sides get this many events' worth of warm-up first, so neither is measured while V8 is still compiling it. */
const WARM_UP_EVENTS = 1000;

/** Headers undici writes itself; the rest of a captured request is sent as it was. */
const TRANSPORT_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/** The first request a receiver sees, to be sent again by the bare loop byte for byte. */
function captureFirst() {
  let captured;
  return {
    onRequest(body, headers) {
      captured ??= { body, headers: Object.fromEntries(Object.entries(headers).filter(([name]) => !TRANSPORT_HEADERS.has(name))) };
    },
    get request() {
      return captured;
    },
  };
}

/** Sends `total` copies of `sample` to each receiver, PER_LANE at a time, and returns requests per second. */
async function rawCeiling(receivers, total, sample) {
  const pools = receivers.map((r) => new Pool(new URL(r.url).origin, { connections: PER_LANE }));
  const path = new URL(receivers[0].url).pathname;
  const started = performance.now();
  await Promise.all(
    pools.map(async (pool) => {
      let left = total;
      const worker = async () => {
        while (left-- > 0) {
          const res = await pool.request({ method: 'POST', path, headers: sample.headers, body: sample.body });
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

/**
 * Posts the batches one after another and waits until the receivers have every delivery. Returns
 * the seconds from the first accepted event (the first 202) to the last delivery, as SPEC §8 counts.
 */
async function deliverAll(daemon, receivers, batches, expected) {
  const before = receivers.reduce((n, r) => n + r.count, 0);
  let firstAcceptedAt;
  for (const body of batches) {
    const res = await request(`${daemon.url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await res.body.dump();
    if (res.statusCode !== 202) throw new Error(`the daemon answered ${res.statusCode} to a batch`);
    firstAcceptedAt ??= performance.now();
  }
  while (receivers.reduce((n, r) => n + r.count, 0) - before < expected) await new Promise((r) => setTimeout(r, 5));
  return (Math.max(...receivers.map((r) => r.lastAt)) - firstAcceptedAt) / 1000;
}

function batchesOf(events, prefix) {
  // Serialised before any clock starts: the receivers share this thread.
  const batches = [];
  for (let i = 0; i < events; i += BATCH) {
    batches.push(JSON.stringify({ events: Array.from({ length: Math.min(BATCH, events - i) }, (_, j) => sampleEvent(`${prefix}${i + j}`)) }));
  }
  return batches;
}

/** Rounds of [daemon, ceiling] after a first ceiling: the machine's speed drifts, so the median round is reported. */
const ROUNDS = Number(process.env.BENCH_FANOUT_ROUNDS ?? 5);

export async function benchFanout(events = 5000) {
  const capture = captureFirst();
  const receivers = await Promise.all(Array.from({ length: DESTINATIONS }, () => startReceiver(capture.onRequest)));
  const dir = tempDir('fanout');
  const destinations = Object.fromEntries(
    receivers.map((r, i) => [`dest${i}`, { connector: 'webhook', url: r.url, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }]),
  );
  const daemon = await startDaemon(dir, { destinations });
  try {
    // The bare loop sends the daemon's own first delivery (headers, signature and body) again and
    // again, so the two differ only in the work of getting a request out, not in what is sent.
    await deliverAll(daemon, receivers, batchesOf(WARM_UP_EVENTS, 'warm'), WARM_UP_EVENTS * DESTINATIONS);
    const sample = capture.request;
    await rawCeiling(receivers, WARM_UP_EVENTS, sample);

    // Each round's ceiling is the mean of the bare loop's runs just before and just after it.
    const rounds = [];
    const expected = events * DESTINATIONS;
    let ceilingBefore = await rawCeiling(receivers, events, sample);
    for (let round = 0; round < ROUNDS; round++) {
      const batches = batchesOf(events, `f${round}_`);
      const cpuBefore = cpuMs(daemon.child.pid);
      const elapsed = await deliverAll(daemon, receivers, batches, expected);
      const daemonCpuUsPerDelivery = ((cpuMs(daemon.child.pid) - cpuBefore) * 1000) / expected;
      const ceilingAfter = await rawCeiling(receivers, events, sample);
      const ceilingPerSec = (ceilingBefore + ceilingAfter) / 2;
      const deliveriesPerSec = expected / elapsed;
      rounds.push({ deliveriesPerSec, ceilingPerSec, ratio: deliveriesPerSec / ceilingPerSec, deliveries: expected, daemonCpuUsPerDelivery });
      ceilingBefore = ceilingAfter;
    }
    const byRatio = [...rounds].sort((a, b) => a.ratio - b.ratio);
    return { ...byRatio[Math.floor(byRatio.length / 2)], rounds };
  } finally {
    await stopDaemon(daemon);
    await Promise.all(receivers.map((r) => r.close()));
  }
}

export function formatFanout(r) {
  const ratios = r.rounds.map((x) => `${fmt(x.ratio * 100)} %`).join(', ');
  return (
    `fan-out, median of ${r.rounds.length} rounds: ${fmt(r.deliveriesPerSec)} deliveries/s end to end; bare undici ceiling ${fmt(r.ceilingPerSec)}/s; ` +
    `ratio ${fmt(r.ratio * 100)} % (rounds: ${ratios}; ${fmt(r.deliveries)} deliveries each; daemon CPU ${fmt(r.daemonCpuUsPerDelivery)} µs per delivery)`
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatFanout(await benchFanout()));
}
