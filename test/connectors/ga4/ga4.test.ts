import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ga4, type Ga4Settings } from '../../../src/connectors/ga4/index.js';
import { derivedClientId, ga4Payloads, renderGa4Event } from '../../../src/connectors/ga4/payload.js';
import { PayloadValidationError, PermanentError, RetryableError } from '../../../src/connectors/core/errors.js';
import type { Destination } from '../../../src/destinations/index.js';
import { createHttp } from '../../../src/delivery/http.js';
import { BUILTIN_EVENT_TYPES, buildEnvelope, SAMPLES, type Envelope } from '../../../src/events/index.js';
import { startFakeGa4, validateGa4, type FakeGa4 } from './fake.js';
import { memoryContext } from '../../helpers/context.js';

const API_SECRET = 'mpSecret_9xQ2LwZ7vR4tK8pN';
const NOW = new Date('2026-11-27T19:45:00.000Z');
const ctx = () => memoryContext(() => NOW);

function envelope(type: string, data: Record<string, unknown>, timestamp = '2026-11-27T19:40:00.000Z'): Envelope {
  return buildEnvelope({ type, data, timestamp });
}
const sample = (type: keyof typeof SAMPLES, timestamp?: string) => envelope(type, SAMPLES[type](), timestamp);

function destination(origin: string, settings: Partial<Ga4Settings> = {}): Destination<Ga4Settings> {
  const parsed = ga4.settings.parse({ measurementId: 'g-vidhook42', apiSecret: API_SECRET, baseUrl: origin, ...settings });
  return { name: 'analytics', connector: 'ga4', events: ['*'], enabled: true, source: 'user', settings: parsed };
}

describe('ga4 connector', () => {
  let fake: FakeGa4;
  beforeEach(async () => {
    fake = await startFakeGa4({ apiSecret: API_SECRET, now: () => NOW.getTime() });
  });
  afterEach(() => fake.close());

  it.each([
    ['user.registered', 'sign_up'],
    ['video.generated', 'video_generation_started'],
    ['video.completed', 'video_generation_completed'],
    ['video.failed', 'video_generation_failed'],
    ['session.started', 'app_session_begin'],
    ['session.ended', 'app_session_end'],
  ] as const)('sends %s as %s, accepted by GA4 rules', async (type, name) => {
    const event = sample(type);
    await ga4.deliver(event, destination(fake.origin), createHttp(), ctx());
    expect(fake.dropped).toEqual([]);
    expect(fake.collected).toHaveLength(1);
    const [got] = fake.collected;
    expect(got.name).toBe(name);
    expect(got.clientId).toBe('1197596843.1732736400');
    expect(got.userId).toBe('usr_8f3k2m');
    expect(got.timestampMicros).toBe(Date.parse(event.timestamp) * 1000);
    expect(got.params.session_id).toMatch(/^\d{10}$/);
    expect(Number(got.params.engagement_time_msec)).toBeGreaterThan(0);
  });

  it('sends the exact Measurement Protocol body for a completed video', async () => {
    await ga4.deliver(sample('video.completed'), destination(fake.origin), createHttp(), ctx());
    const [req] = fake.receiver.requests;
    const url = new URL(req.url, 'http://x');
    expect(url.pathname).toBe('/mp/collect');
    expect(url.searchParams.get('measurement_id')).toBe('G-VIDHOOK42');
    expect(url.searchParams.get('api_secret')).toBe(API_SECRET);
    expect(req.headers['content-type']).toBe('application/json');
    const micros = Date.parse('2026-11-27T19:40:00.000Z') * 1000;
    expect(req.json()).toEqual({
      client_id: '1197596843.1732736400',
      user_id: 'usr_8f3k2m',
      timestamp_micros: micros,
      user_properties: { plan: { value: 'pro' } },
      events: [
        {
          name: 'video_generation_completed',
          timestamp_micros: micros,
          params: {
            session_id: String(Date.parse('2026-11-27T19:30:00.000Z') / 1000),
            engagement_time_msec: 1,
            video_id: 'vid_2xq9c7',
            video_title: 'Product launch teaser',
            model: 'gen-4-turbo',
            duration_sec: 30,
            render_ms: 108_000,
            video_format: 'mp4',
            page_location: 'https://app.example.com/studio',
          },
        },
      ],
    });
  });

  it('never sends personal data to GA4', async () => {
    for (const type of BUILTIN_EVENT_TYPES) await ga4.deliver(sample(type), destination(fake.origin), createHttp(), ctx());
    const bodies = fake.receiver.requests.map((r) => r.body).join('\n');
    for (const personal of ['maya.chen@example.com', 'Maya', 'Chen', '415', '203.0.113.42', 'Slow dolly shot']) {
      expect(bodies).not.toContain(personal);
    }
  });

  it('derives a stable client id from the user id when the browser gave none', async () => {
    const data = SAMPLES['video.completed']();
    delete (data.context as Record<string, unknown>).gaClientId;
    await ga4.deliver(envelope('video.completed', data), destination(fake.origin), createHttp(), ctx());
    await ga4.deliver(envelope('video.completed', data), destination(fake.origin), createHttp(), ctx());
    const ids = fake.collected.map((e) => e.clientId);
    expect(ids[0]).toMatch(/^\d+\.\d+$/);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[0]).toBe(derivedClientId('usr_8f3k2m'));
    expect(derivedClientId('usr_other')).not.toBe(ids[0]);
  });

  it('gives a session the same session_id at its start and its end, with its length as engagement', async () => {
    await ga4.deliver(sample('session.started', '2026-11-27T19:20:00.000Z'), destination(fake.origin), createHttp(), ctx());
    await ga4.deliver(sample('session.ended', '2026-11-27T19:45:30.000Z'), destination(fake.origin), createHttp(), memoryContext(() => new Date('2026-11-27T19:46:00Z')));
    const [begin, end] = fake.collected;
    expect(begin.params.session_id).toBe(String(Date.parse('2026-11-27T19:20:00.000Z') / 1000));
    expect(end.params.session_id).toBe(begin.params.session_id);
    expect(end.params.engagement_time_msec).toBe(1_530_000);
    expect(end.params).toMatchObject({ app_session_id: 'ses_k41n0p', session_duration_sec: 1530, videos_generated: 3 });
  });

  it('fits long values and many fields within GA4 limits', async () => {
    const data = SAMPLES['video.failed']();
    (data.error as Record<string, unknown>).message = 'x'.repeat(500);
    (data.video as Record<string, unknown>).title = 'T'.repeat(150);
    await ga4.deliver(envelope('video.failed', data), destination(fake.origin), createHttp(), ctx());
    expect(fake.dropped).toEqual([]);
    expect(fake.collected[0].params.error_message).toBe('x'.repeat(100));
    expect(fake.collected[0].params.video_title).toBe('T'.repeat(100));
    expect(fake.collected[0].params.error_code).toBe('content_policy');
  });

  it.each([
    ['order.paid', 'order_paid'],
    ['error', 'app_error'],
    ['session_start', 'app_session_start'],
    ['ga.thing', 'app_ga_thing'],
    ['42.answers', 'answers'],
    ['aVeryLongCustomEventTypeName.thatGoesOnAndOnForever', 'a_very_long_custom_event_type_name_that'],
  ])('renders the custom type %s as a valid name %s', async (type, name) => {
    const data = { user: { id: 'usr_1' }, plan: 'pro', amountCents: 1200, buyer: 'someone@example.com', nested: { deepValue: 'ok', deeper: { no: 1 } } };
    const event = buildEnvelope({ type, data, timestamp: NOW.toISOString() }, { customTypes: [type] });
    await ga4.deliver(event, destination(fake.origin), createHttp(), ctx());
    expect(fake.dropped).toEqual([]);
    expect(fake.collected[0].name).toBe(name);
    expect(fake.collected[0].params).toMatchObject({ plan: 'pro', amount_cents: 1200, nested_deep_value: 'ok' });
    expect(JSON.stringify(fake.collected[0].params)).not.toContain('someone@example.com');
  });

  it('keeps a custom event with many fields to 25 params', async () => {
    const data: Record<string, unknown> = { user: { id: 'usr_1' } };
    for (let i = 0; i < 40; i++) data[`field${i}`] = i;
    const event = buildEnvelope({ type: 'bulk.thing', data, timestamp: NOW.toISOString() }, { customTypes: ['bulk.thing'] });
    await ga4.deliver(event, destination(fake.origin), createHttp(), ctx());
    expect(fake.dropped).toEqual([]);
    expect(Object.keys(fake.collected[0].params)).toHaveLength(25);
    expect(fake.collected[0].params).toHaveProperty('session_id');
    expect(fake.collected[0].params).toHaveProperty('engagement_time_msec');
  });

  it('batches at most 25 events of one client per request', () => {
    const rendered = Array.from({ length: 30 }, () => renderGa4Event(sample('video.generated'), NOW));
    const other = renderGa4Event(envelope('video.generated', { ...SAMPLES['video.generated'](), context: {}, user: { id: 'usr_b' } }), NOW);
    const payloads = ga4Payloads([...rendered, other]);
    expect(payloads.map((p) => p.events.length)).toEqual([25, 5, 1]);
    for (const p of payloads) expect(validateGa4(p, 'G-X', NOW.getTime())).toEqual([]);
  });

  it('refuses an event older than 72 hours before sending it', async () => {
    const old = sample('video.completed', '2026-11-24T12:00:00.000Z');
    const failure = ga4.deliver(old, destination(fake.origin), createHttp(), ctx());
    await expect(failure).rejects.toBeInstanceOf(PayloadValidationError);
    await expect(failure).rejects.toThrow(/72 hours/);
    expect(fake.receiver.requests).toHaveLength(0);
  });

  it('validates every event type with the debug endpoint and gets no messages', async () => {
    for (const type of BUILTIN_EVENT_TYPES) {
      expect(await ga4.validate!(sample(type), destination(fake.origin), createHttp(), ctx())).toEqual([]);
    }
    const paths = fake.receiver.requests.map((r) => new URL(r.url, 'http://x').pathname);
    expect(new Set(paths)).toEqual(new Set(['/debug/mp/collect']));
    expect(fake.receiver.requests[0].json().validation_behavior).toBe('ENFORCE_RECOMMENDATIONS');
    expect(fake.collected).toHaveLength(0);
  });

  it('returns the debug endpoint\'s validation messages', async () => {
    fake.extraReserved.add('sign_up');
    const messages = await ga4.validate!(sample('user.registered'), destination(fake.origin), createHttp(), ctx());
    expect(messages).toEqual(['NAME_RESERVED: Event at index: [0] has name [sign_up] which is reserved. (events[0].name)']);
  });

  it('checks the destination with the debug endpoint', async () => {
    const note = await ga4.check!(destination(fake.origin), createHttp(), ctx());
    expect(note).toMatch(/accepted a test event for G-VIDHOOK42/);
    expect(new URL(fake.receiver.requests[0].url, 'http://x').pathname).toBe('/debug/mp/collect');
    fake.extraReserved.add('vidhook_check');
    await expect(ga4.check!(destination(fake.origin), createHttp(), ctx())).rejects.toBeInstanceOf(PermanentError);
  });

  it('sends once on a 2xx and retries only non-2xx answers', async () => {
    await ga4.deliver(sample('user.registered'), destination(fake.origin), createHttp(), ctx());
    expect(fake.receiver.requests).toHaveLength(1);
    fake.failWith = 503;
    await expect(ga4.deliver(sample('user.registered'), destination(fake.origin), createHttp(), ctx())).rejects.toBeInstanceOf(RetryableError);
    fake.failWith = 429;
    const limited = await ga4.deliver(sample('user.registered'), destination(fake.origin), createHttp(), ctx()).catch((e) => e);
    expect(limited).toBeInstanceOf(RetryableError);
    expect(limited.rateLimited).toBe(true);
  });

  it('masks the API secret when an answer echoes the request URL, and names the request that failed', async () => {
    fake.answer = (req) => ({ status: 400, body: `Bad request: POST ${req.url}` });
    const http = createHttp();
    const failure = await ga4.deliver(sample('video.completed'), destination(fake.origin), http, ctx()).catch((e) => e);
    expect(failure).toBeInstanceOf(PermanentError);
    expect(failure).not.toBeInstanceOf(RetryableError);
    expect(failure.message).toMatch(/^GA4 answered HTTP 400 to the event upload: Bad request: POST \/mp\/collect\?measurement_id=G-VIDHOOK42&api_secret=/);
    expect(failure.message).not.toContain(API_SECRET);
    expect(JSON.stringify(http.exchanges)).not.toContain(API_SECRET);
    expect(fake.receiver.requests[0].url).toContain(`api_secret=${API_SECRET}`);
  });

  it('names the request in a retryable failure and keeps the wait the service asked for', async () => {
    fake.answer = () => ({ status: 503, headers: { 'retry-after': '12' }, body: `upstream down (${API_SECRET})` });
    const failure = await ga4.deliver(sample('session.started'), destination(fake.origin), createHttp(), ctx()).catch((e) => e);
    expect(failure).toBeInstanceOf(RetryableError);
    expect(failure.afterMs).toBe(12_000);
    expect(failure.rateLimited).toBe(false);
    expect(failure.message).toMatch(/^GA4 answered HTTP 503 to the event upload: upstream down/);
    expect(failure.message).not.toContain(API_SECRET);
  });

  it('refuses a body GA4 finds too large as a payload error, not a retry', async () => {
    fake.answer = () => ({ status: 413 });
    const failure = await ga4.deliver(sample('user.registered'), destination(fake.origin), createHttp(), ctx()).catch((e) => e);
    expect(failure).toBeInstanceOf(PayloadValidationError);
    expect(failure.message).toMatch(/413 to the event upload.*130 kB/);
  });

  it('says which request answered without JSON when the debug endpoint is not GA4', async () => {
    fake.answer = () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>captive portal</html>' });
    const failure = await ga4.validate!(sample('user.registered'), destination(fake.origin), createHttp(), ctx()).catch((e) => e);
    expect(failure).toBeInstanceOf(PermanentError);
    expect(failure.message).toMatch(/the validation request answered HTTP 200 without JSON/);
    expect(failure.message).not.toContain(API_SECRET);
  });

  it('sends the same request in a dry run as in a real one', async () => {
    const dry = createHttp({ dryRun: true });
    const real = createHttp();
    const [completed, failed] = [sample('video.completed'), sample('video.failed')];
    for (const http of [dry, real]) {
      await ga4.deliver(completed, destination(fake.origin), http, ctx());
      await ga4.validate!(failed, destination(fake.origin), http, ctx());
    }
    const requests = (http: typeof dry) => http.exchanges.map((x) => ({ method: x.request.method, url: x.request.url, body: x.request.body }));
    expect(requests(dry)).toEqual(requests(real));
    expect(fake.receiver.requests).toHaveLength(2);
  });

  it('takes a custom event\'s client, session and plan from its data where they have the usual shapes', async () => {
    const data = { user: { id: 'usr_1', plan: 'team', email: 'not-an-email' }, context: { gaClientId: '123.456', gaSessionId: '1764272000' }, total: 12 };
    const event = buildEnvelope({ type: 'order.paid', data, timestamp: NOW.toISOString() }, { customTypes: ['order.paid'] });
    await ga4.deliver(event, destination(fake.origin), createHttp(), ctx());
    expect(fake.dropped).toEqual([]);
    expect(fake.collected[0]).toMatchObject({ clientId: '123.456', userId: 'usr_1', userProperties: { plan: { value: 'team' } } });
    expect(fake.collected[0].params).toMatchObject({ session_id: '1764272000', total: 12 });
  });

  it('never records the API secret', async () => {
    const http = createHttp();
    await ga4.deliver(sample('video.completed'), destination(fake.origin), http, ctx());
    await ga4.validate!(sample('video.completed'), destination(fake.origin), http, ctx());
    await ga4.check!(destination(fake.origin), http, ctx());
    expect(http.exchanges).toHaveLength(3);
    expect(JSON.stringify(http.exchanges)).not.toContain(API_SECRET);
    expect(http.exchanges[0].request.url).toContain('api_secret=');
  });

  it('records the requests of a dry run without sending them', async () => {
    const http = createHttp({ dryRun: true });
    await ga4.deliver(sample('video.completed'), destination(fake.origin), http, ctx());
    expect(await ga4.validate!(sample('video.completed'), destination(fake.origin), http, ctx())).toEqual([]);
    expect(http.exchanges).toHaveLength(2);
    expect(fake.receiver.requests).toHaveLength(0);
  });

  it('validates settings and warns about hosts that are not Google\'s', () => {
    expect(ga4.settings.safeParse({ measurementId: 'UA-1234-1', apiSecret: 'x' }).success).toBe(false);
    expect(ga4.warnings!(ga4.settings.parse({ measurementId: 'G-ABCD1234', apiSecret: 'x', baseUrl: 'https://region1.google-analytics.com/' }))).toEqual([]);
    expect(ga4.warnings!(ga4.settings.parse({ measurementId: 'G-ABCD1234', apiSecret: 'x', baseUrl: 'https://proxy.example.com' }))[0]).toMatch(/proxy\.example\.com/);
  });

  it('sends to the EU host when baseUrl names it', async () => {
    const http = createHttp({ dryRun: true });
    await ga4.deliver(sample('user.registered'), destination('https://region1.google-analytics.com'), http, ctx());
    expect(http.exchanges[0].request.url).toMatch(/^https:\/\/region1\.google-analytics\.com\/mp\/collect\?measurement_id=G-VIDHOOK42&api_secret=/);
  });
});
