import { isRetryableStatus, parseRetryAfter } from '../core/classify.js';
import {
  AuthError,
  PayloadValidationError,
  PermanentError,
  RetryableError,
  type DeliveryError,
} from '../core/errors.js';
import type { DeliveryContext, Http, HttpResponse } from '../core/types.js';

export interface WordPressAccess {
  siteUrl: string;
  username: string;
  appPassword: string;
}

/** `pretty`: /wp-json/…; `query`: /?rest_route=… for sites with plain permalinks. */
export type RouteStyle = 'pretty' | 'query';
const ROUTE_STYLE_KEY = 'route-style';

export interface WpErrorBody {
  code?: string;
  message?: string;
  data?: { status?: number; params?: Record<string, string>; term_id?: number };
}

export interface WpCall {
  method: 'GET' | 'POST' | 'DELETE';
  /** A REST route such as /wp/v2/posts. */
  route: string;
  query?: Record<string, string>;
  json?: unknown;
  body?: Buffer;
  headers?: Record<string, string>;
  dryRunBody?: unknown;
  dryRunStatus?: number;
}

export function restUrl(siteUrl: string, style: RouteStyle, route: string, query: Record<string, string> = {}): string {
  const site = siteUrl.replace(/\/+$/, '');
  const params = new URLSearchParams(query).toString();
  if (style === 'pretty') return `${site}/wp-json${route}${params ? `?${params}` : ''}`;
  // Slashes stay literal in rest_route, as WordPress documents it.
  return `${site}/?rest_route=${route}${params ? `&${params}` : ''}`;
}

function isJsonAnswer(res: HttpResponse): boolean {
  if (/json/i.test(res.headers['content-type'] ?? '')) return true;
  const text = res.body.trim();
  return text.startsWith('{') || text.startsWith('[');
}

/** With plain permalinks /wp-json/ is not routed: a 404 page, or the home page itself. */
function noRestHere(res: HttpResponse): boolean {
  return (res.status === 404 || (res.status >= 200 && res.status < 300)) && !isJsonAnswer(res);
}

export function errorBody(res: HttpResponse): WpErrorBody | undefined {
  if (!isJsonAnswer(res)) return undefined;
  try {
    const parsed = res.json<WpErrorBody>();
    return parsed && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export class WordPressApi {
  private readonly authorization: string;

  constructor(
    private readonly access: WordPressAccess,
    private readonly http: Http,
    private readonly ctx: DeliveryContext,
  ) {
    const token = Buffer.from(`${access.username}:${access.appPassword}`, 'utf8').toString('base64');
    this.authorization = `Basic ${token}`;
    for (const value of [access.appPassword, access.appPassword.replace(/\s+/g, ''), token]) http.addSecret(value);
  }

  get username(): string {
    return this.access.username;
  }

  /** Sends one REST call; answers of any status come back for the caller to read. */
  async call(call: WpCall): Promise<HttpResponse> {
    const remembered = (await this.ctx.state.get(ROUTE_STYLE_KEY)) as RouteStyle | undefined;
    const first: RouteStyle = remembered === 'query' ? 'query' : 'pretty';
    let res = await this.send(call, first);
    if (!noRestHere(res)) return res;
    const other: RouteStyle = first === 'pretty' ? 'query' : 'pretty';
    const retried = await this.send(call, other);
    if (noRestHere(retried)) {
      throw new PermanentError(
        `no WordPress REST API answered at ${this.access.siteUrl} (tried /wp-json/ and ?rest_route=): check siteUrl`,
        retried.status,
      );
    }
    res = retried;
    if (!this.http.dryRun) await this.ctx.state.set(ROUTE_STYLE_KEY, other);
    return res;
  }

  /** A call whose 2xx answer is JSON; anything else is thrown, classified. */
  async expect<T>(call: WpCall, what: string): Promise<T> {
    const res = await this.call(call);
    if (res.status >= 200 && res.status < 300) return res.json<T>();
    throw wordPressFailure(res, what, this.access.username);
  }

  private send(call: WpCall, style: RouteStyle): Promise<HttpResponse> {
    return this.http.request({
      method: call.method,
      url: restUrl(this.access.siteUrl, style, call.route, call.query),
      headers: { accept: 'application/json', ...call.headers, authorization: this.authorization },
      ...(call.json !== undefined ? { json: call.json } : {}),
      ...(call.body !== undefined ? { body: call.body } : {}),
      acceptStatus: () => true,
      dryRunResponse: { status: call.dryRunStatus ?? 200, body: call.dryRunBody ?? {}, headers: { 'content-type': 'application/json' } },
    });
  }
}

function describe(body: WpErrorBody | undefined, status: number): string {
  if (!body?.code) return `HTTP ${status}`;
  return `${body.code}${body.message ? `: ${body.message}` : ''}`;
}

/** What a WordPress error answer means (fact sheet: never retry 400/401/403; 501 is not transient). */
export function wordPressFailure(res: HttpResponse, what: string, username: string): DeliveryError {
  const body = errorBody(res);
  const code = body?.code ?? '';
  const status = res.status;
  const detail = describe(body, status);

  if (status === 401 || code === 'application_passwords_disabled') {
    if (code === 'incorrect_password') {
      return new AuthError(
        `WordPress refused the application password for user "${username}" (incorrect_password): create a new one under Users → Profile → Application Passwords and set appPassword`,
        status,
      );
    }
    if (code === 'invalid_username' || code === 'invalid_email') {
      return new AuthError(`WordPress does not know the user "${username}" (${code}): check username`, status);
    }
    if (code === 'application_passwords_disabled') {
      return new AuthError(
        `application passwords are disabled on this site (application_passwords_disabled): they need HTTPS, and no plugin may turn them off`,
        status,
      );
    }
    if (code === 'rest_not_logged_in' || code === 'rest_cannot_create' || code === 'rest_forbidden') {
      return new AuthError(
        `WordPress saw no credentials while trying to ${what} (${code}): the web server probably strips the Authorization header (Apache: SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=$1)`,
        status,
      );
    }
    return new AuthError(`WordPress refused the credentials of "${username}" (${detail})`, status);
  }
  if (status === 403) {
    if (!body) return new PermanentError(`WordPress answered 403 with a non-JSON page: a firewall or proxy blocked the request to ${what}`, status);
    if (code === 'rest_cannot_publish') {
      return new PermanentError(
        `user "${username}" may not publish posts (rest_cannot_publish): set status to draft or pending, or give the user the Author or Editor role`,
        status,
      );
    }
    return new PermanentError(`user "${username}" may not ${what} (${detail})`, status);
  }
  if (status === 413) return new PayloadValidationError(`the site refused to ${what}: the request is larger than its upload limit (HTTP 413)`, status);
  if (isRetryableStatus(status) && status !== 501) {
    return new RetryableError(`WordPress could not ${what} (${detail})`, parseRetryAfter(res.headers['retry-after']), status);
  }
  if (status === 400 && body) {
    const params = body.data?.params ? ` (${Object.entries(body.data.params).map(([k, v]) => `${k}: ${v}`).join('; ')})` : '';
    return new PayloadValidationError(`WordPress could not ${what} (${detail})${params}`, status);
  }
  return new PermanentError(`WordPress could not ${what} (${detail})`, status);
}
