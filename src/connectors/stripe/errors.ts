import {
  AuthError,
  parseRetryAfter,
  PayloadValidationError,
  PermanentError,
  RetryableError,
  snippet,
  type Classification,
  type ClassifyContext,
  type DeliveryError,
  type HttpResponse,
} from '../core/index.js';
import type { StripeSettings } from './settings.js';

/** Stripe's error object: `{"error": {type, code, message, param}}`. */
export interface StripeError {
  type?: string;
  code?: string;
  message?: string;
  param?: string;
}

function errorOf(res: HttpResponse): StripeError {
  try {
    const body = res.json<{ error?: StripeError }>();
    return body && typeof body.error === 'object' && body.error ? body.error : { message: snippet(res.body) };
  } catch {
    return res.body ? { message: snippet(res.body) } : {};
  }
}

/** The permission a restricted key needs for the request, as the Dashboard names it. */
function permissionFor(url: string): string {
  return new URL(url).pathname.endsWith('/billing/meter_events') ? 'billing meter events: write' : 'billing meters: read';
}

/** `resource_missing` names a customer or a meter: say which, and what to fix. */
function missingResource(error: StripeError, action: string, status: number): PermanentError {
  const said = error.message ? ` (${error.message})` : '';
  const param = error.param ?? '';
  if (/customer/i.test(param) || (!param && /customer/i.test(error.message ?? ''))) {
    return new PermanentError(`Stripe refused ${action}: the customer is unknown to this account${said}; check customerIdPath and test/live mode`, status);
  }
  if (param === 'event_name' || /meter|event_name/i.test(error.message ?? '')) {
    return new PermanentError(`Stripe refused ${action}: no active meter has this event_name${said}; create or reactivate it under Billing › Meters, or fix meters.<type>.eventName`, status);
  }
  return new PermanentError(`Stripe refused ${action}: resource_missing${said}`, status);
}

function stripeFailure(res: HttpResponse, action: string, url: string, now: Date): DeliveryError {
  const error = errorOf(res);
  const code = error.code ?? error.type ?? `HTTP ${res.status}`;
  const said = error.message ? `: ${snippet(error.message, 300)}` : '';
  const what = `Stripe refused ${action} (${res.status} ${code})${said}`;
  const retryAfter = parseRetryAfter(res.headers['retry-after'], now.getTime());

  if (res.status === 401) return new AuthError(`${what}: check secretKey`, 401);
  if (res.status === 403) {
    const rak = /'(rak_[a-z_]+)'/.exec(error.message ?? '')?.[1];
    return new AuthError(`${what}: give the restricted key the permission "${permissionFor(url)}"${rak ? ` (${rak})` : ''}, or use a secret key`, 403);
  }
  // Contention on one object is not the account's rate limit: only this delivery waits.
  if (error.code === 'lock_timeout') return new RetryableError(what, retryAfter, res.status, { rateLimited: false });
  if (res.status === 429 || error.code === 'rate_limit') return new RetryableError(what, retryAfter, res.status, { rateLimited: true });
  if (res.status >= 500 || res.status === 408 || error.type === 'api_error') return new RetryableError(what, retryAfter, res.status);
  if (error.code === 'resource_missing') return missingResource(error, action, res.status);
  if (error.type === 'idempotency_error') {
    return new PermanentError(`${what}: this event was sent before with other parameters (were its meter settings changed?); Stripe holds the first request to its Idempotency-Key for 24 h`, res.status);
  }
  if (error.param) return new PayloadValidationError(`${what} (parameter ${error.param})`, res.status);
  return new PermanentError(what, res.status);
}

/**
 * Every Stripe answer. `Stripe-Should-Retry`, when present, is Stripe's own verdict on whether
 * the same request can succeed later, and outranks the status (never for refused credentials).
 */
export function classifyStripe(res: HttpResponse, { request, now }: ClassifyContext<StripeSettings>): Classification {
  if (res.status >= 200 && res.status < 300) return 'ok';
  const action = request.action ?? `${request.method} ${new URL(request.url).pathname}`;
  const failure = stripeFailure(res, action, request.url, now);
  const shouldRetry = res.headers['stripe-should-retry'];
  if (failure instanceof AuthError) return failure;
  if (shouldRetry === 'true' && !failure.retryable) {
    return new RetryableError(`${failure.message} (Stripe-Should-Retry: true)`, parseRetryAfter(res.headers['retry-after'], now.getTime()), res.status);
  }
  if (shouldRetry === 'false' && failure.retryable) return new PermanentError(`${failure.message} (Stripe-Should-Retry: false)`, res.status);
  return failure;
}
