import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { startDaemon, eventually, type DaemonProcess } from '../helpers/daemon.js';

const video = (id: string, title = 'Teaser') => ({
  type: 'video.completed',
  id,
  data: { video: { id: `v_${id}`, title, url: 'https://cdn.example.com/v.mp4' }, user: { id: 'u1' } },
});

describe('Zapier REST Hooks on the daemon', () => {
  let box: Sandbox;
  let receiver: Receiver;
  let daemon: DaemonProcess;
  afterEach(async () => {
    await daemon?.stop();
    await receiver?.close();
    box?.cleanup();
  });

  async function setup() {
    box = sandbox();
    receiver = await startReceiver();
    daemon = await startDaemon(box, ['--allow-private-targets']);
  }

  it('answers 200 to an unsubscribe of a subscription already removed after a 410, so the Zap can be turned off', async () => {
    await setup();
    receiver.respond(() => ({ status: 410 }));
    const sub = await daemon.request('POST', '/api/integrations/zapier/subscribe', { hookUrl: receiver.url, event: 'video.completed' });
    await daemon.request('POST', '/api/events', video('evt_gone'));
    await eventually(async () => {
      const status = await daemon.request('GET', '/api/integrations/status');
      return !status.body.destinations.some((d: { name: string }) => d.name === sub.body.id);
    });
    const unsubscribed = await daemon.request('DELETE', `/api/integrations/zapier/subscribe/${sub.body.id}`);
    expect(unsubscribed.status).toBe(200);
    expect(unsubscribed.body).toEqual({ id: sub.body.id, deleted: false });
  });

  it('answers 200 to every unsubscribe of the same subscription, and says which one removed it', async () => {
    await setup();
    const sub = await daemon.request('POST', '/api/integrations/zapier/subscribe', { hookUrl: receiver.url, event: 'video.completed' });
    const first = await daemon.request('DELETE', `/api/integrations/zapier/subscribe/${sub.body.id}`);
    const second = await daemon.request('DELETE', `/api/integrations/zapier/subscribe/${sub.body.id}`);
    expect([first.status, first.body.deleted]).toEqual([200, true]);
    expect([second.status, second.body.deleted]).toEqual([200, false]);
    const accepted = await daemon.request('POST', '/api/events', video('evt_after_unsubscribe'));
    expect(accepted.body.events).toEqual([{ id: 'evt_after_unsubscribe', deliveries: 0 }]);
  });

  it('leaves a webhook endpoint alone when asked to unsubscribe its id as a Zapier subscription', async () => {
    await setup();
    const hook = await daemon.request('POST', '/api/integrations/webhooks', { url: receiver.url, events: ['*'] });
    const res = await daemon.request('DELETE', `/api/integrations/zapier/subscribe/${hook.body.id}`);
    expect(res.body).toEqual({ id: hook.body.id, deleted: false });
    expect((await daemon.request('GET', `/api/integrations/webhooks/${hook.body.id}`)).status).toBe(200);
  });

  it('samples the newest real events of a type, newest first, and the built-in sample for a type never sent', async () => {
    await setup();
    await daemon.request('POST', '/api/events', { events: [video('evt_first', 'First'), video('evt_second', 'Second')] });
    await daemon.request('POST', '/api/events', { type: 'user.registered', id: 'evt_user', data: { user: { id: 'u2', email: 'a@b.co' } } });
    const samples = await daemon.request('GET', '/api/integrations/zapier/samples/video.completed');
    expect(samples.body.map((s: { id: string }) => s.id)).toEqual(['evt_second', 'evt_first']);
    expect(samples.body[0]).toEqual({ ...video('evt_second', 'Second'), timestamp: expect.any(String) });
    const never = await daemon.request('GET', '/api/integrations/zapier/samples/session.ended');
    expect(never.body).toHaveLength(1);
    expect(never.body[0]).toMatchObject({ id: 'evt_sample', type: 'session.ended' });
  });

  it('names the known event types when asked for samples of an unknown one', async () => {
    await setup();
    const res = await daemon.request('GET', '/api/integrations/zapier/samples/video.exploded');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toContain('video.completed');
  });
});
