import { Agent, type Dispatcher } from 'undici';
import { RetryableError, PermanentError, DeliveryError } from '../connectors/core/errors.js';
import { redact, redactHeaders } from '../connectors/core/masking.js';
import type { Http, HttpRequest, HttpResponse } from '../connectors/core/types.js';
import { assertPublicHost, BlockedTargetError, blockedTargetFix, publicOnlyLookup } from './address-guard.js';
import { deadlineSignal, type DeadlineSignal } from './deadlines.js';
import { memoize } from '../memoize.js';

export interface Exchange {
  startedAt: string;
  durationMs: number;
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  response?: { status: number; headers: Record<string, string>; body: string };
  error?: string;
}

export interface HttpOptions {
  /** Values to mask in everything recorded. */
  secrets?: string[];
  dryRun?: boolean;
  connectTimeoutMs?: number;
  timeoutMs?: number;
  /** Refuse loopback/private targets, checked on the resolved address (runtime registrations). */
  publicTargetsOnly?: boolean;
  userAgent?: string;
}

export interface RecordingHttp extends Http {
  readonly exchanges: Exchange[];
  /** Remarks the connector made on a delivery that succeeded all the same. */
  readonly notes: string[];
  note(message: string): void;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

const agents = new Map<string, Agent>();
function agentFor(connectTimeoutMs: number, publicOnly: boolean): Agent {
  const key = `${connectTimeoutMs}:${publicOnly}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({
      connect: { timeout: connectTimeoutMs, ...(publicOnly ? { lookup: publicOnlyLookup } : {}) },
      keepAliveTimeout: 4_000,
    });
    agents.set(key, agent);
  }
  return agent;
}

export async function closeHttpAgents(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.all(all.map((a) => a.close().catch(() => undefined)));
}

/** A destination's URL is parsed once, not on every delivery. */
const urlParts = memoize((raw: string) => {
  const url = new URL(raw);
  return { origin: url.origin, path: `${url.pathname}${url.search}`, hostname: url.hostname };
});

function prepare(req: HttpRequest, userAgent: string): { headers: Record<string, string>; body?: string | Buffer } {
  const headers: Record<string, string> = { 'user-agent': userAgent };
  let body = req.body;
  if (req.json !== undefined) {
    body = JSON.stringify(req.json);
    headers['content-type'] = 'application/json';
  }
  for (const [name, value] of Object.entries(req.headers ?? {})) headers[name.toLowerCase()] = value;
  return { headers, body };
}

const TEXT_TYPES = /^(text\/|application\/(json|.*\+json|xml|.*\+xml|x-www-form-urlencoded|graphql|javascript))/i;

/** What the attempt log keeps of a body: the text, or only the size of a binary one. */
function recordable(body: string | Buffer, contentType: string | undefined): string {
  if (typeof body === 'string') return body;
  const text = body.toString('utf8');
  const binary = contentType ? !TEXT_TYPES.test(contentType) : text.includes('\uFFFD');
  return binary ? `[${body.length} bytes${contentType ? ` of ${contentType}` : ''}]` : text;
}

function responseOf(status: number, headers: Record<string, string>, bytes: Buffer): HttpResponse {
  const body = bytes.toString('utf8');
  return { status, headers, body, bytes, json: <T>() => JSON.parse(body) as T };
}

function flatHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in raw) {
    const value = raw[name];
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  bytes: Buffer;
}

/**
 * One exchange through undici's dispatcher, answered by callbacks: no body stream and no promise
 * per chunk. It ends at the deadline, body included, and keeps at most `maxBytes` of the answer.
 */
function exchangeOnce(agent: Agent, options: Dispatcher.DispatchOptions, maxBytes: number, deadline: DeadlineSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    if (deadline.aborted) return reject(deadline.reason);
    let controller: Dispatcher.DispatchController | undefined;
    let status = 0;
    let headers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onDeadline = () => controller?.abort(deadline.reason as Error);
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      deadline.off('abort', onDeadline);
      if (err) reject(err);
      else resolve({ status, headers, bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    };
    deadline.on('abort', onDeadline);
    try {
      agent.dispatch(options, {
        onRequestStart(c) {
          controller = c;
          if (deadline.aborted) c.abort(deadline.reason as Error);
        },
        onResponseStart(_c, statusCode, raw) {
          status = statusCode;
          headers = flatHeaders(raw);
        },
        onResponseData(c, chunk) {
          if (size + chunk.length <= maxBytes) {
            chunks.push(chunk);
            size += chunk.length;
            return;
          }
          chunks.push(chunk.subarray(0, maxBytes - size));
          size = maxBytes;
          finish();
          c.abort(new Error('answer larger than the recorded maximum'));
        },
        onResponseEnd: () => finish(),
        onResponseError: (_c, err) => finish(err),
      });
    } catch (err) {
      finish(err);
    }
  });
}

function networkError(err: unknown, timeoutMs: number): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  if (e instanceof BlockedTargetError || e?.code === 'EBLOCKED' || e?.cause?.code === 'EBLOCKED') {
    const blocked = [e, e.cause].find((x): x is BlockedTargetError => x instanceof BlockedTargetError);
    return new PermanentError(`refused: ${(e.cause ?? e).message} (${blocked ? blockedTargetFix(blocked) : 'start the daemon with --allow-private-targets to allow it'})`);
  }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return new RetryableError(`timed out after ${timeoutMs / 1000} s`);
  const code = e?.code ?? e?.cause?.code;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new RetryableError('connect timed out');
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return new RetryableError(`timed out after ${timeoutMs / 1000} s`);
  if (code === 'ECONNREFUSED') return new RetryableError('connection refused');
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return new RetryableError('connection reset by the server');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new RetryableError('host not found (DNS)');
  return new RetryableError(`network error: ${e?.message ?? String(err)}${code ? ` (${code})` : ''}`);
}

function redactExchange(x: Exchange, secrets: string[]): void {
  x.request.url = redact(x.request.url, secrets);
  for (const [name, value] of Object.entries(x.request.headers)) x.request.headers[name] = redact(value, secrets);
  if (x.request.body !== undefined) x.request.body = redact(x.request.body, secrets);
  if (x.response) {
    x.response.body = redact(x.response.body, secrets);
    x.response.headers = redactHeaders(x.response.headers, secrets);
  }
  if (x.error) x.error = redact(x.error, secrets);
}

/** The one door to the network: timeouts, no redirects, masking, and a record of every exchange; the connector engine classifies answers. */
export function createHttp(options: HttpOptions = {}): RecordingHttp {
  const secrets = [...(options.secrets ?? [])].filter((s) => s.length >= 4);
  const exchanges: Exchange[] = [];
  const notes: string[] = [];
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const userAgent = options.userAgent ?? 'vidhook/0.1';
  const dryRun = options.dryRun === true;

  async function request(req: HttpRequest): Promise<HttpResponse> {
    const { headers, body } = prepare(req, userAgent);
    const exchange: Exchange = {
      startedAt: new Date().toISOString(),
      durationMs: 0,
      request: {
        method: req.method,
        url: redact(req.url, secrets),
        headers: redactHeaders(headers, secrets),
        body: body === undefined ? undefined : redact(recordable(body, headers['content-type']), secrets),
      },
    };
    exchanges.push(exchange);
    const started = performance.now();

    let res: HttpResponse;
    if (dryRun) {
      const answer = req.dryRunResponse ?? { status: 200, body: {} };
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res = responseOf(answer.status, answer.headers ?? {}, Buffer.from(text));
    } else {
      try {
        const url = urlParts(req.url);
        if (options.publicTargetsOnly) await assertPublicHost(url.hostname);
        const answer = await exchangeOnce(
          agentFor(connectTimeoutMs, options.publicTargetsOnly === true),
          // The deadline bounds the whole exchange; undici's own timers would only add a timer object per request.
          { origin: url.origin, path: url.path, method: req.method as Dispatcher.HttpMethod, headers, body, headersTimeout: 0, bodyTimeout: 0 },
          req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
          deadlineSignal(timeoutMs),
        );
        res = responseOf(answer.status, answer.headers, answer.bytes);
      } catch (err) {
        const failure = networkError(err, timeoutMs);
        exchange.error = redact(failure.message, secrets);
        exchange.durationMs = Math.round(performance.now() - started);
        throw failure;
      }
    }
    exchange.durationMs = Math.round(performance.now() - started);
    // A receiver may echo a credential back, in a header as well as in the body.
    exchange.response = { status: res.status, headers: redactHeaders(res.headers, secrets), body: redact(recordable(res.bytes, res.headers['content-type']), secrets) };
    return res;
  }

  return {
    request,
    dryRun,
    exchanges,
    notes,
    note: (message: string) => void notes.push(redact(message, secrets)),
    redact: (text: string) => redact(text, secrets),
    addSecret(value: string) {
      if (value.length < 4 || secrets.includes(value)) return;
      secrets.push(value);
      // A token learnt from an answer was recorded before the connector could name it: mask it there too.
      for (const x of exchanges) redactExchange(x, secrets);
    },
  };
}
