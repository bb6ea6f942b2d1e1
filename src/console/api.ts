// Every call the console makes goes through the daemon's public API, with the same checks as the CLI.

const TOKEN_KEY = 'vidhook.token';

export class Unauthorized extends Error {}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The token lives for this tab only: sessionStorage, never a cookie, never the URL. */
export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

const listeners = new Set<() => void>();
/** Called whenever the daemon refuses the token (or asks for one). */
export function onUnauthorized(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function headers(json: boolean): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json' };
  const t = token.get();
  if (t) h.authorization = `Bearer ${t}`;
  if (json) h['content-type'] = 'application/json';
  return h;
}

/** The daemon's API is served from the same origin as the console, one level up from /console/. */
export const apiUrl = (path: string) => new URL(`..${path}`, document.baseURI).toString();

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(apiUrl(path), {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  if (res.status === 401) {
    listeners.forEach((l) => l());
    throw new Unauthorized('the daemon wants a token');
  }
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const error = parsed?.error ?? {};
    throw new ApiFailure(res.status, error.code ?? 'error', error.message ?? `${method} ${path} answered ${res.status}`);
  }
  return parsed as T;
}

export const query = (params: Record<string, string | undefined | null>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

/**
 * Reads a Server-Sent Events stream with fetch, so the bearer token goes in a header
 * (EventSource cannot send one, and a token in a URL ends up in logs).
 */
export async function readEvents(
  path: string,
  onEvent: (event: string, data: string, id?: string) => void,
  signal: AbortSignal,
  onOpen: () => void = () => undefined,
): Promise<void> {
  const res = await fetch(apiUrl(path), { headers: { ...headers(false), accept: 'text/event-stream' }, signal, cache: 'no-store' });
  if (res.status === 401) {
    listeners.forEach((l) => l());
    throw new Unauthorized('the daemon wants a token');
  }
  if (!res.ok || !res.body) throw new ApiFailure(res.status, 'stream', `the attempt stream answered ${res.status}`);
  onOpen();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.search(/\r?\n\r?\n/)) !== -1) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      let event = 'message';
      let id: string | undefined;
      const data: string[] = [];
      for (const line of frame.split(/\r?\n/)) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
      }
      if (data.length) onEvent(event, data.join('\n'), id);
    }
  }
}

// The API's shapes, as far as the console reads them.

export type DeliveryState = 'pending' | 'in_flight' | 'retrying' | 'succeeded' | 'failed' | 'skipped' | 'paused';
export const DELIVERY_STATES: DeliveryState[] = ['pending', 'in_flight', 'retrying', 'succeeded', 'failed', 'skipped', 'paused'];
export const EVENT_TYPES = ['video.generated', 'video.completed', 'video.failed', 'user.registered', 'session.started', 'session.ended'];

export interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  destination: string;
  state: DeliveryState;
  attempts: number;
  nextAt: number;
  createdAt: number;
  updatedAt: number;
  lastError?: string;
}

export interface Exchange {
  startedAt: string;
  durationMs: number;
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  response?: { status: number; headers: Record<string, string>; body: string };
  error?: string;
}

export interface Attempt {
  id?: number;
  deliveryId: string;
  eventId: string;
  eventType: string;
  destination: string;
  number: number;
  startedAt: string;
  durationMs: number;
  outcome: 'ok' | 'retrying' | 'failed' | 'skipped';
  statusCode?: number;
  error?: string;
  exchanges?: Exchange[];
}

export interface DestinationStatus {
  name: string;
  connector: string;
  category: string;
  source: string;
  /** enabled, disabled, paused or invalid. */
  state: string;
  /** Why it is not enabled. */
  reason?: string;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastError: string | null;
  pending: number;
  lagSeconds: number;
}

export interface StatusAnswer {
  daemon: { version: string; uptimeSeconds: number; inflight: number; store?: { writable: boolean; error?: string } };
  destinations: DestinationStatus[];
}

export interface DestinationActivity {
  name: string;
  attempts: number;
  failures: number;
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  series: { attempts: number[]; successRate: Array<number | null>; p50Ms: Array<number | null>; p95Ms: Array<number | null> };
}

export interface StatsAnswer {
  window: string;
  bucketSeconds: number;
  buckets: number[];
  events: { total: number; perBucket: number[] };
  destinations: DestinationActivity[];
}

export interface EventAnswer {
  event: { id: string; type: string; timestamp: string; data: unknown };
  receivedAt: string;
  deliveries: Delivery[];
}

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
  state?: string;
  reason?: string;
  createdAt: string;
}
