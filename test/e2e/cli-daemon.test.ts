import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { startDaemon, eventually, type DaemonProcess } from '../helpers/daemon.js';

const webhook = (url: string) => `destinations:\n  partner:\n    connector: webhook\n    url: ${url}\n`;

describe('the CLI and a running daemon', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(): Promise<{ box: Sandbox; a: Receiver; b: Receiver; daemon: DaemonProcess }> {
    const box = sandbox();
    cleanups.push(() => box.cleanup());
    const a = await startReceiver();
    const b = await startReceiver();
    cleanups.push(() => a.close(), () => b.close());
    box.writeConfig(webhook(a.url));
    const daemon = await startDaemon(box);
    cleanups.push(() => daemon.stop());
    return { box, a, b, daemon };
  }

  const generation = async (daemon: DaemonProcess) => (await daemon.request('GET', '/api/integrations/status')).body.daemon.configGeneration as number;

  it('finds the daemon running on its data dir without --server, and falls back to in-process only once it stopped', async () => {
    const { box, a, daemon } = await setup();
    const emitted = await box.run(['emit', 'video.generated', '--sample', '--json']);
    expect(emitted.exitCode).toBe(0);
    expect(JSON.parse(emitted.stdout).daemon).toBe(daemon.url);
    await a.waitFor(1);

    const status = await box.run(['status', '--json']);
    expect(status.exitCode).toBe(0);
    expect(JSON.parse(status.stdout).daemon).toMatchObject({ url: daemon.url, reachable: true });

    const listed = await box.run(['deliveries', '--json']);
    expect(listed.exitCode).toBe(0);

    const doctor = await box.run(['doctor', '--json']);
    expect(JSON.parse(doctor.stdout).checks).toContainEqual(expect.objectContaining({ check: 'daemon', status: 'ok' }));

    expect(await daemon.stop('SIGINT')).toBe(0);
    expect(existsSync(join(box.env.VIDHOOK_DATA_DIR, 'daemon.json'))).toBe(false);
    const alone = await box.run(['emit', 'video.generated', '--sample', '--json']);
    expect(alone.exitCode).toBe(0);
    expect(JSON.parse(alone.stdout).daemon).toBeUndefined();
    expect(a.requests).toHaveLength(2);
  });

  it('takes --server as host:port without a scheme', async () => {
    const { box, a, daemon } = await setup();
    const hostPort = daemon.url.replace(/^http:\/\//, '');
    const emitted = await box.run(['emit', 'video.generated', '--sample', '--json', '--server', hostPort]);
    expect(emitted.exitCode).toBe(0);
    expect(JSON.parse(emitted.stdout).daemon).toBe(`http://${hostPort}`);
    const local = await box.run(['status', '--json', '--server', `localhost:${new URL(daemon.url).port}`]);
    expect(local.exitCode).toBe(0);
    expect(JSON.parse(local.stdout).daemon.reachable).toBe(true);
    await a.waitFor(1);
  });

  it('fails with exit 1 when the named daemon does not answer, and delivers nothing in-process', async () => {
    const box = sandbox();
    cleanups.push(() => box.cleanup());
    const a = await startReceiver();
    cleanups.push(() => a.close());
    box.writeConfig(webhook(a.url));
    for (const args of [['emit', 'video.generated', '--sample'], ['status'], ['deliveries'], ['tail']]) {
      const result = await box.run([...args, '--server', '127.0.0.1:9']);
      expect(result.exitCode, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toMatch(/127\.0\.0\.1:9.*(not reachable|cannot reach)|cannot reach.*127\.0\.0\.1:9/);
    }
    const named = await box.run(['emit', 'video.generated', '--sample'], { env: { ...box.env, VIDHOOK_SERVER: 'localhost:9' } });
    expect(named.exitCode).toBe(1);
    expect(a.requests).toHaveLength(0);
  });

  it('reloads destinations when the project file changes, keeps them when the change is invalid, and on SIGHUP', async () => {
    const { box, a, b, daemon } = await setup();
    expect(await generation(daemon)).toBe(1);

    box.writeConfig(webhook(b.url));
    await eventually(async () => (await generation(daemon)) === 2);
    expect((await box.run(['emit', 'video.generated', '--sample'])).exitCode).toBe(0);
    await b.waitFor(1);

    box.writeConfig(`${webhook(a.url)}  broken: [unclosed\n`);
    await eventually(() => /was not applied/.test(daemon.output()));
    expect(await generation(daemon)).toBe(2);
    // The CLI refuses the broken file too: the event goes to the daemon's API.
    const sent = await daemon.request('POST', '/api/events', { events: [{ type: 'video.generated', id: 'evt_after_broken', data: { video: { id: 'v1', title: 'Teaser' }, user: { id: 'u1' } } }] });
    expect(sent.status).toBe(202);
    await b.waitFor(2);
    expect(a.requests).toHaveLength(0);

    box.writeConfig(webhook(b.url));
    await eventually(async () => (await generation(daemon)) === 3);
    // A file watcher may report one write twice, so the count alone does not show the SIGHUP's reload.
    const before = await generation(daemon);
    daemon.process.kill('SIGHUP');
    await eventually(async () => /SIGHUP: configuration reloaded/.test(daemon.output()) && (await generation(daemon)) > before);
  });

  it('reloads when `vidhook configure` changes the user store, and configure says the daemon took it', async () => {
    const { box, b, daemon } = await setup();
    const saved = await box.run(['configure', 'webhook', '--name', 'other', '--set', `url=${b.url}`]);
    expect(saved.exitCode).toBe(0);
    await eventually(async () => (await daemon.request('GET', '/api/integrations/status')).body.destinations.some((d: { name: string }) => d.name === 'other'));
    expect(saved.stderr).toContain(`the daemon at ${daemon.url} picked the change up`);

    const doctor = await box.run(['doctor', '--json']);
    expect(JSON.parse(doctor.stdout).checks).toContainEqual(expect.objectContaining({ check: 'daemon config', status: 'ok' }));

    const disabled = await box.run(['destinations', 'disable', 'other', '--json']);
    expect(disabled.exitCode).toBe(0);
    expect(JSON.parse(disabled.stdout).daemon).toEqual({ url: daemon.url, pickedUp: true });
    const removed = await box.run(['destinations', 'remove', 'other', '--yes']);
    expect(removed.exitCode).toBe(0);
    expect(removed.stderr).toContain(`the daemon at ${daemon.url} picked the change up`);
  });

  it('keeps its configuration when the user store stops parsing, and says where the file is broken', async () => {
    const { box, daemon } = await setup();
    const saved = await box.run(['configure', 'webhook', '--name', 'other', '--set', 'url=https://other.example/hooks']);
    expect(saved.exitCode).toBe(0);
    await eventually(async () => (await generation(daemon)) === 2);
    const file = join(box.env.VIDHOOK_CONFIG_DIR, 'config.json');
    writeFileSync(file, '{"destinations": {"other": {"connector": "webhook",}}}');
    await eventually(() => /was not applied/.test(daemon.output()));
    expect(daemon.output()).toContain(`${file}: cannot be read: line 1, column 52: `);
    expect(await generation(daemon)).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe('{"destinations": {"other": {"connector": "webhook",}}}');
  });

  it('names --token and VIDHOOK_TOKEN when the daemon wants a token', async () => {
    const box = sandbox();
    cleanups.push(() => box.cleanup());
    const daemon = await startDaemon(box, ['--token', 'tok_daemon_2b7c9e41']);
    cleanups.push(() => daemon.stop());
    const result = await box.run(['deliveries']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`from ${daemon.url}: give the daemon's token (vidhook: --token or VIDHOOK_TOKEN`);
    expect((await box.run(['deliveries', '--token', 'tok_daemon_2b7c9e41'])).exitCode).toBe(0);
  });

  it('counts attempts across manual retries (#1 to #4), gives each retry the whole schedule, and shows no next time once settled', async () => {
    const box = sandbox();
    cleanups.push(() => box.cleanup());
    const failing = await startReceiver(() => ({ status: 500 }));
    cleanups.push(() => failing.close());
    // Two attempts per round: a manual retry that did not start the schedule afresh would get one.
    box.writeConfig(`${webhook(failing.url)}retry:\n  schedule: [0s, 0s]\n`);
    const daemon = await startDaemon(box);
    cleanups.push(() => daemon.stop());
    expect((await box.run(['emit', 'video.generated', '--sample'])).exitCode).toBe(0);
    const failed = async () => {
      const listed = JSON.parse((await box.run(['deliveries', '--status', 'failed', '--json'])).stdout);
      return listed.deliveries[0] as { id: string; attempts: number } | undefined;
    };
    const { id } = await eventually(async () => (await failed())?.attempts === 2 && failed());
    expect((await box.run(['deliveries', 'retry', id])).exitCode).toBe(0);
    await eventually(async () => (await failed())?.attempts === 4);
    expect(failing.requests).toHaveLength(4);

    const shown = await box.run(['deliveries', 'show', id]);
    expect(shown.stdout).toContain('failed');
    expect(shown.stdout).toContain('4 attempt(s)');
    expect(shown.stdout).not.toContain('next');
    expect(shown.stdout.match(/#\d/g)).toEqual(['#1', '#2', '#3', '#4']);
    const shownJson = JSON.parse((await box.run(['deliveries', 'show', id, '--json'])).stdout);
    expect(shownJson.attempts.map((a: { number: number }) => a.number)).toEqual([1, 2, 3, 4]);

    const tail = await box.run(['tail']);
    expect(tail.stdout.match(/#\d/g)).toEqual(['#1', '#2', '#3', '#4']);
    const listed = await box.run(['deliveries', 'list']);
    const row = listed.stdout.split('\n').find((l) => l.startsWith(id))!;
    expect(row).toMatch(/\bfailed\s.*\s4\s/);
    expect(listed.stdout).not.toMatch(/next/i);
  });

  it("replays through the daemon only the types the destination takes, and says so when that leaves nothing", async () => {
    const box = sandbox();
    cleanups.push(() => box.cleanup());
    const a = await startReceiver();
    cleanups.push(() => a.close());
    box.writeConfig(`${webhook(a.url)}    events: [video.completed]\n`);
    const daemon = await startDaemon(box);
    cleanups.push(() => daemon.stop());
    expect((await daemon.request('POST', '/api/events', { type: 'video.generated', data: { video: { id: 'v1', title: 'Teaser' }, user: { id: 'u1' } } })).status).toBe(202);

    const dry = await box.run(['replay', '--to', 'partner', '--since', '1h', '--dry-run']);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toContain('partner takes none of the types stored since 1h (video.generated ×1): its events are video.completed');
    const replayed = await box.run(['replay', '--to', 'partner', '--since', '1h', '--json']);
    expect(JSON.parse(replayed.stdout)).toMatchObject({ events: 0, why: [{ reason: 'destination_events' }] });
    expect((await daemon.request('GET', '/api/deliveries')).body.deliveries).toEqual([]);
  });

  it('does not suggest --allow-private-targets for a host that does not resolve', async () => {
    const { daemon } = await setup();
    const unresolved = await daemon.request('POST', '/api/integrations/webhooks', { url: 'https://hooks.nowhere.invalid/in' });
    expect(unresolved.status).toBe(400);
    expect(unresolved.body.error.message).toBe('url: hooks.nowhere.invalid does not resolve; check the host name');
  });
});
