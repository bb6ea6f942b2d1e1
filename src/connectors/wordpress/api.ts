import {
  AuthError,
  DeliveryError,
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
export class NoRestApiError extends PermanentError {
  constructor(
    message: string,
    status: number,
    readonly location?: string,
  ) {
    super(message, status);
  }
}

/**
 * WordPress answered as if no credentials came with the request (401 rest_not_logged_in,
 * rest_cannot_create): WordPress 6.1 answers a wrong application password this way too, so the
 * connector asks the site which it is before saying (see `explainRefusal`).
 */
export class CredentialsUnseenError extends AuthError {
  constructor(
    message: string,
    status: number,
    readonly code: string,
    readonly action: string,
  ) {
    super(message, status);
  }
}

/** An error with the fix `doctor` shows for it. */
export function withFix<E extends DeliveryError>(error: E, fix: string): E {
  error.fix = fix;
  return error;
}

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

/** The REST base of a post type setting: /wp/v2/posts, /wp/v2/pages, /wp/v2/<custom>. */
export function restBase(postType: string | undefined): string {
  if (!postType || postType === 'post') return 'posts';
  if (postType === 'page') return 'pages';
  return postType;
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
  try {
    return await restInEitherStyle(call, request);
  } catch (err) {
    if (err instanceof CredentialsUnseenError && !call.dryRun) throw await explainRefusal(call, err);
    throw err;
  }
}

async function restInEitherStyle(call: Call<SiteAccess>, request: RestRequest): Promise<HttpResponse> {
  const first: RouteStyle = (await call.state.get(ROUTE_STYLE_KEY)) === 'query' ? 'query' : 'pretty';
  let missed: NoRestApiError;
  try {
    return await call.send(wire(call.settings.siteUrl, first, request));
  } catch (err) {
    if (!(err instanceof NoRestApiError)) throw err;
    missed = err;
  }
  const other: RouteStyle = first === 'pretty' ? 'query' : 'pretty';
  const answer = await call.send(wire(call.settings.siteUrl, other, request)).then(
    (response) => ({ response }),
    (failure: unknown) => ({ failure }),
  );
  if ('failure' in answer && answer.failure instanceof NoRestApiError) {
    const redirect = [answer.failure, missed].map((e) => e.location).find((l) => l && !l.startsWith(`${call.settings.siteUrl}/`));
    const siteUrl = call.settings.siteUrl;
    throw withFix(
      new PermanentError(
        redirect
          ? `no WordPress REST API answered at ${siteUrl}: the site redirects to ${redirect}`
          : `no WordPress REST API answered at ${siteUrl} (tried /wp-json/ and ?rest_route=)`,
        answer.failure.status,
      ),
      redirect
        ? `set siteUrl to the address the site redirects to (${redirect.replace(/\/(wp-json|\?rest_route=).*$/, '')})`
        : `check siteUrl (${siteUrl}): it must be the address of the WordPress site, with its folder if it has one`,
    );
  }
  // The REST API answered in this style, even if it refused the call.
  await call.state.set(ROUTE_STYLE_KEY, other);
  if ('failure' in answer) throw answer.failure;
  return answer.response;
}

function xmlText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Asks XML-RPC, which reads the credentials from the body, whether they are right. */
async function passwordAcceptedOverXmlRpc(call: Call<SiteAccess>): Promise<boolean | undefined> {
  const { siteUrl, username, appPassword } = call.settings;
  const body =
    `<?xml version="1.0"?><methodCall><methodName>wp.getUsersBlogs</methodName><params>` +
    `<param><value><string>${xmlText(username)}</string></value></param>` +
    `<param><value><string>${xmlText(appPassword)}</string></value></param></params></methodCall>`;
  try {
    const res = await call.send({
      method: 'POST',
      url: `${siteUrl}/xmlrpc.php`,
      authorize: false,
      headers: { 'content-type': 'text/xml' },
      body,
      action: 'the check of the application password over XML-RPC',
    });
    if (/<fault>[\s\S]*<int>403<\/int>/.test(res.body)) return false;
    if (/<methodResponse>\s*<params>/.test(res.body)) return true;
  } catch {
    // XML-RPC is often turned off: then it cannot tell.
  }
  return undefined;
}

/** Whether the site offers application passwords at all (its REST index says). */
async function applicationPasswordsOffered(call: Call<SiteAccess>): Promise<boolean | undefined> {
  try {
    const index = (await restInEitherStyle(call, { method: 'GET', route: '/', query: { _fields: 'authentication' }, action: 'the REST index' })).json<{
      authentication?: Record<string, unknown> | unknown[];
    }>();
    return Boolean(index.authentication && !Array.isArray(index.authentication) && 'application-passwords' in index.authentication);
  } catch {
    return undefined;
  }
}

/**
 * WordPress 6.1 answers a wrong application password, an unknown user and a request whose
 * Authorization header the web server dropped all alike (401 rest_not_logged_in): ask the site
 * which it is, and name that cause.
 */
export async function explainRefusal(call: Call<SiteAccess>, refused: CredentialsUnseenError): Promise<AuthError> {
  const { username } = call.settings;
  const seen = `${refused.code} on ${refused.action}`;
  const newPassword = `create a new application password for "${username}" (Users → Profile → Application Passwords) and set appPassword; check username`;
  const passHeader = `make the web server pass the Authorization header to PHP (Apache: SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=$1 in .htaccess)`;
  if ((await applicationPasswordsOffered(call)) === false) {
    return withFix(
      new AuthError(`the site does not offer application passwords (${seen}): WordPress offers them only over HTTPS, and a plugin may turn them off`, refused.status),
      'serve the site over HTTPS (siteUrl https://…), or enable application passwords in the security plugin that disabled them',
    );
  }
  const accepted = await passwordAcceptedOverXmlRpc(call);
  if (accepted === false) {
    return withFix(
      new AuthError(`WordPress refused the application password of "${username}" (${seen}; its XML-RPC login refused it too): the password is wrong or was revoked, or the user does not exist`, refused.status),
      newPassword,
    );
  }
  if (accepted === true) {
    return withFix(
      new AuthError(`WordPress accepts the application password of "${username}", but the REST API saw no credentials (${seen}): the web server strips the Authorization header`, refused.status),
      passHeader,
    );
  }
  return withFix(
    new AuthError(
      `WordPress did not accept the credentials of "${username}" (${seen}): the application password is wrong or revoked, or the web server strips the Authorization header (XML-RPC, which would tell them apart, is off)`,
      refused.status,
    ),
    `${newPassword}; if it still fails, ${passHeader}`,
  );
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
  // With plain permalinks WordPress answers a GET on /wp-json/… with a redirect to its canonical URL.
  if (status >= 300 && status < 400) {
    const location = res.headers.location;
    return new NoRestApiError(`${action}: a redirect${location ? ` to ${location}` : ''} instead of the REST API (HTTP ${status})`, status, location);
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
      // Replaced by what the site says when asked (explainRefusal); this text is what a dry run would show.
      return new CredentialsUnseenError(
        `${action}: WordPress saw no valid credentials (${code}): the application password is wrong, or the web server strips the Authorization header`,
        status,
        code,
        action,
      );
    }
    return new AuthError(`WordPress refused the credentials of "${username}" (${detail})`, status);
  }
  if (status === 403) {
    if (!body) return new PermanentError(`WordPress answered 403 with a non-JSON page: a firewall or proxy blocked ${action}`, status);
    if (code === 'rest_cannot_edit') {
      return withFix(
        new PermanentError(
          `user "${username}" may not edit ${action.replace(/^the update of /, '')} (rest_cannot_edit): a Contributor cannot change a post once it is published, and an Author only their own`,
          status,
        ),
        `give "${username}" the Author role (its own posts) or Editor (all posts); \`vidhook doctor\` checks the role against the settings`,
      );
    }
    if (code === 'rest_cannot_publish') {
      return new PermanentError(
        `user "${username}" may not publish posts (rest_cannot_publish): set status to draft or pending, or give the user the Author or Editor role`,
        status,
      );
    }
    return new PermanentError(`WordPress refused ${action} to user "${username}" (${detail})`, status);
  }
  if (status === 404 && code === 'rest_post_invalid_id') return new PostGoneError(`${action}: the post no longer exists (${detail})`, status);
  // WordPress answers a file it will not take (AVIF on 6.1, a type not allowed) with 500: retrying cannot help.
  if (code.startsWith('rest_upload_')) return new PayloadValidationError(`WordPress refused ${action} (${detail})`, status);
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
