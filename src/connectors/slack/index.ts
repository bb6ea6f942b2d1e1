import { z } from 'zod';
import { defineConnector, forEveryEvent, httpUrl, secret } from '../core/index.js';
import { consoleUrlSetting } from '../messaging/console-link.js';
import { slackMessage } from './message.js';
import { slackFailure } from './responses.js';

export { slackMessage } from './message.js';

const settings = z.object({
  webhookUrl: secret(
    httpUrl().refine((url) => !/…|%E2%80%A6|\/\.\.\.(\/|$)/i.test(url), {
      message: 'is a placeholder (T…/B…/…): paste the whole incoming webhook URL Slack shows for your app (Incoming Webhooks → Webhook URL)',
    }),
    'Incoming webhook URL (https://hooks.slack.com/services/T…/B…/…).',
  ),
  consoleUrl: consoleUrlSetting(),
});

export type SlackSettings = z.output<typeof settings>;

const SLACK_HOSTS = new Set(['hooks.slack.com', 'hooks.slack-gov.com']);

export const slack = defineConnector<SlackSettings>({
  kind: 'slack',
  title: 'Slack',
  category: 'messaging',
  description: 'Posts a Block Kit message to a Slack channel through an incoming webhook.',
  settings,
  defaultEvents: ['video.completed', 'video.failed', 'user.registered'],
  // Slack allows about one message per second per webhook and disables apps that keep pushing.
  limits: { concurrency: 1, perSecond: 1 },
  // The URL is the credential; its last part alone is masked too, in case Slack echoes only that.
  secrets: ({ webhookUrl }) => [/\/services\/[^/]+\/[^/]+\/([^/?#]+)/.exec(webhookUrl)?.[1]],
  classify: (res) => slackFailure(res) ?? 'ok',

  handlers: forEveryEvent(async (event, call) => {
    await call.send({ method: 'POST', url: call.settings.webhookUrl, json: slackMessage(event, { consoleUrl: call.settings.consoleUrl }), dryRunResponse: { status: 200, body: 'ok' } });
  }),

  warnings({ webhookUrl }) {
    const url = new URL(webhookUrl);
    if (/\/(triggers|workflows)\//.test(url.pathname)) {
      return ['webhookUrl is a Workflow Builder trigger, which takes workflow variables, not messages: use an app’s incoming webhook (…/services/T…/B…/…)'];
    }
    if (!SLACK_HOSTS.has(url.hostname)) return [`webhookUrl host ${url.hostname} is not Slack’s (hooks.slack.com)`];
    return [];
  },
});
