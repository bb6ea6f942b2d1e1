import { EndpointGoneError, PermanentError, RetryableError, type DeliveryError } from './errors.js';
import { snippet } from './text.js';
import type { HttpResponse } from './types.js';

export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** Retry-After as seconds or an HTTP date, in ms from now, capped at an hour. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  return Math.min(Math.max(0, Math.round(ms)), MAX_RETRY_AFTER_MS);
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}


/** The generic reading of a non-2xx answer (SPEC §6); connectors refine it for their service. */
export function classifyResponse(res: HttpResponse): DeliveryError {
  const detail = res.body ? `: ${snippet(res.body)}` : '';
  if (isRetryableStatus(res.status)) {
    return new RetryableError(`HTTP ${res.status}${detail}`, parseRetryAfter(res.headers['retry-after']), res.status);
  }
  if (res.status === 410) return new EndpointGoneError(`HTTP 410 Gone: the endpoint no longer exists${detail}`, 410);
  if (res.status >= 300 && res.status < 400) {
    const where = res.headers.location ? ` to ${res.headers.location}` : '';
    return new PermanentError(`HTTP ${res.status} redirect${where}: redirects are not followed, use the final URL`, res.status);
  }
  return new PermanentError(`HTTP ${res.status}${detail}`, res.status);
}
