import { startReceiver, type ReceivedRequest, type Receiver, type Reply } from '../../helpers/receiver.js';

// A Discord webhook on API v10: Execute Webhook (204, or 200 + message with ?wait=true), the
// documented embed limits (400 code 50035), a per-webhook bucket with X-RateLimit-* headers and
// 429 `retry_after`, and 404 code 10015 for an unknown webhook.

type Json = Record<string, unknown>;

export interface FakeDiscord {
  receiver: Receiver;
  id: string;
  token: string;
  /** The URL as users copy it: no API version. */
  webhookUrl: string;
  messages: Json[];
  /** Requests per window; the bucket resets `windowMs` after its first request. */
  bucket(limit: number, windowMs: number): void;
  /** Answer the next POST with a global 429 naming `retryAfter` seconds. */
  globalLimitOnce(retryAfter: number): void;
  /** Delete the webhook: every later call answers 404 Unknown Webhook. */
  deleteWebhook(): void;
  close(): Promise<void>;
}

function error(status: number, code: number, message: string, extra: Json = {}, headers: Record<string, string> = {}): Reply {
  return { status, body: { message, code, ...extra }, headers };
}

function len(value: unknown): number {
  return typeof value === 'string' ? value.length : 0;
}

/** The field paths Discord would refuse, in its `errors` tree shape. */
export function embedErrors(message: Json): Json | undefined {
  const errors: Json = {};
  const tooLong = { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be shorter.' }] };
  if (len(message.content) > 2000) errors.content = tooLong;
  const embeds = (message.embeds ?? []) as Json[];
  if (embeds.length > 10) errors.embeds = tooLong;
  let total = 0;
  embeds.forEach((embed, i) => {
    const at = (field: string) => `embeds.${i}.${field}`;
    const fields = (embed.fields ?? []) as Json[];
    if (len(embed.title) > 256) errors[at('title')] = tooLong;
    if (len(embed.description) > 4096) errors[at('description')] = tooLong;
    if (fields.length > 25) errors[at('fields')] = tooLong;
    fields.forEach((f, j) => {
      if (len(f.name) === 0 || len(f.name) > 256) errors[at(`fields.${j}.name`)] = tooLong;
      if (len(f.value) === 0 || len(f.value) > 1024) errors[at(`fields.${j}.value`)] = tooLong;
    });
    const footer = len((embed.footer as Json | undefined)?.text);
    const author = len((embed.author as Json | undefined)?.name);
    if (footer > 2048) errors[at('footer.text')] = tooLong;
    if (author > 256) errors[at('author.name')] = tooLong;
    total += len(embed.title) + len(embed.description) + footer + author + fields.reduce((s, f) => s + len(f.name) + len(f.value), 0);
  });
  if (total > 6000) errors.embeds = { _errors: [{ code: 'MAX_EMBED_SIZE_EXCEEDED', message: 'Embed size exceeds maximum size of 6000' }] };
  if (!message.content && embeds.length === 0) return { _empty: true };
  return Object.keys(errors).length > 0 ? errors : undefined;
}

export async function startFakeDiscord(): Promise<FakeDiscord> {
  // A fresh id per fake: the connector remembers each webhook's bucket.
  const id = String(1187654321098765432n + BigInt(Math.floor(Math.random() * 1e9)));
  const token = 'aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9dE1fG3hI5jK7lM9nO1pQ3rS5';
  const messages: Json[] = [];
  let deleted = false;
  let globalRetryAfter: number | undefined;
  let limit = 5;
  let windowMs = 2000;
  let used = 0;
  let resetAt = 0;

  function rateHeaders(now: number): Record<string, string> {
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - used)),
      'x-ratelimit-reset': ((resetAt) / 1000).toFixed(3),
      'x-ratelimit-reset-after': (Math.max(0, resetAt - now) / 1000).toFixed(3),
      'x-ratelimit-bucket': 'f2a4c6e8b0d1f3a5c7e9b1d3f5a7c9e1',
    };
  }

  function answer(req: ReceivedRequest): Reply {
    const url = new URL(req.url, 'http://fake');
    const match = /^\/api\/v10\/webhooks\/(\d+)\/([^/]+)$/.exec(url.pathname);
    if (!match) return error(404, 0, '404: Not Found');
    if (deleted || match[1] !== id) return error(404, 10015, 'Unknown Webhook');
    if (match[2] !== token) return error(401, 50027, 'Invalid Webhook Token');
    if (req.method === 'GET') {
      return { status: 200, body: { id, type: 1, name: 'Renders', channel_id: '1100000000000000001', guild_id: '1100000000000000000', token, application_id: null } };
    }
    const now = Date.now();
    if (globalRetryAfter !== undefined) {
      const after = globalRetryAfter;
      globalRetryAfter = undefined;
      return error(429, 0, 'You are being rate limited.', { retry_after: after, global: true }, {
        'retry-after': String(Math.ceil(after)),
        'x-ratelimit-global': 'true',
        'x-ratelimit-scope': 'global',
      });
    }
    if (now >= resetAt) {
      used = 0;
      resetAt = now + windowMs;
    }
    if (used >= limit) {
      const after = Math.max(0, resetAt - now) / 1000;
      return error(429, 0, 'You are being rate limited.', { retry_after: after, global: false }, {
        ...rateHeaders(now),
        'retry-after': String(Math.ceil(after)),
        'x-ratelimit-scope': 'user',
      });
    }
    used += 1;
    const headers = rateHeaders(now);
    if (!req.headers['content-type']?.startsWith('application/json')) return error(400, 50035, 'Invalid Form Body', {}, headers);
    let message: Json;
    try {
      message = JSON.parse(req.body) as Json;
    } catch {
      return error(400, 50109, 'The request body contains invalid JSON.', {}, headers);
    }
    const problems = embedErrors(message);
    if (problems?._empty) return error(400, 50006, 'Cannot send an empty message', {}, headers);
    if (problems) return error(400, 50035, 'Invalid Form Body', { errors: problems }, headers);
    messages.push(message);
    if (url.searchParams.get('wait') !== 'true') return { status: 204, headers };
    return {
      status: 200,
      headers,
      body: { id: String(1200000000000000000n + BigInt(messages.length)), type: 0, channel_id: '1100000000000000001', webhook_id: id, ...message },
    };
  }

  const receiver = await startReceiver(answer);
  return {
    receiver,
    id,
    token,
    webhookUrl: `${receiver.origin}/api/webhooks/${id}/${token}`,
    messages,
    bucket(nextLimit, nextWindowMs) {
      limit = nextLimit;
      windowMs = nextWindowMs;
      used = 0;
      resetAt = 0;
    },
    globalLimitOnce: (seconds) => void (globalRetryAfter = seconds),
    deleteWebhook: () => void (deleted = true),
    close: () => receiver.close(),
  };
}
