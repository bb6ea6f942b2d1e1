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
import type { MailchimpSettings } from './settings.js';

/** Mailchimp's problem-detail body (RFC 7807), with `errors[]` on "Invalid Resource". */
interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  errors?: Array<{ field?: string; message?: string }>;
}

/**
 * The address cannot be added or reached in this audience, by the audience's own rules (permanently
 * deleted, unsubscribed or in compliance review). Handlers turn it into a skip with its reason.
 */
export class MemberUnavailableError extends PermanentError {}

/** A request about one member (an event, tags) found no such member, or no such audience. */
export class MemberNotFoundError extends PermanentError {}

function problemOf(res: HttpResponse): Problem {
  try {
    const body = res.json<unknown>();
    return body && typeof body === 'object' ? (body as Problem) : {};
  } catch {
    return res.body.trim() ? { detail: snippet(res.body) } : {};
  }
}

function fieldErrors(problem: Problem): string {
  const fields = (problem.errors ?? []).slice(0, 3).map((e) => `${e.field || 'field'}: ${e.message ?? 'not valid'}`);
  return fields.length ? ` (${fields.join('; ')})` : '';
}

const MEMBER_REQUEST = /\/members\/[^/]+\/(events|tags)$/;

/** Every Mailchimp answer: 2xx is ok; a refusal is read from its problem-detail title. */
export function classifyMailchimp(res: HttpResponse, { request, settings, now }: ClassifyContext<MailchimpSettings>): Classification {
  if (res.status >= 200 && res.status < 300) return 'ok';
  const problem = problemOf(res);
  const path = new URL(request.url).pathname;
  const action = request.action ?? `${request.method} ${path}`;
  const title = problem.title ?? `HTTP ${res.status}`;
  const detail = problem.detail ? `: ${snippet(problem.detail, 300)}` : '';
  const retryAfter = parseRetryAfter(res.headers['retry-after'], now.getTime());

  if (res.status === 429 || problem.title === 'Too Many Requests') {
    return new RetryableError(
      `Mailchimp throttled ${action} (${title}; at most 10 simultaneous connections per account)${detail}`,
      retryAfter,
      429,
      { rateLimited: true },
    );
  }
  if (res.status === 401) {
    return new AuthError(
      `Mailchimp refused the API key (${title}): set apiKey to a current key of the account, whose suffix names its data centre${detail}`,
      401,
    );
  }
  if (res.status === 403) return new AuthError(`Mailchimp refused ${action} (403 ${title})${detail}`, 403);
  if (isRetryableStatus(res.status)) return new RetryableError(`Mailchimp ${action} failed (HTTP ${res.status} ${title})${detail}`, retryAfter, res.status);
  if (res.status === 404) {
    if (request.method === 'POST' && MEMBER_REQUEST.test(path)) {
      return new MemberNotFoundError(`Mailchimp found no such member for ${action} in audience ${settings.listId} (${title})`, 404);
    }
    if (path.startsWith(`/3.0/lists/${settings.listId}`)) {
      return new PermanentError(
        `Mailchimp has no audience ${settings.listId} (${title}): set listId to the Audience ID (Audience → Settings → Audience name and defaults)`,
        404,
      );
    }
  }
  switch (problem.title) {
    case 'Forgotten Email Not Subscribed':
    case 'Member In Compliance State':
      return new MemberUnavailableError(`Mailchimp will not add this member (${problem.title})${detail}`, res.status);
    case 'Invalid Resource':
      return new PayloadValidationError(`Mailchimp refused ${action} (Invalid Resource)${detail}${fieldErrors(problem)}`, res.status);
  }
  return new PermanentError(`Mailchimp refused ${action} (HTTP ${res.status} ${title})${detail}${fieldErrors(problem)}`, res.status);
}
