import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RESTJSONErrorCodes, type APIEmbed, type RESTPostAPIWebhookWithTokenJSONBody } from 'discord-api-types/v10';
import { discord, discordMessage } from '../../../src/connectors/discord/index.js';
import { DISCORD_LIMITS, embedLength, escapeDiscordMarkdown, type DiscordMessage } from '../../../src/connectors/discord/message.js';
import { parseDiscordWebhookUrl } from '../../../src/connectors/discord/url.js';
import { AuthError, EndpointGoneError, PayloadValidationError, RetryableError } from '../../../src/connectors/core/errors.js';
import { secretKeys } from '../../../src/connectors/core/settings.js';
import type { Destination } from '../../../src/destinations/index.js';
import type { DiscordSettings } from '../../../src/connectors/discord/index.js';
import { createHttp } from '../../../src/delivery/http.js';
import { memoryContext } from '../../helpers/context.js';
import { startReceiver } from '../../helpers/receiver.js';
import { embedErrors, startFakeDiscord, type FakeDiscord } from './fake.js';
import { goldenEvent, messagingCases } from '../messaging-cases.js';

function destination(webhookUrl: string, extra: Partial<DiscordSettings> = {}): Destination<DiscordSettings> {
  return { name: 'team-discord', connector: 'discord', events: discord.defaultEvents, enabled: true, source: 'project', settings: { webhookUrl, ...extra } };
}

// Type-checked against discord-api-types (tsc over the tests), then against every documented limit.
function asDiscordBody(message: DiscordMessage): RESTPostAPIWebhookWithTokenJSONBody {
  return message;
}

function assertWithinLimits(message: DiscordMessage): void {
  const body = asDiscordBody(message);
  expect(body.allowed_mentions).toEqual({ parse: [] });
  expect((body.content ?? '').length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
  const embeds: APIEmbed[] = body.embeds ?? [];
  expect(embeds.length).toBeGreaterThanOrEqual(1);
  expect(embeds.length).toBeLessThanOrEqual(10);
  let total = 0;
  for (const embed of embeds) {
    expect((embed.title ?? '').length).toBeLessThanOrEqual(256);
    expect((embed.description ?? '').length).toBeLessThanOrEqual(4096);
    expect((embed.fields ?? []).length).toBeLessThanOrEqual(25);
    for (const field of embed.fields ?? []) {
      expect(field.name.length).toBeGreaterThan(0);
      expect(field.name.length).toBeLessThanOrEqual(256);
      expect(field.value.length).toBeGreaterThan(0);
      expect(field.value.length).toBeLessThanOrEqual(1024);
    }
    expect((embed.footer?.text ?? '').length).toBeLessThanOrEqual(2048);
    expect((embed.author?.name ?? '').length).toBeLessThanOrEqual(256);
    total += embedLength(embed as Parameters<typeof embedLength>[0]);
  }
  expect(total).toBeLessThanOrEqual(6000);
  expect(embedErrors(message as unknown as Record<string, unknown>)).toBeUndefined();
}

describe('discord message', () => {
  it('renders video.completed with the video URL in content and the facts in an embed', () => {
    expect(discordMessage(goldenEvent(), { username: 'vidhook', avatarUrl: 'https://cdn.example.com/vidhook.png' })).toEqual({
      content: '🎬 Video ready: https://cdn.example.com/videos/vid_2xq9c7.mp4',
      username: 'vidhook',
      avatar_url: 'https://cdn.example.com/vidhook.png',
      allowed_mentions: { parse: [] },
      embeds: [
        {
          author: { name: '🎬 Video ready' },
          title: 'Product launch teaser',
          url: 'https://cdn.example.com/videos/vid_2xq9c7.mp4',
          description: 'A 30-second teaser for the spring collection, cinematic style.',
          color: 0x57f287,
          timestamp: '2026-11-27T19:40:00.000Z',
          fields: [
            { name: 'Duration', value: '0:30', inline: true },
            { name: 'Resolution', value: '1920×1080', inline: true },
            { name: 'Model', value: 'gen-4-turbo', inline: true },
            { name: 'Format', value: 'mp4', inline: true },
            { name: 'Created by', value: 'Maya Chen (maya.chen@example.com)', inline: true },
            { name: 'Tags', value: 'launch, spring', inline: true },
            { name: 'Prompt', value: 'Slow dolly shot across a sunlit studio, spring jackets on mannequins, soft film grain', inline: false },
          ],
          thumbnail: { url: 'https://cdn.example.com/videos/vid_2xq9c7.jpg' },
          footer: { text: 'video.completed · evt_01JDX8GOLDEN' },
        },
      ],
    });
  });

  it.each(messagingCases())('renders $name within every embed limit, never able to ping', ({ event }) => {
    const message = discordMessage(event);
    assertWithinLimits(message);
    const all = JSON.stringify(message);
    expect(all).not.toMatch(/[^\\]<@/);
    expect(all).not.toMatch(/[^\\]\[click\]/);
    expect(message.embeds[0].footer.text).toContain(event.id);
  });

  it('keeps the 6,000-character total across a custom event with many long fields', () => {
    const oversized = messagingCases().find((c) => c.name.endsWith('render.queued (oversized)'))!.event;
    const embed = discordMessage(oversized).embeds[0];
    expect(embedLength(embed)).toBeLessThanOrEqual(6000);
    expect(embed.fields.length).toBeGreaterThan(0);
    expect(embed.fields.at(-1)!.value).toMatch(/…$/);
  });

  it('escapes markdown and mention syntax', () => {
    expect(escapeDiscordMarkdown('<@123> **hi** [x](y)')).toBe('\\<@123\\> \\*\\*hi\\*\\* \\[x\\](y)');
  });
});

describe('discord webhook URLs', () => {
  it.each([
    ['https://discord.com/api/webhooks/123/tok-en_1', 'https://discord.com/api/v10/webhooks/123/tok-en_1?wait=true'],
    ['https://discordapp.com/api/v6/webhooks/123/tok', 'https://discordapp.com/api/v10/webhooks/123/tok?wait=true'],
    ['https://ptb.discord.com/api/webhooks/123/tok/?thread_id=55', 'https://ptb.discord.com/api/v10/webhooks/123/tok?thread_id=55&wait=true'],
  ])('rewrites %s to API v10', (input, expected) => {
    expect(parseDiscordWebhookUrl(input)?.executeUrl).toBe(expected);
  });

  it.each(['https://discord.com/api/webhooks/123/tok/slack', 'https://discord.com/channels/1/2', 'not a url'])('refuses %s', (webhookUrl) => {
    expect(discord.settings.safeParse({ webhookUrl }).success).toBe(false);
  });

  it('refuses a username Discord would refuse', () => {
    expect(discord.settings.safeParse({ webhookUrl: 'https://discord.com/api/webhooks/1/t', username: 'Discord bot' }).success).toBe(false);
  });

  it('marks the webhook URL secret and warns about other hosts', () => {
    expect(secretKeys(discord.settings)).toEqual(['webhookUrl']);
    expect(discord.warnings!({ webhookUrl: 'https://discord.com/api/webhooks/1/t' })).toEqual([]);
    expect(discord.warnings!({ webhookUrl: 'https://proxy.example.com/api/webhooks/1/t' })[0]).toMatch(/not Discord’s/);
  });
});

describe('discord connector against a fake Discord', () => {
  let fake: FakeDiscord;
  beforeEach(async () => {
    fake = await startFakeDiscord();
  });
  afterEach(() => fake.close());

  it.each(messagingCases())('posts $name to API v10 with wait=true and Discord accepts it', async ({ event }) => {
    const http = createHttp();
    await discord.deliver(event, destination(fake.webhookUrl), http, memoryContext());
    expect(fake.messages).toEqual([JSON.parse(JSON.stringify(discordMessage(event)))]);
    expect(fake.receiver.requests[0].url).toBe(`/api/v10/webhooks/${fake.id}/${fake.token}?wait=true`);
    expect(http.exchanges[0].response?.status).toBe(200);
  });

  it('waits for the bucket to refill when X-RateLimit-Remaining reaches 0', async () => {
    fake.bucket(2, 600);
    const http = createHttp();
    const started = Date.now();
    for (let i = 0; i < 3; i++) await discord.deliver(goldenEvent(), destination(fake.webhookUrl), http, memoryContext());
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(http.exchanges.map((e) => e.response?.status)).toEqual([200, 200, 200]);
  });

  it('hands a long wait back to the dispatcher without sending', async () => {
    fake.bucket(1, 5000);
    await discord.deliver(goldenEvent(), destination(fake.webhookUrl), createHttp(), memoryContext());
    const error = await discord.deliver(goldenEvent(), destination(fake.webhookUrl), createHttp(), memoryContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).rateLimited).toBe(true);
    expect((error as RetryableError).afterMs).toBeGreaterThan(4000);
    expect(fake.receiver.requests).toHaveLength(1);
  });

  it('retries a 429 after the body’s retry_after', async () => {
    fake.globalLimitOnce(1.5);
    const error = await discord.deliver(goldenEvent(), destination(fake.webhookUrl), createHttp(), memoryContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ afterMs: 1500, rateLimited: true, status: 429 });
    expect((error as Error).message).toMatch(/global rate limit/);
  });

  it('treats 404 Unknown Webhook as gone, so the destination is paused', async () => {
    fake.deleteWebhook();
    const error = await discord.deliver(goldenEvent(), destination(fake.webhookUrl), createHttp(), memoryContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointGoneError);
    expect((error as Error).message).toContain(`${RESTJSONErrorCodes.UnknownWebhook} Unknown Webhook`);
  });

  it('treats a wrong token as an auth failure', async () => {
    const wrong = fake.webhookUrl.replace(fake.token, 'x'.repeat(68));
    await expect(discord.deliver(goldenEvent(), destination(wrong), createHttp(), memoryContext())).rejects.toBeInstanceOf(AuthError);
  });

  it('checks the webhook without posting', async () => {
    const http = createHttp();
    expect(await discord.check!(destination(fake.webhookUrl), http, memoryContext())).toBe('webhook "Renders" posts to channel 1100000000000000001');
    expect(fake.messages).toHaveLength(0);
    expect(JSON.stringify(http.exchanges)).not.toContain(fake.token);
  });

  it('never records or reports the webhook URL or its token unmasked', async () => {
    const http = createHttp();
    await discord.deliver(goldenEvent(), destination(fake.webhookUrl, { username: 'vidhook' }), http, memoryContext());
    fake.deleteWebhook();
    const error = (await discord.deliver(goldenEvent(), destination(fake.webhookUrl), http, memoryContext()).catch((e: unknown) => e)) as Error;
    for (const leak of [fake.token, fake.webhookUrl]) {
      expect(JSON.stringify(http.exchanges)).not.toContain(leak);
      expect(error.message).not.toContain(leak);
    }
  });
});

describe('discord responses from other servers', () => {
  it.each([
    [400, { code: 50035, message: 'Invalid Form Body', errors: { embeds: { 0: { title: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 256 or fewer in length.' }] } } } } }, PayloadValidationError, /50035 Invalid Form Body \(embeds\.0\.title: Must be 256/],
    [413, { code: 40005, message: 'Request entity too large' }, PayloadValidationError, /40005/],
    [502, '<html>Bad Gateway</html>', RetryableError, /HTTP 502$/],
  ])('classifies HTTP %i', async (status, body, kind, message) => {
    const receiver = await startReceiver(() => ({ status, body }));
    try {
      const error = await discord.deliver(goldenEvent(), destination(`${receiver.origin}/api/webhooks/42/token-abcdef`), createHttp(), memoryContext()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(kind);
      expect((error as Error).message).toMatch(message);
    } finally {
      await receiver.close();
    }
  });
});

describe('discord on the connector engine', () => {
  const TOKEN = 'eChOeDtOkEn0123456789abcdefghijklmnop';
  let next = 0;
  // A webhook id of its own per test: the connector remembers each webhook's bucket.
  const url = (origin: string) => `${origin}/api/webhooks/${4200000000000000000n + BigInt(Date.now() % 1e9) * 100n + BigInt(next++)}/${TOKEN}`;

  it('masks the token when Discord echoes it in an error message', async () => {
    const receiver = await startReceiver(() => ({ status: 400, body: { code: 50035, message: `Invalid Form Body for ${TOKEN}` } }));
    try {
      const http = createHttp();
      const error = (await discord.deliver(goldenEvent(), destination(url(receiver.origin)), http, memoryContext()).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(PayloadValidationError);
      expect(error.message).toMatch(/^Discord refused the message: 50035 Invalid Form Body for …/);
      expect(error.message).not.toContain(TOKEN);
      expect(JSON.stringify(http.exchanges)).not.toContain(TOKEN);
    } finally {
      await receiver.close();
    }
  });

  it('reads the bucket from a refusal too: after a 429 that empties it, the next message waits without sending', async () => {
    const receiver = await startReceiver(() => ({
      status: 429,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '5.000', 'retry-after': '5' },
      body: { message: 'You are being rate limited.', retry_after: 5, global: false },
    }));
    try {
      const dest = destination(url(receiver.origin));
      await expect(discord.deliver(goldenEvent(), dest, createHttp(), memoryContext())).rejects.toMatchObject({ rateLimited: true, afterMs: 5000 });
      const error = await discord.deliver(goldenEvent(), dest, createHttp(), memoryContext()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryableError);
      expect((error as RetryableError).afterMs).toBeGreaterThan(4000);
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('a dry run neither waits for an empty bucket nor forgets it, and sends nothing', async () => {
    const receiver = await startReceiver(() => ({
      status: 200,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '5.000' },
      body: { id: '1', type: 0 },
    }));
    try {
      const dest = destination(url(receiver.origin));
      await discord.deliver(goldenEvent(), dest, createHttp(), memoryContext());
      const dry = createHttp({ dryRun: true });
      await discord.deliver(goldenEvent(), dest, dry, memoryContext());
      expect(dry.exchanges).toHaveLength(1);
      expect(receiver.requests).toHaveLength(1);
      await expect(discord.deliver(goldenEvent(), dest, createHttp(), memoryContext())).rejects.toMatchObject({ rateLimited: true });
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('checks in a dry run without sending', async () => {
    const receiver = await startReceiver();
    try {
      const http = createHttp({ dryRun: true });
      expect(await discord.check!(destination(`${receiver.origin}/api/webhooks/77/${TOKEN}`), http, memoryContext())).toBe('webhook "77" posts to channel unknown');
      expect(receiver.requests).toHaveLength(0);
      expect(http.exchanges[0].request.method).toBe('GET');
      expect(JSON.stringify(http.exchanges)).not.toContain(TOKEN);
    } finally {
      await receiver.close();
    }
  });
});
