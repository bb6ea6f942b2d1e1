import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { runInPty } from '../helpers/pty.js';
import { startFakeSlack, type FakeSlack } from '../connectors/slack/fake.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/;

describe('output conventions', () => {
  let box: Sandbox;
  let slack: FakeSlack;

  beforeAll(async () => {
    box = sandbox();
    slack = await startFakeSlack();
    expect((await box.run(['configure', 'slack', '--name', 'team-slack', '--set', `webhookUrl=${slack.webhookUrl}`])).exitCode).toBe(0);
    expect((await box.run(['emit', 'video.completed', '--sample'])).exitCode).toBe(0);
  });
  afterAll(async () => {
    await slack.close();
    box.cleanup();
  });

  it.each([
    [['connectors']],
    [['events']],
    [['events', 'sample', 'video.completed']],
    [['events', 'schema', 'video.failed']],
    [['destinations']],
    [['destinations', 'show', 'team-slack']],
    [['destinations', 'test', 'team-slack']],
    [['destinations', 'disable', 'team-slack']],
    [['destinations', 'enable', 'team-slack']],
    [['configure', 'slack', '--name', 'team-slack']],
    [['status']],
    [['doctor', '--no-network']],
    [['deliveries']],
    [['emit', 'user.registered', '--sample', '--dry-run']],
    [['emit', 'video.failed', '--sample']],
    [['replay', '--to', 'team-slack', '--since', '1h', '--dry-run']],
  ])('%j --json prints one JSON document on stdout and nothing else', async (args) => {
    const result = await box.run([...args, '--json'], { env: { ...box.env, FORCE_COLOR: '1', NO_COLOR: '' } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(() => JSON.parse(result.stdout)).not.toThrow();
    expect(result.stdout).not.toMatch(ANSI);
    expect(result.stdout).not.toContain(slack.secret);
  });

  it('tail --json prints NDJSON, one attempt a line', async () => {
    const result = await box.run(['tail', '--json']);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('a --json error is one JSON object on stderr, and stdout stays empty', async () => {
    const result = await box.run(['destinations', 'show', 'nope', '--json']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(JSON.parse(result.stderr)).toMatchObject({ error: { code: 'unknown_destination', message: expect.stringContaining('nope') } });
  });

  it.each([
    [['destinations', 'show', 'nope'], 2],
    [['completion', 'tcsh'], 2],
    [['emit'], 2],
    [['no-such-command'], 2],
    [['destinations', 'list'], 0],
  ])('%j exits %i', async (args, code) => {
    expect((await box.run(args)).exitCode).toBe(code);
  });

  describe('colour', () => {
    const inPty = async (args: string[], env: Record<string, string>) => (await runInPty(args, { cwd: box.dir, env: { ...box.env, ...env }, steps: [] })).raw;

    it('is on at a terminal', async () => {
      expect(await inPty(['destinations'], { NO_COLOR: '' })).toMatch(ANSI);
    });

    it.each([
      ['NO_COLOR=1', [], { NO_COLOR: '1' }],
      ['--no-color', ['--no-color'], { NO_COLOR: '' }],
      ['TERM=dumb', [], { NO_COLOR: '', TERM: 'dumb' }],
      ['FORCE_COLOR=0', [], { NO_COLOR: '', FORCE_COLOR: '0' }],
    ])('is off at a terminal with %s', async (_, flags, env) => {
      const raw = await inPty(['destinations', ...(flags as string[])], env as Record<string, string>);
      expect(raw).toContain('team-slack');
      expect(raw).not.toMatch(ANSI);
    });

    it('is off in a pipe, and on in a pipe with FORCE_COLOR', async () => {
      expect((await box.run(['destinations'], { env: { ...box.env, NO_COLOR: '' } })).stdout).not.toMatch(ANSI);
      expect((await box.run(['destinations'], { env: { ...box.env, NO_COLOR: '', FORCE_COLOR: '1' } })).stdout).toMatch(ANSI);
    });
  });
});
