import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { startDaemon, eventually } from '../helpers/daemon.js';
import { freshPostgresDatabase, postgresAnswers } from '../helpers/stores.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const video = (id: string) => ({ type: 'video.generated', id, data: { video: { id: 'v1', title: 'Teaser' }, user: { id: 'u1' } } });
const EVENTS = ['evt_m1', 'evt_m2', 'evt_m3'];

describe.skipIf(!postgresAnswers)('vidhook store migrate --to postgres://…', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  let url = '';
  let box: Sandbox;
  let config = '';
  const receivers: Record<'ok' | 'flaky' | 'slow' | 'hooked', Receiver> = {} as never;
  let flakyFails = true;
  let slowHangs = true;

  beforeAll(async () => {
    const db = await freshPostgresDatabase();
    cleanups.push(() => db.drop());
    url = db.url;
    receivers.ok = await startReceiver(() => ({ status: 200 }));
    receivers.flaky = await startReceiver(() => ({ status: flakyFails ? 503 : 200 }));
    // Answers only after the daemon was killed: its deliveries stay in flight in the SQLite store.
    receivers.slow = await startReceiver(() => (slowHangs ? { status: 200, delayMs: 120_000 } : { status: 200 }));
    receivers.hooked = await startReceiver(() => ({ status: 200 }));
    for (const r of Object.values(receivers)) cleanups.push(() => r.close());
    config =
      `retry:\n  schedule: [0s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s]\n` +
      'destinations:\n' +
      ['ok', 'flaky', 'slow'].map((name) => `  ${name}:\n    connector: webhook\n    url: ${receivers[name as 'ok'].url}\n    secret: ${SECRET}\n`).join('');
    box = sandbox();
    cleanups.push(() => box.cleanup());
    box.writeConfig(config);
  });
  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('refuses while a daemon runs on the data dir, then copies its store, and a daemon on PostgreSQL finishes the work', async () => {
    // A sidecar on SQLite: one destination delivered, one failing (retrying), one in flight when it dies.
    const sqliteDaemon = await startDaemon(box, ['--allow-private-targets']);
    const hook = await sqliteDaemon.request('POST', '/api/integrations/webhooks', { url: receivers.hooked.url, events: ['video.*'] });
    expect(hook.status).toBe(201);
    expect((await sqliteDaemon.request('POST', '/api/events', { events: EVENTS.map(video) })).status).toBe(202);
    await Promise.all([receivers.ok.waitFor(3), receivers.flaky.waitFor(3), receivers.slow.waitFor(3), receivers.hooked.waitFor(3)]);

    const refused = await box.run(['store', 'migrate', '--to', url]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/^error: a daemon \(pid \d+, http:\/\/127\.0\.0\.1:\d+\) is running on .*data: stop it first/);

    await sqliteDaemon.stop('SIGKILL');
    const migrated = await box.run(['store', 'migrate', '--to', url, '--json']);
    expect(migrated.exitCode, migrated.stderr).toBe(0);
    const report = JSON.parse(migrated.stdout);
    expect(report).toMatchObject({
      to: url,
      tables: {
        events: { copied: 3, existing: 0 },
        deliveries: { copied: 12, existing: 0 },
        runtime_destinations: { copied: 1, existing: 0 },
      },
    });
    // The three requests the slow receiver held, and any retry of flaky's that the kill cut short.
    expect(report.dueAgain).toBeGreaterThanOrEqual(3);
    expect(report.tables.attempts.copied).toBeGreaterThanOrEqual(9);

    const again = JSON.parse((await box.run(['store', 'migrate', '--to', url, '--json'])).stdout);
    for (const [table, count] of Object.entries(again.tables)) {
      expect(count, table).toEqual({ copied: 0, existing: report.tables[table].copied });
    }
    expect(again.dueAgain).toBe(0);

    // A daemon elsewhere on the shared store: the retrying and the in-flight work is delivered, nothing settled is sent again.
    flakyFails = false;
    slowHangs = false;
    const flakyBefore = receivers.flaky.requests.length;
    const pgBox = sandbox({ VIDHOOK_STORE: url });
    cleanups.push(() => pgBox.cleanup());
    pgBox.writeConfig(config);
    const pgDaemon = await startDaemon(pgBox, ['--allow-private-targets']);
    cleanups.push(() => pgDaemon.stop());
    await receivers.flaky.waitFor(flakyBefore + 3);
    await receivers.slow.waitFor(6);
    const delivered = await eventually(async () => {
      const result = await box.run(['deliveries', '--store', url, '--json', '--status', 'succeeded']);
      const page = JSON.parse(result.stdout);
      return page.deliveries.length === 12 && page;
    }, 30_000);
    expect(receivers.ok.requests).toHaveLength(3);
    expect(receivers.hooked.requests).toHaveLength(3);

    // The history crossed over: the failed tries made on SQLite precede the success on PostgreSQL.
    const flaky = delivered.deliveries.find((d: { destination: string; eventId: string }) => d.destination === 'flaky' && d.eventId === 'evt_m1');
    const shown = JSON.parse((await box.run(['deliveries', 'show', flaky.id, '--store', url, '--json'])).stdout);
    const codes = shown.attempts.map((a: { statusCode: number }) => a.statusCode);
    expect(codes.at(-1)).toBe(200);
    expect(codes.slice(0, -1).length).toBeGreaterThanOrEqual(1);
    expect(codes.slice(0, -1).every((c: number) => c === 503)).toBe(true);

    // The webhook registered through the API came along, its secret with it.
    expect((await pgDaemon.request('POST', '/api/events', video('evt_after'))).status).toBe(202);
    await receivers.hooked.waitFor(4);
    expect(receivers.hooked.requests[3].headers['webhook-id']).toBe('evt_after');
  });

  it('says what to pass when --to is not a PostgreSQL URL, and when the data dir holds no store', async () => {
    const wrong = await box.run(['store', 'migrate', '--to', 'mysql://db/vidhook']);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toMatch(/--to mysql:\/\/db\/vidhook: expected a PostgreSQL URL such as postgres:\/\//);
    const empty = sandbox();
    cleanups.push(() => empty.cleanup());
    const none = await empty.run(['store', 'migrate', '--to', url]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/no SQLite store in .*: point --data-dir \(or VIDHOOK_DATA_DIR\) at the data dir of the daemon to move/);
  });
});
