import { createServer, type Server } from 'node:http';
import { verify, WebhookVerificationError } from '../signing/standard-webhooks.js';

export interface ListenedRequest {
  receivedAt: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** undefined when no secret was given. */
  signature?: { valid: boolean; reason?: string };
}

export interface ReceiverOptions {
  host: string;
  port: number;
  secret?: string;
  status: number;
  onRequest: (req: ListenedRequest) => void;
}

const MAX_BODY = 5 * 1024 * 1024;

/** The local receiver behind `vidhook listen`: answers every request and reports it. */
export function startListener(options: ReceiverOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const record: ListenedRequest = {
        receivedAt: new Date().toISOString(),
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers,
        body: body.toString('utf8'),
      };
      let status = options.status;
      if (options.secret) {
        try {
          verify(options.secret, headers, body);
          record.signature = { valid: true };
        } catch (err) {
          record.signature = { valid: false, reason: err instanceof WebhookVerificationError ? err.message : String(err) };
          status = 401;
        }
      }
      options.onRequest(record);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status < 300 ? { ok: true } : { ok: false, error: record.signature?.reason ?? `answering ${status}` }));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}
