import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { startDaemon, eventually, type DaemonProcess } from '../helpers/daemon.js';
import { openStream } from '../helpers/sse.js';

const TOKEN = 'stream-test-token-0123456789';

const video = (id: string) => ({ id, type: 'video.generated', data: { video: { id: 'v', title: 'T' }, user: { id: 'u' } } });

describe('the attempt stream', () => {
  let box: Sandbox;
  let receiver: Receiver;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    box = sandbox();
    receiver = await startReceiver();
    box.writeConfig(`
destinations:
  partner:
    connector: webhook
    url: ${receiver.url}
`);
    daemon = await startDaemon(box, ['--token', TOKEN], TOKEN);
  });
  afterAll(async () => {
    await daemon.stop();
    await receiver.close();
    box.cleanup();
  });

  const auth = { authorization: `Bearer ${TOKEN}` };
  const delivered = (id: string) =>
    eventually(async () => (await daemon.request('GET', `/api/events/${id}`)).body.deliveries?.[0]?.state === 'succeeded');

  it('gives every attempt an id, sends retry:, and replays what a reconnecting client missed', async () => {
    const first = await openStream(`${daemon.url}/api/deliveries/stream`, auth);
    await daemon.request('POST', '/api/events', video('evt_stream_1'));
    await eventually(() => first.attempts().length === 1);
    expect(first.frames[0].retry).toBeGreaterThan(0);
    const seen = first.attempts()[0];
    expect(seen.id).toMatch(/^dlv_[0-9A-Z]{26}\/1$/);
    expect(seen.data).toMatchObject({ eventId: 'evt_stream_1', number: 1, outcome: 'ok' });
    await first.close();

    // Attempts made while nobody listened.
    await daemon.request('POST', '/api/events', video('evt_stream_2'));
    await daemon.request('POST', '/api/events', video('evt_stream_3'));
    await delivered('evt_stream_2');
    await delivered('evt_stream_3');

    const again = await openStream(`${daemon.url}/api/deliveries/stream`, { ...auth, 'last-event-id': seen.id! });
    await eventually(() => again.attempts().length === 2);
    expect(again.attempts().map((f) => f.data.eventId)).toEqual(['evt_stream_2', 'evt_stream_3']);
    expect(again.attempts().every((f) => /^dlv_[0-9A-Z]{26}\/1$/.test(f.id!))).toBe(true);
    // Live attempts follow the replay.
    await daemon.request('POST', '/api/events', video('evt_stream_4'));
    await eventually(() => again.attempts().length === 3);
    expect(again.attempts()[2].data.eventId).toBe('evt_stream_4');
    await again.close();
  });

  it('opens for a browser with a short-lived ticket from an authenticated POST, never with the token in the URL', async () => {
    const anonymous = await fetch(`${daemon.url}/api/deliveries/stream/ticket`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    const issued = await daemon.request('POST', '/api/deliveries/stream/ticket');
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ ticket: expect.stringMatching(/^tkt_/), expiresAt: expect.any(String) });
    expect(Date.parse(issued.body.expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);

    const withTicket = await openStream(`${daemon.url}/api/deliveries/stream?ticket=${issued.body.ticket}`);
    expect(withTicket.status).toBe(200);
    await withTicket.close();

    const withToken = await openStream(`${daemon.url}/api/deliveries/stream?token=${TOKEN}`);
    expect(withToken.status).toBe(401);
    const forged = await openStream(`${daemon.url}/api/deliveries/stream?ticket=tkt_forged`);
    expect(forged.status).toBe(401);
    // A ticket opens the stream and nothing else.
    const elsewhere = await fetch(`${daemon.url}/api/integrations/status?ticket=${issued.body.ticket}`);
    expect(elsewhere.status).toBe(401);
  });
});
