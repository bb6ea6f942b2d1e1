import {
  AuthError,
  EndpointGoneError,
  parseRetryAfter,
  PayloadValidationError,
  PermanentError,
  RetryableError,
  type DeliveryError,
  type HttpResponse,
} from '../core/index.js';
import { rateLimitDelayMs } from './rate-limit.js';

interface DiscordError {
  code?: number;
  message?: string;
  errors?: unknown;
  global?: boolean;
}

function errorOf(body: string): DiscordError {
  try {
    const parsed = JSON.parse(body) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as DiscordError) : {};
  } catch {
    return {};
  }
}

// The `errors` tree names the offending field (embeds.0.fields.3.value: BASE_TYPE_MAX_LENGTH).
function firstFieldError(errors: unknown, path: string[] = []): string | undefined {
  if (!errors || typeof errors !== 'object') return undefined;
  const node = errors as Record<string, unknown>;
  if (Array.isArray(node._errors)) {
    const first = node._errors[0] as { code?: unknown; message?: unknown } | undefined;
    return `${path.join('.')}: ${String(first?.message ?? first?.code ?? 'invalid')}`;
  }
  for (const [key, child] of Object.entries(node)) {
    const found = firstFieldError(child, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

const RECREATE = 'create a new webhook in the channel settings (Integrations → Webhooks) and update webhookUrl';

/** How Discord's answer reads: the status, then the JSON error `code` and the field it names. */
export function discordFailure(res: HttpResponse, action = 'the message'): DeliveryError | undefined {
  if (res.status >= 200 && res.status < 300) return undefined;
  const error = errorOf(res.body);
  const said = [error.code, typeof error.message === 'string' ? error.message.slice(0, 200) : undefined].filter((x) => x !== undefined).join(' ');
  const detail = said ? `: ${said}` : '';
  if (res.status === 429) {
    const scope = res.headers['x-ratelimit-global'] === 'true' || error.global === true ? 'global ' : '';
    return new RetryableError(`Discord ${scope}rate limit (429)`, rateLimitDelayMs(res), 429, { rateLimited: true });
  }
  if (res.status >= 500 || res.status === 408) return new RetryableError(`Discord answered HTTP ${res.status}${detail}`, parseRetryAfter(res.headers['retry-after']), res.status);
  // Discord restricts clients that keep calling a deleted webhook: stop at once.
  if (res.status === 404) return new EndpointGoneError(`Discord answered 404${detail || ' Unknown Webhook'}: the webhook was deleted; ${RECREATE}`, 404);
  if (res.status === 401 || error.code === 50027) return new AuthError(`Discord refused the webhook token${detail}; ${RECREATE}`, res.status);
  if (res.status === 400 || res.status === 413) {
    const field = firstFieldError(error.errors);
    return new PayloadValidationError(`Discord refused ${action}${detail}${field ? ` (${field})` : ''}`, res.status);
  }
  return new PermanentError(`Discord answered HTTP ${res.status}${detail}`, res.status);
}
