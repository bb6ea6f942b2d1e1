import {
  AuthError,
  isRetryableStatus,
  parseRetryAfter,
  PayloadValidationError,
  PermanentError,
  RetryableError,
  type Call,
  type Classification,
  type ClassifyContext,
  type ConnectorRequest,
  type HttpResponse,
} from '../core/index.js';

/** What the REST calls need of the settings. */
export interface SiteAccess {
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

export interface RestRequest {
  method: 'GET' | 'POST';
  /** A REST route such as /wp/v2/posts. */
  route: string;
  query?: Record<string, string>;
  json?: unknown;
  body?: Buffer;
  headers?: Record<string, string>;
  /** What the call does, for messages: "the post creation". */
  action: string;
  /** What a dry run answers, where the next step needs an id from it. */
  dryRunBody?: unknown;
}

/** The answer was not the REST API's: /wp-json/ is not routed here (plain permalinks), or siteUrl is wrong. */
export class NoRestApiError extends PermanentError {}

/** The post asked for does not exist (deleted for good): a new one is created instead. */
export class PostGoneError extends PermanentError {}

/** The term was created meanwhile by someone else; WordPress names its id. */
export class TermExistsError extends PayloadValidationError {
  constructor(
    message: string,
    readonly termId: number,
  ) {
    super(message, 400);
  }
}

export function basicCredentials({ username, appPassword }: SiteAccess): string {
  return Buffer.from(`${username}:${appPassword}`, 'utf8').toString('base64');
}

export function restUrl(siteUrl: string, style: RouteStyle, route: string, query: Record<string, string> = {}): string {
  const params = new URLSearchParams(query).toString();
  if (style === 'pretty') return `${siteUrl}/wp-json${route}${params ? `?${params}` : ''}`;
  // Slashes stay literal in rest_route, as WordPress documents it.
  return `${siteUrl}/?rest_route=${route}${params ? `&${params}` : ''}`;
}

function isRestUrl(url: string, siteUrl: string): boolean {
  return url.startsWith(`${siteUrl}/wp-json/`) || url.startsWith(`${siteUrl}/?rest_route=`);
}

/**
 * Sends one REST call in the route style this site answers to. When the remembered style meets
 * no REST API (plain permalinks, or permalinks changed since), the other style is tried and,
 * if the REST API answers there, remembered.
 */
export async function rest(call: Call<SiteAccess>, request: RestRequest): Promise<HttpResponse> {
  const first: RouteStyle = (await call.state.get(ROUTE_STYLE_KEY)) === 'query' ? 'query' : 'pretty';
  try {
    return await call.send(wire(call.settings.siteUrl, first, request));
  } catch (err) {
    if (!(err instanceof NoRestApiError)) throw err;
  }
  const other: RouteStyle = first === 'pretty' ? 'query' : 'pretty';
  const answer = await call.send(wire(call.settings.siteUrl, other, request)).then(
    (response) => ({ response }),
    (failure: unknown) => ({ failure }),
  );
  if ('failure' in answer && answer.failure instanceof NoRestApiError) {
    throw new PermanentError(
      `no WordPress REST API answered at ${call.settings.siteUrl} (tried /wp-json/ and ?rest_route=): check siteUrl`,
      answer.failure.status,
    );
  }
  // The REST API answered in this style, even if it refused the call.
  await call.state.set(ROUTE_STYLE_KEY, other);
  if ('failure' in answer) throw answer.failure;
  return answer.response;
}

/** A REST call whose answer is JSON (`{}` when empty). */
export async function restJson<T>(call: Call<SiteAccess>, request: RestRequest): Promise<T> {
  const response = await rest(call, request);
  if (!response.body.trim()) return {} as T;
  try {
    return response.json<T>();
  } catch {
    throw new PermanentError(`${request.action} answered HTTP ${response.status} without JSON`, response.status);
  }
}

function wire(siteUrl: string, style: RouteStyle, request: RestRequest): ConnectorRequest {
  return {
    method: request.method,
    url: restUrl(siteUrl, style, request.route, request.query),
    headers: { accept: 'application/json', ...request.headers },
    action: request.action,
    ...(request.json !== undefined ? { json: request.json } : {}),
    ...(request.body !== undefined ? { body: request.body } : {}),
    ...(request.dryRunBody !== undefined
      ? { dryRunResponse: { status: 200, body: request.dryRunBody, headers: { 'content-type': 'application/json' } } }
      : {}),
  };
}

function isJsonAnswer(res: HttpResponse): boolean {
  if (/json/i.test(res.headers['content-type'] ?? '')) return true;
  const text = res.body.trim();
  return text.startsWith('{') || text.startsWith('[');
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

/** Every answer the connector receives: the REST API's, or another host's (the poster download). */
export function classifyAnswer(res: HttpResponse, { request, settings }: ClassifyContext<SiteAccess>): Classification {
  const action = request.action ?? `${request.method} ${request.url}`;
  if (!isRestUrl(request.url, settings.siteUrl)) return otherAnswer(res, action);
  return restAnswer(res, action, settings.username);
}

/** A file fetched from elsewhere: its failure is this delivery's, never the destination's (no 410 "gone"). */
function otherAnswer(res: HttpResponse, action: string): Classification {
  if (res.status >= 200 && res.status < 300) return 'ok';
  if (isRetryableStatus(res.status)) {
    return new RetryableError(`${action} failed (HTTP ${res.status})`, parseRetryAfter(res.headers['retry-after']), res.status);
  }
  return new PermanentError(`${action} failed (HTTP ${res.status})`, res.status);
}

function describe(body: WpErrorBody | undefined, status: number): string {
  if (!body?.code) return `HTTP ${status}`;
  return `${body.code}${body.message ? `: ${body.message}` : ''}`;
}

/** What a WordPress answer means (fact sheet: never retry 400/401/403; 501 is not transient). */
function restAnswer(res: HttpResponse, action: string, username: string): Classification {
  const status = res.status;
  // With plain permalinks /wp-json/ is not routed: a 404 page, or the home page itself.
  if ((status === 404 || (status >= 200 && status < 300)) && !isJsonAnswer(res)) {
    return new NoRestApiError(`${action}: ${res.headers['content-type'] ?? 'a page'} instead of the REST API (HTTP ${status})`, status);
  }
  if (status >= 200 && status < 300) return 'ok';

  const body = errorBody(res);
  const code = body?.code ?? '';
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
        `WordPress saw no credentials on ${action} (${code}): the web server probably strips the Authorization header (Apache: SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=$1)`,
        status,
      );
    }
    return new AuthError(`WordPress refused the credentials of "${username}" (${detail})`, status);
  }
  if (status === 403) {
    if (!body) return new PermanentError(`WordPress answered 403 with a non-JSON page: a firewall or proxy blocked ${action}`, status);
    if (code === 'rest_cannot_publish') {
      return new PermanentError(
        `user "${username}" may not publish posts (rest_cannot_publish): set status to draft or pending, or give the user the Author or Editor role`,
        status,
      );
    }
    return new PermanentError(`WordPress refused ${action} to user "${username}" (${detail})`, status);
  }
  if (status === 404 && code === 'rest_post_invalid_id') return new PostGoneError(`${action}: the post no longer exists (${detail})`, status);
  if (status === 413) return new PayloadValidationError(`the site refused ${action}: the request is larger than its upload limit (HTTP 413)`, status);
  if (isRetryableStatus(status) && status !== 501) {
    return new RetryableError(`WordPress could not complete ${action} (${detail})`, parseRetryAfter(res.headers['retry-after']), status);
  }
  if (status === 400 && code === 'term_exists' && typeof body?.data?.term_id === 'number') {
    return new TermExistsError(`${action}: the term exists already (term_exists)`, body.data.term_id);
  }
  if (status === 400 && body) {
    const params = body.data?.params ? ` (${Object.entries(body.data.params).map(([k, v]) => `${k}: ${v}`).join('; ')})` : '';
    return new PayloadValidationError(`WordPress refused ${action} (${detail})${params}`, status);
  }
  return new PermanentError(`WordPress refused ${action} (${detail})`, status);
}
