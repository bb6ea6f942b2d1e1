import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

describe('errors that say where', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = sandbox();
  });
  afterEach(() => box.cleanup());

  it('gives the line, column and reason of a YAML syntax error in the project file', async () => {
    const file = box.writeConfig('destinations:\n  a:\n    connector: webhook\n    url: [unclosed\n');
    const result = await box.run(['status']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`${file}: cannot be read: line 5, column 1: unexpected end of the stream within a flow collection`);
  });

  it('gives the line, column and reason of a JSON syntax error', async () => {
    const file = box.writeConfig('{"destinations": {,}}', 'vidhook.config.json');
    const result = await box.run(['status', '--config', file]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/cannot be read: line 1, column 19: .*property name/);
  });

  it('gives the file, line, column and reason of a JSON syntax error in the user store, and leaves the file as it was', async () => {
    const broken = '{\n  "destinations": {\n    "partner": { "connector": "webhook", }\n  }\n}\n';
    mkdirSync(box.env.VIDHOOK_CONFIG_DIR, { recursive: true });
    const file = join(box.env.VIDHOOK_CONFIG_DIR, 'config.json');
    writeFileSync(file, broken);
    for (const args of [['destinations'], ['configure', 'webhook', '--name', 'other', '--set', 'url=https://partner.example/hooks'], ['emit', 'video.generated', '--sample']]) {
      const result = await box.run(args);
      expect(result.exitCode, args[0]).toBe(2);
      expect(result.stderr, args[0]).toMatch(new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot be read: line 3, column 42: .*property name$`));
      expect(readFileSync(file, 'utf8'), args[0]).toBe(broken);
    }
  });

  it('lists every invalid field of the project file', async () => {
    const file = box.writeConfig('retention: soon\nserver:\n  port: -1\n');
    const result = await box.run(['status']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`${file}, setting "retention": must be a duration`);
    expect(result.stderr).toContain(`${file}, setting "server.port"`);
  });

  it('refuses the README’s placeholder as a Slack webhook URL', async () => {
    const result = await box.run(['configure', 'slack', '--name', 'team-slack', '--set', 'webhookUrl=https://hooks.slack.com/services/T…/B…/…']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/webhookUrl: is a placeholder \(T…\/B…\/…\): paste the whole incoming webhook URL/);
  });

  it('lists every invalid field of an event, and suggests --sample and --data when none was given', async () => {
    const result = await box.run(['emit', 'video.generated']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('data.video is required; data.user is required');
    expect(result.stderr).not.toContain('more)');
    expect(result.stderr).toMatch(/--data .*--sample/);
  });

  it('exits alike for an unknown delivery and an unknown destination', async () => {
    const delivery = await box.run(['deliveries', 'show', 'dlv_nope']);
    const destination = await box.run(['destinations', 'show', 'nope']);
    expect(delivery.exitCode).toBe(2);
    expect(destination.exitCode).toBe(2);
    expect(delivery.stderr).toContain('no delivery dlv_nope');
  });

  it('says how to add a destination when none takes the event', async () => {
    const result = await box.run(['emit', 'session.started', '--sample']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('no destination takes session.started');
    expect(result.stderr).toContain('vidhook configure <connector> --events session.started');
  });

  describe('replay --dry-run that matches nothing says why', () => {
    let receiver: Receiver;
    beforeEach(async () => {
      receiver = await startReceiver();
      box.writeConfig(`destinations:\n  partner:\n    connector: webhook\n    url: ${receiver.url}\n    events: [video.completed]\n`);
    });
    afterEach(() => receiver.close());

    const why = async (...args: string[]) => {
      const result = await box.run(['replay', '--to', 'partner', '--dry-run', '--json', ...args]);
      expect(result.exitCode, result.stderr).toBe(0);
      const answer = JSON.parse(result.stdout);
      expect(answer.events).toBe(0);
      return answer.why.map((w: { reason: string }) => w.reason);
    };

    it('when nothing was received since --since, and when --since reaches past the retention', async () => {
      expect(await why('--since', '2d')).toEqual(['none_received']);
      expect(await why('--since', '45d')).toEqual(['retention', 'none_received']);
      const human = await box.run(['replay', '--to', 'partner', '--since', '45d', '--dry-run']);
      expect(human.stdout).toContain('no event to replay to partner since 45d:');
      expect(human.stdout).toContain('the store keeps events for 30 d (retention), so --since 45d reaches back no further than that');
    });

    it("when the destination's own event filter does not take the types stored, and replays none of them", async () => {
      expect((await box.run(['emit', 'session.started', '--sample'])).exitCode).toBe(0);
      expect(await why('--since', '2d')).toEqual(['destination_events']);
      const human = await box.run(['replay', '--to', 'partner', '--since', '2d', '--dry-run']);
      expect(human.stdout).toContain('partner takes none of the types stored since 2d (session.started ×1): its events are video.completed');

      const replayed = await box.run(['replay', '--to', 'partner', '--since', '2d']);
      expect(replayed.exitCode).toBe(0);
      expect(JSON.parse((await box.run(['deliveries', '--json'])).stdout).deliveries).toEqual([]);
    });

    it('when --type matches no stored event, and when the destination does not take that type', async () => {
      expect((await box.run(['emit', 'session.started', '--sample'])).exitCode).toBe(0);
      expect(await why('--since', '2d', '--type', 'video.completed')).toEqual(['type']);
      expect(await why('--since', '2d', '--type', 'video.failed')).toEqual(['type', 'destination_events']);
      expect(await why('--since', '2d', '--type', 'session.started')).toEqual(['destination_events']);
      const human = await box.run(['replay', '--to', 'partner', '--since', '2d', '--type', 'video.failed', '--dry-run']);
      expect(human.stdout).toContain('--type video.failed: no event of that type is stored since 2d (stored: session.started ×1)');
      expect(human.stdout).toContain('partner does not take video.failed: its events are video.completed');
    });

    it('when every matching event already has a delivery to the destination', async () => {
      expect((await box.run(['emit', 'video.completed', '--sample'])).exitCode).toBe(0);
      expect(receiver.requests).toHaveLength(1);
      expect(await why('--since', '2d')).toEqual(['already_delivered']);
    });
  });

  it('names the data dir and the fix when emit or tail cannot open the store', async () => {
    const notADir = box.writeConfig('', 'a-file');
    for (const args of [['emit', 'video.generated', '--sample'], ['tail']]) {
      const result = await box.run([...args, '--data-dir', notADir]);
      expect(result.exitCode, args[0]).toBe(2);
      expect(result.stderr).toContain(`cannot open the store in ${notADir}`);
      expect(result.stderr).toContain('point --data-dir (or VIDHOOK_DATA_DIR) at a directory vidhook may write');
    }
  });
});
