import { afterEach, describe, expect, it } from 'vitest';
import { consoleEventUrl } from '../../../src/connectors/messaging/console-link.js';
import { slack } from '../../../src/connectors/slack/index.js';
import { teams } from '../../../src/connectors/teams/index.js';
import { discord } from '../../../src/connectors/discord/index.js';
import type { Connector, ConnectorTarget } from '../../../src/connectors/core/types.js';
import { createHttp } from '../../../src/delivery/http.js';
import { memoryContext } from '../../helpers/context.js';
import { startFakeSlack } from '../slack/fake.js';
import { startFakeTeams } from '../teams/fake.js';
import { startFakeDiscord } from '../discord/fake.js';
import { goldenEvent } from '../messaging-cases.js';

// consoleUrl, the setting slack, teams and discord share: a link from each message to the event in the console.

describe('consoleEventUrl', () => {
  it.each([
    ['http://127.0.0.1:8765/console/', 'http://127.0.0.1:8765/console/#/events/evt_1'],
    ['http://127.0.0.1:8765/console', 'http://127.0.0.1:8765/console#/events/evt_1'],
    ['https://ops.example.com/vidhook/console/#/deliveries?state=failed', 'https://ops.example.com/vidhook/console/#/events/evt_1'],
  ])('links %s to the event in the console’s own routing', (consoleUrl, expected) => {
    expect(consoleEventUrl(consoleUrl, 'evt_1')).toBe(expected);
  });

  it('gives no link without a consoleUrl', () => {
    expect(consoleEventUrl(undefined, 'evt_1')).toBeUndefined();
  });
});

const CONNECTORS = [
  ['slack', slack],
  ['teams', teams],
  ['discord', discord],
] as const;

describe.each(CONNECTORS)('%s consoleUrl', (kind, connector) => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  async function fakeWebhook(): Promise<{ webhookUrl: string; posted: () => unknown[] }> {
    if (kind === 'slack') {
      const fake = await startFakeSlack();
      closers.push(() => fake.close());
      return { webhookUrl: fake.webhookUrl, posted: () => fake.posted };
    }
    if (kind === 'teams') {
      const fake = await startFakeTeams();
      closers.push(() => fake.close());
      return { webhookUrl: fake.webhookUrl, posted: () => fake.accepted };
    }
    const fake = await startFakeDiscord();
    closers.push(() => fake.close());
    return { webhookUrl: fake.webhookUrl, posted: () => fake.messages };
  }

  it('is optional and refuses anything but an http(s) URL, saying so', () => {
    const webhookUrl = kind === 'discord' ? 'https://discord.com/api/webhooks/1/t' : 'https://hooks.slack.com/services/T1/B1/x';
    const base = { webhookUrl: kind === 'teams' ? 'https://prod-01.westus.logic.azure.com/workflows/1/triggers/manual/paths/invoke?sig=s' : webhookUrl };
    expect(connector.settings.safeParse(base).success).toBe(true);
    const refused = connector.settings.safeParse({ ...base, consoleUrl: 'javascript:alert(1)' });
    expect(refused.success).toBe(false);
    expect(refused.error!.issues.map((i) => `${i.path.join('.')} ${i.message}`)).toContain('consoleUrl must be an http(s) URL');
  });

  it('puts the link to the event in the console into the message the service receives', async () => {
    const fake = await fakeWebhook();
    const settings = connector.settings.parse({ webhookUrl: fake.webhookUrl, consoleUrl: 'http://127.0.0.1:8765/console/' });
    const destination: ConnectorTarget<typeof settings> = { name: `team-${kind}`, settings };
    await (connector as Connector<typeof settings>).deliver(goldenEvent(), destination, createHttp(), memoryContext());
    expect(fake.posted()).toHaveLength(1);
    expect(JSON.stringify(fake.posted()[0])).toContain('http://127.0.0.1:8765/console/#/events/evt_01JDX8GOLDEN');
  });
});
