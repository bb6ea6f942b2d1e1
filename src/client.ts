import type { EventDataByType } from './events/schemas.js';

export interface ClientOptions {
  /** The daemon, e.g. http://127.0.0.1:8765. */
  url: string;
  token?: string;
  /** How long to keep retrying while the daemon is unreachable, restarting or out of disk space (503; default 5 s). */
  retryForMs?: number;
}

export interface EmitInput {
  type: string;
  data?: unknown;
  id?: string;
  timestamp?: string;
  /** Restrict to these destinations. */
  to?: string[];
}

export interface AcceptedEvents {
  events: Array<{ id: string; deliveries: number; duplicate?: boolean }>;
}

export class DaemonUnreachableError extends Error {
  readonly code = 'daemon_unreachable';
}

export class DaemonError extends Error {
  constructor(message: string, readonly status: number, readonly code: string, readonly details?: unknown) {
    super(message);
    this.name = 'DaemonError';
  }
}

const INPUT_ERRORS = new Set(['invalid_event', 'unknown_event_type', 'invalid_json', 'batch_too_large', 'body_too_large', 'invalid_request', 'too_deep']);

export interface VidhookClient {
  emit<T extends keyof EventDataByType>(type: T, data: EventDataByType[T], options?: Omit<EmitInput, 'type' | 'data'>): Promise<AcceptedEvents['events'][number]>;
  emit(type: string, data: unknown, options?: Omit<EmitInput, 'type' | 'data'>): Promise<AcceptedEvents['events'][number]>;
  emitEvents(events: EmitInput[]): Promise<AcceptedEvents>;
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

/** A client for the daemon: resolves once events are durably accepted (the 202). */
export function createClient(options: ClientOptions): VidhookClient {
  const base = options.url.replace(/\/+$/, '');
  const retryForMs = options.retryForMs ?? 5_000;

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const deadline = Date.now() + retryForMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers: {
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (err) {
        if (Date.now() + delay > deadline) {
          throw new DaemonUnreachableError(`cannot reach the vidhook daemon at ${base}: ${(err as Error).cause ?? (err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, delay));
        continue;
      }
      // 503: draining, or no room in the store: nothing was stored, so sending again is safe.
      if (res.status === 503 && Date.now() < deadline) {
        const asked = Number(res.headers.get('retry-after')) * 1000;
        const wait = Math.min(Math.max(delay, Number.isFinite(asked) ? asked : 0), deadline - Date.now());
        await res.body?.cancel();
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      const text = await res.text();
      const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      if (!res.ok) {
        const error = (json.error ?? {}) as { code?: string; message?: string; details?: unknown };
        const code = error.code ?? `http_${res.status}`;
        let message = error.message ?? `the daemon answered HTTP ${res.status}`;
        if (res.status === 401) message += ` from ${base}: give the daemon's token (vidhook: --token or VIDHOOK_TOKEN; createClient: { token })`;
        const err = new DaemonError(message, res.status, code, error.details);
        if (INPUT_ERRORS.has(code)) (err as DaemonError & { exitCode?: number }).exitCode = 2;
        throw err;
      }
      return json as T;
    }
  }

  return {
    async emit(type: string, data: unknown, extra: Omit<EmitInput, 'type' | 'data'> = {}) {
      const result = await request<AcceptedEvents>('POST', '/api/events', { ...extra, type, data });
      return result.events[0];
    },
    emitEvents: (events) => request<AcceptedEvents>('POST', '/api/events', { events }),
    request,
  };
}
