import { createRequire } from 'node:module';
import { startDaemon } from '../../server/daemon.js';
import type { NewAttempt } from '../../store/types.js';
import { UsageError } from '../errors.js';
import { Output, type GlobalOptions } from '../output.js';
import { loadCliConfig, serverToken } from '../context.js';

interface ServeOptions {
  host?: string;
  port?: string;
  allowPrivateTargets?: boolean;
  maxBodyBytes?: string;
  minFreeDiskMb?: string;
  maxStoreMb?: string;
}

function logLine(out: Output, a: NewAttempt): string {
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

export default async function serve(_: string[], options: ServeOptions, globals: GlobalOptions): Promise<void> {
  const out = new Output(globals);
  const ctx = await loadCliConfig(globals);
  const server = ctx.config.project.server ?? {};
  const port = number(options.port, '--port') ?? server.port ?? 8765;
  if (!Number.isInteger(port) || port > 65535) throw new UsageError(`--port ${options.port}: expected a port number`);
  const host = options.host ?? server.host ?? '127.0.0.1';
  const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };
  const minFree = number(options.minFreeDiskMb, '--min-free-disk-mb');
  const maxStore = number(options.maxStoreMb, '--max-store-mb');

  const daemon = await startDaemon({
    config: ctx.config,
    dataDir: ctx.dataDir,
    host,
    port,
    token: serverToken(globals) ?? server.token,
    allowPrivateTargets: options.allowPrivateTargets === true || server.allowPrivateTargets === true,
    maxBodyBytes: number(options.maxBodyBytes, '--max-body-bytes') ?? server.maxBodyBytes,
    minFreeDiskBytes: (minFree ?? 64) * 1024 * 1024,
    maxStoreBytes: maxStore !== undefined ? maxStore * 1024 * 1024 : undefined,
    version,
    log: (attempt) => {
      if (globals.quiet) return;
      if (out.json) out.record({ ...attempt, exchanges: undefined });
      else out.line(logLine(out, attempt));
    },
    warn: (message) => out.warn(message),
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new UsageError(`${host}:${port} is in use: another vidhook daemon may be running (pick another --port)`);
    if (err.code === 'config_error') throw new UsageError(err.message, 'config_error');
    throw err;
  });
  const names = daemon.context.destinations().map((d) => d.dest.name);
  process.stderr.write(`vidhook ${version} listening on ${daemon.url} — ${names.length} destination(s): ${names.join(', ') || 'none yet'}; data in ${ctx.dataDir}\n`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      out.info(`${signal}: finishing attempts in flight…`);
      daemon.stop().then(resolve, (err) => {
        out.warn(`shutdown: ${(err as Error).message}`);
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  out.info('stopped');
}
