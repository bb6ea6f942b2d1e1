import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { KEY, runInPty } from '../helpers/pty.js';
import { startFakeSlack, type FakeSlack } from '../connectors/slack/fake.js';

const PARTNER_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

async function withStore<T>(box: Sandbox, work: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = SqliteStore.open(box.env.VIDHOOK_DATA_DIR);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

describe('vidhook destinations', () => {
  let box: Sandbox;
  let slack: FakeSlack;

  beforeEach(async () => {
    box = sandbox();
    slack = await startFakeSlack();
    box.writeConfig(`destinations:\n  partner:\n    connector: webhook\n    url: https://partner.example.com/hooks\n    secret: ${PARTNER_SECRET}\n`);
    expect((await box.run(['configure', 'slack', '--name', 'team-slack', '--set', `webhookUrl=${slack.webhookUrl}`])).exitCode).toBe(0);
    await withStore(box, (store) =>
      store.putRuntimeDestination({
        name: 'zap-1',
        connector: 'zapier',
        events: ['video.completed'],
        enabled: true,
        settings: { hookUrl: 'https://hooks.zapier.com/hooks/catch/123/abcdefgh/' },
        createdAt: new Date().toISOString(),
      }),
    );
  });
  afterEach(async () => {
    await slack.close();
    box.cleanup();
  });

  it('lists every destination with where it comes from', async () => {
    const result = await box.run(['destinations']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/partner\s+webhook\s+project file\s+enabled/);
    expect(result.stdout).toMatch(/team-slack\s+slack\s+user store\s+enabled/);
    expect(result.stdout).toMatch(/zap-1\s+zapier\s+daemon registration\s+enabled/);
  });

  it('lists as JSON with every secret masked', async () => {
    const result = await box.run(['destinations', 'list', '--json']);
    const list = JSON.parse(result.stdout) as Array<{ name: string; source: string; settings: Record<string, string> }>;
    expect(list.map((d) => [d.name, d.source])).toEqual([
      ['partner', 'project'],
      ['team-slack', 'user'],
      ['zap-1', 'runtime'],
    ]);
    expect(list[0].settings.secret).toBe('whsec_…LaSw');
    expect(result.stdout).not.toContain(PARTNER_SECRET);
    expect(result.stdout).not.toContain(slack.secret);
    expect(result.stdout).not.toContain('abcdefgh');
  });

  it('shows one destination, masked, and exits 2 for an unknown name', async () => {
    const shown = await box.run(['destinations', 'show', 'partner']);
    expect(shown.stdout).toMatch(/secret\s+whsec_…LaSw/);
    expect(shown.stdout).not.toContain(PARTNER_SECRET);
    const unknown = await box.run(['destinations', 'show', 'nope']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('no destination named nope (known: partner, team-slack, zap-1)');
  });

  it('needs --yes to remove without a terminal, then removes from the user store', async () => {
    const refused = await box.run(['destinations', 'remove', 'team-slack']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('pass --yes');
    const removed = await box.run(['destinations', 'remove', 'team-slack', '--yes']);
    expect(removed.exitCode).toBe(0);
    const names = JSON.parse((await box.run(['destinations', '--json'])).stdout).map((d: { name: string }) => d.name);
    expect(names).toEqual(['partner', 'zap-1']);
  });

  it('asks before removing on a terminal', async () => {
    const run = await runInPty(['destinations', 'remove', 'team-slack'], {
      cwd: box.dir,
      env: box.env,
      steps: [{ expect: 'Remove team-slack \\(user store\\)\\?', send: `y${KEY.enter}` }],
    });
    expect(run.failedStep).toBeNull();
    expect(run.exitCode).toBe(0);
    expect(run.screen).toContain('removed team-slack from the user store');
  });

  it('refuses to remove a project-file destination, saying to edit the file', async () => {
    const result = await box.run(['destinations', 'remove', 'partner', '--yes']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/partner is defined in the project file .*vidhook\.config\.yaml: edit that file to remove it/);
  });

  it('removes a daemon registration from the store', async () => {
    const result = await box.run(['destinations', 'remove', 'zap-1', '--yes', '--json']);
    expect(JSON.parse(result.stdout)).toEqual({ removed: 'zap-1', source: 'runtime' });
    expect(await withStore(box, (s) => s.listRuntimeDestinations())).toEqual([]);
  });

  it('disables and enables through the store flag the daemon reads, and enable clears a 410 disable', async () => {
    expect((await box.run(['destinations', 'disable', 'partner'])).exitCode).toBe(0);
    expect(await withStore(box, (s) => s.disabledDestinations())).toEqual({ partner: expect.stringMatching(/^disabled by .* with vidhook destinations disable$/) });
    expect((await box.run(['status', '--json'])).stdout).toMatch(/"state": "disabled"/);

    await withStore(box, (s) => s.setDisabled('team-slack', 'endpoint answered HTTP 410 Gone'));
    const listed = JSON.parse((await box.run(['destinations', '--json'])).stdout) as Array<{ name: string; state: string; reason?: string }>;
    expect(listed.find((d) => d.name === 'team-slack')).toMatchObject({ state: 'disabled', reason: 'endpoint answered HTTP 410 Gone' });

    const enabled = await box.run(['destinations', 'enable', 'team-slack', '--json']);
    expect(JSON.parse(enabled.stdout)).toEqual({ name: 'team-slack', state: 'enabled', cleared: 'endpoint answered HTTP 410 Gone' });
    expect(await withStore(box, (s) => s.disabledDestinations())).not.toHaveProperty('team-slack');
  });

  it('tests one destination with its connector’s sample event', async () => {
    const result = await box.run(['destinations', 'test', 'team-slack', '--json']);
    expect(result.exitCode).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc).toMatchObject({ destination: 'team-slack', connector: 'slack', eventType: 'video.completed', outcome: 'delivered', statusCode: 200 });
    expect(slack.posted).toHaveLength(1);
    expect(result.stdout).not.toContain(slack.secret);
  });

  it('reports a failed test with the reason and the destination name, and exits 1', async () => {
    slack.failWith(403, 'invalid_token');
    const result = await box.run(['destinations', 'test', 'team-slack']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/✗ team-slack \(slack\) failed the test .*invalid_token/);
  });

  it('tests a disabled destination too (to check it before enabling it again)', async () => {
    await box.run(['destinations', 'disable', 'team-slack']);
    const result = await box.run(['destinations', 'test', 'team-slack', '--type', 'user.registered']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('took a sample user.registered');
  });
});
