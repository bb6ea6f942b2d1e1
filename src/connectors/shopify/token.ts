import { isRetryableStatus, parseRetryAfter } from '../core/classify.js';
import { AuthError, PermanentError, RetryableError } from '../core/errors.js';
import type { Http } from '../core/types.js';

export interface ShopifyCredentials {
  accessToken?: string;
  clientId?: string;
  clientSecret?: string;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

// Client-credentials tokens live about 24 h; kept in memory only, per destination, never stored.
const tokens = new Map<string, CachedToken>();
const RENEW_MARGIN_MS = 5 * 60 * 1000;

export function usesClientCredentials(c: ShopifyCredentials): boolean {
  return !c.accessToken && Boolean(c.clientId && c.clientSecret);
}

export function forgetTokens(): void {
  tokens.clear();
}

/** The token for X-Shopify-Access-Token: the static one, or one minted with the client-credentials grant. */
export async function shopifyToken(
  credentials: ShopifyCredentials,
  cacheKey: string,
  origin: string,
  http: Http,
  now: Date,
  renew = false,
): Promise<string> {
  if (credentials.accessToken) {
    http.addSecret(credentials.accessToken);
    return credentials.accessToken;
  }
  const { clientId, clientSecret } = credentials;
  if (!clientId || !clientSecret) throw new AuthError('set accessToken, or clientId and clientSecret');
  http.addSecret(clientSecret);
  const key = `${cacheKey}\0${origin}\0${clientId}`;
  const cached = tokens.get(key);
  if (cached && !renew && cached.expiresAt > now.getTime()) {
    http.addSecret(cached.token);
    return cached.token;
  }

  const res = await http.request({
    method: 'POST',
    url: `${origin}/admin/oauth/access_token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
    acceptStatus: () => true,
    dryRunResponse: { status: 200, body: { access_token: 'dry-run-token', scope: 'write_products', expires_in: 86399 } },
  });
  let body: { access_token?: string; expires_in?: number; error?: string; error_description?: string } = {};
  try {
    body = res.json();
  } catch {
    // A non-JSON answer is described by its status below.
  }
  if (res.status === 200 && body.access_token) {
    http.addSecret(body.access_token);
    if (!http.dryRun) {
      const lifetimeMs = (body.expires_in ?? 86_399) * 1000;
      tokens.set(key, { token: body.access_token, expiresAt: now.getTime() + Math.max(lifetimeMs - RENEW_MARGIN_MS, lifetimeMs / 2) });
    }
    return body.access_token;
  }
  const reason = body.error ? `${body.error}${body.error_description ? `: ${body.error_description}` : ''}` : `HTTP ${res.status}`;
  if (isRetryableStatus(res.status)) {
    throw new RetryableError(`Shopify could not issue an access token (${reason})`, parseRetryAfter(res.headers['retry-after']), res.status);
  }
  if (res.status === 400 || res.status === 401 || res.status === 403) {
    throw new AuthError(`Shopify refused the client credentials (${reason}): check clientId and clientSecret, and that the app is installed on the shop`, res.status);
  }
  throw new PermanentError(`Shopify could not issue an access token (${reason})`, res.status);
}
