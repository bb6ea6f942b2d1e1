import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Attempt } from '../store/types.js';

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

/** An attempt as the stream sends it: the attempt log's entry without its row id and exchanges. */
export function streamValue({ id: _id, exchanges: _exchanges, ...summary }: Attempt): Record<string, unknown> {
  return summary;
}

export function parseStreamId(id: string): { deliveryId: string; number: number } | undefined {
  const m = /^(dlv_[0-9A-Z]{26})\/(\d+)$/.exec(id);
  return m ? { deliveryId: m[1], number: Number(m[2]) } : undefined;
}

const frame = (value: Record<string, unknown>) => `id: ${streamId(value)}\nevent: attempt\ndata: ${JSON.stringify(value)}\n\n`;

/**
 * Where the attempts come from when this daemon's own are not all of them (a store shared by
 * several daemons): it runs only while someone follows the stream.
 */
export interface AttemptFeed {
  /**
   * Starts publishing every attempt recorded from now on; resolves once none can be missed, with
   * a function that stops it. `lost` says it stopped by itself (its connection dropped).
   */
  start(publish: (value: Record<string, unknown>) => void, lost: (err: Error) => void): Promise<() => Promise<void>>;
}

/** Server-Sent Events: every attempt goes to every subscriber whose filter takes it; a reconnecting one gets what it missed first. */
export class AttemptStream {
  private readonly subscribers = new Set<Subscriber>();
  private readonly heartbeat: NodeJS.Timeout;
  /** Subscribers waiting for the feed to start. */
  private joining = 0;
  private stopFeed?: () => Promise<void>;
  /** Starts and stops of the feed, one after the other. */
  private feedChange: Promise<void> = Promise.resolve();
  private closed = false;

  /** With a `feed`, published attempts come from it alone; without, the daemon calls `publish`. */
  constructor(private readonly feed?: AttemptFeed, heartbeatMs = 15_000) {
    this.heartbeat = setInterval(() => {
      for (const s of this.subscribers) s.res.write(': keep-alive\n\n');
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  /** Runs the feed while anyone subscribes or is about to. */
  private syncFeed(): Promise<void> {
    const change = this.feedChange.then(async () => {
      const wanted = !this.closed && this.subscribers.size + this.joining > 0;
      if (wanted && !this.stopFeed && this.feed) {
        this.stopFeed = await this.feed.start((value) => this.publish(value), () => this.feedLost());
      } else if (!wanted && this.stopFeed) {
        const stop = this.stopFeed;
        this.stopFeed = undefined;
        await stop();
      }
    });
    this.feedChange = change.catch(() => {});
    return change;
  }

  /** The feed dropped: subscribers are let go, so that they reconnect and replay from the log what they missed. */
  private feedLost(): void {
    this.stopFeed = undefined;
    for (const s of this.subscribers) s.res.end();
    this.subscribers.clear();
  }

  /** `missed` reads the attempts after the client's Last-Event-ID from the attempt log, oldest first. */
  async subscribe(
    req: IncomingMessage,
    res: ServerResponse,
    accepts: Subscriber['accepts'],
    missed?: () => Promise<Array<Record<string, unknown>>>,
  ): Promise<void> {
    // The feed listens before the client is told it is connected, and before the log is read for its replay.
    this.joining++;
    try {
      await this.syncFeed();
    } finally {
      this.joining--;
    }
    // The client left while the feed was starting, or the daemon is shutting down.
    if (req.socket.destroyed || this.closed) {
      res.end();
      return void this.syncFeed().catch(() => {});
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(`retry: ${RECONNECT_MS}\n: connected\n\n`);
    const subscriber: Subscriber = { res, accepts, ...(missed ? { held: [], replayed: new Set<string>() } : {}) };
    this.subscribers.add(subscriber);
    req.on('close', () => {
      this.subscribers.delete(subscriber);
      this.syncFeed().catch(() => {});
    });
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

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const s of this.subscribers) s.res.end();
    this.subscribers.clear();
    await this.syncFeed().catch(() => {});
  }
}
