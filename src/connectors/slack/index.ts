import { z } from 'zod';
import { maskWebhookUrl } from '../messaging/secret-parts.js';
import { httpUrl, secret } from '../core/settings.js';
import { slackMessage } from './message.js';
import { slackFailure } from './responses.js';
import type { Connector } from '../core/types.js';

export { slackMessage } from './message.js';

const settings = z.object({
  webhookUrl: secret(httpUrl(), 'Incoming webhook URL (https://hooks.slack.com/services/T…/B…/…).'),
});

export type SlackSettings = z.output<typeof settings>;

const SLACK_HOSTS = new Set(['hooks.slack.com', 'hooks.slack-gov.com']);

function webhookSecret(url: string): string | undefined {
  return /\/services\/[^/]+\/[^/]+\/([^/?#]+)/.exec(url)?.[1];
}

export const slack: Connector<SlackSettings> = {
  kind: 'slack',
  title: 'Slack',
  category: 'messaging',
  description: 'Posts a Block Kit message to a Slack channel through an incoming webhook.',
  settings,
  defaultEvents: ['video.completed', 'video.failed', 'user.registered'],
  // Slack allows about one message per second per webhook and disables apps that keep pushing.
  limits: { concurrency: 1, perSecond: 1 },
  async deliver(event, dest, http) {
    const { webhookUrl } = dest.settings;
    maskWebhookUrl(http, webhookUrl, [webhookSecret(webhookUrl)]);
    const res = await http.request({
      method: 'POST',
      url: webhookUrl,
      json: slackMessage(event),
      acceptStatus: () => true,
      dryRunResponse: { status: 200, body: 'ok' },
    });
    const failure = slackFailure(res);
    if (failure) throw failure;
  },
  warnings({ webhookUrl }) {
    const url = new URL(webhookUrl);
    if (/\/(triggers|workflows)\//.test(url.pathname)) {
      return ['webhookUrl is a Workflow Builder trigger, which takes workflow variables, not messages: use an app’s incoming webhook (…/services/T…/B…/…)'];
    }
    if (!SLACK_HOSTS.has(url.hostname)) return [`webhookUrl host ${url.hostname} is not Slack’s (hooks.slack.com)`];
    return [];
  },
};
