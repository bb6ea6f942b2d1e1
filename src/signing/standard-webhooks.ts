import { createHmac, createSecretKey, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import { memoize } from '../memoize.js';

export const SECRET_PREFIX = 'whsec_';
export const TOLERANCE_SECONDS = 5 * 60;

export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

export function isValidSecret(secret: string): boolean {
  if (!secret.startsWith(SECRET_PREFIX)) return false;
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  return key.length >= 24 && key.length <= 64;
}

/** A secret's key bytes, decoded once: every delivery to a destination signs with the same secret. */
const keyOf = memoize((secret: string): KeyObject =>
  createSecretKey(Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64')),
);

function hmacBase64(secret: string, head: string, body: string | Buffer): string {
  return createHmac('sha256', keyOf(secret)).update(head).update(body).digest('base64');
}

/** `v1,<base64>` over `${id}.${timestamp}.${body}`. */
export function sign(secret: string, id: string, timestampSec: number, body: string | Buffer): string {
  return `v1,${hmacBase64(secret, `${id}.${timestampSec}.`, body)}`;
}

/** Space-separated signatures, one per secret, so a rotated secret signs alongside the new one. */
export function signatureHeader(secrets: readonly string[], id: string, timestampSec: number, body: string | Buffer): string {
  return secrets.map((s) => sign(s, id, timestampSec, body)).join(' ');
}

export function signedHeaders(
  secrets: readonly string[],
  id: string,
  body: string | Buffer,
  now: Date = new Date(),
): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(secrets, id, timestamp, body),
  };
}

export class WebhookVerificationError extends Error {
  readonly code = 'invalid_signature';
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

type HeaderBag = Record<string, string | string[] | undefined> | Headers;

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const bag = headers as Record<string, string | string[] | undefined>;
  for (const [key, value] of Object.entries(bag)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/** Throws WebhookVerificationError unless one signature matches and the timestamp is fresh. */
export function verify(
  secret: string,
  headers: HeaderBag,
  body: string | Buffer,
  options: { now?: Date; toleranceSec?: number } = {},
): void {
  const id = header(headers, 'webhook-id') ?? header(headers, 'svix-id');
  const timestamp = header(headers, 'webhook-timestamp') ?? header(headers, 'svix-timestamp');
  const signatures = header(headers, 'webhook-signature') ?? header(headers, 'svix-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature header');
  }
  const ts = Number(timestamp);
  if (!Number.isInteger(ts)) throw new WebhookVerificationError('webhook-timestamp is not a Unix time in seconds');
  const nowSec = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSec ?? TOLERANCE_SECONDS;
  if (nowSec - ts > tolerance) throw new WebhookVerificationError('message timestamp too old');
  if (ts - nowSec > tolerance) throw new WebhookVerificationError('message timestamp too new');

  const expected = Buffer.from(sign(secret, id, ts, body).slice(3), 'base64');
  for (const candidate of signatures.split(' ')) {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return;
  }
  throw new WebhookVerificationError('no matching signature found');
}
