import { afterEach, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { startDaemon, eventually, type DaemonProcess } from '../helpers/daemon.js';
import { createClient, verifyWebhook } from '../../src/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';

const video = (id: string) => ({ type: 'video.completed', id, data: { video: { id: 'v1', title: 'Teaser', url: 'https://cdn.example.com/v1.mp4' }, user: { id: 'u1' } } });

describe('registrations through the daemon API', () => {
  let box: Sandbox;
  let receiver: Receiver;
  let daemon: DaemonProcess;
  afterEach(async () => {
    await daemon?.stop();
    await receiver?.close();
    box?.cleanup();
  });

  async function setup(args: string[]) {
    box = sandbox();
    receiver = await startReceiver();
    daemon = await startDaemon(box, args);
  }

  it('refuses webhook URLs on loopback, private, link-local and unresolvable hosts', async () => {
    await setup([]);
    for (const url of ['http://127.0.0.1:9/x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/x', 'http://localhost/x', 'http://no-such-host.invalid/x']) {
      const res = await daemon.request('POST', '/api/integrations/webhooks', { url, events: ['*'] });
      expect(res.status, url).toBe(400);
      expect(res.body.error.code, url).toBe('blocked_target');
    }
    expect((await daemon.request('POST', '/api/integrations/webhooks', { url: 'ftp://example.com/x' })).status).toBe(400);
    const zap = await daemon.request('POST', '/api/integrations/zapier/subscribe', { hookUrl: 'http://127.0.0.1/hook', event: 'video.completed' });
    expect(zap.body.error.code).toBe('blocked_target');
  });

  it('refuses at delivery time a stored runtime target that resolves to a private address', async () => {
    await setup([]);
    await daemon.stop();
    const store = SqliteStore.open(box.env.VIDHOOK_DATA_DIR);
    await store.putRuntimeDestination({
      name: 'sneaky', connector: 'webhook', events: ['*'], enabled: true, createdAt: new Date().toISOString(),
      settings: { url: receiver.url, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
    });
    await store.close();
    daemon = await startDaemon(box);
    await daemon.request('POST', '/api/events', video('evt_rebind'));
    const attempt = await eventually(async () => (await daemon.request('GET', '/api/attempts?destination=sneaky')).body.attempts[0]);
    expect(attempt.outcome).toBe('failed');
    expect(attempt.error).toMatch(/refused: .*private or loopback/);
    expect(receiver.requests).toHaveLength(0);
  });

  it('registers a webhook with a secret shown once, and rotates it with a 24 h overlap', async () => {
    await setup(['--allow-private-targets']);
    const created = await daemon.request('POST', '/api/integrations/webhooks', { url: receiver.url, events: ['video.*'], description: 'partner' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: receiver.url, events: ['video.*'], description: 'partner', enabled: true, state: 'enabled' });
    const { id, secret } = created.body;
    expect(secret).toMatch(/^whsec_/);
    const listed = await daemon.request('GET', '/api/integrations/webhooks');
    expect(JSON.stringify(listed.body)).not.toContain(secret.slice(6));
    expect(listed.body.webhooks.map((w: { id: string }) => w.id)).toEqual([id]);

    await daemon.request('POST', '/api/events', video('evt_before_rotation'));
    await receiver.waitFor(1);
    expect(() => new StandardWebhook(secret).verify(receiver.requests[0].body, receiver.requests[0].headers)).not.toThrow();

    const rotated = await daemon.request('POST', `/api/integrations/webhooks/${id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const overlap = Date.parse(rotated.body.previousSecretExpiresAt) - Date.now();
    expect(overlap).toBeGreaterThan(23.9 * 3_600_000);
    await daemon.request('POST', '/api/events', video('evt_after_rotation'));
    await receiver.waitFor(2);
    const after = receiver.requests[1];
    for (const s of [secret, rotated.body.secret]) {
      expect(() => new StandardWebhook(s).verify(after.body, after.headers)).not.toThrow();
      expect(() => new SvixWebhook(s).verify(after.body, after.headers)).not.toThrow();
    }
    expect(verifyWebhook<{ id: string }>(rotated.body.secret, after.headers, after.body).id).toBe('evt_after_rotation');

    expect((await daemon.request('DELETE', `/api/integrations/webhooks/${id}`)).status).toBe(204);
    expect((await daemon.request('GET', `/api/integrations/webhooks/${id}`)).status).toBe(404);
  });

  it('speaks Zapier REST Hooks: subscribe, deliver the flat envelope, samples, me, unsubscribe', async () => {
    await setup(['--allow-private-targets']);
    const sub = await daemon.request('POST', '/api/integrations/zapier/subscribe', { target_url: receiver.url, event: 'video.completed' });
    expect(sub.status).toBe(201);
    expect(sub.body.id).toMatch(/^zap_/);
    const sample = await daemon.request('GET', '/api/integrations/zapier/samples/video.completed');
    expect(sample.status).toBe(200);
    expect(Object.keys(sample.body[0])).toEqual(['id', 'type', 'timestamp', 'data']);

    await daemon.request('POST', '/api/events', { events: [video('evt_zap'), { type: 'user.registered', id: 'evt_not_for_zap', data: { user: { id: 'u', email: 'a@b.co' } } }] });
    await receiver.waitFor(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests).toHaveLength(1);
    const delivered = receiver.requests[0].json();
    expect(Object.keys(delivered)).toEqual(Object.keys(sample.body[0]));
    expect(delivered).toMatchObject({ id: 'evt_zap', type: 'video.completed' });

    expect((await daemon.request('GET', '/api/integrations/zapier/me')).body.ok).toBe(true);
    expect((await daemon.request('DELETE', `/api/integrations/zapier/subscribe/${sub.body.id}`)).status).toBe(200);
    expect((await daemon.request('DELETE', `/api/integrations/zapier/subscribe/${sub.body.id}`)).status).toBe(404);
  });

  it('removes a Zapier subscription whose hook answers 410 Gone', async () => {
    await setup(['--allow-private-targets']);
    receiver.respond(() => ({ status: 410 }));
    const sub = await daemon.request('POST', '/api/integrations/zapier/subscribe', { hookUrl: receiver.url, event: 'video.completed' });
    await daemon.request('POST', '/api/events', video('evt_zap_gone'));
    await receiver.waitFor(1);
    await eventually(async () => {
      const status = await daemon.request('GET', '/api/integrations/status');
      return !status.body.destinations.some((d: { name: string }) => d.name === sub.body.id);
    });
  });

  it('configures a runtime destination by category and connector, with secrets masked in the answer', async () => {
    await setup(['--allow-private-targets']);
    const res = await daemon.request('POST', '/api/integrations/webhooks/webhook/configure', {
      name: 'runtime-hook', url: receiver.url, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['video.completed'],
    });
    expect(res.status).toBe(201);
    expect(res.body.settings.secret).toBe('whsec_…LaSw');
    const wrongCategory = await daemon.request('POST', '/api/integrations/crm/webhook/configure', { url: receiver.url });
    expect(wrongCategory.status).toBe(404);
    const invalid = await daemon.request('POST', '/api/integrations/webhooks/webhook/configure', { name: 'bad', url: 'not a url' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details).toEqual({ setting: 'url' });
    await daemon.request('POST', '/api/events', video('evt_runtime'));
    await receiver.waitFor(1);
  });

  it('lets a Node application emit through createClient, which resolves after the 202', async () => {
    await setup(['--allow-private-targets']);
    await daemon.request('POST', '/api/integrations/webhooks', { url: receiver.url });
    const client = createClient({ url: daemon.url });
    const accepted = await client.emit('video.completed', { video: { id: 'v9', title: 'Launch', url: 'https://cdn.example.com/v9.mp4' }, user: { id: 'u9' } });
    expect(accepted.deliveries).toBe(1);
    const stored = await daemon.request('GET', `/api/events/${accepted.id}`);
    expect(stored.status).toBe(200);
    await expect(client.emit('user.registered', { user: { id: 'u', email: 'bad' } })).rejects.toMatchObject({ status: 400, code: 'invalid_event' });
    const batch = await client.emitEvents([{ type: 'session.started', data: { session: { id: 's1' }, user: { id: 'u1' } } }, { type: 'session.ended', data: { session: { id: 's1', durationSec: 60 }, user: { id: 'u1' } } }]);
    expect(batch.events).toHaveLength(2);
  });

  it('keeps trying while the daemon restarts, then resolves', async () => {
    await setup([]);
    const port = new URL(daemon.url).port;
    await daemon.stop();
    const client = createClient({ url: `http://127.0.0.1:${port}`, retryForMs: 10_000 });
    const pending = client.emit('video.generated', { video: { id: 'v', title: 't' }, user: { id: 'u' } });
    await new Promise((r) => setTimeout(r, 500));
    daemon = await startDaemon(box, ['--port', port]);
    await expect(pending).resolves.toMatchObject({ deliveries: 0 });
  });
});
