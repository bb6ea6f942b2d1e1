import { isRetryableStatus, parseRetryAfter } from '../core/classify.js';
import { AuthError, PermanentError, RetryableError, type DeliveryError } from '../core/errors.js';
import type { Http, HttpResponse } from '../core/types.js';
import { shopifyToken, usesClientCredentials, type ShopifyCredentials } from './token.js';

export interface ThrottleStatus {
  maximumAvailable?: number;
  currentlyAvailable?: number;
  restoreRate?: number;
}

interface GraphqlAnswer<T> {
  data?: T;
  errors?: Array<{ message?: string; extensions?: { code?: string } }> | string;
  extensions?: { cost?: { requestedQueryCost?: number; actualQueryCost?: number | null; throttleStatus?: ThrottleStatus } };
}

export interface UserError {
  field?: string[] | null;
  message?: string;
  code?: string | null;
}

export interface ShopifyEndpoint {
  origin: string;
  apiVersion: string;
  credentials: ShopifyCredentials;
  /** Names the destination's token in the in-memory cache. */
  cacheKey: string;
}

/**
 * How long to wait for the leaky bucket to hold the query's cost again:
 * (requested − available) / restoreRate seconds, or a second when the answer does not say.
 */
export function throttleDelayMs(requested: number | undefined, status: ThrottleStatus | undefined): number {
  const available = status?.currentlyAvailable;
  const rate = status?.restoreRate;
  if (requested === undefined || available === undefined || !rate) return 1000;
  const ms = Math.ceil((Math.max(0, requested - available) / rate) * 1000);
  return ms > 0 ? ms : 1000;
}

export function userErrorText(errors: readonly UserError[]): string {
  return errors.map((e) => `${e.field?.length ? `${e.field.join('.')}: ` : ''}${e.message ?? 'invalid'}${e.code ? ` (${e.code})` : ''}`).join('; ');
}

/** userErrors (and mediaUserErrors) arrive with HTTP 200; any is a permanent failure naming the field. */
export function assertNoUserErrors(payload: { userErrors?: UserError[]; mediaUserErrors?: UserError[] } | null | undefined, mutation: string): void {
  const errors = [...(payload?.userErrors ?? []), ...(payload?.mediaUserErrors ?? [])];
  if (errors.length) throw new PermanentError(`Shopify ${mutation} failed: ${userErrorText(errors)}`);
}

function httpFailure(res: HttpResponse, detail: string): DeliveryError {
  switch (res.status) {
    case 401:
      return new AuthError(`Shopify refused the access token (HTTP 401${detail}): check accessToken, or clientId and clientSecret`, 401);
    case 402:
      return new PermanentError('the Shopify shop is frozen or unpaid (HTTP 402)', 402);
    case 403:
      return new PermanentError(`Shopify denied access (HTTP 403${detail}): the app needs the write_products scope`, 403);
    case 404:
      return new PermanentError('Shopify knows no such shop or API version (HTTP 404): check shop and apiVersion', 404);
    case 423:
      return new PermanentError('the Shopify shop is locked (HTTP 423)', 423);
  }
  if (isRetryableStatus(res.status)) {
    const after = parseRetryAfter(res.headers['retry-after']) ?? (res.status === 429 ? 1000 : undefined);
    return new RetryableError(`Shopify answered HTTP ${res.status}${detail}`, after, res.status);
  }
  return new PermanentError(`Shopify answered HTTP ${res.status}${detail}`, res.status);
}

function errorsOf(answer: GraphqlAnswer<unknown>): Array<{ message: string; code?: string }> {
  if (typeof answer.errors === 'string') return [{ message: answer.errors }];
  return (answer.errors ?? []).map((e) => ({ message: e.message ?? 'error', code: e.extensions?.code }));
}

export class ShopifyGraphql {
  /** The version Shopify actually served (it falls forward from unsupported ones). */
  servedVersion?: string;
  private token?: string;

  constructor(
    private readonly endpoint: ShopifyEndpoint,
    private readonly http: Http,
    private readonly now: () => Date,
  ) {}

  get url(): string {
    return `${this.endpoint.origin}/admin/api/${this.endpoint.apiVersion}/graphql.json`;
  }

  async run<T>(query: string, variables: Record<string, unknown>, dryRunData: T): Promise<T> {
    const { credentials, cacheKey, origin } = this.endpoint;
    this.token ??= await shopifyToken(credentials, cacheKey, origin, this.http, this.now());
    let res = await this.post(this.token, query, variables, dryRunData);
    if (res.status === 401 && usesClientCredentials(credentials)) {
      this.token = await shopifyToken(credentials, cacheKey, origin, this.http, this.now(), true);
      res = await this.post(this.token, query, variables, dryRunData);
    }
    this.servedVersion = res.headers['x-shopify-api-version'] ?? this.servedVersion;

    let answer: GraphqlAnswer<T> | undefined;
    try {
      answer = res.json<GraphqlAnswer<T>>();
    } catch {
      answer = undefined;
    }
    const errors = answer ? errorsOf(answer) : [];
    const throttled = errors.find((e) => e.code === 'THROTTLED');
    if (throttled || (res.status === 429 && answer?.extensions?.cost)) {
      const cost = answer?.extensions?.cost;
      const status = cost?.throttleStatus;
      const after = throttleDelayMs(cost?.requestedQueryCost, status);
      throw new RetryableError(
        `Shopify throttled the request (cost ${cost?.requestedQueryCost ?? '?'}, ${status?.currentlyAvailable ?? '?'} of ${status?.maximumAvailable ?? '?'} points available, restoring ${status?.restoreRate ?? '?'}/s)`,
        after,
        res.status,
        { rateLimited: true },
      );
    }
    if (res.status !== 200) {
      const detail = errors.length ? `: ${errors.map((e) => e.message).join('; ')}` : '';
      throw httpFailure(res, detail);
    }
    if (!answer) throw new PermanentError('Shopify answered with a body that is not JSON', res.status);
    if (errors.length) {
      const text = errors.map((e) => `${e.message}${e.code ? ` (${e.code})` : ''}`).join('; ');
      if (errors.some((e) => e.code === 'INTERNAL_SERVER_ERROR')) throw new RetryableError(`Shopify failed internally: ${text}`, undefined, res.status);
      if (errors.some((e) => e.code === 'ACCESS_DENIED')) {
        throw new PermanentError(`Shopify denied access: ${text} (the app needs the read_products and write_products scopes)`);
      }
      throw new PermanentError(`Shopify rejected the request: ${text}`);
    }
    if (answer.data === undefined || answer.data === null) throw new PermanentError('Shopify answered without data');
    return answer.data;
  }

  private post(token: string, query: string, variables: Record<string, unknown>, dryRunData: unknown): Promise<HttpResponse> {
    return this.http.request({
      method: 'POST',
      url: this.url,
      headers: { 'x-shopify-access-token': token, accept: 'application/json' },
      json: { query, variables },
      acceptStatus: () => true,
      dryRunResponse: { status: 200, body: { data: dryRunData } },
    });
  }
}
