import { afterEach, describe, expect, it } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { startReceiver } from '../helpers/receiver.js';
import { sandbox } from '../helpers/cli.js';
import { startDaemon, eventually, type DaemonProcess } from '../helpers/daemon.js';
import { freshPostgresDatabase, postgresAnswers } from '../helpers/stores.js';
import { openStream } from '../helpers/sse.js';
import { BIN } from '../helpers/cli.js';
import { execa } from 'execa';
import pg from 'pg';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const video = (id: string) => ({ type: 'video.generated', id, data: { video: { id: 'v1', title: 'Teaser' }, user: { id: 'u1' } } });

describe.skipIf(!postgresAnswers)('several daemons on one PostgreSQL', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  let daemonStore = '';
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(responder: Parameters<typeof startReceiver>[0], extra = '') {
    const db = await freshPostgresDatabase();
    cleanups.push(() => db.drop());
    daemonStore = db.url;
    const receiver = await startReceiver(responder);
    cleanups.push(() => receiver.close());
    // Each daemon its own working dir and data dir, as sidecars in separate pods: only the database is shared.
    // A daemon whose `partner` is not enabled knows the destination but never delivers to it.
    const start = async ({ delivers = true } = {}) => {
      const box = sandbox({ VIDHOOK_STORE: db.url });
      cleanups.push(() => box.cleanup());
      box.writeConfig(`destinations:
  partner:
    connector: webhook
    url: ${receiver.url}
    secret: ${SECRET}
    enabled: ${delivers}
${extra}`);
      const daemon = await startDaemon(box);
      cleanups.push(() => daemon.stop());
      return daemon;
    };
    return { receiver, start };
  }

  const received = (requests: Array<{ headers: Record<string, string> }>) => {
    const counts = new Map<string, number>();
    for (const r of requests) counts.set(r.headers['webhook-id'], (counts.get(r.headers['webhook-id']) ?? 0) + 1);
    return counts;
  };

  it('delivers every event posted to any of three daemons, one killed with kill -9 midway, another joining later', async () => {
    const { receiver, start } = await setup(() => ({ status: 200, delayMs: 100 }));
    const daemons: DaemonProcess[] = await Promise.all([start(), start(), start()]);
    const ids = Array.from({ length: 60 }, (_, i) => `evt_pg${String(i).padStart(2, '0')}`);
    await Promise.all(
      daemons.map(async (daemon, d) => {
        const mine = ids.filter((_, i) => i % 3 === d);
        expect((await daemon.request('POST', '/api/events', { events: mine.map(video) })).status).toBe(202);
      }),
    );
    await receiver.waitFor(6);
    daemons[0].process.kill('SIGKILL');
    await daemons[0].process;
    const beforeKill = new Set(receiver.requests.map((r) => r.headers['webhook-id']));

    // Its leases are taken back by a daemon started later on this host (the killed pid is gone).
    const joined = await start();
    await eventually(() => ids.every((id) => received(receiver.requests).has(id)), 60_000);

    const repeated = [...received(receiver.requests)].filter(([, n]) => n > 1).map(([id]) => id);
    for (const id of repeated) expect(beforeKill.has(id)).toBe(true);
    await eventually(async () => (await joined.request('GET', '/api/deliveries?status=succeeded&limit=100')).body.deliveries.length === 60);
    const { body } = await daemons[1].request('GET', '/api/deliveries?status=succeeded&limit=100');
    expect(body.deliveries).toHaveLength(60);
  });

  const postSpread = (daemons: DaemonProcess[], ids: string[]) =>
    Promise.all(
      daemons.map(async (daemon, d) => {
        const mine = ids.filter((_, i) => i % daemons.length === d);
        expect((await daemon.request('POST', '/api/events', { events: mine.map(video) })).status).toBe(202);
      }),
    );

  it("holds a destination's concurrency across daemons: one request in flight among three daemons", async () => {
    const { receiver, start } = await setup(() => ({ status: 200, delayMs: 30 }), '    limits: { concurrency: 1 }\n');
    const daemons = await Promise.all([start(), start(), start()]);
    const ids = Array.from({ length: 30 }, (_, i) => `evt_one${String(i).padStart(2, '0')}`);
    await postSpread(daemons, ids);
    await eventually(() => ids.every((id) => received(receiver.requests).has(id)), 60_000);
    expect(receiver.maxInFlight).toBe(1);
  });

  it('holds a per-second limit across daemons: 4 a second in total, not 4 for each', async () => {
    const { receiver, start } = await setup(() => ({ status: 200 }), '    limits: { perSecond: 4 }\n');
    const daemons = await Promise.all([start(), start(), start()]);
    const ids = Array.from({ length: 16 }, (_, i) => `evt_rate${String(i).padStart(2, '0')}`);
    await postSpread(daemons, ids);
    await eventually(() => ids.every((id) => received(receiver.requests).has(id)), 60_000);
    // A full bucket sends 4 at once, then 4 a second: the last 12 take 3 s whoever sends them.
    const span = receiver.arrivals.at(-1)! - receiver.arrivals[0];
    expect(span).toBeGreaterThanOrEqual(2_500);
  });

  it("pauses a destination for every daemon when one daemon's circuit opens", async () => {
    const { receiver, start } = await setup(() => ({ status: 503 }), '    retry: { schedule: [0s, 0s, 0s, 0s, 0s, 0s, 0s, 0s] }\n');
    const first = await start();
    expect((await first.request('POST', '/api/events', { events: ['evt_c1', 'evt_c2', 'evt_c3'].map(video) })).status).toBe(202);
    const partner = async (daemon: DaemonProcess) =>
      (await daemon.request('GET', '/api/integrations/status')).body.destinations.find((d: { name: string }) => d.name === 'partner');
    await eventually(async () => (await partner(first)).state === 'paused', 30_000);
    const sent = receiver.requests.length;

    // A daemon that joins later has seen no failure of its own, and holds back all the same.
    const second = await start();
    expect((await second.request('POST', '/api/events', video('evt_c4'))).status).toBe(202);
    const status = await eventually(async () => {
      const p = await partner(second);
      return p.state === 'paused' && p;
    });
    expect(status.reason).toMatch(/circuit/);
    expect((await second.request('GET', '/api/events/evt_c4')).body.deliveries[0].state).toBe('pending');
    expect(receiver.requests.length).toBe(sent);
  });

  it('stores the same id posted to two daemons once: the second answers 200 duplicate', async () => {
    const { receiver, start } = await setup(() => ({ status: 200 }));
    const [a, b] = await Promise.all([start(), start()]);
    const first = await a.request('POST', '/api/events', video('evt_twice'));
    expect(first.status).toBe(202);
    const second = await b.request('POST', '/api/events', video('evt_twice'));
    expect(second.status).toBe(200);
    expect(second.body.events).toEqual([{ id: 'evt_twice', deliveries: 1, duplicate: true }]);
    await receiver.waitFor(1);
    const event = await eventually(async () => {
      const r = await b.request('GET', '/api/events/evt_twice');
      return r.body.deliveries[0].state === 'succeeded' && r.body;
    });
    expect(event.deliveries).toHaveLength(1);
    expect(received(receiver.requests).get('evt_twice')).toBe(1);
  });

  it('answers 503 with Retry-After while PostgreSQL is unreachable, storing nothing, and resumes when it answers', async () => {
    // The daemon reaches PostgreSQL through a TCP relay the test can cut and restore.
    const sockets = new Set<Socket>();
    const relay = (port = 0) =>
      new Promise<Server>((resolve) => {
        const server = createServer((client) => {
          const upstream = connect(5432, '127.0.0.1');
          for (const s of [client, upstream]) { sockets.add(s); s.on('error', () => s.destroy()); s.on('close', () => sockets.delete(s)); }
          client.pipe(upstream).pipe(client);
        });
        server.listen(port, '127.0.0.1', () => resolve(server));
      });
    let server = await relay();
    const port = (server.address() as { port: number }).port;
    const cut = () => new Promise<void>((resolve) => { server.close(() => resolve()); for (const s of sockets) s.destroy(); });
    cleanups.push(() => server.listening && cut());

    await setup(() => ({ status: 200 }));
    const direct = new URL(daemonStore);
    direct.port = String(port);
    daemonStore = direct.toString();
    const box = sandbox({ VIDHOOK_STORE: daemonStore });
    cleanups.push(() => box.cleanup());
    box.writeConfig('destinations: {}\n');
    const daemon = await startDaemon(box);
    cleanups.push(() => daemon.stop('SIGKILL'));

    await cut();
    const refused = await daemon.request('POST', '/api/events', video('evt_while_down'));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.body.error).toMatchObject({ code: 'store_unavailable', message: expect.stringMatching(/PostgreSQL store at .* is unreachable/) });

    server = await relay(port);
    const accepted = await eventually(async () => {
      const r = await daemon.request('POST', '/api/events', video('evt_after'));
      return r.status === 202 && r;
    });
    expect(accepted.body.events[0]).toMatchObject({ id: 'evt_after' });
    expect((await daemon.request('GET', '/api/events/evt_while_down')).status).toBe(404);
  });

  it("streams to a follower of one daemon the attempts another made, each once, and replays them after Last-Event-ID", async () => {
    const { receiver, start } = await setup(() => ({ status: 200 }));
    const [a, b] = await Promise.all([start({ delivers: false }), start()]);
    const onA = await openStream(`${a.url}/api/deliveries/stream`);
    const onB = await openStream(`${b.url}/api/deliveries/stream`);
    expect([onA.status, onB.status]).toEqual([200, 200]);
    cleanups.push(() => onA.close(), () => onB.close());

    const ids = ['evt_s1', 'evt_s2', 'evt_s3', 'evt_s4'];
    expect((await b.request('POST', '/api/events', { events: ids.map(video) })).status).toBe(202);
    await receiver.waitFor(4);
    // One more, posted after the others were delivered: once it is streamed, anything sent twice would have been too.
    expect((await b.request('POST', '/api/events', video('evt_s5'))).status).toBe(202);
    ids.push('evt_s5');
    await eventually(() => onA.attempts().some((f) => f.data.eventId === 'evt_s5') && onB.attempts().some((f) => f.data.eventId === 'evt_s5'));

    for (const stream of [onA, onB]) {
      expect(stream.attempts().map((f) => f.data.eventId).sort()).toEqual(ids);
      for (const f of stream.attempts()) {
        expect(f.id).toBe(`${f.data.deliveryId}/1`);
        expect(f.data).toMatchObject({ destination: 'partner', number: 1, outcome: 'ok', statusCode: 200 });
        expect(f.data).not.toHaveProperty('exchanges');
      }
    }
    // Daemon A made none of them: they reached its stream through the shared store.
    expect((await a.request('GET', '/metrics')).body).not.toMatch(/^vidhook_attempts_total\{/m);

    const seen = onA.attempts();
    const resumed = await openStream(`${a.url}/api/deliveries/stream`, { 'last-event-id': seen[1].id! });
    cleanups.push(() => resumed.close());
    await eventually(() => resumed.attempts().length === 3);
    expect(resumed.attempts().map((f) => f.id)).toEqual(seen.slice(2).map((f) => f.id));
  });

  it('listens for attempts only while its stream has a follower', async () => {
    const { start } = await setup(() => ({ status: 200 }));
    const daemon = await start();
    const db = new pg.Client({ connectionString: daemonStore });
    await db.connect();
    cleanups.push(() => db.end());
    const listeners = async () =>
      (await db.query(`SELECT count(*)::integer AS n FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN vidhook_attempts'`)).rows[0].n;
    expect(await listeners()).toBe(0);
    const follower = await openStream(`${daemon.url}/api/deliveries/stream`);
    expect(await listeners()).toBe(1);
    const second = await openStream(`${daemon.url}/api/deliveries/stream`);
    expect(await listeners()).toBe(1);
    await follower.close();
    await second.close();
    await eventually(async () => (await listeners()) === 0);
  });

  it('shows another daemon\'s attempts in `vidhook tail -f` against a daemon', async () => {
    const { start } = await setup(() => ({ status: 200 }));
    const [a, b] = await Promise.all([start({ delivers: false }), start()]);
    const box = sandbox();
    cleanups.push(() => box.cleanup());
    const follower = execa('node', [BIN, 'tail', '-f', '--json', '-n', '0'], { env: { ...box.env, VIDHOOK_SERVER: a.url }, cwd: box.dir, reject: false });
    cleanups.push(() => follower.kill());
    let out = '';
    follower.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    // `tail` says it follows before its stream is open: events are posted until one shows.
    const posted: string[] = [];
    const line = await eventually(async () => {
      const id = `evt_tail${posted.length}`;
      posted.push(id);
      expect((await b.request('POST', '/api/events', video(id))).status).toBe(202);
      await new Promise((r) => setTimeout(r, 300));
      return out.split('\n')[0] || undefined;
    });
    expect(posted).toContain(JSON.parse(line).eventId);
    expect(JSON.parse(line)).toMatchObject({ destination: 'partner', outcome: 'ok' });
  });

  it('reports the same whole-queue depth on every daemon\'s /metrics, and attempts per daemon', async () => {
    const { receiver, start } = await setup(() => ({ status: 503 }));
    const [a, b] = await Promise.all([start({ delivers: false }), start()]);
    expect((await b.request('POST', '/api/events', { events: ['evt_m1', 'evt_m2', 'evt_m3'].map(video) })).status).toBe(202);
    await receiver.waitFor(3);
    const retried = /^vidhook_attempts_total\{destination="partner",outcome="retrying"\} 3$/m;
    await eventually(async () => retried.test((await b.request('GET', '/metrics')).body));
    const [onA, onB] = await Promise.all([a.request('GET', '/metrics'), b.request('GET', '/metrics')]);
    for (const text of [onA.body, onB.body]) {
      expect(text).toContain('vidhook_queue_depth{destination="partner"} 3');
      expect(text).toMatch(/^vidhook_queue_lag_seconds\{destination="partner"\} \d/m);
    }
    expect(onB.body).toMatch(retried);
    expect(onA.body).not.toMatch(/^vidhook_attempts_total\{/m);
  });

  it('shows the shared backlog in `vidhook status` on a machine without a daemon', async () => {
    const { receiver, start } = await setup(() => ({ status: 503 }));
    const daemon = await start();
    expect((await daemon.request('POST', '/api/events', video('evt_waiting'))).status).toBe(202);
    await receiver.waitFor(1);
    await daemon.stop();
    const box = sandbox({ VIDHOOK_STORE: daemonStore });
    cleanups.push(() => box.cleanup());
    box.writeConfig(`destinations:\n  partner:\n    connector: webhook\n    url: ${receiver.url}\n    secret: ${SECRET}\n`);
    const result = await box.run(['status', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const partner = JSON.parse(result.stdout).destinations.find((d: { name: string }) => d.name === 'partner');
    expect(partner).toMatchObject({ pending: 1, attemptsLastHour: 1 });
  });

});

describe('choosing the store', () => {
  it('refuses a --store that is not a PostgreSQL URL, saying what to pass', async () => {
    const box = sandbox();
    try {
      const result = await box.run(['serve', '--port', '0', '--store', 'mysql://db/vidhook']);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/--store mysql:\/\/db\/vidhook: expected a PostgreSQL URL such as postgres:\/\//);
    } finally {
      box.cleanup();
    }
  });

  it.skipIf(!postgresAnswers)('names the shared store it runs on, without its password', async () => {
    const db = await freshPostgresDatabase();
    const box = sandbox();
    const url = new URL(db.url);
    url.password = 'not-needed-with-trust';
    const daemon = await startDaemon(box, ['--store', url.toString()]);
    try {
      expect(daemon.output()).toMatch(/store postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:5432\/vidhook_test_/);
      expect(daemon.output()).not.toMatch(/not-needed-with-trust/);
    } finally {
      await daemon.stop();
      box.cleanup();
      await db.drop();
    }
  });
});
