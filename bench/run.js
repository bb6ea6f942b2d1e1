// `npm run bench`: the figures of SPEC §8, printed with their budgets. Not a test: it only measures.
import { measureStartup, formatStartup } from './startup.js';
import { benchIngest } from './ingest.js';
import { benchFanout, formatFanout, FANOUT_TARGET } from './fanout.js';
import { benchBacklog } from './backlog.js';
import { benchPostgres, formatPostgres, meetsBudget, postgresReachable, PG_BUDGET, POSTGRES_URL } from './postgres.js';
import { fmt } from './lib.js';

const backlogSize = Number(process.env.BENCH_BACKLOG ?? 1_000_000);
const mark = (ok) => (ok ? 'ok  ' : 'MISS');

console.log('vidhook bench — budgets from SPEC §8\n');

const startup = measureStartup({ runs: 20 });
console.log(formatStartup(startup));

const ingest = await benchIngest();
console.log(`\n[${mark(ingest.eventsPerSec >= 5000)}] ingest: ${fmt(ingest.eventsPerSec)} events/s accepted with durable commit (budget ≥ 5,000)`);
console.log(`[${mark(ingest.p99 <= 10)}] ingest at 1,000 events/s: p50 ${fmt(ingest.p50, 2)} ms, p99 ${fmt(ingest.p99, 2)} ms (budget p99 ≤ 10 ms)`);

const fanout = await benchFanout();
// MISS until the target is met: SPEC §8 sets it, the design has not reached it yet.
console.log(`\n[${mark(fanout.ratio >= FANOUT_TARGET)}] ${formatFanout(fanout)}`);

const backlog = await benchBacklog(backlogSize);
console.log(
  `\n[${mark(backlog.rssMaxMb < 150)}] backlog of ${fmt(backlog.deliveries)} queued deliveries: RSS at most ${fmt(backlog.rssMaxMb, 1)} MB while draining (budget < 150 MB)`,
);
console.log(`[${mark(backlog.firstDeliveryMs <= 2000)}] restart to first delivery: ${fmt(backlog.firstDeliveryMs)} ms (budget ≤ 2,000 ms); filling the store took ${fmt(backlog.fillMs / 1000, 1)} s`);

// Several daemons on one PostgreSQL (issue 19): the budget holds with 3 daemons.
if (await postgresReachable()) {
  const results = await benchPostgres();
  console.log(`\nseveral daemons on one PostgreSQL (${new URL(POSTGRES_URL).host}), beside one on SQLite:\n${formatPostgres(results)}`);
  const three = results.find((r) => r.store === 'PostgreSQL' && r.daemons === PG_BUDGET.daemons);
  if (three) {
    console.log(
      `[${mark(meetsBudget(three))}] ${PG_BUDGET.daemons} daemons on PostgreSQL: backlog ${fmt(three.throughput.deliveriesPerSec)} deliveries/s, ` +
        `at ${fmt(PG_BUDGET.rate)} events/s ${fmt(three.latency.deliveriesPerSec)} deliveries/s with p99 ${fmt(three.latency.p99)} ms accepted → delivered ` +
        `(budget ≥ ${fmt(PG_BUDGET.deliveriesPerSec)} deliveries/s, p99 ≤ ${fmt(PG_BUDGET.p99Ms)} ms)`,
    );
  }
} else {
  console.log(`\n[skip] several daemons on one PostgreSQL: no PostgreSQL answers at ${POSTGRES_URL} (start one, or set BENCH_POSTGRES_URL)`);
}
