import { Output, table, type GlobalOptions } from '../output.js';
import { allDestinations, findDaemon, loadCliConfig, openConfiguredStore } from '../context.js';
import { FailedError } from '../errors.js';
import { formatDuration } from '../../config/duration.js';
import { destinationStatuses, type DestinationStatus } from '../../destinations/index.js';
import { colorState } from '../destination-state.js';

interface StatusReport {
  daemon: {
    url?: string;
    reachable: boolean;
    version?: string;
    uptimeSeconds?: number;
    inflight?: number;
    error?: string;
    store?: { writable: boolean; error?: string };
  };
  destinations: DestinationStatus[];
  /** Where the figures come from when no daemon answered: the data dir or the shared store. */
  store?: string;
}

async function fromDaemon(url: string, token: string | undefined): Promise<StatusReport> {
  const { createClient } = await import('../../client.js');
  const client = createClient({ url, token, retryForMs: 0 });
  const body = await client.request<{ daemon: StatusReport['daemon']; destinations: DestinationStatus[] }>('GET', '/api/integrations/status');
  return { daemon: { ...body.daemon, url, reachable: true }, destinations: body.destinations };
}

async function fromStore(globals: GlobalOptions, storeFlag: string | undefined, daemon: StatusReport['daemon']): Promise<StatusReport> {
  const ctx = await loadCliConfig(globals);
  const { store, where } = await openConfiguredStore(ctx, storeFlag);
  try {
    const destinations = await destinationStatuses(store, await allDestinations(ctx, store));
    return { daemon, destinations, store: where };
  } finally {
    await store.close();
  }
}

const ago = (iso: string | null) => (iso ? `${formatDuration(Date.now() - Date.parse(iso))} ago` : '—');

export default async function status(_: string[], options: { store?: string }, globals: GlobalOptions): Promise<number> {
  const out = new Output(globals);
  const daemon = await findDaemon(globals, (await loadCliConfig(globals)).config);
  const url = daemon?.url;
  let report: StatusReport;
  if (daemon && url) {
    try {
      report = await fromDaemon(url, daemon.token);
    } catch (err) {
      if ((err as { code?: string }).code !== 'daemon_unreachable') throw err;
      report = await fromStore(globals, options.store, { url, reachable: false, error: (err as Error).message });
    }
  } else {
    report = await fromStore(globals, options.store, { reachable: false });
  }
  if (out.json) out.data(report);
  else {
    const c = out.color;
    const d = report.daemon;
    if (d.reachable) out.line(`${c.green('●')} daemon ${d.url} up ${formatDuration((d.uptimeSeconds ?? 0) * 1000)}, vidhook ${d.version}, ${d.inflight} in flight`);
    if (d.store?.writable === false) out.line(`${c.red('●')} store refuses writes: ${d.store.error}; deliveries are held until it takes writes again (free disk space)`);
    else if (!d.reachable) {
      const daemonState = d.url ? `${d.url} not reachable` : 'not running here (start it with `vidhook serve`, or name one with --server)';
      out.line(`${c.dim('○')} daemon ${daemonState}; figures from the store at ${report.store}`);
    }
    const rows = report.destinations.map((x) => [
      x.name,
      c.dim(x.connector),
      colorState(out, x.state),
      ago(x.lastSuccessAt),
      ago(x.lastFailureAt),
      `${x.attemptsLastHour}`,
      `${Math.round(x.failureRate * 100)}%`,
      `${x.pending}`,
      x.lagSeconds ? formatDuration(x.lagSeconds * 1000) : '—',
    ]);
    const head = ['DESTINATION', 'CONNECTOR', 'STATE', 'LAST OK', 'LAST FAILURE', 'ATTEMPTS/1H', 'FAILED', 'PENDING', 'LAG'].map((h) => c.bold(h));
    for (const line of table([head, ...rows])) out.line(line);
    for (const x of report.destinations.filter((x) => x.reason !== undefined || (x.state !== 'enabled' && x.lastError))) {
      out.line(c.dim(`${x.name}: ${x.reason ?? x.lastError}`));
    }
  }
  if (daemon?.named && !report.daemon.reachable) throw new FailedError(`the daemon at ${url} is not reachable`, 'daemon_unreachable');
  return 0;
}
