import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import { slack, slackMessage } from '../../../src/connectors/slack/index.js';
import { SLACK_LIMITS, escapeMrkdwn, type SlackMessage } from '../../../src/connectors/slack/message.js';
import { EndpointGoneError, PayloadValidationError, PermanentError, RetryableError } from '../../../src/connectors/core/errors.js';
import { secretKeys } from '../../../src/connectors/core/settings.js';
import type { Destination } from '../../../src/destinations/index.js';
import type { SlackSettings } from '../../../src/connectors/slack/index.js';
import { createHttp } from '../../../src/delivery/http.js';
import { memoryContext } from '../../helpers/context.js';
import { blockProblem, startFakeSlack, type FakeSlack } from './fake.js';
import { goldenEvent, HOSTILE, messagingCases } from '../messaging-cases.js';

function destination(webhookUrl: string): Destination<SlackSettings> {
  return { name: 'team-slack', connector: 'slack', events: slack.defaultEvents, enabled: true, source: 'project', settings: { webhookUrl } };
}

// Type-checked against Slack's own Block Kit types (tsc over the tests), then checked against the documented limits.
function asSlackTypes(message: SlackMessage): { text: string; blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = message.blocks;
  return { text: message.text, blocks };
}

function assertWithinLimits(message: SlackMessage): void {
  const { text, blocks } = asSlackTypes(message);
  expect(text.length).toBeGreaterThan(0);
  expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  expect(blockProblem(blocks)).toBeUndefined();
  for (const block of blocks) {
    if (block.type === 'header') expect((block as HeaderBlock).text.text.length).toBeLessThanOrEqual(150);
    if (block.type === 'section') {
      const section = block as SectionBlock;
      expect(section.text!.text.length).toBeGreaterThanOrEqual(1);
      expect(section.text!.text.length).toBeLessThanOrEqual(3000);
      expect((section.fields ?? []).length).toBeLessThanOrEqual(10);
      for (const f of section.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
    }
    if (block.type === 'context') expect((block as ContextBlock).elements.length).toBeLessThanOrEqual(10);
  }
}

function mrkdwnTexts(message: SlackMessage): string[] {
  const texts = [message.text];
  for (const block of message.blocks) {
    if (block.type === 'section') texts.push(block.text.text, ...(block.fields ?? []).map((f) => f.text));
    if (block.type === 'context') texts.push(...block.elements.map((e) => e.text));
  }
  return texts;
}

describe('slack message', () => {
  it('renders video.completed as header, linked title with fields and thumbnail, prompt, and context', () => {
    expect(slackMessage(goldenEvent())).toEqual({
      text: '🎬 Video ready: Product launch teaser (0:30)',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: '🎬 Video ready', emoji: true } },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text:
              '*<https://cdn.example.com/videos/vid_2xq9c7.mp4|Product launch teaser>*\n' +
              'A 30-second teaser for the spring collection, cinematic style.\n' +
              '▶ <https://cdn.example.com/videos/vid_2xq9c7.mp4|Watch video>',
          },
          fields: [
            { type: 'mrkdwn', text: '*Duration*\n0:30' },
            { type: 'mrkdwn', text: '*Resolution*\n1920×1080' },
            { type: 'mrkdwn', text: '*Model*\ngen-4-turbo' },
            { type: 'mrkdwn', text: '*Format*\nmp4' },
            { type: 'mrkdwn', text: '*Created by*\nMaya Chen (maya.chen@example.com)' },
            { type: 'mrkdwn', text: '*Tags*\nlaunch, spring' },
          ],
          accessory: { type: 'image', image_url: 'https://cdn.example.com/videos/vid_2xq9c7.jpg', alt_text: 'Product launch teaser' },
        },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: '*Prompt*\nSlow dolly shot across a sunlit studio, spring jackets on mannequins, soft film grain' },
        },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: '`video.completed` · event id `evt_01JDX8GOLDEN` · <!date^1795808400^{date_short_pretty} at {time}|2026-11-27T19:40:00.000Z>',
            },
          ],
        },
      ],
      unfurl_links: false,
      unfurl_media: false,
    });
  });

  it.each(messagingCases())('renders $name within every Block Kit limit, user text escaped', ({ event }) => {
    const message = slackMessage(event);
    assertWithinLimits(message);
    const texts = mrkdwnTexts(message).join('\n');
    for (const hostile of HOSTILE.filter((h) => h.startsWith('<'))) expect(texts).not.toContain(hostile);
    expect(JSON.stringify(message)).toContain(event.id);
  });

  it('trims oversized text with an ellipsis', () => {
    const oversized = messagingCases().find((c) => c.name === 'video.completed (oversized)')!.event;
    const section = slackMessage(oversized).blocks[1] as { text: { text: string }; fields: Array<{ text: string }> };
    expect(section.text.text).toMatch(/^\*<https:[^|]+\|&lt;!channel&gt; Very long title &amp; more &lt;b&gt;.*…>\*/);
    expect(section.fields.find((f) => f.text.startsWith('*Tags*'))!.text).toMatch(/, tag-17-x+ and 32 more$/);
    expect(section.fields.find((f) => f.text.startsWith('*Model*'))!.text).toMatch(/m…$/);
  });

  it('escapes only &, < and >', () => {
    expect(escapeMrkdwn('a & <!channel> > b')).toBe('a &amp; &lt;!channel&gt; &gt; b');
  });

  it('says what failed in a video.failed message', () => {
    const message = slackMessage(messagingCases().find((c) => c.name === 'video.failed (sample)')!.event);
    expect(message.text).toBe('⚠️ Video generation failed: Product launch teaser');
    const section = message.blocks[1] as { text: { text: string }; fields: Array<{ text: string }> };
    expect(section.text.text).toContain('The prompt was flagged by the content policy filter.');
    expect(section.fields.map((f) => f.text)).toContain('*Error code*\ncontent_policy');
  });
});

describe('slack connector against a fake Slack', () => {
  let fake: FakeSlack;
  beforeEach(async () => {
    fake = await startFakeSlack();
  });
  afterEach(() => fake.close());

  it.each(messagingCases())('posts $name and Slack accepts it', async ({ event }) => {
    await slack.deliver(event, destination(fake.webhookUrl), createHttp(), memoryContext());
    expect(fake.posted).toHaveLength(1);
    expect(fake.posted[0]).toEqual(JSON.parse(JSON.stringify(slackMessage(event))));
  });

  it.each([
    [400, 'invalid_blocks', PayloadValidationError, /invalid_blocks/],
    [400, 'invalid_payload', PayloadValidationError, /invalid_payload/],
    [400, 'no_text', PayloadValidationError, /no_text/],
    [404, 'no_service', EndpointGoneError, /no_service: the webhook was disabled/],
    [404, 'channel_not_found', EndpointGoneError, /channel_not_found/],
    [410, 'channel_is_archived', EndpointGoneError, /archived/],
    [403, 'invalid_token', EndpointGoneError, /invalid_token/],
    [403, 'action_prohibited', PermanentError, /admin/],
    [400, 'posting_to_general_channel_denied', PermanentError, /#general/],
    [403, 'posting_to_general_channel_denied', PermanentError, /#general/],
    [500, 'rollup_error', RetryableError, /HTTP 500 rollup_error/],
    [503, '<html>Service Unavailable</html>', RetryableError, /HTTP 503$/],
    [400, 'something_new', PermanentError, /HTTP 400 something_new/],
  ])('classifies HTTP %i %s', async (status, code, kind, message) => {
    fake.failWith(status, code);
    const error = await slack.deliver(goldenEvent(), destination(fake.webhookUrl), createHttp(), memoryContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(kind);
    expect((error as Error).message).toMatch(message);
    if (kind === PermanentError) expect(error).not.toBeInstanceOf(EndpointGoneError);
  });

  it('retries a 429 after the Retry-After Slack names, as a destination-wide rate limit', async () => {
    fake.rateLimit(1, 3);
    const http = createHttp();
    await slack.deliver(goldenEvent(), destination(fake.webhookUrl), http, memoryContext());
    const error = await slack.deliver(goldenEvent(), destination(fake.webhookUrl), http, memoryContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ afterMs: 3000, rateLimited: true, status: 429 });
  });

  it('never records or reports the webhook URL unmasked', async () => {
    const http = createHttp();
    await slack.deliver(goldenEvent(), destination(fake.webhookUrl), http, memoryContext());
    fake.failWith(404, `no_service ${fake.webhookUrl} ${fake.secret}`);
    const error = (await slack.deliver(goldenEvent(), destination(fake.webhookUrl), http, memoryContext()).catch((e: unknown) => e)) as Error;
    const recorded = JSON.stringify(http.exchanges);
    for (const leak of [fake.secret, fake.webhookUrl]) {
      expect(recorded).not.toContain(leak);
      expect(error.message).not.toContain(leak);
    }
    expect(http.exchanges[0].request.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/…[\w]{4}$/);
  });

  it('sends nothing on a dry run but records the masked request', async () => {
    const http = createHttp({ dryRun: true });
    await slack.deliver(goldenEvent(), destination(fake.webhookUrl), http, memoryContext());
    expect(fake.receiver.requests).toHaveLength(0);
    expect(http.exchanges).toHaveLength(1);
    expect(JSON.parse(http.exchanges[0].request.body!)).toEqual(slackMessage(goldenEvent()));
    expect(JSON.stringify(http.exchanges)).not.toContain(fake.secret);
  });
});

describe('slack settings', () => {
  it('marks the webhook URL secret and posts one message per second per webhook', () => {
    expect(secretKeys(slack.settings)).toEqual(['webhookUrl']);
    expect(slack.limits).toEqual({ concurrency: 1, perSecond: 1 });
    expect(slack.defaultEvents).toEqual(['video.completed', 'video.failed', 'user.registered']);
  });

  it.each([
    ['https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX', []],
    ['https://hooks.slack-gov.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX', []],
    ['https://hooks.slack.com/triggers/T00000000/1234/abcdef', [/Workflow Builder trigger/]],
    ['https://proxy.internal.example/services/T0/B0/X', [/not Slack’s/]],
  ])('warns about %s as needed', (webhookUrl, expected) => {
    const settings = slack.settings.parse({ webhookUrl }) as SlackSettings;
    const warnings = slack.warnings!(settings);
    expect(warnings).toHaveLength(expected.length);
    expected.forEach((pattern, i) => expect(warnings[i]).toMatch(pattern));
  });

  it('refuses a URL that is not http(s)', () => {
    expect(slack.settings.safeParse({ webhookUrl: 'ftp://hooks.slack.com/services/x' }).success).toBe(false);
  });
});
