import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { startDaemon, eventually, type DaemonProcess } from '../helpers/daemon.js';

const README = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('/metrics', () => {
  let box: Sandbox;
  let receiver: Receiver;
  let daemon: DaemonProcess;
  let text: string;

  beforeAll(async () => {
    box = sandbox();
    receiver = await startReceiver();
    box.writeConfig(`
destinations:
  partner:
    connector: webhook
    url: ${receiver.url}
`);
    daemon = await startDaemon(box);
    await daemon.request('POST', '/api/events', { type: 'session.started', data: { session: { id: 's' }, user: { id: 'u' } } });
    text = await eventually(async () => {
      const body = (await daemon.request('GET', '/metrics')).body as string;
      return /^vidhook_attempts_total\{/m.test(body) ? body : undefined;
    });
  });
  afterAll(async () => {
    await daemon.stop();
    await receiver.close();
    box.cleanup();
  });

  it('names only metrics the README lists', () => {
    const exposed = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    expect(exposed.length).toBeGreaterThan(10);
    const row = README.split('\n').find((line) => line.startsWith('| `GET /metrics`'));
    expect(row).toBeDefined();
    expect(exposed.filter((name) => !row!.includes(`\`${name}`))).toEqual([]);
  });

  it('passes promtool check metrics', async (t) => {
    const promtool = await execa('promtool', ['--version'], { reject: false });
    if (promtool.exitCode !== 0) return t.skip('promtool is not installed (apt-get install prometheus; .ci/run installs it)');
    const checked = await execa('promtool', ['check', 'metrics'], { input: text, reject: false });
    expect({ exitCode: checked.exitCode, output: `${checked.stdout}${checked.stderr}` }).toEqual({ exitCode: 0, output: '' });
  });
});
