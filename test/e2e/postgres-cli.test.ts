import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { BIN, sandbox, type Sandbox } from '../helpers/cli.js';
import { startDaemon, eventually, type DaemonProcess } from '../helpers/daemon.js';
import { freshPostgresDatabase, postgresAnswers } from '../helpers/stores.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const video = (id: string) => ({ type: 'video.generated', id, data: { video: { id: 'v1', title: 'Teaser' }, user: { id: 'u1' } } });
const ids = (items: Array<{ eventId: string }>) => [...new Set(items.map((x) => x.eventId))].sort();

/**
 * Two daemons share one database; the CLI runs on a third machine's worth of sandbox, with no
 * daemon of its own, and reads and writes the shared store with --store.
 */
describe.skipIf(!postgresAnswers)('the CLI on a shared PostgreSQL store without a daemon', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  let url = '';
  let partner: Receiver;
  let late: Receiver;
  let daemons: DaemonProcess[];
  let boxes: Sandbox[];
  let cli: Sandbox;
  let withLateVideos = '';

  beforeAll(async () => {
    const db = await freshPostgresDatabase();
    cleanups.push(() => db.drop());
    url = db.url;
    partner = await startReceiver(() => ({ status: 200 }));
    late = await startReceiver(() => ({ status: 200 }));
    cleanups.push(() => partner.close(), () => late.close());
    // `late` takes no video events: it gets them only when replayed to it.
    const config =
      `destinations:\n  partner:\n    connector: webhook\n    url: ${partner.url}\n    secret: ${SECRET}\n` +
      `  late:\n    connector: webhook\n    url: ${late.url}\n    secret: ${SECRET}\n    events: [user.registered]\n`;
    // Later, `late` is set to take them too: replay then sends what came before (below).
    withLateVideos = config.replace('events: [user.registered]', 'events: [user.registered, video.generated]');
    daemons = [];
    boxes = [];
    for (let i = 0; i < 2; i++) {
      const box = sandbox({ VIDHOOK_STORE: url });
      cleanups.push(() => box.cleanup());
      boxes.push(box);
      box.writeConfig(config);
      const daemon = await startDaemon(box);
      cleanups.push(() => daemon.stop());
      daemons.push(daemon);
    }
    cli = sandbox();
    cleanups.push(() => cli.cleanup());
    cli.writeConfig(config);
    expect((await daemons[0].request('POST', '/api/events', { events: [video('evt_a1'), video('evt_a2')] })).status).toBe(202);
    expect((await daemons[1].request('POST', '/api/events', { events: [video('evt_b1'), video('evt_b2')] })).status).toBe(202);
    await partner.waitFor(4);
  });
  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const run = async (args: string[], env?: Record<string, string>) => {
    const result = await cli.run(args, env ? { env } : undefined);
    expect(result.exitCode, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result.stdout;
  };

  it('lists the deliveries of both daemons with --store, and with VIDHOOK_STORE', async () => {
    const page = await eventually(async () => {
      const body = JSON.parse(await run(['deliveries', '--store', url, '--json', '--status', 'succeeded']));
      return body.deliveries.length === 4 && body;
    });
    expect(ids(page.deliveries)).toEqual(['evt_a1', 'evt_a2', 'evt_b1', 'evt_b2']);
    const viaEnv = JSON.parse(await run(['deliveries', '--json'], { VIDHOOK_STORE: url }));
    expect(ids(viaEnv.deliveries)).toEqual(['evt_a1', 'evt_a2', 'evt_b1', 'evt_b2']);
    const local = JSON.parse(await run(['deliveries', '--json']));
    expect(local.deliveries).toEqual([]);

    const one = page.deliveries.find((d: { eventId: string }) => d.eventId === 'evt_b1');
    const shown = JSON.parse(await run(['deliveries', 'show', one.id, '--store', url, '--json']));
    expect(shown.attempts).toMatchObject([{ eventId: 'evt_b1', outcome: 'ok', statusCode: 200 }]);
  });

  it('prints the attempts of both daemons with tail --store, and follows new ones made by either', async () => {
    const past = (await run(['tail', '--store', url, '--json', '-n', '10', '--destination', 'partner'])).trim().split('\n').map((l) => JSON.parse(l));
    expect(ids(past)).toEqual(['evt_a1', 'evt_a2', 'evt_b1', 'evt_b2']);

    const tail = execa('node', [BIN, 'tail', '-f', '--store', url, '--json', '-n', '1', '--destination', 'partner'], {
      cwd: cli.dir, env: cli.env, reject: false, buffer: false, stdin: 'ignore',
    });
    let out = '';
    let err = '';
    tail.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    tail.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await eventually(() => err.includes('following attempts from'));
      expect((await daemons[0].request('POST', '/api/events', video('evt_a3'))).status).toBe(202);
      expect((await daemons[1].request('POST', '/api/events', video('evt_b3'))).status).toBe(202);
      const followed = await eventually(() => {
        const lines = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
        return ['evt_a3', 'evt_b3'].every((id) => lines.some((a) => a.eventId === id)) && lines;
      });
      // The one past attempt asked for, then each new attempt once.
      expect(followed.map((a: { eventId: string }) => a.eventId).slice(1).sort()).toEqual(['evt_a3', 'evt_b3']);
    } finally {
      tail.kill('SIGINT');
    }
    expect((await tail).exitCode).toBe(0);
  });

  it('replays stored events of both daemons to a destination with replay --store, and the daemons deliver them', async () => {
    await partner.waitFor(6);
    // `late` now takes video events: each daemon reloads its config, the CLI reads the new one.
    const generation = async (d: DaemonProcess) => (await d.request('GET', '/api/integrations/status')).body.daemon.configGeneration as number;
    const before = await Promise.all(daemons.map(generation));
    for (const box of [...boxes, cli]) box.writeConfig(withLateVideos);
    await eventually(async () => (await Promise.all(daemons.map(generation))).every((g, i) => g > before[i]));
    const dry = JSON.parse(await run(['replay', '--to', 'late', '--since', '1h', '--dry-run', '--store', url, '--json']));
    expect(dry).toMatchObject({ destination: 'late', events: 6, dryRun: true });
    const done = JSON.parse(await run(['replay', '--to', 'late', '--since', '1h', '--store', url, '--json']));
    expect(done.events).toBe(6);
    await late.waitFor(6);
    expect(late.requests.map((r) => r.headers['webhook-id']).sort()).toEqual(['evt_a1', 'evt_a2', 'evt_a3', 'evt_b1', 'evt_b2', 'evt_b3']);
  });

  it('queues a delivery again with deliveries retry --store, and a daemon sends it', async () => {
    const { deliveries } = JSON.parse(await run(['deliveries', '--store', url, '--json', '--destination', 'partner', '--type', 'video.generated']));
    const target = deliveries.find((d: { eventId: string }) => d.eventId === 'evt_a1');
    const before = partner.requests.length;
    expect(JSON.parse(await run(['deliveries', 'retry', target.id, '--store', url, '--json']))).toEqual({ retried: 1 });
    await partner.waitFor(before + 1);
    expect(partner.requests.at(-1)!.headers['webhook-id']).toBe('evt_a1');
  });

  it('shows the figures of both daemons with status --store', async () => {
    const report = await eventually(async () => {
      const body = JSON.parse(await run(['status', '--store', url, '--json']));
      const find = (name: string) => body.destinations.find((d: { name: string }) => d.name === name);
      return find('late').attemptsLastHour === 6 && find('partner').pending === 0 && body;
    });
    const partnerStatus = report.destinations.find((d: { name: string }) => d.name === 'partner');
    expect(partnerStatus).toMatchObject({ attemptsLastHour: 7, pending: 0, failureRate: 0 });
    expect(report.store).toBe(new URL(url).toString());
    const human = await run(['status', '--store', url]);
    expect(human).toMatch(/daemon not running here .*; figures from the store at postgres:\/\//);
  });
});
