// Several daemons on one PostgreSQL: ingest and fan-out with 1, 2 and 3 daemons (each its own port
// and data dir) on one fresh database, beside one daemon on SQLite. Four webhook destinations whose
// receivers run in a process of their own, as in bench/fanout.js. Two phases per setup:
//   throughput: a backlog posted in batches across the daemons as fast as they accept them;
//   latency:    a steady 500 events/s (2,000 deliveries/s) spread over the daemons, one event a request.
// Beside each figure: the CPU per delivery of the daemons, the database's backends, the receivers and
// the load generator, PostgreSQL's transactions and row writes per delivery (and its statements, where
// the server loads pg_stat_statements), and the load average (the machine may be shared).
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Pool } from 'undici';
import { startDaemon, stopDaemon, tempDir, startReceiverProcess, sampleEvent, cpuMs, wallClockMs, percentile, fmt } from './lib.js';

export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const RATE = Number(process.env.BENCH_PG_RATE ?? 500);
/** The budget, with 3 daemons: deliveries/s end to end, and p99 accepted → delivered at `rate` events/s. */
export const PG_BUDGET = { daemons: 3, deliveriesPerSec: 2000, p99Ms: 1000, rate: RATE };

const DESTINATIONS = 4;
const BATCH = 500;
/** Requests each daemon has in flight while the backlog is posted: enough to keep it busy, not to queue deep. */
const POSTERS_PER_DAEMON = 2;
const BACKLOG_EVENTS = Number(process.env.BENCH_PG_EVENTS ?? 10_000);
const RATE_SECONDS = Number(process.env.BENCH_PG_SECONDS ?? 10);
const WARM_UP_EVENTS = 1000;
/** The generator keeps up when it sends at least this share of the rate asked, none of it late by more than LATE_MS at p99. */
const KEEPS_UP_SHARE = 0.97;
const LATE_MS = 50;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** Whether the PostgreSQL server answers; the bench skips its part with a message when not. */
export async function postgresReachable(url = POSTGRES_URL) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function admin(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh database on the server for one setup; `drop` removes it. */
async function freshDatabase(adminUrl) {
  const name = `vidhook_bench_${randomBytes(5).toString('hex')}`;
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
function machineJiffies() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const idle = fields[3] + fields[4];
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * Watches the CPU of the database's backends (the server processes serving this database): their pids
 * come from pg_stat_activity and may change as pools open and close connections, so they are sampled.
 */
function watchBackends(statsClient, dbName) {
  const seen = new Map();
  const sample = async () => {
    const { rows } = await statsClient.query('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
    for (const { pid } of rows) {
      try {
        const ms = cpuMs(pid);
        const s = seen.get(pid);
        if (s) s.last = ms;
        else seen.set(pid, { first: ms, last: ms });
      } catch {
        // It ended between the query and the read.
      }
    }
  };
  let timer;
  const loop = async () => {
    await sample().catch(() => {});
    timer = setTimeout(loop, 200);
  };
  return {
    start: loop,
    async stop() {
      clearTimeout(timer);
      await sample().catch(() => {});
      let ms = 0;
      for (const s of seen.values()) ms += s.last - s.first;
      return ms;
    },
  };
}

/** This database's transactions and row writes, and, where pg_stat_statements is loaded, its statements. */
async function dbCounters(client, dbName) {
  // Backends report their counters once they go idle (at most once a second): wait for the last of them.
  await new Promise((r) => setTimeout(r, 1500));
  await client.query('SELECT pg_stat_clear_snapshot()');
  const { rows: [db] } = await client.query(
    'SELECT xact_commit + xact_rollback AS xacts, tup_inserted, tup_updated, tup_deleted, tup_fetched FROM pg_stat_database WHERE datname = $1',
    [dbName],
  );
  let statements;
  try {
    const { rows } = await client.query(
      `SELECT queryid::text AS id, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query, calls, total_exec_time AS ms
       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1) AND query NOT LIKE '%pg_stat%'`,
      [dbName],
    );
    statements = new Map(rows.map((r) => [r.id, r]));
  } catch {
    statements = undefined;
  }
  return { xacts: Number(db.xacts), inserted: Number(db.tup_inserted), updated: Number(db.tup_updated), deleted: Number(db.tup_deleted), fetched: Number(db.tup_fetched), statements };
}

function counterDelta(before, after, deliveries) {
  const per = (k) => (after[k] - before[k]) / deliveries;
  const result = { xacts: per('xacts'), inserted: per('inserted'), updated: per('updated'), deleted: per('deleted'), fetched: per('fetched') };
  if (before.statements && after.statements) {
    const statements = [...after.statements.values()]
      .map((s) => {
        const b = before.statements.get(s.id);
        return { query: s.query, calls: (s.calls - (b?.calls ?? 0)) / deliveries, ms: s.ms - (b?.ms ?? 0) };
      })
      .filter((s) => s.calls > 0);
    // Each statement is a round trip (BEGIN and COMMIT too, counted where track_utility is on).
    result.roundTrips = statements.reduce((n, s) => n + s.calls, 0);
    result.statements = statements.sort((a, b) => b.ms - a.ms).slice(0, 5);
  }
  return result;
}

/**
 * Measures one phase: CPU of each part and the machine, per delivery, and PostgreSQL's counters.
 * `work` returns the deliveries it caused.
 */
async function measured(setup, work) {
  const { daemons, receivers, db } = setup;
  const before = {
    daemons: daemons.reduce((n, d) => n + cpuMs(d.child.pid), 0),
    receivers: cpuMs(receivers.pid),
    generator: process.cpuUsage(),
    machine: machineJiffies(),
    load: loadavg()[0],
    counters: db && (await dbCounters(db.stats, db.name)),
  };
  const backends = db && watchBackends(db.stats, db.name);
  await backends?.start();
  const result = await work();
  const backendsMs = backends ? await backends.stop() : undefined;
  const machine = machineJiffies();
  const generator = process.cpuUsage(before.generator);
  const n = result.deliveries;
  const usPer = (ms) => (ms * 1000) / n;
  const cpu = {
    daemons: usPer(daemons.reduce((s, d) => s + cpuMs(d.child.pid), 0) - before.daemons),
    receivers: usPer(cpuMs(receivers.pid) - before.receivers),
    generator: (generator.user + generator.system) / n,
    ...(backendsMs !== undefined ? { postgres: usPer(backendsMs) } : {}),
    // Busy share of both cores over the phase, whoever used them (other work on a shared machine too).
    machineBusy: (machine.busy - before.machine.busy) / (machine.total - before.machine.total),
  };
  const counters = db && counterDelta(before.counters, await dbCounters(db.stats, db.name), n);
  return { ...result, cpu, counters, load: [before.load, loadavg()[0]] };
}

/** Posts pre-serialised batches across the daemons, POSTERS_PER_DAEMON at a time each; resolves with the first and last 202. */
async function postBacklog(pools, batches) {
  let next = 0;
  let firstAcceptedAt;
  let lastAcceptedAt;
  const poster = async (pool) => {
    while (next < batches.length) {
      const body = batches[next++];
      const res = await pool.request({ method: 'POST', path: '/api/events', headers: { 'content-type': 'application/json' }, body });
      await res.body.dump();
      if (res.statusCode !== 202) throw new Error(`a daemon answered ${res.statusCode} to a batch`);
      lastAcceptedAt = wallClockMs();
      firstAcceptedAt ??= lastAcceptedAt;
    }
  };
  const started = wallClockMs();
  await Promise.all(pools.flatMap((pool) => Array.from({ length: POSTERS_PER_DAEMON }, () => poster(pool))));
  return { started, firstAcceptedAt, lastAcceptedAt };
}

function batchesOf(events, prefix) {
  const batches = [];
  for (let i = 0; i < events; i += BATCH) {
    batches.push(JSON.stringify({ events: Array.from({ length: Math.min(BATCH, events - i) }, (_, j) => sampleEvent(`${prefix}${i + j}`)) }));
  }
  return batches;
}

/** (a) A backlog posted as fast as the daemons accept it, delivered to the end. */
async function throughputPhase(setup, events, prefix) {
  const { pools, receivers } = setup;
  const deliveries = events * DESTINATIONS;
  const batches = batchesOf(events, prefix);
  const lastDelivery = receivers.until(setup.received + deliveries);
  const posted = await postBacklog(pools, batches);
  const lastDeliveredAt = await lastDelivery;
  setup.received += deliveries;
  return {
    deliveries,
    eventsPerSec: events / ((posted.lastAcceptedAt - posted.started) / 1000),
    deliveriesPerSec: deliveries / ((lastDeliveredAt - posted.firstAcceptedAt) / 1000),
  };
}

/**
 * (b) RATE events/s, one per request, round-robin over the daemons for RATE_SECONDS; each event
 * carries its send time. Latency is from the 202 to the receiver's arrival, per delivery.
 */
async function latencyPhase(setup) {
  const { pools, receivers } = setup;
  const total = RATE * RATE_SECONDS;
  const deliveries = total * DESTINATIONS;
  const acceptedAt = new Map();
  const answerMs = [];
  const lateMs = [];
  const bodies = Array.from({ length: total }, (_, i) => sampleEvent(`rate_${setup.round}_${i}`));
  receivers.record();
  const lastDelivery = receivers.until(setup.received + deliveries);
  const inflight = [];
  const started = performance.now();
  let sent = 0;
  let lastSentAt = started;
  while (sent < total) {
    // Every event due by now goes out at once: a timer that wakes late costs a burst, not a lower rate.
    const now = performance.now();
    for (; sent < total && started + (sent * 1000) / RATE <= now; sent++) {
      const i = sent;
      lateMs.push(now - (started + (i * 1000) / RATE));
      const event = bodies[i];
      event.data.sentAt = wallClockMs();
      const t0 = performance.now();
      inflight.push(
        pools[i % pools.length]
          .request({ method: 'POST', path: '/api/events', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) })
          .then(async (res) => {
            await res.body.dump();
            if (res.statusCode !== 202) throw new Error(`a daemon answered ${res.statusCode} to an event`);
            acceptedAt.set(event.id, wallClockMs());
            answerMs.push(performance.now() - t0);
          }),
      );
    }
    lastSentAt = now;
    const nextDue = started + (sent * 1000) / RATE;
    await new Promise((r) => setTimeout(r, Math.max(0, nextDue - performance.now())));
  }
  await Promise.all(inflight);
  const offeredPerSec = total / Math.max((lastSentAt - started) / 1000, (total - 1) / RATE);
  await lastDelivery;
  setup.received += deliveries;
  const arrivals = await receivers.arrivals();
  const latencies = arrivals.map(([id, at]) => at - acceptedAt.get(id)).filter(Number.isFinite).sort((a, b) => a - b);
  const firstAccepted = Math.min(...acceptedAt.values());
  const lastArrival = Math.max(...arrivals.map(([, at]) => at));
  answerMs.sort((a, b) => a - b);
  lateMs.sort((a, b) => a - b);
  return {
    deliveries,
    deliveriesPerSec: latencies.length / ((lastArrival - firstAccepted) / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    answerP99: percentile(answerMs, 99),
    offeredPerSec,
    lateP99: percentile(lateMs, 99),
    keptUp: offeredPerSec >= RATE * KEEPS_UP_SHARE && percentile(lateMs, 99) <= LATE_MS,
    matched: latencies.length,
  };
}

async function startSetup(adminUrl, daemonCount) {
  const receivers = await startReceiverProcess(DESTINATIONS);
  const destinations = Object.fromEntries(receivers.urls.map((url, i) => [`dest${i}`, { connector: 'webhook', url, secret: SECRET }]));
  const setup = { receivers, daemons: [], pools: [], received: 0, round: 0 };
  try {
    if (adminUrl) {
      const db = await freshDatabase(adminUrl);
      setup.db = db;
      db.stats = new pg.Client({ connectionString: db.url });
      await db.stats.connect();
      // Counted where the server has it loaded (shared_preload_libraries); skipped quietly otherwise.
      await db.stats.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements').catch(() => {});
    }
    const args = setup.db ? ['--store', setup.db.url] : [];
    // One at a time: the first creates the schema, the others find it (they would wait on its lock anyway).
    for (let i = 0; i < daemonCount; i++) setup.daemons.push(await startDaemon(tempDir(`pg${daemonCount}-${i}`), { destinations }, { args }));
    setup.pools = setup.daemons.map((d) => new Pool(d.url, { connections: 32 }));
    return setup;
  } catch (err) {
    await stopSetup(setup);
    throw err;
  }
}

async function stopSetup(setup) {
  await Promise.all(setup.pools.map((p) => p.close()));
  await Promise.all(setup.daemons.map(stopDaemon));
  await setup.receivers.close();
  if (setup.db) {
    await setup.db.stats?.end().catch(() => {});
    await setup.db.drop();
  }
}

/** One setup: `daemons` daemons on a fresh PostgreSQL database, or one on SQLite (`sqlite: true`). */
async function benchSetup({ daemons, sqlite = false }, adminUrl) {
  const setup = await startSetup(sqlite ? undefined : adminUrl, daemons);
  try {
    await throughputPhase(setup, WARM_UP_EVENTS, 'warm_');
    const throughput = await measured(setup, () => throughputPhase(setup, BACKLOG_EVENTS, 'backlog_'));
    const latency = await measured(setup, () => latencyPhase(setup));
    return { store: sqlite ? 'SQLite' : 'PostgreSQL', daemons, throughput, latency };
  } finally {
    await stopSetup(setup);
  }
}

/** Every setup in turn: SQLite with one daemon, then PostgreSQL with 1, 2 and 3. */
export async function benchPostgres(adminUrl = POSTGRES_URL) {
  const counts = (process.env.BENCH_PG_DAEMONS ?? '1,2,3').split(',').map(Number);
  // BENCH_PG_SQLITE=0 leaves out the SQLite daemon (when profiling the PostgreSQL setups alone).
  const sqlite = process.env.BENCH_PG_SQLITE === '0' ? [] : [{ daemons: 1, sqlite: true }];
  const setups = [...sqlite, ...counts.map((daemons) => ({ daemons }))];
  const results = [];
  for (const s of setups) results.push(await benchSetup(s, adminUrl));
  return results;
}

/**
 * Whether the budget holds: the backlog delivered at ≥ 2,000/s end to end, and at the steady rate a
 * p99 from accepted to delivered ≤ 1 s, with a generator that kept up (else the rate was not offered).
 * The steady phase's deliveries/s is not judged: its window includes the last deliveries' latency.
 */
export function meetsBudget(r) {
  return r.throughput.deliveriesPerSec >= PG_BUDGET.deliveriesPerSec && r.latency.keptUp && r.latency.p99 <= PG_BUDGET.p99Ms;
}

const load = ([a, b]) => `load ${fmt(a, 1)}→${fmt(b, 1)}`;

function cpuLine(cpu) {
  const parts = [`daemons ${fmt(cpu.daemons)}`];
  if (cpu.postgres !== undefined) parts.push(`postgres ${fmt(cpu.postgres)}`);
  parts.push(`receivers ${fmt(cpu.receivers)}`, `generator ${fmt(cpu.generator)}`);
  return `CPU µs per delivery: ${parts.join(', ')}; machine ${fmt(cpu.machineBusy * 100)} % busy`;
}

function countersLine(c) {
  if (!c) return '';
  let line = `\n         per delivery: ${fmt(c.xacts, 2)} transactions, rows ${fmt(c.inserted, 2)} inserted, ${fmt(c.updated, 2)} updated, ${fmt(c.fetched, 1)} fetched`;
  if (c.statements) {
    line += `; ${fmt(c.roundTrips, 2)} statements (round trips), the costliest:`;
    for (const s of c.statements) line += `\n           ${fmt(s.calls, 3)} calls/delivery, ${fmt(s.ms)} ms in all: ${s.query}`;
  }
  return line;
}

export function formatPostgres(results) {
  const lines = [];
  for (const r of results) {
    const name = `${r.store}, ${r.daemons} daemon${r.daemons > 1 ? 's' : ''}`;
    const t = r.throughput;
    const l = r.latency;
    lines.push(
      `  ${name}:\n` +
      `    backlog of ${fmt(t.deliveries / DESTINATIONS)} events × ${DESTINATIONS}: ${fmt(t.eventsPerSec)} events/s accepted, ${fmt(t.deliveriesPerSec)} deliveries/s end to end (${load(t.load)})\n` +
      `         ${cpuLine(t.cpu)}${countersLine(t.counters)}\n` +
      `    ${fmt(RATE)} events/s for ${RATE_SECONDS} s: ${fmt(l.deliveriesPerSec)} deliveries/s, accepted → delivered p50 ${fmt(l.p50)} ms, p99 ${fmt(l.p99)} ms; 202 p99 ${fmt(l.answerP99, 1)} ms (${load(l.load)})\n` +
      `         ${cpuLine(l.cpu)}${countersLine(l.counters)}\n` +
      `         generator: ${fmt(l.offeredPerSec)} events/s offered, p99 ${fmt(l.lateP99, 1)} ms late${l.keptUp ? '' : ' — it FELL BEHIND: the rate offered is lower than asked'}`,
    );
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!(await postgresReachable())) {
    console.log(`PostgreSQL bench skipped: no PostgreSQL answers at ${POSTGRES_URL} (set BENCH_POSTGRES_URL)`);
  } else {
    console.log(formatPostgres(await benchPostgres()));
  }
}
