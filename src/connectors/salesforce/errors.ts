import {
  AuthError,
  isRetryableStatus,
  parseRetryAfter,
  PayloadValidationError,
  PermanentError,
  RetryableError,
  type Classification,
  type ClassifyContext,
  type DeliveryError,
  type HttpResponse,
} from '../core/index.js';
import { tokenFailure, tokenUrl } from './auth.js';
import type { SalesforceSettings } from './settings.js';

/** One entry of Salesforce's error array (`errorCode`), or of a SaveResult's `errors` (`statusCode`). */
export interface SalesforceApiError {
  message?: string;
  errorCode?: string;
  statusCode?: string;
  fields?: string[];
}

/** The record a remembered id points to is gone (deleted, merged): find or create it again. */
export class RecordGoneError extends PermanentError {}

/** A converted Lead is read-only: the person lives on as a Contact. */
export class ConvertedLeadError extends PermanentError {}

// The daily allocation is rolling over 24 h: probing again within the hour is plenty.
export const DAILY_LIMIT_BACKOFF_MS = 60 * 60 * 1000;
// Too many concurrent long requests clears as soon as those requests finish.
export const CONCURRENT_LIMIT_BACKOFF_MS = 60 * 1000;

const VALIDATION_CODES = new Set([
  'REQUIRED_FIELD_MISSING',
  'INVALID_FIELD',
  'INVALID_FIELD_FOR_INSERT_UPDATE',
  'FIELD_CUSTOM_VALIDATION_EXCEPTION',
  'FIELD_INTEGRITY_EXCEPTION',
  'STRING_TOO_LONG',
  'INVALID_EMAIL_ADDRESS',
  'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
  'DUPLICATES_DETECTED',
  'DUPLICATE_VALUE',
  'MALFORMED_ID',
  'INVALID_TYPE',
  'MALFORMED_QUERY',
  'JSON_PARSER_ERROR',
]);
const GONE_CODES = new Set(['NOT_FOUND', 'ENTITY_IS_DELETED', 'INVALID_CROSS_REFERENCE_KEY']);

function apiErrors(body: unknown): SalesforceApiError[] {
  if (Array.isArray(body)) return body.filter((e): e is SalesforceApiError => !!e && typeof e === 'object');
  if (body && typeof body === 'object' && Array.isArray((body as { errors?: unknown }).errors)) {
    return apiErrors((body as { errors: unknown[] }).errors);
  }
  return [];
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function flat(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 300 ? `${one.slice(0, 300)}…` : one;
}

function errorCode(error: SalesforceApiError | undefined): string | undefined {
  return error?.errorCode ?? error?.statusCode;
}

/** "REQUIRED_FIELD_MISSING on LastName: Required fields are missing: [LastName]" */
function describeErrors(errors: SalesforceApiError[], status: number, rawBody: string): string {
  if (errors.length === 0) return `HTTP ${status}${rawBody ? `: ${flat(rawBody)}` : ''}`;
  return errors
    .slice(0, 3)
    .map((e) => {
      const fields = e.fields?.length ? ` on ${e.fields.join(', ')}` : '';
      return `${errorCode(e) ?? `HTTP ${status}`}${fields}: ${flat(e.message ?? '')}`;
    })
    .join('; ');
}

/**
 * What a Salesforce answer means (the fact sheet's table): the body is a JSON array of
 * `{message, errorCode, fields}`, and the API limit arrives as a 403.
 */
function salesforceFailure(
  status: number,
  body: unknown,
  rawBody: string,
  headers: Record<string, string>,
  action: string,
): DeliveryError {
  const errors = apiErrors(body ?? parsed(rawBody));
  const codes = errors.map(errorCode);
  const detail = describeErrors(errors, status, rawBody);
  const messages = errors.map((e) => e.message ?? '').join(' ');

  // 401 INVALID_SESSION_ID: the engine mints a new session and sends once more, so what is
  // thrown here was refused with a fresh token: the credentials work but the session does not.
  if (status === 401) {
    return new AuthError(
      `Salesforce ended the session (${detail}), even with a fresh token: check the app's session policies and IP relaxation for the integration user`,
      401,
    );
  }
  if (codes.includes('REQUEST_LIMIT_EXCEEDED')) {
    const concurrent = /concurrent/i.test(messages);
    const usage = headers['sforce-limit-info'] ? ` (${headers['sforce-limit-info']})` : '';
    return new RetryableError(
      concurrent
        ? `Salesforce limits concurrent long requests: ${detail}`
        : `Salesforce API allocation used up${usage}: ${detail}; waiting before trying again`,
      concurrent ? CONCURRENT_LIMIT_BACKOFF_MS : DAILY_LIMIT_BACKOFF_MS,
      status,
      { rateLimited: true },
    );
  }
  if (codes.includes('UNABLE_TO_LOCK_ROW') || /UNABLE_TO_LOCK_ROW|Too many SOQL queries/i.test(messages)) {
    return new RetryableError(`Salesforce record busy, will retry: ${detail}`, undefined, status);
  }
  if (isRetryableStatus(status)) {
    return new RetryableError(`Salesforce ${action} failed: ${detail}`, parseRetryAfter(headers['retry-after']), status);
  }
  if (codes.includes('CANNOT_UPDATE_CONVERTED_LEAD')) return new ConvertedLeadError(`Salesforce ${action}: ${detail}`, status);
  if (codes.some((c) => c && GONE_CODES.has(c))) return new RecordGoneError(`Salesforce ${action}: ${detail}`, status);
  if (status === 300) return new PermanentError(`Salesforce ${action}: several records match (HTTP 300)`, status);
  if (codes.some((c) => c && VALIDATION_CODES.has(c))) {
    return new PayloadValidationError(`Salesforce refused ${action}: ${detail}`, status);
  }
  if (status === 403) {
    return new PermanentError(
      `Salesforce refused ${action} (HTTP 403: ${detail}): give the integration user access to Leads and Tasks and API Enabled`,
      status,
    );
  }
  return new PermanentError(`Salesforce refused ${action}: ${detail}`, status);
}

interface CompositeAnswer {
  compositeResponse?: Array<{ body: unknown; httpStatusCode: number; referenceId: string; httpHeaders?: Record<string, string> }>;
}

/** A Composite call answers 200 with each subrequest's status: the first real failure is the call's. */
function compositeFailure(answer: CompositeAnswer, action: string): DeliveryError | undefined {
  const failed = (answer.compositeResponse ?? []).filter((r) => r.httpStatusCode >= 300);
  // With allOrNone the others report PROCESSING_HALTED; the cause is the one that does not.
  const cause = failed.find((r) => !apiErrors(r.body).some((e) => errorCode(e) === 'PROCESSING_HALTED')) ?? failed[0];
  if (!cause) return undefined;
  return salesforceFailure(cause.httpStatusCode, cause.body, JSON.stringify(cause.body), cause.httpHeaders ?? {}, `${action} (${cause.referenceId})`);
}

/** Every answer of the token endpoint and the org's REST API. */
export function classifySalesforce(res: HttpResponse, { settings, request }: ClassifyContext<SalesforceSettings>): Classification {
  if (request.url === tokenUrl(settings)) return tokenFailure(res, settings);
  const action = request.action ?? `the request ${request.method} ${new URL(request.url).pathname}`;
  const body = parsed(res.body);
  if (res.status < 200 || res.status >= 300) return salesforceFailure(res.status, body, res.body, res.headers, action);
  const composite = !!body && typeof body === 'object' && Array.isArray((body as CompositeAnswer).compositeResponse);
  return (composite ? compositeFailure(body as CompositeAnswer, action) : undefined) ?? 'ok';
}
