import { parseRetryAfter, RetryableError, type HttpResponse } from '../core/index.js';

// Discord asks clients to follow its headers rather than hard-code limits. Each webhook has its
// own bucket; when a response says it is empty, the next message waits for the reset.

const emptyUntil = new Map<string, number>();
const LONGEST_WAIT_IN_PLACE_MS = 2_000;

function seconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
  return Number(value) * 1000;
}

/**
 * Remembers an empty bucket from X-RateLimit-Remaining / X-RateLimit-Reset-After. An answer
 * without those headers (a dry run's, a proxy's) says nothing about the bucket and changes nothing.
 */
export function noteRateLimitHeaders(webhookId: string, res: HttpResponse, now = Date.now()): void {
  const remaining = res.headers['x-ratelimit-remaining'];
  if (remaining === undefined) return;
  const resetAfter = seconds(res.headers['x-ratelimit-reset-after']);
  if (remaining === '0' && resetAfter !== undefined) emptyUntil.set(webhookId, now + resetAfter);
  else emptyUntil.delete(webhookId);
}

/** Waits briefly for the bucket to refill, or hands a longer wait back to the dispatcher. */
export async function waitForBucket(webhookId: string, now = Date.now()): Promise<void> {
  const until = emptyUntil.get(webhookId);
  if (until === undefined || until <= now) return;
  const waitMs = Math.ceil(until - now);
  if (waitMs > LONGEST_WAIT_IN_PLACE_MS) {
    throw new RetryableError(`Discord rate limit: the webhook's bucket refills in ${(waitMs / 1000).toFixed(1)} s`, waitMs, undefined, { rateLimited: true });
  }
  await new Promise((resolve) => setTimeout(resolve, waitMs));
}

/** The delay a 429 names: the body's retry_after (float seconds), else the headers. */
export function rateLimitDelayMs(res: HttpResponse): number | undefined {
  try {
    const body = JSON.parse(res.body) as { retry_after?: unknown };
    if (typeof body.retry_after === 'number' && Number.isFinite(body.retry_after)) {
      return parseRetryAfter(String(Math.max(0, body.retry_after)));
    }
  } catch {
    // Cloudflare's own 429 page is HTML; the headers still apply.
  }
  return parseRetryAfter(res.headers['retry-after']) ?? parseRetryAfter(res.headers['x-ratelimit-reset-after']);
}
