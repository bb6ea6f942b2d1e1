import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { meta, type MetaSettings } from '../../../src/connectors/meta/index.js';
import { normalizeAndHash, type HashedField } from '../../../src/connectors/meta/hashing.js';
import { metaUserData } from '../../../src/connectors/meta/user-data.js';
import { AuthError, PayloadValidationError, PermanentError, RetryableError, SkipDelivery } from '../../../src/connectors/core/errors.js';
import type { Destination } from '../../../src/destinations/index.js';
import { createHttp } from '../../../src/delivery/http.js';
import { BUILTIN_EVENT_TYPES, buildEnvelope, SAMPLES, type Envelope } from '../../../src/events/index.js';
import { graphError, startFakeMeta, type FakeMeta } from './fake.js';
import { memoryContext } from '../../helpers/context.js';

const require = createRequire(import.meta.url);
const { ServerSideUtils } = require('facebook-nodejs-business-sdk') as {
  ServerSideUtils: { normalizeAndHash(input: string, field: string): string | null };
};

/** What Meta's SDK sends for a value: its hash, or nothing where it refuses the value. */
function sdkHash(input: string, field: string): string | undefined {
  try {
    return ServerSideUtils.normalizeAndHash(input, field) ?? undefined;
  } catch {
    return undefined;
  }
}

const PIXEL_ID = '1234567890123456';
const TOKEN = 'EAAGm0PX4ZCpsBAFakeTokenZBqT5vX9k2LmNoPqRsTuVwXyZ0123456789';
const NOW = new Date('2026-11-27T19:45:00.000Z');
const ctx = () => memoryContext(() => NOW);

function envelope(type: string, data: Record<string, unknown>, timestamp = '2026-11-27T19:40:00.000Z'): Envelope {
  return buildEnvelope({ type, data, timestamp }, { customTypes: ['order.paid'] });
}
const sample = (type: keyof typeof SAMPLES, timestamp?: string) => envelope(type, SAMPLES[type](), timestamp);

function destination(origin: string, settings: Partial<MetaSettings> = {}): Destination<MetaSettings> {
  const parsed = meta.settings.parse({ pixelId: PIXEL_ID, accessToken: TOKEN, baseUrl: origin, ...settings });
  return { name: 'ads', connector: 'meta', events: ['*'], enabled: true, source: 'user', settings: parsed };
}

describe('meta hashing matches facebook-nodejs-business-sdk', () => {
  const rows: Array<[HashedField, string]> = [
    ['em', 'maya.chen@example.com'],
    ['em', 'Maya.Chen@Example.COM'],
    ['em', '  MAYA.CHEN@EXAMPLE.COM \n'],
    ['em', 'Maya+Videos@Example.co.uk'],
    ['em', "o'brien@example.ie"],
    ['em', 'maya@localhost'],
    ['em', 'not an email'],
    ['em', 'élodie@example.fr'],
    ['em', 'A'.repeat(64).toLowerCase().replace(/a/g, 'b').replace(/^b/, 'a')],
    ['ph', '+1 415 555 0134'],
    ['ph', '(415) 555-0134'],
    ['ph', '+1 (415) 555-0134'],
    ['ph', '1-415-555-0134'],
    ['ph', '+44 844 412 4653'],
    ['ph', '0044 844 412 4653'],
    ['ph', '+33 (0)1 23 45 67 89'],
    ['ph', '020 7946 0958'],
    ['ph', '+49-30-1234567'],
    ['ph', '001-415-555-0134'],
    ['ph', '12345'],
    ['ph', '+1 415.555.0134'],
    ['ph', '415/555-0134 ext 12'],
    ['ph', '+1 800 FLOWERS'],
    ['fn', 'Maya'],
    ['fn', '  MAYA '],
    ['fn', 'José'],
    ['fn', 'ÉLODIE'],
    ['fn', 'Zoë'],
    ['fn', '李'],
    ['ln', 'Chen'],
    ['ln', "O'Brien"],
    ['ln', 'Nguyễn'],
    ['ln', 'Müller-Lüdenscheidt'],
    ['ct', 'San Francisco'],
    ['ct', 'São Paulo'],
    ['ct', 'St. Louis'],
    ['ct', 'Winston-Salem'],
    ['ct', 'Zürich 8001'],
    ['ct', 'NEW YORK (Manhattan)'],
    ['st', 'CA'],
    ['st', 'New South Wales'],
    ['zp', '94103'],
    ['zp', '94103-1234'],
    ['zp', 'SW1A 1AA'],
    ['zp', ' 10115 '],
    ['zp', 'H3Z 2Y7'],
    ['zp', '1'],
    ['country', 'US'],
    ['country', 'us'],
    ['country', ' gb '],
    ['country', 'De'],
    ['country', 'United States'],
    ['country', 'UK'],
    ['country', 'XX'],
    ['external_id', 'usr_8f3k2m'],
    ['external_id', ' USR_ABC '],
  ];

  it.each(rows)('%s %j', (field, input) => {
    expect(normalizeAndHash(input, field)).toBe(sdkHash(input, field));
  });

  it('has rows the SDK accepts for every field, so the table compares real digests', () => {
    const accepted = rows.filter(([field, input]) => sdkHash(input, field) !== undefined).map(([field]) => field);
    for (const field of new Set(rows.map(([f]) => f))) expect(accepted.filter((f) => f === field).length).toBeGreaterThanOrEqual(2);
  });

  it('hashes the sample values to the SDK\'s exact digests', () => {
    expect(normalizeAndHash(' Maya.Chen@Example.COM ', 'em')).toBe('0512aa23cb9d989426d803e88ccc40972235fe9b60d9a03b1516f926c850050a');
  });

  it('passes an already hashed value through unchanged, as the SDK does', () => {
    const digest = sdkHash('maya.chen@example.com', 'em')!;
    expect(normalizeAndHash(digest.toUpperCase(), 'em')).toBe(digest);
  });

  it.each([
    ['United States', 'US'],
    ['united kingdom', 'GB'],
    ['Germany', 'DE'],
    ['Côte d’Ivoire', 'CI'],
    ['UK', 'GB'],
    ['USA', 'US'],
  ])('sends the country name %j as the hash of its code %s (the SDK refuses names)', (name, code) => {
    expect(sdkHash(name, 'country')).toBeUndefined();
    expect(metaUserData({ user: { id: 'u', country: name } }).country).toEqual([sdkHash(code, 'country')]);
  });

  it('leaves out a country it cannot name', () => {
    expect(metaUserData({ user: { id: 'u', country: 'Narnia' } }).country).toBeUndefined();
  });

  it('drops dots from phone numbers that the SDK would hash with them', () => {
    expect(metaUserData({ user: { id: 'u', phone: '+1 415.555.0134' } }).ph).toEqual([sdkHash('+1 4155550134', 'ph')]);
  });

  it('splits a full name when first and last names are not given', () => {
    const data = metaUserData({ user: { id: 'u', name: 'María José  de la Cruz' } });
    expect(data.fn).toEqual([sdkHash('María', 'fn')]);
    expect(data.ln).toEqual([sdkHash('José de la Cruz', 'ln')]);
  });
});

describe('meta connector', () => {
  let fake: FakeMeta;
  beforeEach(async () => {
    fake = await startFakeMeta({ pixelId: PIXEL_ID, accessToken: TOKEN, now: () => NOW.getTime() });
  });
  afterEach(() => fake.close());

  it('sends a registration as CompleteRegistration with the exact Conversions API body', async () => {
    const event = sample('user.registered');
    await meta.deliver(event, destination(fake.origin), createHttp(), ctx());
    const [req] = fake.receiver.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(`/v25.0/${PIXEL_ID}/events`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.json()).toEqual({
      data: [
        {
          event_name: 'CompleteRegistration',
          event_time: Date.parse('2026-11-27T19:40:00.000Z') / 1000,
          event_id: event.id,
          action_source: 'website',
          event_source_url: 'https://app.example.com/studio',
          user_data: {
            em: [sdkHash('maya.chen@example.com', 'em')],
            ph: [sdkHash('+1 415 555 0134', 'ph')],
            fn: [sdkHash('Maya', 'fn')],
            ln: [sdkHash('Chen', 'ln')],
            ct: [sdkHash('San Francisco', 'ct')],
            country: [sdkHash('US', 'country')],
            external_id: [sdkHash('usr_8f3k2m', 'external_id')],
            client_ip_address: '203.0.113.42',
            client_user_agent: (SAMPLES['user.registered']().context as { userAgent: string }).userAgent,
            fbp: 'fb.1.1732736400000.1098115397',
          },
          custom_data: { plan: 'pro' },
        },
      ],
      access_token: TOKEN,
    });
    expect(fake.received).toHaveLength(1);
  });

  it.each([
    ['user.registered', 'CompleteRegistration', 'website'],
    ['video.generated', 'VideoGenerationStarted', 'website'],
    ['video.completed', 'VideoGenerationCompleted', 'system_generated'],
  ] as const)('%s passes Meta\'s checks as %s (%s)', async (type, name, source) => {
    const event = sample(type);
    await meta.deliver(event, destination(fake.origin), createHttp(), ctx());
    expect(fake.received).toHaveLength(1);
    expect(fake.received[0].event).toMatchObject({ event_name: name, action_source: source, event_id: event.id });
  });

  it('describes a completed video in custom_data and leaves event_source_url out of system events', async () => {
    await meta.deliver(sample('video.completed'), destination(fake.origin), createHttp(), ctx());
    const sent = fake.received[0].event;
    expect(sent.event_source_url).toBeUndefined();
    expect(sent.custom_data).toEqual({
      content_ids: ['vid_2xq9c7'],
      content_name: 'Product launch teaser',
      content_type: 'product',
      model: 'gen-4-turbo',
      duration_sec: 30,
    });
  });

  it.each(['video.failed', 'session.started', 'session.ended'] as const)('skips %s with a reason and sends nothing', async (type) => {
    const skipped = await meta.deliver(sample(type), destination(fake.origin), createHttp(), ctx()).catch((e) => e);
    expect(skipped).toBeInstanceOf(SkipDelivery);
    expect(skipped.reason).toMatch(/not|Pixel/);
    expect(fake.receiver.requests).toHaveLength(0);
  });

  it('sends a custom event type as a custom event', async () => {
    const event = envelope('order.paid', { user: { id: 'usr_1', email: 'buyer@example.com' }, context: { ip: '198.51.100.7' } });
    await meta.deliver(event, destination(fake.origin), createHttp(), ctx());
    expect(fake.received[0].event).toMatchObject({
      event_name: 'OrderPaid',
      action_source: 'system_generated',
      custom_data: { vidhook_event_type: 'order.paid' },
    });
  });

  it.each([
    ['no browser context', {}],
    ['a page but no user agent', { pageUrl: 'https://app.example.com/signup' }],
    ['a user agent but no page', { userAgent: 'Mozilla/5.0' }],
  ])('uses system_generated for a registration with %s', async (_label, context) => {
    const data = { user: { id: 'usr_1', email: 'new@example.com' }, context };
    await meta.deliver(envelope('user.registered', data), destination(fake.origin), createHttp(), ctx());
    expect(fake.received[0].event.action_source).toBe('system_generated');
    expect(fake.received[0].event.event_source_url).toBeUndefined();
  });

  it('never sends raw personal data, only hashes, in any request', async () => {
    const user = {
      id: 'usr_TrickY',
      email: '  Elodie.Muller+Vid@Example.COM ',
      phone: '+33 (0)6 12-34-56-78',
      firstName: 'Élodie',
      lastName: "D'Arcy-Müller",
      city: 'Saint-Étienne',
      state: 'Auvergne-Rhône-Alpes',
      zip: '42000',
      country: 'France',
    };
    for (const type of ['user.registered', 'video.generated', 'video.completed'] as const) {
      const data = { ...SAMPLES[type](), user };
      await meta.deliver(envelope(type, data), destination(fake.origin), createHttp(), ctx());
    }
    expect(fake.received).toHaveLength(3);
    const sent = fake.receiver.requests.map((r) => r.body).join('\n').toLowerCase();
    for (const raw of ['élodie', 'elodie', 'müller', '@example.com', 'muller+vid', '612345678', '0612', 'saint', 'étienne', 'auvergne', '42000', 'france', 'd\'arcy', 'usr_tricky']) {
      expect(sent).not.toContain(raw);
    }
    const userData = fake.received[0].event.user_data;
    expect(userData.em).toEqual([sdkHash(user.email, 'em')]);
    expect(userData.zp).toEqual([sdkHash('42000', 'zp')]);
    expect(userData.st).toEqual([sdkHash(user.state, 'st')]);
    expect(userData.country).toEqual([sdkHash('FR', 'country')]);
  });

  it('sends the IP, user agent, fbp and fbc raw', async () => {
    const data = SAMPLES['user.registered']();
    (data.context as Record<string, unknown>).fbc = 'fb.1.1732736400000.IwAR2xYz';
    await meta.deliver(envelope('user.registered', data), destination(fake.origin), createHttp(), ctx());
    expect(fake.received[0].event.user_data).toMatchObject({
      client_ip_address: '203.0.113.42',
      client_user_agent: expect.stringMatching(/^Mozilla\/5\.0 \(Macintosh/),
      fbp: 'fb.1.1732736400000.1098115397',
      fbc: 'fb.1.1732736400000.IwAR2xYz',
    });
  });

  it('refuses an event older than 7 days before sending it', async () => {
    const old = sample('video.completed', '2026-11-20T19:00:00.000Z');
    const failure = await meta.deliver(old, destination(fake.origin), createHttp(), ctx()).catch((e) => e);
    expect(failure).toBeInstanceOf(PayloadValidationError);
    expect(failure.message).toMatch(/older than 7 days.*7\.0 days ago/);
    expect(fake.receiver.requests).toHaveLength(0);
    await meta.deliver(sample('video.completed', '2026-11-21T20:00:00.000Z'), destination(fake.origin), createHttp(), ctx());
    expect(fake.received).toHaveLength(1);
  });

  it('carries the event id so retries and the browser Pixel deduplicate', async () => {
    const event = sample('user.registered');
    await meta.deliver(event, destination(fake.origin), createHttp(), ctx());
    await meta.deliver(event, destination(fake.origin), createHttp(), ctx());
    expect(fake.received.map((r) => r.event.event_id)).toEqual([event.id, event.id]);
  });

  it('sends testEventCode and the configured Graph version', async () => {
    await meta.deliver(sample('user.registered'), destination(fake.origin, { testEventCode: 'TEST12345', apiVersion: 'v26.0' }), createHttp(), ctx());
    expect(fake.receiver.requests[0].url).toBe(`/v26.0/${PIXEL_ID}/events`);
    expect(fake.received[0]).toMatchObject({ testEventCode: 'TEST12345', version: 'v26.0' });
  });

  it('reports an expired token as an AuthError that says what to do', async () => {
    const wrong = { ...destination(fake.origin), settings: { ...destination(fake.origin).settings, accessToken: 'EAAexpiredTokenValue123' } };
    const failure = await meta.deliver(sample('user.registered'), wrong, createHttp(), ctx()).catch((e) => e);
    expect(failure).toBeInstanceOf(AuthError);
    expect(failure.message).toMatch(/code 190\/463.*invalid or expired.*accessToken/);
  });

  it('reports an unknown pixel as a permanent configuration error', async () => {
    const failure = await meta.deliver(sample('user.registered'), destination(fake.origin, { pixelId: '999999999' }), createHttp(), ctx()).catch((e) => e);
    expect(failure).toBeInstanceOf(PermanentError);
    expect(failure.message).toMatch(/check pixelId/);
  });

  it.each([
    ['code 1 (unknown)', graphError(500, 1, 'An unknown error occurred'), RetryableError, false],
    ['code 2 (service)', graphError(503, 2, 'Service temporarily unavailable'), RetryableError, false],
    ['code 4 (app limit)', graphError(400, 4, 'Application request limit reached'), RetryableError, true],
    ['code 17 (user limit)', graphError(400, 17, 'User request limit reached'), RetryableError, true],
    ['code 341 (app limit)', graphError(400, 341, 'Application limit reached'), RetryableError, true],
    ['code 613', graphError(400, 613, 'Calls to this api have exceeded the rate limit'), RetryableError, true],
    ['code 80004', graphError(400, 80004, 'There have been too many calls to this ad-account'), RetryableError, true],
    ['is_transient', graphError(400, 9999, 'Try again', { is_transient: true }), RetryableError, false],
    ['code 100 too old', graphError(400, 100, 'Invalid parameter', { error_subcode: 2804003 }), PayloadValidationError, false],
    ['code 200 permission', graphError(403, 200, 'Permissions error'), AuthError, false],
    ['a bare 502', { status: 502, body: 'Bad Gateway' }, RetryableError, false],
    ['a bare 429', { status: 429, body: '' }, RetryableError, true],
  ] as const)('classifies %s', async (_label, reply, kind, rateLimited) => {
    fake.queue.push(reply);
    const failure = await meta.deliver(sample('user.registered'), destination(fake.origin), createHttp(), ctx()).catch((e) => e);
    expect(failure).toBeInstanceOf(kind);
    if (failure instanceof RetryableError) expect(failure.rateLimited).toBe(rateLimited);
  });

  it('waits as long as Meta says when rate limited', async () => {
    fake.queue.push({ ...graphError(400, 80004, 'Too many calls'), headers: { 'x-business-use-case-usage': '{"123":[{"type":"ads_management","call_count":100,"estimated_time_to_regain_access":7}]}' } });
    fake.queue.push({ ...graphError(400, 4, 'Application request limit reached'), headers: { 'retry-after': '30' } });
    const first = await meta.deliver(sample('user.registered'), destination(fake.origin), createHttp(), ctx()).catch((e) => e);
    const second = await meta.deliver(sample('user.registered'), destination(fake.origin), createHttp(), ctx()).catch((e) => e);
    expect(first.afterMs).toBe(7 * 60_000);
    expect(second.afterMs).toBe(30_000);
  });

  it('checks the token and the pixel with a cheap read', async () => {
    const note = await meta.check!(destination(fake.origin), createHttp(), ctx());
    expect(note).toBe(`Meta pixel "Vidhook Studio Pixel" (${PIXEL_ID}) is reachable with this access token`);
    const url = new URL(fake.receiver.requests[0].url, 'http://x');
    expect(url.pathname).toBe(`/v25.0/${PIXEL_ID}`);
    expect(url.searchParams.get('access_token')).toBe(TOKEN);
  });

  it('never records the access token, in the body, the query or an error', async () => {
    const http = createHttp();
    await meta.deliver(sample('user.registered'), destination(fake.origin), http, ctx());
    await meta.check!(destination(fake.origin), http, ctx());
    fake.queue.push({ status: 400, body: { error: { code: 100, message: `bad token ${TOKEN}` } } });
    const failure = await meta.deliver(sample('video.completed'), destination(fake.origin), http, ctx()).catch((e) => e);
    expect(http.exchanges).toHaveLength(3);
    expect(http.exchanges[0].request.body).toContain('"access_token"');
    expect(http.exchanges[1].request.url).toContain('access_token=');
    const recorded = JSON.stringify(http.exchanges);
    expect(recorded).not.toContain(TOKEN);
    expect(recorded).not.toContain(encodeURIComponent(TOKEN));
    expect(failure.message).not.toContain(TOKEN);
    // The server really got the token: masking happens only in the record.
    expect(fake.receiver.requests[0].json().access_token).toBe(TOKEN);
  });

  it('masks the token when a proxy echoes the request, and names the request that failed', async () => {
    fake.receiver.respond((req) => ({ status: 502, body: `upstream error for ${req.body}` }));
    const http = createHttp();
    const failure = await meta.deliver(sample('user.registered'), destination(fake.origin), http, ctx()).catch((e) => e);
    expect(failure).toBeInstanceOf(RetryableError);
    expect(failure.message).toMatch(/^Meta answered HTTP 502 to the event upload: upstream error for /);
    expect(failure.message).not.toContain(TOKEN);
    expect(JSON.stringify(http.exchanges)).not.toContain(TOKEN);
    expect(fake.receiver.requests[0].body).toContain(TOKEN);
  });

  it('masks the token when a Graph error of the check echoes it, and says it was the pixel lookup', async () => {
    fake.queue.push(graphError(400, 190, `Invalid OAuth access token - Cannot parse access token: ${TOKEN}`));
    const failure = await meta.check!(destination(fake.origin), createHttp(), ctx()).catch((e) => e);
    expect(failure).toBeInstanceOf(AuthError);
    expect(failure.message).toMatch(/^Meta refused the pixel lookup \(code 190\): Invalid OAuth access token/);
    expect(failure.message).not.toContain(TOKEN);
  });

  it('names the refused request and Meta\'s own words in a payload error', async () => {
    fake.queue.push(graphError(400, 100, 'Invalid parameter', { error_subcode: 2804019, error_user_title: 'Invalid hashed parameter', error_user_msg: 'em must be SHA-256' }));
    const failure = await meta.deliver(sample('user.registered'), destination(fake.origin), createHttp(), ctx()).catch((e) => e);
    expect(failure).toBeInstanceOf(PayloadValidationError);
    expect(failure.message).toBe('Meta refused the event upload (code 100/2804019): Invalid hashed parameter: em must be SHA-256 [fbtrace_id AbCdEfGh123]');
  });

  it('sends the same requests in a dry run as in a real one', async () => {
    const dry = createHttp({ dryRun: true });
    const real = createHttp();
    const event = sample('video.completed');
    for (const http of [dry, real]) {
      await meta.deliver(event, destination(fake.origin), http, ctx());
      await meta.check!(destination(fake.origin), http, ctx());
    }
    const requests = (http: typeof dry) => http.exchanges.map((x) => ({ method: x.request.method, url: x.request.url, body: x.request.body }));
    expect(requests(dry)).toEqual(requests(real));
    expect(fake.receiver.requests).toHaveLength(2);
  });

  it('sends a custom type named video.… as a custom event, not as a video', async () => {
    const event = buildEnvelope(
      { type: 'video.shared', data: { video: { id: 'vid_1', title: 'Teaser' }, user: { id: 'usr_1', email: 'buyer@example.com' } }, timestamp: NOW.toISOString() },
      { customTypes: ['video.shared'] },
    );
    await meta.deliver(event, destination(fake.origin), createHttp(), ctx());
    expect(fake.received[0].event).toMatchObject({ event_name: 'VideoShared', custom_data: { vidhook_event_type: 'video.shared' } });
    expect(fake.received[0].event.user_data).toMatchObject({ em: [sdkHash('buyer@example.com', 'em')], external_id: [sdkHash('usr_1', 'external_id')] });
  });

  it('records the requests of a dry run without sending them', async () => {
    const http = createHttp({ dryRun: true });
    for (const type of ['user.registered', 'video.completed'] as const) await meta.deliver(sample(type), destination(fake.origin), http, ctx());
    expect(await meta.check!(destination(fake.origin), http, ctx())).toMatch(/reachable/);
    expect(http.exchanges).toHaveLength(3);
    expect(fake.receiver.requests).toHaveLength(0);
  });

  it('renders or skips every built-in event type', async () => {
    const outcomes: Record<string, string> = {};
    for (const type of BUILTIN_EVENT_TYPES) {
      outcomes[type] = await meta.deliver(sample(type), destination(fake.origin), createHttp(), ctx()).then(
        () => 'sent',
        (e) => (e instanceof SkipDelivery ? 'skipped' : `failed: ${e.message}`),
      );
    }
    expect(outcomes).toEqual({
      'video.generated': 'sent',
      'video.completed': 'sent',
      'video.failed': 'skipped',
      'user.registered': 'sent',
      'session.started': 'skipped',
      'session.ended': 'skipped',
    });
  });

  it('validates settings, defaults the Graph version and warns about unusual ones', () => {
    const parsed = meta.settings.parse({ pixelId: PIXEL_ID, accessToken: TOKEN });
    expect(parsed.apiVersion).toBe('v25.0');
    expect(meta.settings.safeParse({ pixelId: 'my-pixel', accessToken: TOKEN }).success).toBe(false);
    expect(meta.settings.safeParse({ pixelId: PIXEL_ID, accessToken: TOKEN, apiVersion: '25' }).success).toBe(false);
    expect(meta.warnings!(parsed)).toEqual([]);
    const unusual = meta.settings.parse({ pixelId: PIXEL_ID, accessToken: TOKEN, testEventCode: 'TEST1', baseUrl: 'https://proxy.example.com' });
    expect(meta.warnings!(unusual)).toHaveLength(2);
  });
});
