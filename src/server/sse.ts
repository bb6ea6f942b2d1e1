import type { IncomingMessage, ServerResponse } from 'node:http';

interface Subscriber {
  res: ServerResponse;
  accepts: (value: Record<string, unknown>) => boolean;
}

/** Server-Sent Events: every attempt goes to every subscriber whose filter takes it. */
export class AttemptStream {
  private readonly subscribers = new Set<Subscriber>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(heartbeatMs = 15_000) {
    this.heartbeat = setInterval(() => {
      for (const s of this.subscribers) s.res.write(': keep-alive\n\n');
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  subscribe(req: IncomingMessage, res: ServerResponse, accepts: Subscriber['accepts']): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': connected\n\n');
    const subscriber = { res, accepts };
    this.subscribers.add(subscriber);
    req.on('close', () => this.subscribers.delete(subscriber));
  }

  get listening(): boolean {
    return this.subscribers.size > 0;
  }

  publish(value: Record<string, unknown>): void {
    const frame = `event: attempt\ndata: ${JSON.stringify(value)}\n\n`;
    for (const s of this.subscribers) if (s.accepts(value)) s.res.write(frame);
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const s of this.subscribers) s.res.end();
    this.subscribers.clear();
  }
}
