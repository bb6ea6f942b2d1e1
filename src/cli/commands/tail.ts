import type { Attempt, AttemptOutcome } from '../../store/types.js';
import { UsageError } from '../errors.js';
import { Output, type GlobalOptions } from '../output.js';
import { openDeliveryLog } from '../sources.js';

interface TailOptions {
  follow?: boolean;
  destination?: string;
  type?: string;
  status?: string;
  since?: string;
  lines?: string;
  store?: string;
}

const STATUSES: Record<string, AttemptOutcome> = { ok: 'ok', retrying: 'retrying', failed: 'failed', skipped: 'skipped' };

/**
 * Fixed column widths: a stream cannot wait for its last row to size its columns. A longer value
 * (a long destination name) pushes the rest of its row only.
 */
const WIDTHS = { destination: 16, type: 16, id: 26, number: 3, duration: 7 };

export function attemptLine(out: Output, a: Attempt, number = a.number): string {
  const c = out.color;
  const outcome = { ok: c.green('ok      '), retrying: c.yellow('retrying'), failed: c.red('failed  '), skipped: c.dim('skipped ') }[a.outcome];
  const status = a.statusCode !== undefined ? String(a.statusCode) : '-';
  return [
    c.dim(a.startedAt),
    outcome,
    status.padEnd(3),
    a.destination.padEnd(WIDTHS.destination),
    a.eventType.padEnd(WIDTHS.type),
    c.dim(a.eventId.padEnd(WIDTHS.id)),
    `#${number}`.padEnd(WIDTHS.number),
    `${a.durationMs}ms`.padStart(WIDTHS.duration),
    a.error ? c.dim(a.error) : '',
  ]
    .join('  ')
    .trimEnd();
}

export default async function tail(_: string[], options: TailOptions, globals: GlobalOptions): Promise<void> {
  const out = new Output(globals);
  const outcome = options.status ? STATUSES[options.status] : undefined;
  if (options.status && !outcome) throw new UsageError(`--status ${options.status}: expected ok, retrying, failed or skipped`);
  const limit = options.lines ? Number(options.lines) : 20;
  if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`-n ${options.lines}: expected a count`);
  const log = await openDeliveryLog(globals, options.store);
  const filter = { destination: options.destination, type: options.type, outcome };
  const print = (a: Attempt) => (out.json ? out.record(a) : out.line(attemptLine(out, a)));
  try {
    let shownUpTo: number | undefined;
    if (limit > 0) {
      for (const a of await log.attempts({ ...filter, limit, sinceText: options.since })) {
        print(a);
        shownUpTo = a.id;
      }
    }
    if (!options.follow) return;
    out.info(`following attempts from ${log.where} — Ctrl-C to stop`);
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await log.follow(filter, print, controller.signal, shownUpTo);
  } finally {
    await log.close();
  }
}
