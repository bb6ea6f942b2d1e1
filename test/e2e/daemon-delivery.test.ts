import { afterEach, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { startDaemon, eventually, type DaemonProcess } from '../helpers/daemon.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const video = (id: string) => ({ type: 'video.generated', id, data: { video: { id: 'v1', title: 'Teaser' }, user: { id: 'u1' } } });

function webhookConfig(destinations: Record<string, string>, extra = ''): string {
  const lines = ['destinations:'];
  for (const [name, url] of Object.entries(destinations)) lines.push(`  ${name}:`, '    connector: webhook', `    url: ${url}`, `    secret: ${SECRET}`);
  return `${lines.join('\n')}\n${extra}`;
}

describe('delivery through the daemon', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(responders: Record<string, Parameters<typeof startReceiver>[0]>, extra = '', args: string[] = []) {
    const box = sandbox();
    cleanups.push(() => box.cleanup());
    const receivers: Record<string, Receiver> = {};
    for (const [name, responder] of Object.entries(responders)) {
      receivers[name] = await startReceiver(responder);
      cleanups.push(() => receivers[name].close());
    }
    box.writeConfig(webhookConfig(Object.fromEntries(Object.entries(receivers).map(([n, r]) => [n, r.url])), extra));
    const daemon = await startDaemon(box, args);
    cleanups.push(() => daemon.stop());
    return { box, receivers, daemon };
  }

  it('delivers every accepted event after kill -9 mid-flight; only attempts in flight repeat', async () => {
    const { box, receivers, daemon } = await setup({ partner: () => ({ status: 200, delayMs: 250 }) });
    const ids = Array.from({ length: 40 }, (_, i) => `evt_k${String(i).padStart(2, '0')}`);
    expect((await daemon.request('POST', '/api/events', { events: ids.map(video) })).status).toBe(202);
    await receivers.partner.waitFor(6);
    daemon.process.kill('SIGKILL');
    await daemon.process;
    const beforeKill = new Set(receivers.partner.requests.map((r) => r.headers['webhook-id']));

    const restarted: DaemonProcess = await startDaemon(box);
    cleanups.push(() => restarted.stop());
    await eventually(() => ids.every((id) => receivers.partner.requests.some((r) => r.headers['webhook-id'] === id)), 30_000);

    const counts = new Map<string, number>();
    for (const r of receivers.partner.requests) counts.set(r.headers['webhook-id'], (counts.get(r.headers['webhook-id']) ?? 0) + 1);
    const repeated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    for (const id of repeated) expect(beforeKill.has(id)).toBe(true);
    // In flight at the kill: up to the lane's 4 requests, plus those answered but not yet recorded.
    expect(repeated.length).toBeLessThanOrEqual(8);
    await eventually(async () => (await restarted.request('GET', '/api/deliveries?status=succeeded&limit=100')).body.deliveries.length === 40);
  });

  it('retries a 500, then succeeds, with the same webhook-id', async () => {
    const { receivers, daemon } = await setup({ partner: (_, i) => (i === 0 ? { status: 500 } : { status: 200 }) }, 'retry:\n  schedule: [0s, 200ms, 1s]\n');
    await daemon.request('POST', '/api/events', video('evt_r500'));
    await receivers.partner.waitFor(2);
    const [first, second] = receivers.partner.requests;
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    const event = await eventually(async () => {
      const r = await daemon.request('GET', '/api/events/evt_r500');
      return r.body.deliveries[0].state === 'succeeded' && r.body;
    });
    expect(event.deliveries[0].attempts).toBe(2);
  });

  it('waits as long as Retry-After says on a 429, not less', async () => {
    const { receivers, daemon } = await setup(
      { partner: (_, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }) },
      'retry:\n  schedule: [0s, 100ms, 100ms]\n',
    );
    const sentAt = Date.now();
    await daemon.request('POST', '/api/events', video('evt_r429'));
    await receivers.partner.waitFor(2, 10_000);
    const gap = Number(receivers.partner.requests[1].headers['webhook-timestamp']) * 1000 - sentAt;
    expect(gap).toBeGreaterThanOrEqual(1000);
    const attempts = await eventually(async () => {
      const r = await daemon.request('GET', '/api/attempts?destination=partner');
      return r.body.attempts.length === 2 && r;
    });
    expect(attempts.body.attempts.map((a: { outcome: string; statusCode: number }) => [a.outcome, a.statusCode])).toEqual([['retrying', 429], ['ok', 200]]);
  });

  it('retries a timeout and a reset connection', async () => {
    const { receivers, daemon } = await setup(
      {
        slow: (_, i) => (i === 0 ? { status: 200, delayMs: 3000 } : { status: 200 }),
        resets: (_, i) => (i === 0 ? { reset: true } : { status: 200 }),
      },
      'retry:\n  schedule: [0s, 200ms, 200ms]\nhttp:\n  timeout: 1s\n',
    );
    await daemon.request('POST', '/api/events', video('evt_flaky'));
    await receivers.slow.waitFor(2);
    await receivers.resets.waitFor(2);
    const attempts = await eventually(async () => {
      const r = await daemon.request('GET', '/api/attempts?limit=10');
      return r.body.attempts.length >= 4 && r.body.attempts;
    });
    const errors = attempts.filter((a: { outcome: string }) => a.outcome === 'retrying').map((a: { error: string }) => a.error);
    expect(errors).toEqual(expect.arrayContaining([expect.stringMatching(/timed out after 1 s/), expect.stringMatching(/reset|socket|network/)]));
  });

  it('keeps a healthy destination flowing while another one hangs', async () => {
    let release!: () => void;
    const hang = new Promise<void>((r) => (release = r));
    const { receivers, daemon } = await setup({
      dead: async () => {
        await hang;
        return { status: 200 };
      },
      healthy: () => ({ status: 200 }),
    });
    cleanups.push(() => release());
    const ids = Array.from({ length: 20 }, (_, i) => `evt_h${i}`);
    await daemon.request('POST', '/api/events', { events: ids.map(video) });
    await receivers.healthy.waitFor(20);
    // The dead destination holds only its own concurrency's worth of requests, unanswered.
    expect(receivers.dead.requests.length).toBeLessThanOrEqual(4);
    release();
  });

  it('disables a webhook endpoint that answers 410 Gone and keeps its deliveries', async () => {
    const { receivers, daemon } = await setup({ partner: () => ({ status: 410 }) });
    await daemon.request('POST', '/api/events', video('evt_gone1'));
    await receivers.partner.waitFor(1);
    const status = await eventually(async () => {
      const r = await daemon.request('GET', '/api/integrations/status');
      const d = r.body.destinations.find((x: { name: string }) => x.name === 'partner');
      return d.state === 'disabled' && d;
    });
    expect(status.reason).toMatch(/410/);
    await daemon.request('POST', '/api/events', video('evt_gone2'));
    await new Promise((r) => setTimeout(r, 500));
    expect(receivers.partner.requests).toHaveLength(1);
    const kept = await daemon.request('GET', '/api/events/evt_gone2');
    expect(kept.body.deliveries[0].state).toBe('pending');
  });

  it('requeues failed deliveries by query from the CLI, and backfills a destination', async () => {
    let healthy = false;
    const { box, receivers, daemon } = await setup(
      { partner: () => (healthy ? { status: 200 } : { status: 500 }) },
      'retry:\n  schedule: [0s, 100ms]\n',
    );
    await daemon.request('POST', '/api/events', { events: [video('evt_q1'), video('evt_q2')] });
    await eventually(async () => (await daemon.request('GET', '/api/deliveries?status=failed')).body.deliveries.length === 2);
    healthy = true;
    const env = { VIDHOOK_SERVER: daemon.url };
    const retried = await box.run(['deliveries', 'retry', '--status', 'failed', '--destination', 'partner', '--since', '1h', '--json'], { env });
    expect(JSON.parse(retried.stdout)).toEqual({ retried: 2 });
    await eventually(async () => (await daemon.request('GET', '/api/deliveries?status=succeeded')).body.deliveries.length === 2);

    const dry = await box.run(['replay', '--to', 'partner', '--since', '7d', '--dry-run', '--json'], { env });
    expect(JSON.parse(dry.stdout)).toMatchObject({ destination: 'partner', events: 0, dryRun: true, why: [{ reason: 'already_delivered' }] });
    const unknown = await box.run(['replay', '--to', 'nobody', '--since', '7d'], { env });
    expect(unknown.exitCode).toBe(2);
    expect(receivers.partner.requests.length).toBeGreaterThanOrEqual(4);
  });

  it('streams attempts to `vidhook tail -f` and lists them with `tail -n`', async () => {
    const { box, receivers, daemon } = await setup({ partner: () => ({ status: 200 }) });
    const env = { ...box.env, VIDHOOK_SERVER: daemon.url };
    const { execa } = await import('execa');
    const { BIN } = await import('../helpers/cli.js');
    const follower = execa('node', [BIN, 'tail', '-f', '--json', '-n', '0'], { env, reject: false, cwd: box.dir });
    cleanups.push(() => follower.kill());
    const line = new Promise<string>((resolve) => follower.stdout!.on('data', (d: Buffer) => resolve(d.toString().split('\n')[0])));
    await new Promise<void>((resolve) => follower.stderr!.on('data', (d: Buffer) => d.toString().includes('following') && resolve()));
    await new Promise((r) => setTimeout(r, 200));
    await daemon.request('POST', '/api/events', video('evt_tail'));
    await receivers.partner.waitFor(1);
    expect(JSON.parse(await line)).toMatchObject({ eventId: 'evt_tail', outcome: 'ok', destination: 'partner' });
    const listed = await box.run(['tail', '-n', '5', '--json'], { env: { VIDHOOK_SERVER: daemon.url } });
    expect(listed.stdout.trim().split('\n').map((l) => JSON.parse(l).eventId)).toEqual(['evt_tail']);
  });

  it('posts `vidhook emit` to the daemon when VIDHOOK_SERVER points at one', async () => {
    const { box, receivers, daemon } = await setup({ partner: () => ({ status: 200 }) });
    const result = await box.run(['emit', 'video.completed', '--sample', '--id', 'evt_via_daemon'], { env: { VIDHOOK_SERVER: daemon.url } });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`evt_via_daemon accepted by ${daemon.url}`);
    await receivers.partner.waitFor(1);
    expect(new StandardWebhook(SECRET).verify(receivers.partner.requests[0].body, receivers.partner.requests[0].headers)).toMatchObject({ id: 'evt_via_daemon' });
  });
});
