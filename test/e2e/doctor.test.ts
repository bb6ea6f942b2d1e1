import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { startFakeDiscord, type FakeDiscord } from '../connectors/discord/fake.js';

interface Check {
  check: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

async function doctor(box: Sandbox, args: string[] = [], env: Record<string, string> = {}) {
  const result = await box.run(['doctor', '--json', ...args], { env: { ...box.env, ...env } });
  const report = JSON.parse(result.stdout) as { ok: boolean; checks: Check[] };
  return { exitCode: result.exitCode, report, find: (name: string) => report.checks.find((c) => c.check === name) };
}

describe('vidhook doctor', () => {
  let box: Sandbox;
  let discord: FakeDiscord;

  beforeEach(async () => {
    box = sandbox();
    discord = await startFakeDiscord();
    const saved = await box.run(['configure', 'discord', '--name', 'ops', '--set', `webhookUrl=${discord.webhookUrl}`]);
    expect(saved.exitCode).toBe(0);
  });
  afterEach(async () => {
    await discord.close();
    box.cleanup();
  });

  it('passes a healthy setup, checking credentials through the connector', async () => {
    const { exitCode, report, find } = await doctor(box);
    expect(exitCode).toBe(0);
    expect(report.ok).toBe(true);
    expect(find('config')?.status).toBe('ok');
    expect(find('secrets')).toMatchObject({ status: 'ok', detail: expect.stringContaining('0600') });
    expect(find('store')).toMatchObject({ status: 'ok', detail: expect.stringContaining('integrity check') });
    expect(find('daemon')?.status).toBe('skip');
    expect(find('credentials ops')).toMatchObject({ status: 'ok', detail: expect.stringContaining('webhook') });
    expect(JSON.stringify(report)).not.toContain(discord.token);
  });

  it('fails on revoked credentials, with the fix', async () => {
    discord.deleteWebhook();
    const { exitCode, find } = await doctor(box);
    expect(exitCode).toBe(1);
    const check = find('credentials ops')!;
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(/^ops \(discord\): /);
    expect(check.fix).toContain('vidhook configure discord --name ops');
  });

  it('fails when the user store is readable by others', async () => {
    chmodSync(join(box.env.VIDHOOK_CONFIG_DIR, 'config.json'), 0o644);
    const { exitCode, find } = await doctor(box);
    expect(exitCode).toBe(1);
    expect(find('secrets')).toMatchObject({ status: 'fail', fix: `chmod 600 ${join(box.env.VIDHOOK_CONFIG_DIR, 'config.json')}` });
  });

  it('fails when the daemon named by VIDHOOK_SERVER does not answer', async () => {
    const { exitCode, find } = await doctor(box, [], { VIDHOOK_SERVER: 'http://127.0.0.1:9' });
    expect(exitCode).toBe(1);
    expect(find('daemon')).toMatchObject({ status: 'fail', fix: expect.stringContaining('vidhook serve') });
  });

  it('reports a bad project file and a plain-text secret in it', async () => {
    box.writeConfig('destinations:\n  partner:\n    connector: webhook\n    url: https://partner.example.com/h\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n');
    const warned = await doctor(box, ['--no-network']);
    expect(warned.exitCode).toBe(0);
    expect(warned.find('secrets partner')).toMatchObject({ status: 'warn', fix: expect.stringContaining('${PARTNER_SECRET}') });
    expect(JSON.stringify(warned.report)).not.toContain('LaLaSw');

    box.writeConfig('destinations:\n  partner:\n    connector: webhook\n    url: ${PARTNER_URL}\n');
    const broken = await doctor(box, ['--no-network']);
    expect(broken.exitCode).toBe(1);
    expect(broken.find('destination partner')).toMatchObject({ status: 'fail', detail: expect.stringContaining('PARTNER_URL') });
  });

  it('prints each problem with its fix for people', async () => {
    chmodSync(join(box.env.VIDHOOK_CONFIG_DIR, 'config.json'), 0o644);
    const result = await box.run(['doctor', '--no-network']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/✗ secrets: .*readable by others/);
    expect(result.stdout).toMatch(/fix: chmod 600 /);
    expect(result.stdout).toContain('1 problem found');
  });
});
