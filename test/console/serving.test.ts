import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { eventually, startDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { SECRET, videoEvent } from './setup.js';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
const BUILT = resolve(import.meta.dirname, '../../dist/console');

describe('the console as the daemon serves it, and the API it reads', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function daemonWith(responders: Record<string, () => { status: number }>, token?: string): Promise<{ daemon: DaemonProcess; receivers: Record<string, Receiver>; box: Sandbox }> {
    const box = sandbox();
    cleanups.push(() => box.cleanup());
    const receivers: Record<string, Receiver> = {};
    const lines = ['destinations:'];
    for (const [name, responder] of Object.entries(responders)) {
      receivers[name] = await startReceiver(responder);
      cleanups.push(() => receivers[name].close());
      lines.push(`  ${name}:`, '    connector: webhook', `    url: ${receivers[name].url}`, `    secret: ${SECRET}`, '    retry:', '      schedule: [0s]');
    }
    box.writeConfig(lines.length > 1 ? `${lines.join('\n')}\n` : 'destinations: {}\n');
    const daemon = await startDaemon(box, token ? ['--token', token] : [], token);
    cleanups.push(() => daemon.stop());
    return { daemon, receivers, box };
  }

  it('builds to files with no inline script or style, so the strict CSP holds', () => {
    const html = readFileSync(resolve(BUILT, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);
    expect(html).not.toMatch(/https?:\/\//);
    const assets = readdirSync(resolve(BUILT, 'assets'));
    expect(assets.some((f) => f.endsWith('.js'))).toBe(true);
    for (const f of assets) expect(readFileSync(resolve(BUILT, 'assets', f), 'utf8')).not.toMatch(/(src|href)="https?:\/\//);
  });

  it('redirects / to /console/ and serves the page and its assets under the CSP, without a token', async () => {
    const { daemon } = await daemonWith({}, 'tok-serving');
    const root = await fetch(`${daemon.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');

    const page = await fetch(`${daemon.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toBe(CSP);
    const html = await page.text();
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)![1];
    const asset = await fetch(`${daemon.url}/console/${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(asset.headers.get('content-security-policy')).toBe(CSP);
    expect(asset.headers.get('cache-control')).toContain('immutable');

    // The files are public; the API they call is not.
    expect((await fetch(`${daemon.url}/api/stats`)).status).toBe(401);
    expect((await daemon.request('GET', '/api/stats')).status).toBe(200);
  });

  it('refuses paths outside the console and methods other than GET', async () => {
    const { daemon } = await daemonWith({});
    for (const path of ['/console/..%2f..%2fpackage.json', '/console/%2e%2e/%2e%2e/package.json', '/console/nothing-here.js']) {
      const res = await fetch(`${daemon.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain('"name": "vidhook"');
    }
    expect((await fetch(`${daemon.url}/console/`, { method: 'POST' })).status).toBe(405);
  });

  it('GET /api/stats gives each destination its success rate and latency, and the events accepted, over the window', async () => {
    const { daemon, receivers } = await daemonWith({ good: () => ({ status: 200 }), bad: () => ({ status: 500 }) });
    await daemon.request('POST', '/api/events', { events: ['evt_st1', 'evt_st2', 'evt_st3'].map(videoEvent) });
    await receivers.good.waitFor(3);
    await eventually(async () => (await daemon.request('GET', '/api/deliveries?status=failed')).body.deliveries.length === 3);

    const { status, body } = await daemon.request('GET', '/api/stats?window=1h');
    expect(status).toBe(200);
    expect(body.window).toBe('1h');
    expect(body.bucketSeconds).toBe(60);
    expect(body.buckets).toHaveLength(60);
    expect(body.events.total).toBe(3);
    expect(body.events.perBucket.reduce((a: number, b: number) => a + b, 0)).toBe(3);
    const good = body.destinations.find((d: { name: string }) => d.name === 'good');
    const bad = body.destinations.find((d: { name: string }) => d.name === 'bad');
    expect(good).toMatchObject({ attempts: 3, failures: 0, successRate: 1 });
    expect(bad).toMatchObject({ attempts: 3, failures: 3, successRate: 0 });
    expect(good.p50Ms).toBeGreaterThanOrEqual(0);
    expect(good.p95Ms).toBeGreaterThanOrEqual(good.p50Ms);
    expect(good.series.attempts.reduce((a: number, b: number) => a + b, 0)).toBe(3);

    expect((await daemon.request('GET', '/api/stats?window=24h')).body.buckets).toHaveLength(96);
    const wrong = await daemon.request('GET', '/api/stats?window=7d');
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toBe('window "7d" is not one of 1h, 24h');
  });

  it('counts what a retry by filter would take before taking it', async () => {
    const { daemon } = await daemonWith({ good: () => ({ status: 200 }), bad: () => ({ status: 500 }) });
    await daemon.request('POST', '/api/events', { events: ['evt_rc1', 'evt_rc2'].map(videoEvent) });
    await eventually(async () => (await daemon.request('GET', '/api/deliveries?status=failed')).body.deliveries.length === 2);

    const dry = await daemon.request('POST', '/api/deliveries/retry', { status: 'failed', destination: 'bad', dryRun: true });
    expect(dry).toMatchObject({ status: 200, body: { matched: 2, dryRun: true } });
    expect((await daemon.request('POST', '/api/deliveries/retry', { status: 'failed', event: 'evt_rc1', dryRun: true })).body.matched).toBe(1);
    // Counting changed nothing.
    expect((await daemon.request('GET', '/api/deliveries?status=failed')).body.deliveries).toHaveLength(2);
  });

  it('lists deliveries newest first, by event id, and pages towards older ones', async () => {
    const { daemon } = await daemonWith({ good: () => ({ status: 200 }) });
    for (const id of ['evt_o1', 'evt_o2', 'evt_o3']) await daemon.request('POST', '/api/events', videoEvent(id));
    const first = await daemon.request('GET', '/api/deliveries?order=newest&limit=2');
    expect(first.body.deliveries.map((d: { eventId: string }) => d.eventId)).toEqual(['evt_o3', 'evt_o2']);
    const older = await daemon.request('GET', `/api/deliveries?order=newest&limit=2&after=${first.body.next}`);
    expect(older.body.deliveries.map((d: { eventId: string }) => d.eventId)).toEqual(['evt_o1']);
    expect((await daemon.request('GET', '/api/deliveries?event=evt_o2')).body.deliveries).toHaveLength(1);
    expect((await daemon.request('GET', '/api/deliveries?order=newest&since=1h')).body.deliveries).toHaveLength(3);
    expect((await daemon.request('GET', `/api/deliveries?order=newest&until=${new Date(Date.now() + 60_000).toISOString()}`)).body.deliveries).toHaveLength(3);
    expect((await daemon.request('GET', '/api/deliveries?order=newest&until=1h')).body.deliveries).toHaveLength(0);
    expect((await daemon.request('GET', '/api/deliveries?until=yesterday')).body.error.message).toMatch(/^until "yesterday" is not a duration/);
    expect((await daemon.request('GET', '/api/deliveries?order=sideways')).status).toBe(400);
  });

  it('disables and enables a destination through the API: deliveries wait, then go', async () => {
    const { daemon, receivers } = await daemonWith({ good: () => ({ status: 200 }) });
    expect(await daemon.request('POST', '/api/integrations/destinations/good/disable')).toMatchObject({ status: 200, body: { name: 'good', state: 'disabled' } });
    const status = await daemon.request('GET', '/api/integrations/status');
    expect(status.body.destinations[0].state).toBe('disabled');
    await daemon.request('POST', '/api/events', videoEvent('evt_dis1'));
    expect((await daemon.request('GET', '/api/deliveries?event=evt_dis1')).body.deliveries[0].state).not.toBe('succeeded');

    expect((await daemon.request('POST', '/api/integrations/destinations/good/enable')).body.state).toBe('enabled');
    await receivers.good.waitFor(1);
    expect((await daemon.request('POST', '/api/integrations/destinations/nope/enable')).status).toBe(404);
  });
});
