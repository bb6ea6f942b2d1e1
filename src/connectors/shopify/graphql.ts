import {
  AuthError,
  isRetryableStatus,
  parseRetryAfter,
  PermanentError,
  RetryableError,
  type Classification,
  type ConnectorRequest,
  type DeliveryError,
  type HttpResponse,
} from '../core/index.js';
import { graphqlUrl, type ShopifyCall, type ShopifySettings } from './settings.js';

export interface ThrottleStatus {
  maximumAvailable?: number;
  currentlyAvailable?: number;
  restoreRate?: number;
}

interface GraphqlAnswer {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message?: string; extensions?: { code?: string } }> | string;
  extensions?: { cost?: { requestedQueryCost?: number; actualQueryCost?: number | null; throttleStatus?: ThrottleStatus } };
}

export interface UserError {
  field?: string[] | null;
  message?: string;
  code?: string | null;
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

/** A mutation refused its input (userErrors or mediaUserErrors, with HTTP 200): final, naming each field. */
export class ShopifyUserErrors extends PermanentError {
  constructor(
    readonly mutation: string,
    readonly errors: readonly UserError[],
  ) {
    super(`Shopify ${mutation} failed: ${userErrorText(errors)}`);
  }
}

/**
 * One Admin API request. A dry run answers `dryRunData` (what the handler reads next), or empty
 * data: an answer without `data` is a failure.
 */
export function graphqlRequest(settings: ShopifySettings, action: string, query: string, variables: Record<string, unknown>, dryRunData: unknown = {}): ConnectorRequest {
  return {
    method: 'POST',
    url: graphqlUrl(settings),
    headers: { accept: 'application/json' },
    json: { query, variables },
    action,
    dryRunResponse: { status: 200, body: { data: dryRunData } },
  };
}

/** Runs a query or mutation and answers its data; every failure, userErrors included, is thrown by classify. */
export async function runGraphql<T>(call: ShopifyCall, action: string, query: string, variables: Record<string, unknown>, dryRunData?: T): Promise<T> {
  const answer = await call.sendJson<{ data: T }>(graphqlRequest(call.settings, action, query, variables, dryRunData));
  return answer.data;
}

function httpFailure(res: HttpResponse, detail: string, action: string): DeliveryError {
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
    return new RetryableError(`Shopify answered HTTP ${res.status} to ${action}${detail}`, after, res.status);
  }
  return new PermanentError(`Shopify answered HTTP ${res.status} to ${action}${detail}`, res.status);
}

function errorsOf(answer: GraphqlAnswer): Array<{ message: string; code?: string }> {
  if (typeof answer.errors === 'string') return [{ message: answer.errors }];
  return (answer.errors ?? []).map((e) => ({ message: e.message ?? 'error', code: e.extensions?.code }));
}

/** The first mutation in the data that answers userErrors (or mediaUserErrors). */
function userErrorsIn(data: Record<string, unknown>): ShopifyUserErrors | undefined {
  for (const [mutation, payload] of Object.entries(data)) {
    if (!payload || typeof payload !== 'object') continue;
    const { userErrors, mediaUserErrors } = payload as { userErrors?: UserError[] | null; mediaUserErrors?: UserError[] | null };
    const errors = [...(userErrors ?? []), ...(mediaUserErrors ?? [])];
    if (errors.length) return new ShopifyUserErrors(mutation, errors);
  }
  return undefined;
}

/**
 * What an Admin API answer means. Throttling usually comes with HTTP 200 and is read from the
 * body; so are GraphQL errors and userErrors.
 */
export function graphqlAnswer(res: HttpResponse, settings: ShopifySettings, action: string): Classification {
  let answer: GraphqlAnswer | undefined;
  try {
    answer = res.json<GraphqlAnswer>() ?? undefined;
  } catch {
    answer = undefined;
  }
  const errors = answer ? errorsOf(answer) : [];
  const throttled = errors.some((e) => e.code === 'THROTTLED');
  if (throttled || (res.status === 429 && answer?.extensions?.cost)) {
    const cost = answer?.extensions?.cost;
    const status = cost?.throttleStatus;
    return new RetryableError(
      `Shopify throttled ${action} (cost ${cost?.requestedQueryCost ?? '?'}, ${status?.currentlyAvailable ?? '?'} of ${status?.maximumAvailable ?? '?'} points available, restoring ${status?.restoreRate ?? '?'}/s)`,
      throttleDelayMs(cost?.requestedQueryCost, status),
      res.status,
      { rateLimited: true },
    );
  }
  if (res.status !== 200) return httpFailure(res, errors.length ? `: ${errors.map((e) => e.message).join('; ')}` : '', action);
  if (!answer) return new PermanentError(`Shopify answered ${action} with a body that is not JSON`, res.status);
  if (errors.length) {
    const text = errors.map((e) => `${e.message}${e.code ? ` (${e.code})` : ''}`).join('; ');
    if (errors.some((e) => e.code === 'INTERNAL_SERVER_ERROR')) return new RetryableError(`Shopify failed internally: ${text}`, undefined, res.status);
    if (errors.some((e) => e.code === 'ACCESS_DENIED')) {
      return new PermanentError(`Shopify denied access: ${text} (the app needs the read_products and write_products scopes)`);
    }
    return new PermanentError(`Shopify rejected ${action}: ${text}`);
  }
  if (!answer.data) return new PermanentError(`Shopify answered ${action} without data`);
  return userErrorsIn(answer.data) ?? 'ok';
}
