import { createServer, type Server } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { lookup } from 'node:dns/promises';
import { rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveDestinations, type LoadedConfig } from '../config/index.js';
import type { AnyConnector } from '../connectors/core/types.js';
import { Dispatcher, isDeadOwner } from '../delivery/dispatcher.js';
import { DEFAULT_RETRY_POLICY } from '../delivery/retry-policy.js';
import type { ResolvedDestination } from '../destinations/index.js';
import { closeHttpAgents } from '../delivery/http.js';
import { announcesAttempts, announcesNewWork, type AttemptSummary, type Store } from '../store/types.js';
import { gatherWakes, NEW_WORK_GATHER_MS } from './gather-wakes.js';
import { ThreadedStore } from '../store/threaded.js';
import { authorized, StreamTickets } from './auth.js';
import { guardRequest } from './request-guard.js';
import type { DaemonContext } from './context.js';
import { ApiError, sendError } from './http-utils.js';
import { Metrics } from './metrics.js';
import { Router } from './router.js';
import { AttemptStream } from './sse.js';
import { sharedAttemptFeed } from './shared-attempts.js';
import { eventRoutes } from './routes/events.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { integrationRoutes } from './routes/integrations.js';
import { webhookRoutes } from './routes/webhooks.js';
import { zapierRoutes } from './routes/zapier.js';
import { healthRoutes } from './routes/health.js';
import { openApiRoutes } from './openapi.js';
import { statsRoutes } from './routes/stats.js';
import { destinationRoutes } from './routes/destinations.js';
import { serveConsole } from './console.js';

/** Routes anyone may read, token or not. */
const OPEN_PATHS = new Set(['/healthz', '/api/openapi.json']);

export interface DaemonOptions {
  config: LoadedConfig;
  dataDir: string;
  /** A PostgreSQL URL: the store shared by several daemons. Without it, SQLite in the data dir. */
  store?: string;
  host: string;
  port: number;
  token?: string;
  allowPrivateTargets?: boolean;
  maxBodyBytes?: number;
  maxBatch?: number;
  /** Origins whose web pages may call the API (a console served elsewhere). */
  allowedOrigins?: string[];
  /** Refuse new events (503) when the disk has less than this free. */
  minFreeDiskBytes?: number;
  /** Refuse new events (503) when the store file grows past this. */
  maxStoreBytes?: number;
  drainMs?: number;
  version: string;
  log: (attempt: AttemptSummary) => void;
  warn: (message: string) => void;
}

export interface RunningDaemon {
  url: string;
  server: Server;
  context: DaemonContext;
  /**
   * Takes a newly loaded configuration: its destinations replace the old ones for attempts that
   * start from now on (attempts in flight finish under the settings they started with).
   */
  reloadConfig(config: LoadedConfig): Promise<void>;
  stop(): Promise<void>;
}

/** The file in the data dir naming the daemon that serves it: `{ url, pid }`. */
export const DAEMON_MARKER = 'daemon.json';

export class DaemonConfigError extends Error {
  readonly code = 'config_error';
}

function isLoopbackAddress(address: string): boolean {
  const v4 = /^(?:::ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (v4) return v4.startsWith('127.');
  return address === '::1';
}

/** The addresses `host` binds: the name resolved, as listen() would (a name may hide 0.0.0.0). */
export async function bindAddresses(host: string): Promise<string[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare)) return [bare];
  try {
    return (await lookup(bare, { all: true })).map((a) => a.address);
  } catch {
    throw new DaemonConfigError(`--host ${host} does not resolve to an address to listen on`);
  }
}

/** Whether every address the host binds is loopback: only then may the daemon run without a token. */
export async function bindsLoopbackOnly(host: string): Promise<boolean> {
  const addresses = await bindAddresses(host);
  return addresses.length > 0 && addresses.every(isLoopbackAddress);
}

/** The sidecar: an HTTP API over the store, and the dispatcher running until stopped. */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  if (!options.token && !(await bindsLoopbackOnly(options.host))) {
    const resolved = (await bindAddresses(options.host)).join(', ');
    const names = resolved === options.host.replace(/^\[|\]$/g, '') ? options.host : `${options.host} (${resolved})`;
    throw new DaemonConfigError(
      `refusing to listen on ${names} without a token: pass --token (or set VIDHOOK_TOKEN), or bind 127.0.0.1`,
    );
  }
  const store: Store = options.store
    ? await (await import('../store/postgres.js')).PostgresStore.open(options.store)
    : await ThreadedStore.open(options.dataDir);
  try {
    return await serve(store, options);
  } catch (err) {
    // The store's thread would keep the process alive after a failed start (a port in use).
    await store.close();
    throw err;
  }
}

async function serve(store: Store, options: DaemonOptions): Promise<RunningDaemon> {
  let destinations: ResolvedDestination<AnyConnector>[] = resolveDestinations(options.config, await store.listRuntimeDestinations());
  let configGeneration = 1;
  const metrics = new Metrics();
  // With a shared store the stream carries every daemon's attempts, read from the store as they are
  // announced; this daemon's own come that way too, so none is sent twice.
  const feed = announcesAttempts(store) ? sharedAttemptFeed(store, options.warn) : undefined;
  const stream = new AttemptStream(feed);
  let draining = false;
  let diskFull: string | undefined;

  const dispatcher = new Dispatcher({
    store,
    destinations: () => destinations,
    retry: { ...DEFAULT_RETRY_POLICY, ...options.config.retry },
    timeoutMs: options.config.timeoutMs,
    connectTimeoutMs: options.config.connectTimeoutMs,
    allowPrivateTargets: options.allowPrivateTargets,
    onStoreTrouble(message) {
      if (message) options.warn(`the store refuses writes: ${message}; deliveries are held (readiness fails) and resume by themselves once it takes writes again`);
      else options.warn('the store takes writes again; delivery resumes');
    },
    onAttempt(attempt) {
      metrics.recordAttempt(attempt.destination, attempt.outcome, attempt.durationMs / 1000);
      if (!feed && stream.listening) stream.publish(attempt);
      options.log(attempt);
    },
    async onDisabled(name, reason) {
      const runtime = (await store.listRuntimeDestinations()).find((d) => d.name === name);
      // A Zapier subscription answering 410 is gone for good: Zapier expects it removed.
      if (runtime?.connector === 'zapier') {
        await store.deleteRuntimeDestination(name);
        await context.reloadDestinations();
        options.warn(`Zapier subscription ${name} answered 410 Gone and was removed`);
      } else {
        options.warn(`destination ${name} disabled: ${reason} (its deliveries are kept; re-enable with \`vidhook destinations enable ${name}\`)`);
      }
    },
  });

  const context: DaemonContext = {
    store,
    config: options.config,
    dispatcher,
    metrics,
    stream,
    tickets: new StreamTickets(),
    limits: { maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024, maxBatch: options.maxBatch ?? 1000 },
    allowPrivateTargets: options.allowPrivateTargets === true,
    destinations: () => destinations,
    configGeneration: () => configGeneration,
    async reloadDestinations() {
      destinations = resolveDestinations(context.config, await store.listRuntimeDestinations());
      dispatcher.syncLanes();
    },
    refusal() {
      if (draining) return { message: 'the daemon is shutting down; retry shortly', retryAfterSec: 5 };
      if (diskFull) return { message: diskFull, retryAfterSec: 60 };
      return undefined;
    },
    storeFull(message) {
      metrics.storeWriteErrors++;
      // Refused until the next disk check (every 5 s) finds room again.
      diskFull = `the store refused a write (${message}); new events are refused until space is freed`;
    },
  };

  const router = new Router();
  healthRoutes(router, context, () => store.isOpen && !dispatcher.stopped && !dispatcher.storeTrouble);
  eventRoutes(router, context);
  deliveryRoutes(router, context);
  integrationRoutes(router, context, Date.now(), options.version);
  webhookRoutes(router, context);
  zapierRoutes(router, context, options.version);
  openApiRoutes(router, options.version);
  statsRoutes(router, context);
  destinationRoutes(router, context);

  const bound = await bindAddresses(options.host);
  const guard = {
    host: options.host,
    wildcard: bound.some((a) => a === '0.0.0.0' || a === '::'),
    allowedOrigins: (options.allowedOrigins ?? []).map((o) => o.replace(/\/+$/, '')),
  };
  const server = createServer(async (req, res) => {
    let path = '/';
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      path = url.pathname;
      // The console's files are the package's public files; the API calls they make are checked below.
      if (await serveConsole(req, res, path)) return;
      const ticketed = path === '/api/deliveries/stream' && req.method === 'GET' && context.tickets.valid(url.searchParams.get('ticket'));
      if (!OPEN_PATHS.has(path) && !ticketed && !authorized(req, options.token)) {
        throw new ApiError(401, 'unauthorized', 'missing or wrong bearer token', undefined, { 'www-authenticate': 'Bearer' });
      }
      if (!OPEN_PATHS.has(path)) guardRequest(req, guard);
      const match = router.match(req.method ?? 'GET', path);
      if (match === 'method') throw new ApiError(405, 'method_not_allowed', `${req.method} is not allowed on ${path}`);
      if (!match) throw new ApiError(404, 'not_found', `no route ${req.method} ${path}`);
      await match.handler(req, res, match.params);
    } catch (err) {
      if (res.headersSent) return void res.end();
      // A body refused before it was read to its end would be taken for the next request: close instead.
      if (!req.complete) res.setHeader('connection', 'close');
      if (err instanceof ApiError) return sendError(res, err);
      if ((err as { code?: string }).code === 'store_unavailable') {
        // Nothing was committed: the caller sends again once the database answers.
        return sendError(res, new ApiError(503, 'store_unavailable', (err as Error).message, undefined, { 'retry-after': '5' }));
      }
      options.warn(`internal error on ${req.method} ${path}: ${(err as Error).stack ?? err}`);
      sendError(res, new ApiError(500, 'internal', 'the daemon failed to handle this request; see its log'));
    }
  });
  server.keepAliveTimeout = 5_000;

  const checkDisk = async () => {
    // A shared database's disk is its operator's: the budget applies to the embedded store.
    if (options.store) return;
    try {
      const fs = await statfs(options.dataDir);
      const free = fs.bavail * fs.bsize;
      const size = await store.sizeBytes();
      if (options.minFreeDiskBytes !== undefined && free < options.minFreeDiskBytes) {
        diskFull = `the disk holding ${options.dataDir} has ${Math.round(free / 1048576)} MiB free, under the budget; new events are refused until space is freed`;
      } else if (options.maxStoreBytes !== undefined && size > options.maxStoreBytes) {
        diskFull = `the store is ${Math.round(size / 1048576)} MiB, over its budget; new events are refused until deliveries drain or are pruned`;
      } else diskFull = undefined;
    } catch {
      diskFull = undefined;
    }
  };
  const prune = () =>
    store.prune(Date.now() - options.config.retentionMs).catch((err) => options.warn(`pruning failed: ${(err as Error).message}`));
  await checkDisk();
  await prune();
  const recovered = await store.recoverLeases(isDeadOwner);
  if (recovered) options.warn(`${recovered} delivery attempt(s) interrupted by a previous crash will be tried again`);
  const diskTimer = setInterval(checkDisk, 5_000);
  const pruneTimer = setInterval(prune, 3_600_000);
  diskTimer.unref();
  pruneTimer.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  dispatcher.start();
  if (announcesNewWork(store)) {
    // Deliveries created by other daemons wake this one; the dispatcher's poll remains the fallback.
    await store
      .onNewWork(gatherWakes((names) => dispatcher.wake(names), NEW_WORK_GATHER_MS))
      .catch((err: Error) => options.warn(`not listening for new work (polling instead): ${err.message}`));
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${address.port}`;
  // Lets `emit` on the same data dir hand its event to this daemon rather than deliver beside it.
  const marker = join(options.dataDir, DAEMON_MARKER);
  await writeFile(marker, JSON.stringify({ url, pid: process.pid }), { mode: 0o600 }).catch(() => undefined);

  return {
    url: `http://${host}:${address.port}`,
    server,
    context,
    async reloadConfig(config) {
      const next = resolveDestinations(config, await store.listRuntimeDestinations());
      context.config = config;
      destinations = next;
      configGeneration += 1;
      dispatcher.syncLanes();
    },
    async stop() {
      draining = true;
      await rm(marker, { force: true });
      clearInterval(diskTimer);
      clearInterval(pruneTimer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const streamClosed = stream.close();
      server.closeIdleConnections();
      await dispatcher.stop(options.drainMs ?? 10_000);
      server.closeAllConnections();
      await closed;
      await closeHttpAgents();
      await streamClosed;
      await store.close();
    },
  };
}
