import { z } from 'zod';
import { discordMessage } from './message.js';
import { noteRateLimitHeaders, waitForBucket } from './rate-limit.js';
import { discordFailure } from './responses.js';
import { parseDiscordWebhookUrl, type DiscordWebhook } from './url.js';
import { PayloadValidationError } from '../core/errors.js';
import { maskWebhookUrl } from '../messaging/secret-parts.js';
import { described, httpUrl, secret } from '../core/settings.js';
import type { Connector, Http } from '../core/types.js';

export { discordMessage } from './message.js';

const settings = z.object({
  webhookUrl: secret(
    httpUrl().refine((value) => parseDiscordWebhookUrl(value) !== undefined, {
      message: 'must be a Discord webhook URL like https://discord.com/api/webhooks/<id>/<token>',
    }),
    'Webhook URL from the channel’s Integrations → Webhooks (https://discord.com/api/webhooks/<id>/<token>).',
  ),
  username: described(
    z
      .string()
      .trim()
      .min(1)
      .max(80)
      .refine((name) => !/discord|clyde/i.test(name), { message: 'may not contain "discord" or "clyde" (Discord refuses such names)' })
      .optional(),
    'Name shown on the messages instead of the webhook’s own.',
  ),
  avatarUrl: described(httpUrl().optional(), 'Avatar image URL shown on the messages instead of the webhook’s own.'),
});

export type DiscordSettings = z.output<typeof settings>;

const DISCORD_HOST = /^((ptb|canary)\.)?discord(app)?\.com$/i;

function webhookOf(http: Http, webhookUrl: string): DiscordWebhook {
  const webhook = parseDiscordWebhookUrl(webhookUrl);
  if (!webhook) throw new PayloadValidationError('webhookUrl is not a Discord webhook URL (…/api/webhooks/<id>/<token>)');
  // The rewritten URL differs from the configured one: mask the token itself too.
  maskWebhookUrl(http, webhookUrl, [webhook.token, webhook.executeUrl, webhook.resourceUrl]);
  return webhook;
}

export const discord: Connector<DiscordSettings> = {
  kind: 'discord',
  title: 'Discord',
  category: 'messaging',
  description: 'Posts an embed to a Discord channel through a channel webhook (API v10).',
  settings,
  defaultEvents: ['video.completed', 'video.failed'],
  // Observed per-webhook limit is about 5 requests per 2 s; the headers rule beyond that.
  limits: { concurrency: 1, perSecond: 2 },
  async deliver(event, dest, http) {
    const webhook = webhookOf(http, dest.settings.webhookUrl);
    if (!http.dryRun) await waitForBucket(webhook.id);
    const res = await http.request({
      method: 'POST',
      url: webhook.executeUrl,
      json: discordMessage(event, { username: dest.settings.username, avatarUrl: dest.settings.avatarUrl }),
      acceptStatus: () => true,
      dryRunResponse: { status: 200, body: { id: '0', type: 0, webhook_id: webhook.id } },
    });
    noteRateLimitHeaders(webhook.id, res);
    const failure = discordFailure(res);
    if (failure) throw failure;
  },
  // GET on the webhook returns it without posting anything.
  async check(dest, http) {
    const webhook = webhookOf(http, dest.settings.webhookUrl);
    const res = await http.request({
      method: 'GET',
      url: webhook.resourceUrl,
      acceptStatus: () => true,
      dryRunResponse: { status: 200, body: { id: webhook.id, name: 'webhook', channel_id: '0' } },
    });
    const failure = discordFailure(res);
    if (failure) throw failure;
    let found: { name?: string; channel_id?: string } = {};
    try {
      found = res.json();
    } catch {
      // An answer without a body still proves the webhook exists.
    }
    return `webhook "${found.name ?? webhook.id}" posts to channel ${found.channel_id ?? 'unknown'}`;
  },
  warnings({ webhookUrl }) {
    const { hostname } = new URL(webhookUrl);
    return DISCORD_HOST.test(hostname) ? [] : [`webhookUrl host ${hostname} is not Discord’s (discord.com)`];
  },
};
