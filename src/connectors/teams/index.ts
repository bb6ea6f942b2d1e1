import { z } from 'zod';
import {
  AuthError,
  defineConnector,
  EndpointGoneError,
  forEveryEvent,
  httpUrl,
  parseRetryAfter,
  PayloadValidationError,
  PermanentError,
  RetryableError,
  secret,
  type DeliveryError,
  type HttpResponse,
} from '../core/index.js';
import { consoleUrlSetting } from '../messaging/console-link.js';
import { teamsMessage } from './card.js';

export { teamsMessage } from './card.js';

/** Office 365 connector URLs: webhook.office.com, outlook.office.com/webhook, outlook.office365.com/webhook. */
export function isRetiredTeamsUrl(value: string): boolean {
  try {
    const { hostname, pathname } = new URL(value);
    const host = hostname.toLowerCase();
    if (host === 'webhook.office.com' || host.endsWith('.webhook.office.com')) return true;
    return (host === 'outlook.office.com' || host === 'outlook.office365.com') && pathname.toLowerCase().startsWith('/webhook');
  } catch {
    return false;
  }
}

export const RETIRED_TEAMS_URL_MESSAGE =
  'is an Office 365 connector URL (webhook.office.com), and Microsoft has retired those connectors: ' +
  'create a Workflows webhook instead (in Teams: the channel’s ••• menu → Workflows → "Send webhook alerts to a channel") and use its URL';

const settings = z.object({
  webhookUrl: secret(
    httpUrl().refine((value) => !isRetiredTeamsUrl(value), { message: RETIRED_TEAMS_URL_MESSAGE }),
    'Teams Workflows webhook URL (…logic.azure.com/workflows/… or …powerplatform.com/…/workflows/…).',
  ),
  consoleUrl: consoleUrlSetting(),
});

export type TeamsSettings = z.output<typeof settings>;

const WORKFLOW_HOST = /(^|\.)(logic\.azure\.com|api\.powerplatform\.com)$/i;

function errorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === 'string' ? parsed.error.code.slice(0, 80) : undefined;
  } catch {
    return undefined;
  }
}

/** How a Workflows webhook's answer reads: Logic Apps name the failure in `error.code`. */
export function teamsFailure(res: HttpResponse, action = 'the message'): DeliveryError | undefined {
  if (res.status >= 200 && res.status < 300) return undefined;
  const code = errorCode(res.body);
  const named = code ? ` ${code}` : '';
  if (res.status === 429 || res.status === 408 || res.status >= 500) {
    return new RetryableError(`Teams Workflows answered HTTP ${res.status}${named}`, parseRetryAfter(res.headers['retry-after']), res.status);
  }
  if (code === 'WorkflowTriggerIsNotEnabled') {
    return new PermanentError('the Teams workflow is turned off (WorkflowTriggerIsNotEnabled): turn it on in Power Automate', res.status);
  }
  if (res.status === 401 || code === 'DirectApiAuthorizationRequired') {
    return new AuthError(
      `Teams Workflows refused ${action} (HTTP ${res.status}${named}): set the trigger's "Who can trigger the flow" to "Anyone", or check the URL's sig parameter`,
      res.status,
    );
  }
  if (res.status === 403) return new AuthError(`Teams Workflows refused ${action} (HTTP 403${named}): check the URL's sig parameter`, 403);
  if (res.status === 404 || res.status === 410) {
    return new EndpointGoneError(`Teams Workflows answered HTTP ${res.status}${named}: the workflow was deleted; create a new Workflows webhook and update webhookUrl`, res.status);
  }
  if (res.status === 400 || res.status === 413) return new PayloadValidationError(`Teams Workflows refused ${action} (HTTP ${res.status}${named})`, res.status);
  return new PermanentError(`Teams Workflows answered HTTP ${res.status}${named}`, res.status);
}

export const teams = defineConnector<TeamsSettings>({
  kind: 'teams',
  title: 'Microsoft Teams',
  category: 'messaging',
  description: 'Posts an Adaptive Card to a Teams channel through a Workflows webhook.',
  settings,
  defaultEvents: ['video.completed', 'video.failed'],
  // No published limit for Workflows webhooks; the retired connectors allowed 4 per second.
  limits: { concurrency: 1, perSecond: 4 },
  // The URL is the credential; its SAS signature alone is masked too, in case an answer echoes only that.
  secrets: ({ webhookUrl }) => [new URL(webhookUrl).searchParams.get('sig') ?? undefined],
  classify: (res, { request }) => teamsFailure(res, request.action) ?? 'ok',

  // 202 Accepted (the run is queued) is success; the engine's dry run answers 200 {}, read the same way.
  handlers: forEveryEvent(async (event, call) => {
    await call.send({ method: 'POST', url: call.settings.webhookUrl, json: teamsMessage(event, { consoleUrl: call.settings.consoleUrl }), action: 'the card' });
  }),

  warnings({ webhookUrl }) {
    const { hostname } = new URL(webhookUrl);
    return WORKFLOW_HOST.test(hostname) ? [] : [`webhookUrl host ${hostname} is not a Power Automate host (logic.azure.com, api.powerplatform.com)`];
  },
});
