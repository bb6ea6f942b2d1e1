import { parseRetryAfter } from '../core/classify.js';
import { EndpointGoneError, PayloadValidationError, PermanentError, RetryableError, type DeliveryError } from '../core/errors.js';
import type { HttpResponse } from '../core/types.js';

// Slack answers incoming webhooks with a plain-text error string; the status alone is
// ambiguous (posting_to_general_channel_denied comes as 400 or 403), so the body decides.

const GONE: Record<string, string> = {
  no_service: 'the webhook was disabled, removed or never existed',
  no_service_id: 'the webhook URL names no webhook',
  invalid_token: 'the secret part of the webhook URL is wrong',
  no_team: 'the Slack workspace no longer exists',
  team_disabled: 'the Slack workspace was disabled',
  no_active_hooks: 'the app has no active webhooks',
  channel_not_found: 'the webhook’s channel no longer exists',
  channel_is_archived: 'the webhook’s channel is archived',
};

const REFUSED: Record<string, string> = {
  invalid_payload: 'Slack could not read the message as JSON',
  invalid_blocks: 'Slack refused the message blocks',
  invalid_blocks_format: 'Slack refused the message blocks',
  no_text: 'the message had no text',
  missing_text_or_fallback_or_attachments: 'the message had no text',
  too_many_attachments: 'the message had too many attachments',
  user_not_found: 'the user the webhook posts as no longer exists',
};

const PROHIBITED: Record<string, string> = {
  action_prohibited: 'a workspace admin restricts this webhook',
  posting_to_general_channel_denied: 'only admins may post to this channel (#general is restricted)',
};

const CREATE_NEW = 'create a new incoming webhook in the Slack app settings and update webhookUrl';

export function slackFailure(res: HttpResponse): DeliveryError | undefined {
  if (res.status >= 200 && res.status < 300) return undefined;
  const code = res.body.trim().split(/\s/)[0]?.slice(0, 80) ?? '';
  if (res.status === 429) {
    return new RetryableError('Slack rate limit (429)', parseRetryAfter(res.headers['retry-after']), 429, { rateLimited: true });
  }
  if (GONE[code]) return new EndpointGoneError(`Slack answered ${code}: ${GONE[code]}; ${CREATE_NEW}`, res.status);
  if (REFUSED[code]) return new PayloadValidationError(`Slack answered ${code}: ${REFUSED[code]}`, res.status);
  if (PROHIBITED[code]) return new PermanentError(`Slack answered ${code}: ${PROHIBITED[code]}`, res.status);
  const named = /^[a-z_]+$/.test(code) ? ` ${code}` : '';
  if (res.status >= 500 || res.status === 408) {
    return new RetryableError(`Slack answered HTTP ${res.status}${named}`, parseRetryAfter(res.headers['retry-after']), res.status);
  }
  if (res.status === 404 || res.status === 410) return new EndpointGoneError(`Slack answered HTTP ${res.status}${named}: the webhook is gone; ${CREATE_NEW}`, res.status);
  return new PermanentError(`Slack answered HTTP ${res.status}${named}`, res.status);
}
