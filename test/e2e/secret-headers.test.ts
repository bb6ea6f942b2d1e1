import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { startDaemon, eventually, type DaemonProcess } from '../helpers/daemon.js';

// Two credentials a webhook's `headers` carry; the receiver echoes both back in every way it can.
const AUTH_TOKEN = 'xat-SuperSecretValue-12345';
const BEARER = 'bearer-OtherSecretValue-67890';
const LEAKS = /SuperSecretValue|OtherSecretValue/;

/** Subscribes to the attempt stream; `read` collects it until `count` attempt events arrived. */
async function subscribe(url: string): Promise<{ read(count: number): Promise<string> }> {
  const res = await fetch(`${url}/api/deliveries/stream`);
  const reader = res.body!.getReader();
  let text = '';
  while (!text.includes(': connected')) text += Buffer.from((await reader.read()).value ?? []).toString('utf8');
  return { read: (count) => readStream(reader, text, count) };
}

async function readStream(reader: ReadableStreamDefaultReader<Uint8Array>, text: string, count: number): Promise<string> {
  while ((text.match(/^event: attempt$/gm) ?? []).length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString('utf8');
  }
  await reader.cancel();
  return text;
}

describe('secrets in a webhook destination\'s headers', () => {
  let box: Sandbox;
  let receiver: Receiver;
  let daemon: DaemonProcess;

  beforeEach(async () => {
    box = sandbox();
    // The first answer fails with the credentials in its body and headers; the retry succeeds with them too.
    receiver = await startReceiver((req, index) => ({
      status: index === 0 ? 500 : 200,
      headers: { 'x-echo-token': req.headers['x-auth-token'] ?? '', 'x-echo-authorization': req.headers.authorization ?? '' },
      body: { echoed: { token: req.headers['x-auth-token'], authorization: req.headers.authorization } },
    }));
    box.writeConfig(`
destinations:
  partner:
    connector: webhook
    url: ${receiver.url}
    headers:
      X-Auth-Token: ${AUTH_TOKEN}
      Authorization: Bearer ${BEARER}
retry:
  schedule: [0s, 1s]
`);
    daemon = await startDaemon(box);
  });
  afterEach(async () => {
    await daemon.stop();
    await receiver.close();
    box.cleanup();
  });

  it('are sent to the receiver but masked in every record, answer, log line, stream and command output', async () => {
    const stream = await subscribe(daemon.url);
    const accepted = await daemon.request('POST', '/api/events', {
      id: 'evt_headers',
      type: 'video.generated',
      data: { video: { id: 'v1', title: 'Teaser' }, user: { id: 'u1' } },
    });
    expect(accepted.status).toBe(202);
    const [first] = await receiver.waitFor(2);
    expect(first.headers['x-auth-token']).toBe(AUTH_TOKEN);
    expect(first.headers.authorization).toBe(`Bearer ${BEARER}`);

    const event = await eventually(async () => {
      const res = await daemon.request('GET', '/api/events/evt_headers');
      return res.body.deliveries?.[0]?.state === 'succeeded' ? res.body : undefined;
    });
    const deliveryId = event.deliveries[0].id as string;
    const delivery = await daemon.request('GET', `/api/deliveries/${deliveryId}`);
    expect(delivery.body.attempts).toHaveLength(2);
    expect(delivery.body.attempts[0].exchanges[0].response.headers['x-echo-token']).toMatch(/…2345$/);

    const seen: Record<string, string> = {
      delivery: JSON.stringify(delivery.body),
      attempts: JSON.stringify((await daemon.request('GET', '/api/attempts')).body),
      status: JSON.stringify((await daemon.request('GET', '/api/integrations/status')).body),
      stream: await stream.read(2),
      log: daemon.output(),
    };
    const cli = async (args: string[]) => {
      const result = await box.run(args);
      return `${result.stdout}\n${result.stderr}`;
    };
    const server = ['--server', daemon.url];
    seen['status --json'] = await cli(['status', '--json', ...server]);
    seen['tail --json'] = await cli(['tail', '--json', '-n', '10', ...server]);
    seen['tail (local store)'] = await cli(['tail', '-n', '10']);
    seen['deliveries show --json'] = await cli(['deliveries', 'show', deliveryId, '--json', ...server]);
    seen['deliveries show'] = await cli(['deliveries', 'show', deliveryId, '-v']);
    seen['destinations show --json'] = await cli(['destinations', 'show', 'partner', '--json']);
    seen['emit --dry-run --json'] = await cli(['emit', 'video.generated', '--sample', '--dry-run', '--json']);

    // The receiver's first answer really did carry the values back, so each place below had them to leak.
    expect(seen.delivery).toContain('x-echo-token');
    for (const [where, text] of Object.entries(seen)) {
      expect({ where, leaked: LEAKS.exec(text)?.[0] }).toEqual({ where, leaked: undefined });
    }
  }, 90_000);
});
