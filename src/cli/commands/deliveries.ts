import { TERMINAL_STATES } from '../../store/types.js';
import { DELIVERY_STATES as STATES, type DeliveryState } from '../../store/types.js';
import { UsageError, FailedError } from '../errors.js';
import { Output, table, type GlobalOptions } from '../output.js';
import { openDeliveryLog } from '../sources.js';
import { attemptLine } from './tail.js';

function states(value: string | undefined): DeliveryState[] | undefined {
  if (!value) return undefined;
  const list = value.split(',');
  const bad = list.find((s) => !STATES.includes(s as DeliveryState));
  if (bad) throw new UsageError(`--status ${bad}: expected one of ${STATES.join(', ')}`);
  return list as DeliveryState[];
}

interface ListOptions {
  status?: string;
  destination?: string;
  type?: string;
  since?: string;
  limit?: string;
  after?: string;
  store?: string;
}

export async function list(_: string[], options: ListOptions, globals: GlobalOptions): Promise<void> {
  const out = new Output(globals);
  const log = await openDeliveryLog(globals, options.store);
  try {
    const limit = options.limit ? Number(options.limit) : 50;
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit ${options.limit}: expected a positive count`);
    const page = await log.deliveries({
      status: states(options.status),
      destination: options.destination,
      type: options.type,
      sinceText: options.since,
      limit,
      after: options.after,
    });
    if (out.json) return out.data(page);
    const c = out.color;
    const color = (s: DeliveryState) => (s === 'succeeded' ? c.green(s) : s === 'failed' ? c.red(s) : s === 'skipped' ? c.dim(s) : c.yellow(s));
    const rows = page.deliveries.map((d) => [d.id, color(d.state), d.destination, d.eventType, String(d.attempts), c.dim(d.lastError ?? '')]);
    for (const line of table([['DELIVERY', 'STATE', 'DESTINATION', 'EVENT', 'TRIES', 'LAST ERROR'].map((h) => c.bold(h)), ...rows])) out.line(line);
    if (page.next) out.line(c.dim(`more: --after ${page.next}`));
  } finally {
    await log.close();
  }
}

export async function show([id]: string[], options: { store?: string }, globals: GlobalOptions): Promise<void> {
  const out = new Output(globals);
  const log = await openDeliveryLog(globals, options.store);
  try {
    const found = await log.delivery(id);
    // Exit 2, as `destinations show <unknown>`: the id given is what to fix.
    if (!found) throw new UsageError(`no delivery ${id} (list them with \`vidhook deliveries\`)`, 'not_found');
    if (out.json) return out.data(found);
    const { delivery: d, attempts } = found;
    const c = out.color;
    out.line(`${c.bold(d.id)}  ${d.state}  → ${d.destination}`);
    const settled = TERMINAL_STATES.includes(d.state);
    out.line(`event ${d.eventId} (${d.eventType}), ${d.attempts} attempt(s)${settled ? '' : `, next ${new Date(d.nextAt).toISOString()}`}`);
    if (d.lastError) out.line(`last error: ${d.lastError}`);
    for (const a of attempts) {
      out.line();
      out.line(attemptLine(out, a));
      for (const x of a.exchanges) {
        out.line(`  ${c.cyan(x.request.method)} ${x.request.url}`);
        if (x.response) out.line(`  ← ${x.response.status} ${c.dim(x.response.body.slice(0, 300))}`);
        if (x.error) out.line(`  ✗ ${x.error}`);
      }
    }
  } finally {
    await log.close();
  }
}

interface RetryOptions {
  status?: string;
  destination?: string;
  type?: string;
  since?: string;
  store?: string;
}

export async function retry(ids: string[], options: RetryOptions, globals: GlobalOptions): Promise<void> {
  const out = new Output(globals);
  if (ids.length === 0 && !options.status && !options.destination && !options.since) {
    throw new UsageError('name delivery ids, or select with --status failed [--destination X] [--since 2d]');
  }
  const log = await openDeliveryLog(globals, options.store);
  try {
    if (ids.length === 0) out.info(`requeueing matching deliveries in ${log.where}…`);
    const count = await log.retry({
      ids: ids.length ? ids : undefined,
      status: states(options.status),
      destination: options.destination,
      type: options.type,
      since: options.since,
    });
    if (out.json) return out.data({ retried: count });
    out.line(`${count} deliver${count === 1 ? 'y' : 'ies'} queued again${count && !log.where.startsWith('http') ? ' (a running daemon picks them up; or run `vidhook serve`)' : ''}`);
    if (ids.length && count < ids.length) throw new FailedError(`${ids.length - count} of the given deliveries were not found or are in flight`);
  } finally {
    await log.close();
  }
}
