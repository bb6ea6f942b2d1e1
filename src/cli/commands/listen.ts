import type { AddressInfo } from 'node:net';
import { startListener, type ListenedRequest } from '../../listen/receiver.js';
import { UsageError } from '../errors.js';
import { Output, type GlobalOptions } from '../output.js';

interface ListenOptions {
  port: string;
  host: string;
  secret?: string;
  status: string;
}

function summary(out: Output, req: ListenedRequest): string {
  const c = out.color;
  let what = '';
  try {
    const body = JSON.parse(req.body) as { type?: string; id?: string };
    if (body.type) what = `${c.bold(body.type)} ${c.dim(body.id ?? '')}`;
  } catch {
    what = c.dim(`${req.body.length} bytes`);
  }
  const sig = req.signature ? (req.signature.valid ? c.green('signature ✓') : c.red(`signature ✗ ${req.signature.reason}`)) : '';
  return [c.dim(req.receivedAt.slice(11, 23)), c.cyan(req.method), req.path, what, sig].filter(Boolean).join('  ');
}

export default async function listen(_: string[], options: ListenOptions, globals: GlobalOptions): Promise<void> {
  const out = new Output(globals);
  const port = Number(options.port);
  const status = Number(options.status);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${options.port}: expected a port number`);
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new UsageError(`--status ${options.status}: expected an HTTP status`);
  const secret = options.secret ?? process.env.VIDHOOK_LISTEN_SECRET;

  const server = await startListener({
    host: options.host,
    port,
    secret,
    status,
    onRequest(req) {
      if (out.json) return out.record(req);
      out.line(summary(out, req));
      if (globals.verbose) {
        for (const [k, v] of Object.entries(req.headers)) out.line(out.color.dim(`  ${k}: ${v}`));
      }
      if (!globals.quiet) {
        try {
          out.line(JSON.stringify(JSON.parse(req.body), null, 2).replace(/^/gm, '  '));
        } catch {
          if (req.body) out.line(`  ${req.body}`);
        }
      }
    },
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new UsageError(`port ${port} is in use; pick another with --port`);
    throw err;
  });
  const address = server.address() as AddressInfo;
  out.info(`listening on http://${address.address}:${address.port}/ ${secret ? '(verifying signatures)' : ''} — Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
