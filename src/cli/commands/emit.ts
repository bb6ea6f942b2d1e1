import { buildEnvelope, InvalidEventError, type Envelope } from '../../events/index.js';
import { destinationsFor } from '../../delivery/fan-out.js';
import type { AnyConnector } from '../../connectors/core/types.js';
import type { ResolvedDestination } from '../../destinations/index.js';
import { TERMINAL_STATES, type Delivery, type Store } from '../../store/types.js';
import { FailedError, UsageError } from '../errors.js';
import { Output, type GlobalOptions } from '../output.js';
import { allDestinations, findDaemon, loadCliConfig, openStore } from '../context.js';
import { eventData } from '../event-input.js';
import { printDryRun, runDryRun } from '../dry-run.js';
import { printOutcomes, outcomesOf, type DeliveryOutcome } from '../outcomes.js';

interface EmitOptions {
  sample?: boolean;
  data?: string;
  set?: string[];
  id?: string;
  timestamp?: string;
  to?: string;
  dryRun?: boolean;
  validate?: boolean;
}

function pickDestinations(all: ResolvedDestination[], to: string | undefined): string[] | undefined {
  if (!to) return undefined;
  const names = to.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !all.some((d) => d.dest.name === n));
  if (unknown.length) {
    const known = all.map((d) => d.dest.name).join(', ') || 'none configured';
    throw new UsageError(`--to: no destination named ${unknown.join(', ')} (known: ${known})`);
  }
  return names;
}

export default async function emit([type]: string[], options: EmitOptions, globals: GlobalOptions): Promise<number> {
  const out = new Output(globals);
  const ctx = await loadCliConfig(globals);
  const data = await eventData(type, options);
  let event: Envelope;
  try {
    event = buildEnvelope({ type, data, id: options.id, timestamp: options.timestamp }, { customTypes: ctx.config.customTypes });
  } catch (err) {
    const noData = !options.sample && options.data === undefined && !options.set?.length;
    if (noData && err instanceof InvalidEventError && err.code === 'invalid_event') {
      err.message += ` — give the event's data with --data '<json>' (or --data @file.json, --data - for stdin), or send a sample with --sample (see \`vidhook events sample ${type}\`)`;
    }
    throw err;
  }

  const daemon = options.dryRun || options.validate ? undefined : await findDaemon(globals, ctx.config);
  if (daemon) {
    const server = daemon.url;
    const { createClient, DaemonUnreachableError } = await import('../../client.js');
    const client = createClient({ url: server, token: daemon.token, retryForMs: 0 });
    try {
      const accepted = await client.emitEvents([{ ...event, ...(options.to ? { to: options.to.split(',') } : {}) }]);
      const result = accepted.events[0];
      if (out.json) out.data({ event, daemon: server, deliveries: result.deliveries, duplicate: result.duplicate ?? false });
      else out.line(`${out.color.green('✓')} ${event.id} accepted by ${server} for ${result.deliveries} destination(s)`);
      return 0;
    } catch (err) {
      if (!(err instanceof DaemonUnreachableError)) throw err;
      // A daemon named with --server or VIDHOOK_SERVER is what the user asked for: no silent fallback.
      if (daemon.named) throw new FailedError(`${err.message} (start it with \`vidhook serve\`, or drop --server/VIDHOOK_SERVER to deliver in-process)`, 'daemon_unreachable');
      out.warn(`the daemon at ${server} stopped answering; delivering in-process`);
    }
  }

  const store = options.dryRun ? undefined : openStore(ctx.dataDir);
  try {
    const destinations = await allDestinations(ctx, store);
    const to = pickDestinations(destinations, options.to);
    const targets = destinationsFor(event, destinations, to);
    const chosen = destinations.filter((d) => targets.includes(d.dest.name));

    if (options.dryRun || options.validate) {
      const rendered = await runDryRun(event, chosen, { validate: options.validate === true, dataDir: ctx.dataDir });
      if (out.json) out.data({ event, destinations: rendered });
      else printDryRun(out, event, rendered);
      return rendered.some((r) => r.error || (r.validation && r.validation.length > 0)) ? 1 : 0;
    }
    return await deliver(out, store!, event, chosen, to, ctx.config.timeoutMs);
  } finally {
    await store?.close();
  }
}

async function deliver(
  out: Output,
  store: Store,
  event: Envelope,
  chosen: ResolvedDestination<AnyConnector>[],
  to: string[] | undefined,
  timeoutMs: number | undefined,
): Promise<number> {
  const { acceptEvents } = await import('../../delivery/fan-out.js');
  const { deliverInProcess } = await import('../../delivery/in-process.js');
  const [accepted] = await acceptEvents(store, [event], chosen, to);
  let deliveries: Delivery[];
  if (accepted.duplicate) {
    out.info(`event ${event.id} was already stored; showing its deliveries (nothing new was sent)`);
    deliveries = (await store.getEvent(event.id))?.deliveries ?? [];
  } else {
    deliveries = await deliverInProcess({ store, destinations: chosen, eventIds: [event.id], timeoutMs });
  }
  const outcomes: DeliveryOutcome[] = await outcomesOf(store, deliveries, chosen);
  if (out.json) out.data({ event, deliveries: outcomes });
  else {
    if (outcomes.length === 0) {
      out.line(`${event.type} ${event.id} stored; no destination takes ${event.type}`);
      out.info(`add one with \`vidhook configure <connector> --events ${event.type}\` (see \`vidhook connectors\`), or add ${event.type} to a destination's events`);
    }
    printOutcomes(out, outcomes);
    const open = deliveries.filter((d) => !TERMINAL_STATES.includes(d.state));
    for (const d of open) {
      out.info(`${d.destination}: still ${d.state} after this command's tries; it stays queued (next try ${new Date(d.nextAt).toISOString()} by \`vidhook serve\` on this data dir)`);
    }
  }
  return outcomes.some((o) => o.state === 'failed') ? 1 : 0;
}
