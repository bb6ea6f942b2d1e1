import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { KEY, runInPty } from '../helpers/pty.js';
import { startFakeSlack, type FakeSlack } from '../connectors/slack/fake.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

const userStore = (box: Sandbox) => JSON.parse(readFileSync(join(box.env.VIDHOOK_CONFIG_DIR, 'config.json'), 'utf8')) as {
  destinations: Record<string, Record<string, unknown>>;
};

describe('vidhook configure', () => {
  let box: Sandbox;
  let slack: FakeSlack;

  beforeEach(async () => {
    box = sandbox();
    slack = await startFakeSlack();
  });
  afterEach(async () => {
    await slack.close();
    box.cleanup();
  });

  it('goes from nothing to a delivered Slack message in two commands', async () => {
    const saved = await box.run(['configure', 'slack', '--name', 'team-slack', '--set', `webhookUrl=${slack.webhookUrl}`]);
    expect(saved.exitCode).toBe(0);
    expect(saved.stderr).toContain('webhookUrl host 127.0.0.1 is not Slack’s');
    expect(saved.stdout).toContain('saved team-slack (slack)');
    expect(saved.stdout).not.toContain(slack.secret);

    const emitted = await box.run(['emit', 'video.completed', '--sample']);
    expect(emitted.exitCode).toBe(0);
    expect(emitted.stdout).toMatch(/✓\s+team-slack\s+slack\s+delivered\s+200/);
    expect(slack.posted).toHaveLength(1);
  });

  it('keeps the user store private (0600) and the secret out of every output', async () => {
    const saved = await box.run(['configure', 'slack', '--name', 'team-slack', '--set', `webhookUrl=${slack.webhookUrl}`, '--json']);
    const doc = JSON.parse(saved.stdout);
    expect(doc).toMatchObject({ name: 'team-slack', connector: 'slack', events: ['video.completed', 'video.failed', 'user.registered'] });
    expect(doc.settings.webhookUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/…/);
    expect(saved.stdout + saved.stderr).not.toContain(slack.secret);
    expect(statSync(join(box.env.VIDHOOK_CONFIG_DIR, 'config.json')).mode & 0o777).toBe(0o600);
    expect(userStore(box).destinations['team-slack']).toEqual({ connector: 'slack', webhookUrl: slack.webhookUrl });
  });

  it('without a terminal, names the flag a missing setting needs and exits 2', async () => {
    const result = await box.run(['configure', 'slack', '--name', 'team-slack']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--set webhookUrl=<url>');
  });

  it('never reads piped stdin as answers', async () => {
    const result = await box.run(['configure', 'slack'], { input: `${slack.webhookUrl}\n\n\n`, stdin: 'pipe', env: { ...box.env, CI: '' } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--set webhookUrl=<url>');
  });

  it('without a connector and without a terminal, says how to name one', async () => {
    const result = await box.run(['configure']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/vidhook configure <connector> \(one of .*slack/);
  });

  it.each([
    ['slack', 'webhookUrl=not a url', /--set webhookUrl: must be an http\(s\) URL/],
    ['teams', 'webhookUrl=https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456', /Office 365 connector URL.*Workflows/],
    ['slack', 'channel=#general', /no such setting; expected one of webhookUrl/],
  ])('refuses a bad %s setting (%s) with the reason', async (kind, set, message) => {
    const result = await box.run(['configure', kind, '--set', set]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('accepts a Teams Workflows URL', async () => {
    const url = 'https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=s3cr3tS1gnature';
    const result = await box.run(['configure', 'teams', '--set', `webhookUrl=${url}`, '--json']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).warnings).toEqual([]);
    expect(result.stdout).not.toContain('s3cr3tS1gnature');
  });

  it('stores an event filter from --events, and refuses one that matches nothing', async () => {
    const ok = await box.run(['configure', 'slack', '--set', `webhookUrl=${slack.webhookUrl}`, '--events', 'video.failed,user.*']);
    expect(ok.exitCode).toBe(0);
    expect(userStore(box).destinations.slack.events).toEqual(['video.failed', 'user.*']);
    const bad = await box.run(['configure', 'slack', '--set', `webhookUrl=${slack.webhookUrl}`, '--events', 'video.exploded']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('"video.exploded" matches no event type');
  });

  it('updates an existing destination, keeping the settings not given again', async () => {
    await box.run(['configure', 'slack', '--name', 'team-slack', '--set', `webhookUrl=${slack.webhookUrl}`, '--events', 'video.failed']);
    const again = await box.run(['configure', 'slack', '--name', 'team-slack', '--events', 'video.completed']);
    expect(again.exitCode).toBe(0);
    expect(userStore(box).destinations['team-slack']).toEqual({ connector: 'slack', webhookUrl: slack.webhookUrl, events: ['video.completed'] });
  });

  it('replaces a destination of another connector only with --yes', async () => {
    await box.run(['configure', 'slack', '--name', 'alerts', '--set', `webhookUrl=${slack.webhookUrl}`]);
    const refused = await box.run(['configure', 'discord', '--name', 'alerts', '--set', 'webhookUrl=https://discord.com/api/webhooks/1/abcdefghijkl']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('pass --yes to replace it');
    const replaced = await box.run(['configure', 'discord', '--name', 'alerts', '--set', 'webhookUrl=https://discord.com/api/webhooks/1/abcdefghijkl', '--yes']);
    expect(replaced.exitCode).toBe(0);
    expect(userStore(box).destinations.alerts.connector).toBe('discord');
  });

  it('sends a test event with --test, and exits 1 naming the destination when it fails', async () => {
    const ok = await box.run(['configure', 'slack', '--name', 'team-slack', '--set', `webhookUrl=${slack.webhookUrl}`, '--test']);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toMatch(/✓ team-slack \(slack\) took a sample video\.completed: 200/);
    expect(slack.posted).toHaveLength(1);

    slack.failWith(404, 'no_service');
    const failed = await box.run(['configure', 'slack', '--name', 'team-slack', '--test']);
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toMatch(/✗ team-slack \(slack\) failed the test.*no_service/);
  });

  describe('the webhook connector', () => {
    let receiver: Receiver;
    beforeEach(async () => {
      receiver = await startReceiver();
    });
    afterEach(() => receiver.close());

    it('generates a signing secret once, prints it once, and signs with it', async () => {
      const saved = await box.run(['configure', 'webhook', '--name', 'partner', '--set', `url=${receiver.url}`, '--test']);
      expect(saved.exitCode).toBe(0);
      const secret = /secret: (whsec_[A-Za-z0-9+/=]+)/.exec(saved.stdout)?.[1];
      expect(secret).toBeDefined();
      expect(saved.stdout).toContain('shown only once');
      expect(userStore(box).destinations.partner.secret).toBe(secret);
      const [req] = receiver.requests;
      expect(() => new StandardWebhook(secret!).verify(req.body, req.headers)).not.toThrow();

      const shown = await box.run(['destinations', 'show', 'partner']);
      expect(shown.stdout).not.toContain(secret);
      expect(shown.stdout).toMatch(/secret\s+whsec_…/);
    });
  });

  describe('on a terminal', () => {
    const env = () => ({ ...box.env, NO_COLOR: '1' });

    it('asks for the connector, the name, each missing setting (masked), the events and a test, validating each answer', async () => {
      const run = await runInPty(['configure'], {
        cwd: box.dir,
        env: env(),
        steps: [
          { expect: 'Which service', send: 'slack' },
          { expect: 'Slack \\(slack\\)', send: KEY.enter },
          { expect: 'Destination name', send: `team-slack${KEY.enter}` },
          { expect: 'webhookUrl — Incoming webhook URL', send: `nope${KEY.enter}` },
          { expect: 'must be an http\\(s\\) URL', send: `${KEY.backspace.repeat(4)}${slack.webhookUrl}${KEY.enter}` },
          { expect: 'Set optional settings too \\(consoleUrl\\)\\?', send: `y${KEY.enter}` },
          { expect: 'consoleUrl — Address of the vidhook console', send: `http://127.0.0.1:8765/console/${KEY.enter}` },
          { expect: 'Which events', send: `${KEY.space}${KEY.enter}` },
          { expect: 'Send a test event to team-slack now\\?', send: KEY.enter },
        ],
      });
      expect(run.failedStep).toBeNull();
      expect(run.exitCode).toBe(0);
      expect(run.screen).not.toContain(slack.secret);
      expect(run.screen).toMatch(/took a sample video\.(generated|completed): 200/);
      expect(userStore(box).destinations['team-slack']).toEqual({
        connector: 'slack',
        webhookUrl: slack.webhookUrl,
        consoleUrl: 'http://127.0.0.1:8765/console/',
        events: ['video.generated', 'video.completed', 'video.failed', 'user.registered'],
      });
      expect(slack.posted).toHaveLength(1);
      expect(JSON.stringify(slack.posted[0])).toContain('http://127.0.0.1:8765/console/#/events/');
    });

    it('shows the connector defaults ticked and keeps following them when left as is', async () => {
      const run = await runInPty(['configure', 'slack', '--name', 'team-slack', '--set', `webhookUrl=${slack.webhookUrl}`], {
        cwd: box.dir,
        env: env(),
        steps: [
          { expect: 'Set optional settings too', send: KEY.enter },
          { expect: 'Which events', send: KEY.enter },
          { expect: 'Send a test event', send: `n${KEY.enter}` },
        ],
      });
      expect(run.failedStep).toBeNull();
      expect(run.screen).toMatch(/◉ video\.completed/);
      expect(run.screen).toMatch(/◯ video\.generated/);
      expect(run.exitCode).toBe(0);
      expect(userStore(box).destinations['team-slack']).toEqual({ connector: 'slack', webhookUrl: slack.webhookUrl });
      expect(slack.posted).toHaveLength(0);
    });

    it('exits 130 and saves nothing when a prompt is cancelled with Ctrl-C', async () => {
      const run = await runInPty(['configure', 'slack'], {
        cwd: box.dir,
        env: env(),
        steps: [{ expect: 'Destination name', send: KEY.ctrlC }],
      });
      expect(run.failedStep).toBeNull();
      expect(run.exitCode).toBe(130);
      expect(run.screen).toContain('error: cancelled');
      expect(userStore(box).destinations).toEqual({});
    });

    it('does not read answers from piped stdin even when stdout is a terminal', async () => {
      const run = await runInPty(['configure', 'slack'], { cwd: box.dir, env: env(), steps: [], pipedStdin: `team-slack\n${slack.webhookUrl}\n\n` });
      expect(run.exitCode).toBe(2);
      expect(run.screen).toContain('--set webhookUrl=<url>');
      expect(userStore(box).destinations).toEqual({});
    });

    it('does not prompt with --json even on a terminal', async () => {
      const run = await runInPty(['configure', 'slack', '--json'], { cwd: box.dir, env: env(), steps: [] });
      expect(run.exitCode).toBe(2);
      expect(run.screen).toContain('"code":"missing_setting"');
    });
  });
});
