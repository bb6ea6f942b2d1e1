import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as AdaptiveCards from 'adaptivecards';
import { isRetiredTeamsUrl, teams, teamsMessage } from '../../../src/connectors/teams/index.js';
import { byteSize, escapeCardMarkdown, TEAMS_LIMITS, type TeamsMessage } from '../../../src/connectors/teams/card.js';
import { AuthError, EndpointGoneError, PayloadValidationError, PermanentError, RetryableError } from '../../../src/connectors/core/errors.js';
import { secretKeys } from '../../../src/connectors/core/settings.js';
import type { Destination } from '../../../src/destinations/index.js';
import type { TeamsSettings } from '../../../src/connectors/teams/index.js';
import { createHttp } from '../../../src/delivery/http.js';
import { memoryContext } from '../../helpers/context.js';
import { startReceiver } from '../../helpers/receiver.js';
import { startFakeTeams, type FakeTeams } from './fake.js';
import { goldenEvent, messagingCases } from '../messaging-cases.js';

// The package's ESM build imports without file extensions, which Node cannot load; its UMD bundle works.
const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as typeof AdaptiveCards;

/** What the Adaptive Cards SDK reports when it parses the card as a 1.5 host would. */
function cardProblems(content: unknown): string[] {
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  context.targetVersion = AC.Versions.v1_5;
  card.parse(content, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i++) problems.push(context.getEventAt(i).message);
  for (const event of card.validateProperties().validationEvents) problems.push(event.message);
  return problems;
}

const ALLOWED_ELEMENTS = new Set(['TextBlock', 'FactSet', 'Image']);

function assertValidMessage(message: TeamsMessage): void {
  expect(message.type).toBe('message');
  expect(message.attachments).toHaveLength(1);
  const [attachment] = message.attachments;
  expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
  expect(attachment.content.version).toBe('1.5');
  expect(cardProblems(attachment.content)).toEqual([]);
  for (const element of attachment.content.body) expect(ALLOWED_ELEMENTS).toContain(element.type);
  for (const action of attachment.content.actions ?? []) expect(action.type).toBe('Action.OpenUrl');
  expect(byteSize(message)).toBeLessThan(28 * 1024);
}

function destination(webhookUrl: string): Destination<TeamsSettings> {
  return { name: 'team-teams', connector: 'teams', events: teams.defaultEvents, enabled: true, source: 'project', settings: { webhookUrl } };
}

describe('teams card', () => {
  it('renders video.completed as a 1.5 card with title, facts, thumbnail and a link to watch', () => {
    const card = teamsMessage(goldenEvent()).attachments[0].content;
    expect(card.body).toEqual([
      { type: 'TextBlock', text: '🎬 Video ready', wrap: true, weight: 'Bolder', size: 'Medium', color: 'Good' },
      { type: 'TextBlock', text: 'Product launch teaser', wrap: true, weight: 'Bolder', spacing: 'None' },
      { type: 'TextBlock', text: 'A 30-second teaser for the spring collection, cinematic style.', wrap: true },
      { type: 'Image', url: 'https://cdn.example.com/videos/vid_2xq9c7.jpg', altText: 'Product launch teaser', size: 'Large' },
      {
        type: 'FactSet',
        facts: [
          { title: 'Duration', value: '0:30' },
          { title: 'Resolution', value: '1920×1080' },
          { title: 'Model', value: 'gen-4-turbo' },
          { title: 'Format', value: 'mp4' },
          { title: 'Created by', value: 'Maya Chen (maya.chen@example.com)' },
          { title: 'Tags', value: 'launch, spring' },
          { title: 'Prompt', value: 'Slow dolly shot across a sunlit studio, spring jackets on mannequins, soft film grain' },
        ],
      },
      { type: 'TextBlock', text: 'video.completed · event id evt\\_01JDX8GOLDEN · 2026-11-27T19:40:00.000Z', wrap: true, size: 'Small', isSubtle: true },
    ]);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Watch video', url: 'https://cdn.example.com/videos/vid_2xq9c7.mp4' }]);
  });

  it('finds problems in a broken card, so the validation below can fail', () => {
    expect(cardProblems({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'Bogus' }], actions: [{ type: 'Action.OpenUrl', title: 'x' }] })).toHaveLength(2);
  });

  it.each(messagingCases())('renders $name as a card the Adaptive Cards SDK accepts, under 28 KB', ({ event }) => {
    const message = teamsMessage(event);
    assertValidMessage(message);
    expect(JSON.stringify(message)).toContain(event.id.replace(/_/g, '\\\\_'));
  });

  it('escapes markdown in user text so it cannot add links', () => {
    expect(escapeCardMarkdown('[click](https://evil.example/) *bold* _it_')).toBe('\\[click\\](https://evil.example/) \\*bold\\* \\_it\\_');
    const oversized = messagingCases().find((c) => c.name === 'video.generated (oversized)')!.event;
    expect(JSON.stringify(teamsMessage(oversized))).not.toMatch(/[^\\]\[click\]\(/);
  });

  it('shrinks a card whose text grows when serialised until it fits', () => {
    // Control characters take six bytes each in JSON (\u0007): the budgets alone would overflow 28 KB.
    const bell = '\u0007';
    const data = { video: { id: 'vid_1', title: bell.repeat(400) }, ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, bell.repeat(2000)])) };
    const event = { id: 'evt_big', type: 'render.queued', timestamp: '2026-11-27T19:40:00.000Z', data };
    const message = teamsMessage(event);
    expect(byteSize(message)).toBeLessThanOrEqual(TEAMS_LIMITS.messageBytes);
    const facts = message.attachments[0].content.body.find((e) => e.type === 'FactSet') as { facts: Array<{ value: string }> };
    expect(facts.facts[0].value.length).toBeLessThan(TEAMS_LIMITS.factValue);
    assertValidMessage(message);
  });
});

describe('teams connector against a fake Workflows webhook', () => {
  let fake: FakeTeams;
  beforeEach(async () => {
    fake = await startFakeTeams();
  });
  afterEach(() => fake.close());

  it.each(messagingCases())('posts $name and counts 202 Accepted as success', async ({ event }) => {
    const http = createHttp();
    await teams.deliver(event, destination(fake.webhookUrl), http, memoryContext());
    expect(fake.accepted).toEqual([JSON.parse(JSON.stringify(teamsMessage(event)))]);
    expect(http.exchanges[0].response?.status).toBe(202);
  });

  it('explains a trigger that needs tenant sign-in', async () => {
    fake.requireTenantAuth();
    const error = await teams.deliver(goldenEvent(), destination(fake.webhookUrl), createHttp(), memoryContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as Error).message).toMatch(/DirectApiAuthorizationRequired.*"Anyone"/);
  });

  it('refuses a wrong signature as an auth failure', async () => {
    const wrong = fake.webhookUrl.replace(fake.sig, 'wrongSignature0123456789');
    await expect(teams.deliver(goldenEvent(), destination(wrong), createHttp(), memoryContext())).rejects.toBeInstanceOf(AuthError);
  });

  it('says the flow is off when the trigger is disabled', async () => {
    fake.disable();
    const error = await teams.deliver(goldenEvent(), destination(fake.webhookUrl), createHttp(), memoryContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toMatch(/turned off/);
  });

  it('treats a deleted workflow as gone', async () => {
    const deleted = fake.webhookUrl.replace('/workflows/8a1e', '/workflows/0000');
    await expect(teams.deliver(goldenEvent(), destination(deleted), createHttp(), memoryContext())).rejects.toBeInstanceOf(EndpointGoneError);
  });

  it('retries throttling after Retry-After', async () => {
    fake.throttle(12);
    const error = await teams.deliver(goldenEvent(), destination(fake.webhookUrl), createHttp(), memoryContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ afterMs: 12_000, rateLimited: true });
  });

  it('never records or reports the webhook URL or its signature unmasked', async () => {
    const http = createHttp();
    await teams.deliver(goldenEvent(), destination(fake.webhookUrl), http, memoryContext());
    fake.requireTenantAuth();
    const error = (await teams.deliver(goldenEvent(), destination(fake.webhookUrl), http, memoryContext()).catch((e: unknown) => e)) as Error;
    for (const leak of [fake.sig, fake.webhookUrl]) {
      expect(JSON.stringify(http.exchanges)).not.toContain(leak);
      expect(error.message).not.toContain(leak);
    }
  });
});

describe('teams responses from other servers', () => {
  it.each([
    [400, { error: { code: 'InvalidRequestContent' } }, PayloadValidationError],
    [502, '', RetryableError],
    [403, { error: { code: 'AuthorizationFailed' } }, AuthError],
    [200, '', undefined],
  ])('classifies HTTP %i', async (status, body, kind) => {
    const receiver = await startReceiver(() => ({ status, body }));
    try {
      const delivery = teams.deliver(goldenEvent(), destination(`${receiver.origin}/workflows/x/triggers/manual/paths/invoke?sig=abcdefgh`), createHttp(), memoryContext());
      if (kind) await expect(delivery).rejects.toBeInstanceOf(kind);
      else await expect(delivery).resolves.toBeUndefined();
    } finally {
      await receiver.close();
    }
  });
});

describe('teams settings', () => {
  it.each([
    'https://contoso.webhook.office.com/webhookb2/1234@abcd/IncomingWebhook/5678/efgh',
    'https://outlook.office.com/webhook/1234@abcd/IncomingWebhook/5678/efgh',
  ])('refuses the retired Office 365 connector URL %s with the reason', (webhookUrl) => {
    const result = teams.settings.safeParse({ webhookUrl });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0].message).toMatch(/Office 365 connector URL.*retired.*Workflows webhook/);
    expect(isRetiredTeamsUrl(webhookUrl)).toBe(true);
  });

  it.each([
    ['https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=x', []],
    ['https://default1234.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=x', []],
    ['https://proxy.example.com/workflows/abc', [/not a Power Automate host/]],
  ])('accepts the Workflows URL %s', (webhookUrl, expected) => {
    const settings = teams.settings.parse({ webhookUrl }) as TeamsSettings;
    const warnings = teams.warnings!(settings);
    expect(warnings).toHaveLength(expected.length);
    expected.forEach((pattern, i) => expect(warnings[i]).toMatch(pattern));
  });

  it('marks the webhook URL secret', () => {
    expect(secretKeys(teams.settings)).toEqual(['webhookUrl']);
    expect(teams.defaultEvents).toEqual(['video.completed', 'video.failed']);
  });
});

describe('teams on the connector engine', () => {
  const SIG = 'k3Y9sIgNaTuRe0123456789abcdef';
  const url = (origin: string) => `${origin}/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=${SIG}`;

  it('masks the signature when the service echoes it in an error it names', async () => {
    // Only the sig, not the whole URL: masked because the definition declares it a secret.
    const receiver = await startReceiver(() => ({ status: 401, body: { error: { code: `BadSig_${SIG}`, message: `sig ${SIG} is not valid` } } }));
    try {
      const http = createHttp();
      const error = (await teams.deliver(goldenEvent(), destination(url(receiver.origin)), http, memoryContext()).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(AuthError);
      expect(error.message).toMatch(/BadSig_…/);
      expect(error.message).not.toContain(SIG);
      expect(JSON.stringify(http.exchanges)).not.toContain(SIG);
    } finally {
      await receiver.close();
    }
  });

  it('names what failed in a refusal', async () => {
    const receiver = await startReceiver(() => ({ status: 400, body: { error: { code: 'InvalidRequestContent' } } }));
    try {
      const error = await teams.deliver(goldenEvent(), destination(url(receiver.origin)), createHttp(), memoryContext()).catch((e: unknown) => e);
      expect((error as Error).message).toBe('Teams Workflows refused the card (HTTP 400 InvalidRequestContent)');
    } finally {
      await receiver.close();
    }
  });

  it('sends nothing in a dry run, records the request a real run sends, and keeps no state', async () => {
    const receiver = await startReceiver(() => ({ status: 202 }));
    try {
      const dry = createHttp({ dryRun: true });
      const context = memoryContext();
      await teams.deliver(goldenEvent(), destination(url(receiver.origin)), dry, context);
      expect(receiver.requests).toHaveLength(0);
      expect(context.state.map.size).toBe(0);
      const real = createHttp();
      await teams.deliver(goldenEvent(), destination(url(receiver.origin)), real, memoryContext());
      expect(receiver.requests).toHaveLength(1);
      expect(dry.exchanges.map((x) => x.request)).toEqual(real.exchanges.map((x) => x.request));
    } finally {
      await receiver.close();
    }
  });
});
