import type { IncomingMessage, ServerResponse } from 'node:http';

interface Subscriber {
  res: ServerResponse;
  accepts: (value: Record<string, unknown>) => boolean;
  /** Live attempts held back while the missed ones are replayed. */
  held?: Array<Record<string, unknown>>;
  /** What the replay sent, so a held live attempt is not sent twice. */
  replayed?: Set<string>;
}

/** How long a browser's EventSource waits before it reconnects (it then sends Last-Event-ID). */
export const RECONNECT_MS = 3_000;

/** An attempt's id in the stream: its delivery and number, which the attempt log can find again. */
export function streamId(value: Record<string, unknown>): string {
  return `${value.deliveryId}/${value.number}`;
}

export function parseStreamId(id: string): { deliveryId: string; number: number } | undefined {
  const m = /^(dlv_[0-9A-Z]{26})\/(\d+)$/.exec(id);
  return m ? { deliveryId: m[1], number: Number(m[2]) } : undefined;
}

const frame = (value: Record<string, unknown>) => `id: ${streamId(value)}\nevent: attempt\ndata: ${JSON.stringify(value)}\n\n`;

/** Server-Sent Events: every attempt goes to every subscriber whose filter takes it; a reconnecting one gets what it missed first. */
export class AttemptStream {
  private readonly subscribers = new Set<Subscriber>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(heartbeatMs = 15_000) {
    this.heartbeat = setInterval(() => {
      for (const s of this.subscribers) s.res.write(': keep-alive\n\n');
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  /** `missed` reads the attempts after the client's Last-Event-ID from the attempt log, oldest first. */
  async subscribe(
    req: IncomingMessage,
    res: ServerResponse,
    accepts: Subscriber['accepts'],
    missed?: () => Promise<Array<Record<string, unknown>>>,
  ): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(`retry: ${RECONNECT_MS}\n: connected\n\n`);
    const subscriber: Subscriber = { res, accepts, ...(missed ? { held: [], replayed: new Set<string>() } : {}) };
    this.subscribers.add(subscriber);
    req.on('close', () => this.subscribers.delete(subscriber));
    if (!missed) return;
    try {
      for (const value of await missed()) {
        if (!accepts(value)) continue;
        subscriber.replayed!.add(streamId(value));
        res.write(frame(value));
      }
    } finally {
      const held = subscriber.held!;
      const replayed = subscriber.replayed!;
      subscriber.held = undefined;
      subscriber.replayed = undefined;
      for (const value of held) if (!replayed.has(streamId(value))) res.write(frame(value));
    }
  }

  get listening(): boolean {
    return this.subscribers.size > 0;
  }

  publish(value: Record<string, unknown>): void {
    let text: string | undefined;
    for (const s of this.subscribers) {
      if (!s.accepts(value)) continue;
      if (s.held) s.held.push(value);
      else s.res.write((text ??= frame(value)));
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const s of this.subscribers) s.res.end();
    this.subscribers.clear();
  }
}
