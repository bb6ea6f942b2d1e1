import { AuthError, isRetryableStatus, parseRetryAfter, PermanentError, RetryableError, type Classification, type HttpResponse, type Session } from '../core/index.js';
import { tokenUrl, type ShopifyCall } from './settings.js';

// Client-credentials tokens live about 24 h; renewed a little early so a delivery never meets the end.
const DEFAULT_LIFETIME_S = 86_399;
const RENEW_MARGIN_MS = 5 * 60 * 1000;

interface TokenAnswer {
  access_token?: string;
  expires_in?: number;
  error?: string;
  error_description?: string;
}

/** The X-Shopify-Access-Token value: the static accessToken, or a token minted with the client-credentials grant. */
export async function shopifySession(call: ShopifyCall): Promise<Session<string>> {
  const { accessToken, clientId, clientSecret } = call.settings;
  // A secret setting already, so the engine masks it; minting again would give the same refused token.
  if (accessToken) return { value: accessToken, secrets: [], renewable: false };
  if (!clientId || !clientSecret) throw new AuthError('set accessToken, or clientId and clientSecret');
  // tokenAnswer lets only an answer with access_token through.
  const answer = await call.sendJson<TokenAnswer & { access_token: string }>({
    method: 'POST',
    url: tokenUrl(call.settings),
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
    authorize: false,
    action: 'the Shopify access token request',
    dryRunResponse: { status: 200, body: { access_token: 'dry-run-token', scope: 'write_products', expires_in: DEFAULT_LIFETIME_S } },
  });
  const lifetimeMs = (answer.expires_in ?? DEFAULT_LIFETIME_S) * 1000;
  return {
    value: answer.access_token,
    secrets: [answer.access_token],
    expiresAt: call.now().getTime() + Math.max(lifetimeMs - RENEW_MARGIN_MS, lifetimeMs / 2),
  };
}

/** What the token endpoint's answer means: a token, a refusal of the credentials, or a failure to retry. */
export function tokenAnswer(res: HttpResponse): Classification {
  let body: TokenAnswer = {};
  try {
    body = res.json<TokenAnswer>() ?? {};
  } catch {
    // A non-JSON answer is described by its status below.
  }
  if (res.status === 200 && body.access_token) return 'ok';
  const reason = body.error ? `${body.error}${body.error_description ? `: ${body.error_description}` : ''}` : `HTTP ${res.status}`;
  if (isRetryableStatus(res.status)) {
    return new RetryableError(`Shopify could not issue an access token (${reason})`, parseRetryAfter(res.headers['retry-after']), res.status);
  }
  if (res.status === 400 || res.status === 401 || res.status === 403) {
    return new AuthError(`Shopify refused the client credentials (${reason}): check clientId and clientSecret, and that the app is installed on the shop`, res.status);
  }
  return new PermanentError(`Shopify could not issue an access token (${reason})`, res.status);
}
