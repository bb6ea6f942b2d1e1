import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { startDaemon, eventually, type DaemonProcess } from '../helpers/daemon.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const video = (id: string) => ({ type: 'video.generated', id, data: { video: { id: 'v1', title: 'Teaser' }, user: { id: 'u1' } } });

describe('the daemon API', () => {
  let box: Sandbox;
  let receiver: Receiver;
  let daemon: DaemonProcess;

  beforeEach(async () => {
    box = sandbox();
    receiver = await startReceiver();
    box.writeConfig(`
destinations:
  partner:
    connector: webhook
    url: ${receiver.url}
    secret: ${SECRET}
  users-only:
    connector: webhook
    url: ${receiver.origin}/users
    secret: ${SECRET}
    events: [user.*]
retry:
  schedule: [0s, 1s, 1s]
`);
    daemon = await startDaemon(box);
  });
  afterEach(async () => {
    await daemon.stop();
    await receiver.close();
    box.cleanup();
  });

  it('answers 202 with the deliveries it created, then delivers', async () => {
    const res = await daemon.request('POST', '/api/events', video('evt_a1'));
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ events: [{ id: 'evt_a1', deliveries: 1 }] });
    await receiver.waitFor(1);
    expect(new StandardWebhook(SECRET).verify(receiver.requests[0].body, receiver.requests[0].headers)).toMatchObject({ id: 'evt_a1' });
    const stored = await eventually(async () => {
      const r = await daemon.request('GET', '/api/events/evt_a1');
      return r.body.deliveries[0].state === 'succeeded' && r.body;
    });
    expect(stored.event.type).toBe('video.generated');
  });

  it('answers a repeated id with 200 and the stored result, and sends nothing new', async () => {
    await daemon.request('POST', '/api/events', video('evt_dup'));
    await receiver.waitFor(1);
    const again = await daemon.request('POST', '/api/events', video('evt_dup'));
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ events: [{ id: 'evt_dup', deliveries: 1, duplicate: true }] });
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests).toHaveLength(1);
  });

  it('refuses a whole batch when one event is bad, and stores none of it', async () => {
    const res = await daemon.request('POST', '/api/events', {
      events: [video('evt_ok1'), { type: 'user.registered', id: 'evt_bad', data: { user: { id: 'u', email: 'nope' } } }, video('evt_ok2')],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_event');
    expect(res.body.error.message).toBe('events[1]: invalid user.registered event: data.user.email must look like local@domain; nothing was stored');
    expect(res.body.error.details).toEqual([{ index: 1, path: 'data.user.email', message: 'must look like local@domain' }]);
    expect((await daemon.request('GET', '/api/events/evt_ok1')).status).toBe(404);
    expect(receiver.requests).toHaveLength(0);
  });

  it('accepts a batch and fans each event out to the destinations that take it', async () => {
    const res = await daemon.request('POST', '/api/events', {
      events: [video('evt_b1'), { type: 'user.registered', id: 'evt_b2', data: { user: { id: 'u2', email: 'x@y.io' } } }],
    });
    expect(res.status).toBe(202);
    expect(res.body.events).toEqual([{ id: 'evt_b1', deliveries: 1 }, { id: 'evt_b2', deliveries: 2 }]);
    await receiver.waitFor(3);
    expect(receiver.requests.filter((r) => r.url === '/users').map((r) => r.json().id)).toEqual(['evt_b2']);
  });

  it('answers 413 over the body limit and over 1,000 events', async () => {
    const big = await daemon.request('POST', '/api/events', { ...video('evt_big'), data: { ...video('x').data, blob: 'x'.repeat(1_100_000) } });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('body_too_large');
    const many = await daemon.request('POST', '/api/events', { events: Array.from({ length: 1001 }, (_, i) => video(`evt_m${i}`)) });
    expect(many.status).toBe(413);
    expect(many.body.error.code).toBe('batch_too_large');
  });

  it('answers bad JSON, unknown types and unknown routes with a 4xx and the error shape', async () => {
    const bad = await daemon.request('POST', '/api/events', '{"type":');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');
    const unknown = await daemon.request('POST', '/api/events', { type: 'video.exploded', data: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/unknown event type/);
    expect((await daemon.request('GET', '/api/nothing')).status).toBe(404);
    expect((await daemon.request('DELETE', '/api/events')).status).toBe(405);
  });

  it('keeps prototype keys harmless', async () => {
    const res = await daemon.request(
      'POST',
      '/api/events',
      '{"type":"video.generated","id":"evt_proto","data":{"video":{"id":"v","title":"t"},"user":{"id":"u"},"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}',
    );
    expect(res.status).toBe(202);
    await receiver.waitFor(1);
    const sent = receiver.requests[0].json();
    expect(Object.keys(sent.data)).toEqual(['video', 'user']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('lists deliveries with filters and a cursor, and the attempt log', async () => {
    for (let i = 0; i < 5; i++) await daemon.request('POST', '/api/events', video(`evt_l${i}`));
    await receiver.waitFor(5);
    await eventually(async () => (await daemon.request('GET', '/api/deliveries?status=succeeded')).body.deliveries.length === 5);
    const page1 = await daemon.request('GET', '/api/deliveries?status=succeeded&limit=3');
    expect(page1.body.deliveries).toHaveLength(3);
    const page2 = await daemon.request('GET', `/api/deliveries?status=succeeded&limit=3&after=${page1.body.next}`);
    expect(page2.body.deliveries).toHaveLength(2);
    const attempts = await daemon.request('GET', '/api/attempts?destination=partner&limit=2');
    expect(attempts.body.attempts).toHaveLength(2);
    expect(attempts.body.attempts[0].exchanges[0].request.headers['webhook-id']).toMatch(/^evt_l/);
    expect((await daemon.request('GET', '/api/deliveries?status=bogus')).status).toBe(400);
  });

  it('reports per-destination status and Prometheus metrics', async () => {
    await daemon.request('POST', '/api/events', video('evt_s1'));
    await receiver.waitFor(1);
    const status = await eventually(async () => {
      const r = await daemon.request('GET', '/api/integrations/status');
      return r.body.destinations.find((d: { name: string }) => d.name === 'partner').lastSuccessAt && r.body;
    });
    expect(status.destinations.find((d: { name: string }) => d.name === 'partner')).toMatchObject({ state: 'enabled', attemptsLastHour: 1, failureRate: 0 });
    const metrics = await daemon.request('GET', '/metrics');
    expect(metrics.body).toContain('vidhook_events_accepted_total 1');
    expect(metrics.body).toContain('vidhook_attempts_total{destination="partner",outcome="ok"} 1');
    expect(metrics.body).toContain('vidhook_oldest_pending_seconds{destination="partner"} 0');
    expect((await daemon.request('GET', '/readyz')).status).toBe(200);
  });

  it('lists the connector catalogue', async () => {
    const res = await daemon.request('GET', '/api/integrations/connectors');
    expect(res.body.connectors.map((c: { kind: string }) => c.kind)).toEqual(expect.arrayContaining(['webhook', 'slack', 'hubspot', 'ga4']));
  });
});

describe('the daemon guards', () => {
  let box: Sandbox;
  afterEach(() => box.cleanup());

  it('requires the bearer token on every route but /healthz', async () => {
    box = sandbox();
    const daemon = await startDaemon(box, ['--token', 's3cret-token-value']);
    try {
      const anon = await fetch(`${daemon.url}/api/integrations/status`);
      expect(anon.status).toBe(401);
      expect((await fetch(`${daemon.url}/api/events`, { method: 'POST', body: '{}' })).status).toBe(401);
      expect((await fetch(`${daemon.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
      const wrong = await fetch(`${daemon.url}/api/integrations/status`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const right = await daemon.request('GET', '/api/integrations/status', undefined, { authorization: 'Bearer s3cret-token-value' });
      expect(right.status).toBe(200);
    } finally {
      await daemon.stop();
    }
  });

  it('refuses to listen beyond loopback without a token', async () => {
    box = sandbox();
    const result = await box.run(['serve', '--host', '0.0.0.0', '--port', '0']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without a token/);
  });

  it('exits 2 at once, naming the port, when another daemon holds it', async () => {
    box = sandbox();
    const daemon = await startDaemon(box);
    try {
      const port = new URL(daemon.url).port;
      const result = await box.run(['serve', '--port', port], { timeout: 10_000 });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${port} is in use`));
    } finally {
      await daemon.stop();
    }
  });

  it('exits 2 naming the data dir when the store cannot be opened there', async () => {
    box = sandbox();
    const notADir = box.writeConfig('', 'a-file');
    const result = await box.run(['serve', '--port', '0', '--data-dir', notADir], { timeout: 10_000 });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`cannot open the store in ${notADir}`);
    expect(result.stderr).toMatch(/point --data-dir \(or VIDHOOK_DATA_DIR\) at a directory/);
  });

  it('answers 503 with Retry-After instead of accepting past its disk budget', async () => {
    box = sandbox();
    const daemon = await startDaemon(box, ['--max-store-mb', '0']);
    try {
      const res = await daemon.request('POST', '/api/events', video('evt_full'));
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('60');
      expect(res.body.error.message).toMatch(/over its budget/);
      expect((await daemon.request('GET', '/api/events/evt_full')).status).toBe(404);
    } finally {
      await daemon.stop();
    }
  });

  it('caps its heap so a long backlog cannot grow it, unless NODE_OPTIONS sets the size', async () => {
    const heapLimitMb = async (nodeOptions: string) => {
      box = sandbox({ NODE_OPTIONS: nodeOptions });
      const daemon = await startDaemon(box);
      try {
        const metrics = (await daemon.request('GET', '/metrics')).body as string;
        return Number(/^nodejs_heap_size_limit_bytes (\d+)$/m.exec(metrics)![1]) / 2 ** 20;
      } finally {
        await daemon.stop();
        box.cleanup();
      }
    };
    expect(await heapLimitMb('')).toBeLessThanOrEqual(128);
    expect(await heapLimitMb('--max-old-space-size=256')).toBeGreaterThanOrEqual(256);
  });

  it('says how to raise the heap when the daemon runs out of it', async () => {
    box = sandbox({ NODE_OPTIONS: '--max-old-space-size=8' });
    const result = await box.run(['serve', '--port', '0'], { timeout: 30_000 });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/the daemon ran out of memory: raise its heap .* NODE_OPTIONS=--max-old-space-size=<MB>/);
  });

  it('exits 0 on SIGTERM', async () => {
    box = sandbox();
    const daemon = await startDaemon(box);
    expect(await daemon.stop('SIGTERM')).toBe(0);
  });
});
