import { z } from 'zod';
import { defineConnector, described, forEveryEvent, httpUrl, PayloadValidationError, secret } from '../core/index.js';
import { consoleUrlSetting } from '../messaging/console-link.js';
import { discordMessage } from './message.js';
import { noteRateLimitHeaders, waitForBucket } from './rate-limit.js';
import { discordFailure } from './responses.js';
import { parseDiscordWebhookUrl, type DiscordWebhook } from './url.js';

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
  consoleUrl: consoleUrlSetting(),
});

export type DiscordSettings = z.output<typeof settings>;

const DISCORD_HOST = /^((ptb|canary)\.)?discord(app)?\.com$/i;

function webhookOf({ webhookUrl }: DiscordSettings): DiscordWebhook {
  const webhook = parseDiscordWebhookUrl(webhookUrl);
  if (!webhook) throw new PayloadValidationError('webhookUrl is not a Discord webhook URL (…/api/webhooks/<id>/<token>)');
  return webhook;
}

export const discord = defineConnector<DiscordSettings>({
  kind: 'discord',
  title: 'Discord',
  category: 'messaging',
  description: 'Posts an embed to a Discord channel through a channel webhook (API v10).',
  settings,
  defaultEvents: ['video.completed', 'video.failed'],
  // Observed per-webhook limit is about 5 requests per 2 s; the headers rule beyond that.
  limits: { concurrency: 1, perSecond: 2 },
  // The URL is the credential; requests go to a rewritten URL (API v10, wait=true), so its token is masked on its own too.
  secrets: ({ webhookUrl }) => [parseDiscordWebhookUrl(webhookUrl)?.token],
  classify(res, { settings, request }) {
    // Every answer to a post says how full the webhook's bucket is, a refusal's included.
    const webhook = parseDiscordWebhookUrl(settings.webhookUrl);
    if (webhook && request.method === 'POST') noteRateLimitHeaders(webhook.id, res);
    return discordFailure(res, request.action) ?? 'ok';
  },

  handlers: forEveryEvent(async (event, call) => {
    const webhook = webhookOf(call.settings);
    // Not a state guard: a dry run sends nothing, so it has no bucket to wait for.
    if (!call.dryRun) await waitForBucket(webhook.id);
    const { username, avatarUrl, consoleUrl } = call.settings;
    await call.send({ method: 'POST', url: webhook.executeUrl, json: discordMessage(event, { username, avatarUrl, consoleUrl }), action: 'the message' });
  }),

  // GET on the webhook returns it without posting anything.
  async check(call) {
    const webhook = webhookOf(call.settings);
    const res = await call.send({ method: 'GET', url: webhook.resourceUrl, action: 'the webhook lookup' });
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
});
