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
  type ConnectorRequest,
  type DeliveryError,
  type HttpResponse,
} from '../core/index.js';
import type { HubspotSettings } from './settings.js';
import { isTimelineEvent } from './timeline.js';

interface HubspotErrorBody {
  status?: string;
  message?: string;
  category?: string;
  policyName?: string;
  errorType?: string;
  errors?: Array<{ message?: string; code?: string; context?: Record<string, unknown> }>;
  context?: Record<string, unknown>;
}

const TEN_SECONDS = 10_000;
const ONE_MINUTE = 60_000;

/** HubSpot's daily limit resets at midnight in the account's time zone. */
export function msUntilDailyReset(now: Date, timeZone?: string): number {
  if (!timeZone) {
    // Unknown zone: midnight falls on a full hour almost everywhere, so probe just after the next one.
    return 3_600_000 - (now.getTime() % 3_600_000) + ONE_MINUTE;
  }
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: 'numeric', minute: 'numeric', second: 'numeric' })
    .formatToParts(now)
    .reduce<Record<string, number>>((acc, p) => (p.type === 'literal' ? acc : { ...acc, [p.type]: Number(p.value) }), {});
  const sinceMidnight = ((parts.hour ?? 0) * 3600 + (parts.minute ?? 0) * 60 + (parts.second ?? 0)) * 1000 + now.getMilliseconds();
  return 86_400_000 - sinceMidnight + ONE_MINUTE;
}

function errorBody(res: HttpResponse): HubspotErrorBody {
  try {
    const body = res.json<unknown>();
    return body && typeof body === 'object' ? (body as HubspotErrorBody) : {};
  } catch {
    return {};
  }
}

const flat = (text: string) => snippet(text, 300);

/**
 * "Property values were not valid: [{…,"name":"vidhook_plan"}]": HubSpot nests the per-property
 * verdicts as JSON inside the message; name the property and its own message.
 */
function describeValidation(body: HubspotErrorBody): string {
  const message = body.message ?? '';
  const nested = message.indexOf('[{');
  if (nested >= 0) {
    try {
      const items = JSON.parse(message.slice(nested)) as Array<{ name?: string; message?: string; error?: string }>;
      return items
        .slice(0, 3)
        .map((i) => `property ${i.name ?? '?'}: ${i.message ?? i.error ?? 'not valid'}`)
        .join('; ');
    } catch {
      // Fall through to the plain message.
    }
  }
  const first = body.errors?.[0];
  const property = first?.context?.propertyName;
  return flat(`${Array.isArray(property) || typeof property === 'string' ? `property ${String(property)}: ` : ''}${first?.message ?? message}`);
}

/** What a HubSpot refusal means: 429s by policy (DAILY waits for the reset), scopes, validation. */
function hubspotFailure(res: HttpResponse, action: string, now: Date, timeZone?: string, neededScopes = 'crm.objects.contacts.read/write'): DeliveryError {
  const body = errorBody(res);
  const said = body.message ? `: ${flat(body.message)}` : res.body && !body.category ? `: ${flat(res.body)}` : '';
  const retryAfter = parseRetryAfter(res.headers['retry-after'], now.getTime());

  if (res.status === 429) {
    const policy = body.policyName ?? 'TEN_SECONDLY_ROLLING';
    if (policy === 'DAILY') {
      return new RetryableError(
        `HubSpot's daily API limit is used up (DAILY); paused until it resets${timeZone ? ` at midnight ${timeZone}` : ''}`,
        msUntilDailyReset(now, timeZone),
        429,
        { rateLimited: true },
      );
    }
    const interval = Number(res.headers['x-hubspot-ratelimit-interval-milliseconds']);
    const window = policy === 'SECONDLY' ? 1000 : Number.isFinite(interval) && interval > 0 ? interval : TEN_SECONDS;
    return new RetryableError(`HubSpot rate limit (${policy})${said}`, retryAfter ?? window, 429, { rateLimited: true });
  }
  if (res.status === 401) {
    return new AuthError(
      'HubSpot refused the access token (401): set accessToken to the current token of the private app or service key (it may have been rotated or deleted)',
      401,
    );
  }
  if (res.status === 403) {
    const scopes = body.errors?.flatMap((e) => {
      const needed = e.context?.requiredGranularScopes ?? e.context?.requiredScopes;
      return Array.isArray(needed) ? needed.map(String) : [];
    });
    const which = scopes?.length ? ` (${scopes.join(', ')})` : ` (${neededScopes})`;
    return new AuthError(`HubSpot refused ${action} (403${said}): give the token the scopes it lacks${which}`, 403);
  }
  if (isRetryableStatus(res.status)) return new RetryableError(`HubSpot ${action} failed (HTTP ${res.status})${said}`, retryAfter, res.status);
  if (res.status === 400 && (body.category === 'VALIDATION_ERROR' || body.category === undefined)) {
    return new PayloadValidationError(`HubSpot refused ${action}: ${describeValidation(body) || `HTTP 400${said}`}`, 400);
  }
  return new PermanentError(`HubSpot refused ${action} (HTTP ${res.status}${body.category ? ` ${body.category}` : ''})${said}`, res.status);
}

/** A record the request links to is gone (a remembered contact deleted or merged away since). */
export class LinkedRecordGoneError extends PermanentError {}

/** A request that links records (a note to its contact): there a "not found" names the linked record. */
function linksRecords(request: ConnectorRequest): boolean {
  return typeof request.json === 'object' && request.json !== null && 'associations' in request.json;
}

/** Every HubSpot answer: 2xx is ok, anything else the failure it means, named after `request.action`. */
export function classifyHubspot(res: HttpResponse, { request, settings, now }: ClassifyContext<HubspotSettings>): Classification {
  if (res.status >= 200 && res.status < 300) return 'ok';
  if (res.status === 409 && isTimelineEvent(request)) return 'ok';
  const path = new URL(request.url).pathname;
  // When HubSpot does not name the scope, name the one this kind of request needs.
  const scopes = /\/(deals|pipelines)\b/.test(path) ? 'crm.objects.deals.read/write' : isTimelineEvent(request) ? 'timeline' : undefined;
  const failure = hubspotFailure(res, request.action ?? `${request.method} ${path}`, now, settings.timeZone, scopes);
  const gone = res.status === 404 || (res.status === 400 && /associat|not found|does not exist/i.test(failure.message));
  return linksRecords(request) && gone ? new LinkedRecordGoneError(failure.message, res.status) : failure;
}
