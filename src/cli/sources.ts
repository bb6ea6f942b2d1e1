import type { Attempt, AttemptFilter, Delivery, DeliveryFilter, DeliveryState } from '../store/types.js';
import type { ReplayOutcome } from '../delivery/replay.js';
import type { GlobalOptions } from './output.js';
import { allDestinations, findDaemon, loadCliConfig, openConfiguredStore } from './context.js';
import { UsageError } from './errors.js';

export interface RetryQuery {
  ids?: string[];
  status?: DeliveryState[];
  destination?: string;
  type?: string;
  /** A duration (2d) or ISO date. */
  since?: string;
}

/** What a replay did (or would do), with what explains it: the destination's event filter. */
export type ReplayAnswer = ReplayOutcome & { destinationEvents: string[] };

/** Where the delivery log is read from: the daemon's API when one is configured, else the local store. */
export interface DeliveryLog {
  readonly where: string;
  attempts(filter: AttemptFilter & { sinceText?: string }): Promise<Attempt[]>;
  deliveries(filter: DeliveryFilter & { sinceText?: string }): Promise<{ deliveries: Delivery[]; next: string | null }>;
  delivery(id: string): Promise<{ delivery: Delivery; attempts: Attempt[] } | undefined>;
  retry(query: RetryQuery): Promise<number>;
  backfill(destination: string, options: { since: string; type?: string; dryRun: boolean }): Promise<ReplayAnswer>;
  /** New attempts until `signal` aborts; `shownUpTo` is the last attempt id already printed (the store continues from it). */
  follow(filter: AttemptFilter, onAttempt: (a: Attempt) => void, signal: AbortSignal, shownUpTo?: number): Promise<void>;
  close(): Promise<void>;
}

function params(values: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== '') q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
}

async function daemonLog(url: string, token: string | undefined): Promise<DeliveryLog> {
  const { createClient } = await import('../client.js');
  const client = createClient({ url, token, retryForMs: 0 });
  return {
    where: url,
    async attempts(f) {
      const q = params({ destination: f.destination, type: f.type, status: f.outcome, since: f.sinceText, limit: f.limit, after: f.afterId });
      return (await client.request<{ attempts: Attempt[] }>('GET', `/api/attempts${q}`)).attempts;
    },
    deliveries(f) {
      const status = Array.isArray(f.status) ? f.status.join(',') : f.status;
      const q = params({ status, destination: f.destination, type: f.type, since: f.sinceText, limit: f.limit, after: f.after });
      return client.request('GET', `/api/deliveries${q}`);
    },
    async delivery(id) {
      try {
        return await client.request('GET', `/api/deliveries/${encodeURIComponent(id)}`);
      } catch (err) {
        if ((err as { status?: number }).status === 404) return undefined;
        throw err;
      }
    },
    async retry(query) {
      const body = { ids: query.ids, status: query.status?.join(','), destination: query.destination, type: query.type, since: query.since };
      return (await client.request<{ retried: number }>('POST', '/api/deliveries/retry', body)).retried;
    },
    async backfill(destination, o) {
      return client.request<ReplayAnswer>('POST', '/api/replay', { destination, since: o.since, type: o.type, dryRun: o.dryRun });
    },
    async follow(f, onAttempt, signal) {
      const q = params({ destination: f.destination, type: f.type, status: f.outcome });
      const res = await fetch(`${url.replace(/\/+$/, '')}/api/deliveries/stream${q}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        signal,
      }).catch((err) => {
        if (signal.aborted) return undefined;
        throw err;
      });
      if (!res?.body) return;
      let buffer = '';
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = frame.split('\n').find((l) => l.startsWith('data: '));
            if (data) onAttempt(JSON.parse(data.slice(6)) as Attempt);
          }
        }
      } catch (err) {
        if (!signal.aborted) throw err;
      }
    },
    close: async () => undefined,
  };
}

async function storeLog(globals: GlobalOptions, storeFlag: string | undefined): Promise<DeliveryLog> {
  const { parseSince } = await import('../config/duration.js');
  const ctx = await loadCliConfig(globals);
  const { store, where } = await openConfiguredStore(ctx, storeFlag);
  const since = (text: string | undefined) => {
    if (text === undefined) return undefined;
    const at = parseSince(text);
    if (at === undefined) throw new UsageError(`--since ${text}: expected a duration (10m, 2h, 7d) or an ISO date`);
    return at;
  };
  return {
    where,
    attempts: (f) => store.listAttempts({ ...f, since: since(f.sinceText) ?? f.since }),
    async deliveries(f) {
      const limit = f.limit ?? 100;
      const deliveries = await store.listDeliveries({ ...f, limit, since: since(f.sinceText) ?? f.since });
      return { deliveries, next: deliveries.length === limit ? deliveries.at(-1)!.id : null };
    },
    async delivery(id) {
      const delivery = await store.getDelivery(id);
      return delivery ? { delivery, attempts: await store.listAttempts({ deliveryId: id, limit: 1000 }) } : undefined;
    },
    async retry(q) {
      const status = q.status ?? (q.ids ? undefined : (['failed'] as DeliveryState[]));
      return (await store.requeue({ ids: q.ids, status, destination: q.destination, type: q.type, since: since(q.since) })).length;
    },
    async backfill(destination, o) {
      const known = await allDestinations(ctx, store);
      const dest = known.find((d) => d.dest.name === destination)?.dest;
      if (!dest) throw new UsageError(`no destination named ${destination} (known: ${known.map((d) => d.dest.name).join(', ') || 'none'})`);
      const { replayTo } = await import('../delivery/replay.js');
      const outcome = await replayTo(store, dest, { since: since(o.since)!, type: o.type, dryRun: o.dryRun });
      return { ...outcome, destinationEvents: dest.events };
    },
    async follow(f, onAttempt, signal, shownUpTo) {
      const { followAttemptLog } = await import('./attempt-follow.js');
      const from = shownUpTo ?? (await store.listAttempts({ ...f, limit: 1 })).at(-1)?.id ?? 0;
      await followAttemptLog(store, f, from, onAttempt, signal);
    },
    close: () => store.close(),
  };
}

/**
 * The daemon's API when one is named or runs on this data dir; else the store that daemon would
 * use: `--store`, VIDHOOK_STORE or `store:` (a shared PostgreSQL), or SQLite in the data dir.
 */
export async function openDeliveryLog(globals: GlobalOptions, storeFlag?: string): Promise<DeliveryLog> {
  const daemon = await findDaemon(globals, (await loadCliConfig(globals)).config);
  return daemon ? daemonLog(daemon.url, daemon.token) : storeLog(globals, storeFlag);
}
