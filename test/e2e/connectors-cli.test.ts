import { afterEach, describe, expect, it } from 'vitest';
import { BUILTIN_EVENT_TYPES } from '../../src/events/index.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { startFakeSlack, type FakeSlack } from '../connectors/slack/fake.js';
import { startFakeTeams, type FakeTeams } from '../connectors/teams/fake.js';
import { startFakeDiscord, type FakeDiscord } from '../connectors/discord/fake.js';
import { startFakeZapier, type FakeZapier } from '../connectors/zapier/fake.js';
import { startFakeWordPress } from '../connectors/wordpress/fake.js';

describe('vidhook emit to the messaging and workflow services', () => {
  let box: Sandbox;
  let fakes: { slack: FakeSlack; teams: FakeTeams; discord: FakeDiscord; zapier: FakeZapier };
  afterEach(async () => {
    await Promise.all(Object.values(fakes).map((f) => f.close()));
    box.cleanup();
  });

  it('delivers every event type, as a valid message, to Slack, Teams, Discord and Zapier', async () => {
    fakes = { slack: await startFakeSlack(), teams: await startFakeTeams(), discord: await startFakeDiscord(), zapier: await startFakeZapier() };
    box = sandbox();
    box.writeConfig(`
destinations:
  team-slack: { connector: slack, webhookUrl: "${fakes.slack.webhookUrl}", events: ["*"] }
  team-teams: { connector: teams, webhookUrl: "${fakes.teams.webhookUrl}", events: ["*"] }
  team-discord: { connector: discord, webhookUrl: "${fakes.discord.webhookUrl}", events: ["*"] }
  zap: { connector: zapier, hookUrl: "${fakes.zapier.hookUrl}" }
`);
    for (const type of BUILTIN_EVENT_TYPES) {
      const result = await box.run(['emit', type, '--sample', '--json']);
      expect(result.exitCode, `${type}: ${result.stdout}${result.stderr}`).toBe(0);
      const states = JSON.parse(result.stdout).deliveries.map((d: { state: string }) => d.state);
      expect(states).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    }
    expect(fakes.slack.posted).toHaveLength(6);
    expect(fakes.teams.accepted).toHaveLength(6);
    expect(fakes.discord.messages).toHaveLength(6);
    expect(fakes.zapier.caught).toHaveLength(6);
  });

  it('shows each request on --dry-run with the webhook URLs masked, and sends nothing', async () => {
    fakes = { slack: await startFakeSlack(), teams: await startFakeTeams(), discord: await startFakeDiscord(), zapier: await startFakeZapier() };
    box = sandbox();
    box.writeConfig(`
destinations:
  team-slack: { connector: slack, webhookUrl: "${fakes.slack.webhookUrl}" }
  team-teams: { connector: teams, webhookUrl: "${fakes.teams.webhookUrl}" }
  team-discord: { connector: discord, webhookUrl: "${fakes.discord.webhookUrl}" }
  zap: { connector: zapier, hookUrl: "${fakes.zapier.hookUrl}" }
`);
    const result = await box.run(['emit', 'video.completed', '--sample', '--dry-run', '--json']);
    expect(result.exitCode).toBe(0);
    const rendered = JSON.parse(result.stdout).destinations;
    expect(rendered.map((d: { connector: string; requests: unknown[] }) => [d.connector, d.requests.length])).toEqual([
      ['discord', 1], ['slack', 1], ['teams', 1], ['zapier', 1],
    ]);
    for (const secret of [fakes.slack.secret, fakes.teams.sig, fakes.discord.token]) expect(result.stdout).not.toContain(secret);
    expect(fakes.slack.posted.length + fakes.teams.accepted.length + fakes.discord.messages.length + fakes.zapier.caught.length).toBe(0);
  });
});

describe('vidhook emit to WordPress', () => {
  it('exits 1 on a wrong application password, naming the destination and the cause', async () => {
    const site = await startFakeWordPress({ appPassword: 'abcd EFGH 1234 ijkl MNOP 5678' });
    const box = sandbox();
    try {
      box.writeConfig(`
destinations:
  blog:
    connector: wordpress
    siteUrl: ${site.siteUrl}
    username: editor
    appPassword: wxyz WXYZ 0000 aaaa BBBB 9999
`);
      const result = await box.run(['emit', 'video.completed', '--sample', '--set', 'video.thumbnailUrl=', '--set', `video.url=${site.origin}/cdn/v.mp4`]);
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toMatch(/✗\s+blog\s+wordpress\s+failed\s+.*refused the application password of "editor"/);
      expect(result.stdout + result.stderr).not.toContain('wxyz WXYZ 0000 aaaa BBBB 9999');
      expect(site.posts.size).toBe(0);
    } finally {
      await site.close();
      box.cleanup();
    }
  });
});

describe('vidhook emit --validate', () => {
  it("prints GA4's validation messages from its debug endpoint, and records nothing", async () => {
    const { startFakeGa4 } = await import('../connectors/ga4/fake.js');
    const ga4 = await startFakeGa4({ apiSecret: 'ga4-api-secret-0123456789' });
    const box = sandbox();
    try {
      box.writeConfig(`
destinations:
  analytics: { connector: ga4, measurementId: G-ABC123DEF4, apiSecret: ga4-api-secret-0123456789, baseUrl: "${ga4.origin}" }
`);
      const clean = await box.run(['emit', 'video.completed', '--sample', '--validate', '--json']);
      expect(clean.exitCode).toBe(0);
      const [checked] = JSON.parse(clean.stdout).destinations;
      expect(checked).toMatchObject({ destination: 'analytics', validation: [] });
      expect(checked.requests[0].url).toContain('/debug/mp/collect');

      ga4.extraReserved.add('video_generation_completed');
      const refused = await box.run(['emit', 'video.completed', '--sample', '--validate']);
      expect(refused.exitCode).toBe(1);
      expect(refused.stdout).toMatch(/validation: .*video_generation_completed/);
      expect(ga4.collected).toHaveLength(0);
    } finally {
      await ga4.close();
      box.cleanup();
    }
  });
});
