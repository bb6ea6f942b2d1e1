import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  json<T = any>(): T;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Drop the connection without answering. */
  reset?: boolean;
}

export type Responder = (req: ReceivedRequest, index: number) => Reply | Promise<Reply>;

export interface Receiver {
  url: string;
  origin: string;
  requests: ReceivedRequest[];
  respond(responder: Responder): void;
  /** The most requests it was answering at one time. */
  readonly maxInFlight: number;
  /** When each request arrived (epoch ms), in order. */
  arrivals: number[];
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

function flat(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** A real HTTP server on loopback that records every request and answers as told. */
export async function startReceiver(responder: Responder = () => ({ status: 200, body: { ok: true } })): Promise<Receiver> {
  let current = responder;
  const requests: ReceivedRequest[] = [];
  const waiters: Array<() => void> = [];
  const sockets = new Set<import('node:net').Socket>();
  const arrivals: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    arrivals.push(Date.now());
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    res.on('close', () => inFlight--);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const received: ReceivedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: flat(req.headers),
      body,
      json: () => JSON.parse(body),
    };
    const index = requests.length;
    requests.push(received);
    waiters.splice(0).forEach((w) => w());
    const reply = await current(received, index);
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (reply.reset) {
      req.socket.destroy();
      return;
    }
    const payload = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    const headers = { ...(typeof reply.body === 'object' ? { 'content-type': 'application/json' } : {}), ...reply.headers };
    res.writeHead(reply.status ?? 200, headers);
    res.end(payload);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/hook`,
    origin,
    requests,
    arrivals,
    get maxInFlight() {
      return maxInFlight;
    },
    respond(next) {
      current = next;
    },
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} requests, got ${requests.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return requests;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
