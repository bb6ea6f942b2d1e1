import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AuthError, defineConnector, PermanentError, RetryableError, secret, SkipDelivery, type Classification } from '../../../src/connectors/core/index.js';
import { forgetAllSessions } from '../../../src/connectors/core/sessions.js';
import { createHttp } from '../../../src/delivery/http.js';
import { buildEnvelope, SAMPLES } from '../../../src/events/index.js';
import { memoryContext } from '../../helpers/context.js';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';

// A small connector written against the engine, to pin down what the engine does for every connector.

const TOKEN = 'api-key-0123456789abcdef';
const settings = z.object({ origin: z.string(), apiKey: secret(z.string()) });
type Settings = z.output<typeof settings>;

let receiver: Receiver;
let mints = 0;
let classified: number[] = [];

const probe = defineConnector<Settings, { token: string }>({
  kind: 'probe',
  title: 'Probe',
  category: 'webhooks',
  description: 'test connector',
  settings,
  defaultEvents: ['*'],
  authorize: {
    async mint(call) {
      mints++;
      const answer = await call.sendJson<{ token: string }>({ method: 'POST', url: `${call.settings.origin}/token`, authorize: false, dryRunResponse: { status: 200, body: { token: 'dry-run-token' } } });
      return { value: { token: answer.token }, secrets: [answer.token] };
    },
    headers: (_s, session) => ({ authorization: `Bearer ${session.token}` }),
  },
  classify(res): Classification {
    classified.push(res.status);
    if (res.status === 401) return new AuthError('token refused', 401);
    if (res.status === 409) return 'ok';
    return undefined;
  },
  handlers: {
    'user.registered': async (event, call) => {
      // Typed data: no cast needed to reach the email.
      const email: string = event.data.user.email;
      const remembered = await call.state.get(`contact:${event.data.user.id}`);
      await call.send({ method: remembered ? 'PATCH' : 'POST', url: `${call.settings.origin}/contacts`, json: { email, key: call.settings.apiKey } });
      await call.state.set(`contact:${event.data.user.id}`, 'c-1');
    },
  },
  skipped: { 'session.started': 'sessions are not contacts' },
});

const event = () => buildEnvelope({ type: 'user.registered', data: SAMPLES['user.registered']() });
const dest = () => ({ name: 'probe-dest', settings: { origin: receiver.origin, apiKey: TOKEN } });

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());
beforeEach(() => {
  mints = 0;
  classified = [];
  receiver.requests.length = 0;
  forgetAllSessions();
});

function answering(routes: Record<string, (n: number) => { status: number; body?: unknown }>) {
  const counts: Record<string, number> = {};
  receiver.respond((req) => {
    const path = req.url.split('?')[0];
    counts[path] = (counts[path] ?? 0) + 1;
    return routes[path]?.(counts[path]) ?? { status: 404 };
  });
}

describe('the connector engine', () => {
  it('runs the classifier on every answer, and its verdict stands', async () => {
    answering({ '/token': () => ({ status: 200, body: { token: 'session-token-aaaa' } }), '/contacts': () => ({ status: 409, body: { error: 'exists' } }) });
    await probe.deliver(event(), dest(), createHttp(), memoryContext());
    expect(classified).toEqual([200, 409]);
  });

  it('applies the generic rule where the classifier has no opinion', async () => {
    answering({ '/token': () => ({ status: 200, body: { token: 'session-token-aaaa' } }), '/contacts': () => ({ status: 503, body: 'down' }) });
    const error = await probe.deliver(event(), dest(), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(RetryableError);
  });

  it('masks every secret in what a failure says, a minted token included', async () => {
    answering({
      '/token': () => ({ status: 200, body: { token: 'session-token-bbbb' } }),
      '/contacts': () => ({ status: 400, body: { error: `bad key ${TOKEN} with session-token-bbbb` } }),
    });
    const http = createHttp();
    const error = (await probe.deliver(event(), dest(), http, memoryContext()).catch((e) => e)) as Error;
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain('bad key');
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain('session-token-bbbb');
    expect(JSON.stringify(http.exchanges)).not.toContain('session-token-bbbb');
  });

  it('mints one session for concurrent deliveries and shares it', async () => {
    answering({ '/token': () => ({ status: 200, body: { token: 'session-token-cccc' } }), '/contacts': () => ({ status: 201 }) });
    await Promise.all(Array.from({ length: 5 }, () => probe.deliver(event(), dest(), createHttp(), memoryContext())));
    expect(mints).toBe(1);
    const contacts = receiver.requests.filter((r) => r.url === '/contacts');
    expect(contacts).toHaveLength(5);
    for (const r of contacts) expect(r.headers.authorization).toBe('Bearer session-token-cccc');
  });

  it('renews a session refused with 401 once, and sends the request again', async () => {
    answering({
      '/token': (n) => ({ status: 200, body: { token: `session-token-${n}xxx` } }),
      '/contacts': (n) => (n === 1 ? { status: 401 } : { status: 201 }),
    });
    await probe.deliver(event(), dest(), createHttp(), memoryContext());
    expect(mints).toBe(2);
    expect(receiver.requests.filter((r) => r.url === '/contacts').map((r) => r.headers.authorization)).toEqual([
      'Bearer session-token-1xxx',
      'Bearer session-token-2xxx',
    ]);
  });

  it('does not renew forever: a second 401 is an auth failure', async () => {
    answering({ '/token': (n) => ({ status: 200, body: { token: `session-token-${n}yyy` } }), '/contacts': () => ({ status: 401 }) });
    const error = await probe.deliver(event(), dest(), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(mints).toBe(2);
  });

  it('lets a dry run read the remembered state but never write it', async () => {
    const registered = event();
    const ctx = memoryContext();
    ctx.state.map.set(`contact:${(registered.data.user as { id: string }).id}`, 'c-0');
    const http = createHttp({ dryRun: true });
    await probe.deliver(registered, dest(), http, ctx);
    expect(http.exchanges.map((x) => x.request.method)).toEqual(['POST', 'PATCH']);
    expect([...ctx.state.map.values()]).toEqual(['c-0']);
    expect(receiver.requests).toHaveLength(0);
  });

  it('skips event types without a handler, with the declared or a generic reason', async () => {
    const started = buildEnvelope({ type: 'session.started', data: SAMPLES['session.started']() });
    const completed = buildEnvelope({ type: 'video.completed', data: SAMPLES['video.completed']() });
    const custom = buildEnvelope({ type: 'export.downloaded', data: {} }, { customTypes: ['export.downloaded'] });
    const reasons = await Promise.all(
      [started, completed, custom].map((e) => probe.deliver(e, dest(), createHttp(), memoryContext()).catch((err: SkipDelivery) => err.reason)),
    );
    expect(reasons).toEqual([
      'sessions are not contacts',
      'the Probe connector does not take video.completed events',
      'the Probe connector does not take export.downloaded events',
    ]);
  });
});

describe('what a check says', () => {
  it('is masked like a failure', async () => {
    const chatty = defineConnector<Settings>({
      kind: 'chatty',
      title: 'Chatty',
      category: 'webhooks',
      description: 'test connector',
      settings,
      defaultEvents: ['*'],
      handlers: {},
      check: async (call) => `signed in with ${call.settings.apiKey}`,
    });
    expect(await chatty.check!(dest(), createHttp(), memoryContext())).toBe('signed in with api-…cdef');
  });
});

describe('sessions', () => {
  it('a dry run mints one pretend session per delivery, as a real run shares one', async () => {
    const http = createHttp({ dryRun: true });
    const two = defineConnector<Settings, { token: string }>({
      ...probe.definition,
      handlers: {
        'user.registered': async (_event, call) => {
          await call.send({ method: 'POST', url: `${call.settings.origin}/a` });
          await call.send({ method: 'POST', url: `${call.settings.origin}/b` });
        },
      },
    });
    await two.deliver(event(), dest(), http, memoryContext());
    expect(http.exchanges.map((x) => new URL(x.request.url).pathname)).toEqual(['/token', '/a', '/b']);
  });

  it('does not send a static credential again after a 401', async () => {
    answering({ '/contacts': () => ({ status: 401 }) });
    const fixed = defineConnector<Settings, { token: string }>({
      ...probe.definition,
      authorize: {
        mint: async (call) => ({ value: { token: call.settings.apiKey }, secrets: [], renewable: false }),
        headers: (_s, session) => ({ authorization: `Bearer ${session.token}` }),
      },
    });
    const error = await fixed.deliver(event(), dest(), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(receiver.requests.filter((r) => r.url === '/contacts')).toHaveLength(1);
  });
});

describe('the generic rule', () => {
  it('names the request that failed', async () => {
    answering({ '/token': () => ({ status: 200, body: { token: 'session-token-dddd' } }), '/contacts': () => ({ status: 404, body: 'no such route' }) });
    const plain = defineConnector<Settings, { token: string }>({
      ...probe.definition,
      classify: () => undefined,
      handlers: { 'user.registered': async (_e, call) => void (await call.send({ method: 'POST', url: `${call.settings.origin}/contacts`, action: 'the contact creation' })) },
    });
    const error = (await plain.deliver(event(), dest(), createHttp(), memoryContext()).catch((e) => e)) as Error;
    expect(error.message).toBe('the contact creation failed: HTTP 404: no such route');
  });
});

describe('a skip verdict', () => {
  it('skips the delivery with the reason the answer gave', async () => {
    answering({ '/token': () => ({ status: 200, body: { token: 'session-token-eeee' } }), '/contacts': () => ({ status: 400, body: { title: 'Forgotten Email' } }) });
    const forgetful = defineConnector<Settings, { token: string }>({
      ...probe.definition,
      classify: (res) => (res.status === 400 ? new SkipDelivery('the address was permanently deleted') : undefined),
    });
    const error = await forgetful.deliver(event(), dest(), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(SkipDelivery);
    expect((error as SkipDelivery).reason).toBe('the address was permanently deleted');
  });
});
