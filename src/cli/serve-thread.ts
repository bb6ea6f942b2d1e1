// The daemon's own thread, started by `vidhook serve` (commands/serve.ts) with its heap capped.
// Signals reach it as messages from the main thread; it answers with its exit code.
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { startDaemon, type RunningDaemon } from '../server/daemon.js';
import type { LoadedConfig } from '../config/index.js';
import type { AttemptSummary } from '../store/types.js';
import { redactUrl } from '../store/store-url.js';
import { storeUrl } from './store-choice.js';
import { UsageError, exitCodeFor } from './errors.js';
import { Output, type ColorLevels, type GlobalOptions } from './output.js';
import { loadCliConfig, serverToken } from './context.js';
import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { reportError } from './run.js';

export interface ServeOptions {
  host?: string;
  port?: string;
  allowPrivateTargets?: boolean;
  maxBodyBytes?: string;
  minFreeDiskMb?: string;
  maxStoreMb?: string;
  store?: string;
}

export interface ServeThreadData {
  options: ServeOptions;
  globals: GlobalOptions;
  /** Decided on the main thread: only it sees whether stdout and stderr are terminals. */
  colors: ColorLevels;
}

/** Sent by the main thread when it receives a signal: SIGHUP reloads the configuration, the others stop. */
export interface StopMessage {
  signal: string;
}

/** The thread's last message: how the command ends. */
export interface DoneMessage {
  exitCode: number;
}

function logLine(out: Output, a: AttemptSummary): string {
  const c = out.color;
  const outcome = a.outcome === 'ok' ? c.green('ok') : a.outcome === 'failed' ? c.red('failed') : a.outcome === 'skipped' ? c.dim('skipped') : c.yellow('retrying');
  const status = a.statusCode !== undefined ? String(a.statusCode) : '-';
  return [a.startedAt, a.destination, a.eventType, a.eventId, `#${a.number}`, outcome, status, `${a.durationMs}ms`, a.error ? c.dim(a.error) : '']
    .filter(Boolean)
    .join(' ');
}

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} ${value}: expected a number`);
  return n;
}

/** Runs the daemon until `stopSignal` resolves with the signal's name, then drains it. */
async function serve(options: ServeOptions, globals: GlobalOptions, out: Output, stopSignal: Promise<string>): Promise<void> {
  const ctx = await loadCliConfig(globals);
  const server = ctx.config.project.server ?? {};
  const port = number(options.port, '--port') ?? server.port ?? 8765;
  if (!Number.isInteger(port) || port > 65535) throw new UsageError(`--port ${options.port}: expected a port number`);
  const host = options.host ?? server.host ?? '127.0.0.1';
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
  const minFree = number(options.minFreeDiskMb, '--min-free-disk-mb');
  const maxStore = number(options.maxStoreMb, '--max-store-mb');

  const shared = storeUrl(options.store, ctx.config.project.store);
  const daemon = await startDaemon({
    config: ctx.config,
    dataDir: ctx.dataDir,
    store: shared,
    host,
    port,
    token: serverToken(globals) ?? server.token,
    allowPrivateTargets: options.allowPrivateTargets === true || server.allowPrivateTargets === true,
    maxBodyBytes: number(options.maxBodyBytes, '--max-body-bytes') ?? server.maxBodyBytes,
    allowedOrigins: server.allowedOrigins,
    minFreeDiskBytes: (minFree ?? 64) * 1024 * 1024,
    maxStoreBytes: maxStore !== undefined ? maxStore * 1024 * 1024 : undefined,
    version,
    log: (attempt) => {
      if (globals.quiet) return;
      if (out.json) out.record(attempt);
      else out.line(logLine(out, attempt));
    },
    warn: (message) => out.warn(message),
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new UsageError(`${host}:${port} is in use: another vidhook daemon may be running (pick another --port)`);
    if (err.code === 'config_error') throw new UsageError(err.message, 'config_error');
    throw err;
  });
  const names = daemon.context.destinations().map((d) => d.dest.name);
  const where = shared ? `store ${redactUrl(shared)}` : `data in ${ctx.dataDir}`;
  process.stderr.write(`vidhook ${version} listening on ${daemon.url} — ${names.length} destination(s): ${names.join(', ') || 'none yet'}; ${where}\n`);

  const reload = configReloader(ctx.config, globals, out, daemon);
  parentPort!.on('message', (m: StopMessage) => {
    if (m.signal === 'SIGHUP') reload('SIGHUP');
  });
  const signal = await stopSignal;
  reload.close();
  out.info(`${signal}: finishing attempts in flight…`);
  await daemon.stop().catch((err: Error) => out.warn(`shutdown: ${err.message}`));
  out.info('stopped');
}

/** How long file events are gathered before one reload: an editor's save is several events. */
const RELOAD_DEBOUNCE_MS = 250;

/**
 * Reloads the daemon's configuration when the user store or the project file changes, and on
 * SIGHUP. A configuration that does not load or validate is not taken: the daemon keeps the one it
 * has and says why.
 */
function configReloader(initial: LoadedConfig, globals: GlobalOptions, out: Output, daemon: RunningDaemon) {
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const apply = (why: string) => {
    running = running.then(async () => {
      try {
        const next = await loadCliConfig(globals);
        await daemon.reloadConfig(next.config);
        const names = daemon.context.destinations().map((d) => d.dest.name);
        out.info(`${why}: configuration reloaded — ${names.length} destination(s): ${names.join(', ') || 'none'}`);
      } catch (err) {
        out.warn(`${why}: the new configuration was not applied, the previous one stays in use: ${(err as Error).message}`);
      }
    });
  };
  const watchers: FSWatcher[] = [];
  const watchFile = (file: string) => {
    const dir = dirname(file);
    const name = basename(file);
    try {
      mkdirSync(dir, { recursive: true });
      // The directory, not the file: editors and the user store replace files by renaming.
      const w = watch(dir, (_event, changed) => {
        if (changed !== null && changed !== name) return;
        clearTimeout(timer);
        timer = setTimeout(() => apply(`${file} changed`), RELOAD_DEBOUNCE_MS);
      });
      w.on('error', (err) => out.warn(`no longer watching ${file}: ${err.message} (send SIGHUP to reload)`));
      watchers.push(w);
    } catch (err) {
      out.warn(`cannot watch ${file} for changes: ${(err as Error).message} (send SIGHUP to reload)`);
    }
  };
  watchFile(initial.userStorePath);
  if (initial.projectFile) watchFile(initial.projectFile);
  return Object.assign(apply, {
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  });
}

const port = parentPort!;
const { options, globals, colors } = workerData as ServeThreadData;
const stopSignal = new Promise<string>((resolve) =>
  port.on('message', (m: StopMessage) => {
    if (m.signal !== 'SIGHUP') resolve(m.signal);
  }),
);
let exitCode = 0;
try {
  await serve(options, globals, new Output(globals, colors), stopSignal);
} catch (err) {
  reportError(err, globals);
  exitCode = exitCodeFor(err);
}
port.postMessage({ exitCode } satisfies DoneMessage);
// Nothing more to hear: let the thread end once the daemon's handles are closed.
port.unref();
