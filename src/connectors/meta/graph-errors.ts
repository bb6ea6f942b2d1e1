import {
  AuthError,
  isRetryableStatus,
  parseRetryAfter,
  PayloadValidationError,
  PermanentError,
  RetryableError,
  snippet,
  type Classification,
  type ClassifyContext,
  type HttpResponse,
} from '../core/index.js';

/** The error object of a Graph API answer. */
export interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  is_transient?: boolean;
  error_user_title?: string;
  error_user_msg?: string;
  fbtrace_id?: string;
}

// App, user, page, per-object and business-use-case limits, and "application limit reached".
const RATE_LIMIT_CODES = new Set([4, 17, 32, 341, 613, 80003, 80004]);
const TEMPORARY_CODES = new Set([1, 2]);
const BLOCKED_TEMPORARILY = 368;
/** The longest wait vidhook takes from a service (Retry-After is capped the same). */
const LONGEST_WAIT_MS = 60 * 60_000;

export function graphErrorOf(res: HttpResponse): GraphError | undefined {
  try {
    const body = res.json<{ error?: GraphError }>();
    return body && typeof body.error === 'object' && body.error !== null ? body.error : undefined;
  } catch {
    return undefined;
  }
}

/** Minutes Meta says to wait in x-business-use-case-usage / x-ad-account-usage, if any. */
function regainAccessMs(headers: Record<string, string>): number | undefined {
  let minutes = 0;
  for (const name of ['x-business-use-case-usage', 'x-ad-account-usage']) {
    const raw = headers[name];
    if (!raw) continue;
    for (const match of raw.matchAll(/"estimated_time_to_regain_access"\s*:\s*(\d+)/g)) minutes = Math.max(minutes, Number(match[1]));
  }
  return minutes > 0 ? Math.min(minutes * 60_000, LONGEST_WAIT_MS) : undefined;
}

function describe(error: GraphError, action: string): string {
  const code = `code ${error.code ?? '?'}${error.error_subcode ? `/${error.error_subcode}` : ''}`;
  const detail = [error.error_user_title, error.error_user_msg ?? error.message].filter(Boolean).join(': ');
  const trace = error.fbtrace_id ? ` [fbtrace_id ${error.fbtrace_id}]` : '';
  return `Meta refused ${action} (${code}): ${detail || 'no message'}${trace}`;
}

/** An answer without a Graph error object (a proxy, a load balancer): the generic rule, naming the request. */
function plainFailure(res: HttpResponse, action: string): Classification {
  if (res.status < 400 || res.status === 410) return undefined;
  const text = `Meta answered HTTP ${res.status} to ${action}${res.body.trim() ? `: ${snippet(res.body)}` : ''}`;
  return isRetryableStatus(res.status) ? new RetryableError(text, parseRetryAfter(res.headers['retry-after']), res.status) : new PermanentError(text, res.status);
}

/** What a Graph API answer means for the delivery: every answer, 2xx included, comes through here. */
export function classifyGraph(res: HttpResponse, { request }: ClassifyContext<unknown>): Classification {
  if (res.status >= 200 && res.status < 300) return 'ok';
  const action = request.action ?? 'the request';
  const error = graphErrorOf(res);
  if (!error || typeof error.code !== 'number') return plainFailure(res, action);
  const text = describe(error, action);
  const code = error.code;

  if (code === 190) {
    return new AuthError(
      `${text}. The access token is invalid or expired: generate a new one in Events Manager (Settings › Conversions API › Generate access token) and update accessToken`,
      res.status,
    );
  }
  if (code === 10 || (code >= 200 && code <= 299)) {
    return new AuthError(`${text}. The access token lacks permission for this pixel: use a system-user token with access to the dataset`, res.status);
  }
  if (RATE_LIMIT_CODES.has(code)) {
    const after = parseRetryAfter(res.headers['retry-after']) ?? regainAccessMs(res.headers);
    return new RetryableError(`${text} (rate limited)`, after, res.status, { rateLimited: true });
  }
  if (code === BLOCKED_TEMPORARILY) {
    return new RetryableError(`${text} (temporarily blocked; waiting before trying again)`, LONGEST_WAIT_MS, res.status, { rateLimited: true });
  }
  if (TEMPORARY_CODES.has(code) || error.is_transient === true) {
    return new RetryableError(`${text} (temporary)`, parseRetryAfter(res.headers['retry-after']), res.status);
  }
  if (code === 100 && error.error_subcode === 33) {
    return new PermanentError(`${text}. The pixel does not exist or the token cannot reach it: check pixelId`, res.status);
  }
  if (code === 100) return new PayloadValidationError(text, res.status);
  return res.status >= 500 ? new RetryableError(text, parseRetryAfter(res.headers['retry-after']), res.status) : new PermanentError(text, res.status);
}
