import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, DeliveryError, PayloadValidationError, PermanentError, RetryableError, SkipDelivery } from '../../../src/connectors/core/errors.js';
import { stripe, STRIPE_VERSION, type StripeSettings } from '../../../src/connectors/stripe/index.js';
import { createHttp, type RecordingHttp } from '../../../src/delivery/http.js';
import { buildEnvelope, SAMPLES, type Envelope } from '../../../src/events/index.js';
import type { Reply } from '../../helpers/receiver.js';
import { memoryContext } from '../../helpers/context.js';
import { NO_BILLING_KEY, SECRET_KEY, startFakeStripe, WRITE_ONLY_KEY, type FakeStripe } from './fake.js';

const NOW = new Date('2026-11-27T20:00:00.000Z');
const AT = '2026-11-27T19:40:00.000Z';
const AT_UNIX = String(Date.parse(AT) / 1000);
const CUSTOMER = 'cus_RmayaChen0001';

const METERS = {
  'video.completed': { eventName: 'videos_completed' },
  'session.ended': { eventName: 'studio_seconds', value: 'session.durationSec' },
  'video.exported': { eventName: 'exports', value: 3 },
};

let fake: FakeStripe;
beforeEach(async () => {
  fake = await startFakeStripe({ now: () => Math.floor(NOW.getTime() / 1000) });
  for (const { eventName } of Object.values(METERS)) fake.addMeter(eventName);
});
afterEach(() => fake.close());

const settingsOf = (extra: Record<string, unknown> = {}): StripeSettings =>
  stripe.settings.parse({ secretKey: SECRET_KEY, meters: METERS, baseUrl: fake.origin, ...extra });
const dest = (extra: Record<string, unknown> = {}) => ({ name: 'billing', settings: settingsOf(extra) });
const ctx = () => memoryContext(() => NOW);

function event(type: string, data: Record<string, unknown>, options: { id?: string; timestamp?: string } = {}): Envelope {
  return buildEnvelope({ type, data, id: options.id ?? `evt_${type.replace('.', '_')}_1`, timestamp: options.timestamp ?? AT }, { customTypes: ['video.exported', 'video.shared'] });
}
/** A sample of the type whose user carries a Stripe customer id. */
function billable(type: keyof typeof SAMPLES, options: { id?: string; timestamp?: string } = {}): Envelope {
  const data = SAMPLES[type]();
  (data.user as Record<string, unknown>).stripeCustomerId = CUSTOMER;
  return event(type, data, options);
}

const deliver = (e: Envelope, d = dest(), http: RecordingHttp = createHttp()) => stripe.deliver(e, d, http, ctx());
const failure = (e: Envelope, d = dest(), http: RecordingHttp = createHttp()) =>
  deliver(e, d, http).then(
    () => {
      throw new Error('expected the delivery to fail');
    },
    (err: unknown) => err as DeliveryError,
  );

describe('stripe connector: the request', () => {
  it('turns a completed video into one form-encoded meter event with the pinned version and an idempotency key', async () => {
    await deliver(billable('video.completed'));
    expect(fake.requests).toHaveLength(1);
    const [req] = fake.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/billing/meter_events');
    expect(req.headers).toMatchObject({
      authorization: `Bearer ${SECRET_KEY}`,
      'stripe-version': STRIPE_VERSION,
      'idempotency-key': 'evt_video_completed_1:videos_completed',
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(req.body).toBe(
      `event_name=videos_completed&payload[stripe_customer_id]=${CUSTOMER}&payload[value]=1&timestamp=${AT_UNIX}&identifier=evt_video_completed_1`,
    );
    expect(fake.events).toEqual([
      { event_name: 'videos_completed', identifier: 'evt_video_completed_1', timestamp: Number(AT_UNIX), payload: { stripe_customer_id: CUSTOMER, value: '1' } },
    ]);
  });

  it.each([
    ['a value path', billable('session.ended'), 'studio_seconds', '1530'],
    ['a fixed value, on a custom event type', event('video.exported', { user: { id: 'u1', stripeCustomerId: CUSTOMER } }), 'exports', '3'],
  ])('meters %s', async (_, e, eventName, value) => {
    await deliver(e);
    expect(new URLSearchParams(fake.requests[0].body).get('event_name')).toBe(eventName);
    expect(fake.events.map((x) => x.payload.value)).toEqual([value]);
  });

  it('reads the customer id where customerIdPath says', async () => {
    const e = event('video.completed', { ...SAMPLES['video.completed'](), billing: { customer: CUSTOMER } });
    await deliver(e, dest({ customerIdPath: 'billing.customer' }));
    expect(fake.events[0].payload.stripe_customer_id).toBe(CUSTOMER);
  });

  it('counts a retried event once: the same key is replayed, the identifier deduplicated', async () => {
    const e = billable('video.completed');
    await deliver(e);
    await deliver(e);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1].body).toBe(fake.requests[0].body);
    expect(fake.events).toHaveLength(1);
  });

  it('keeps an over-long event id within the identifier limit, the same on every retry', async () => {
    const id = `evt_${'x'.repeat(120)}`;
    await deliver(billable('video.completed', { id }));
    await deliver(billable('video.completed', { id }));
    const identifier = new URLSearchParams(fake.requests[0].body).get('identifier')!;
    expect(identifier).toMatch(/^vidhook-md5-[0-9a-f]{32}$/);
    expect(fake.events.map((x) => x.identifier)).toEqual([identifier]);
  });

  it('shows in a dry run exactly the request it sends, secret masked', async () => {
    const dry = createHttp({ dryRun: true, secrets: [SECRET_KEY] });
    await deliver(billable('video.completed'), dest(), dry);
    const real = createHttp({ secrets: [SECRET_KEY] });
    await deliver(billable('video.completed'), dest(), real);
    expect(fake.requests).toHaveLength(1);
    expect(dry.exchanges[0].request).toEqual(real.exchanges[0].request);
    expect(dry.exchanges[0].request.headers.authorization).toBe('Bearer sk_…GHIJ');
  });
});

describe('stripe connector: skips and refusals before sending', () => {
  it.each([
    ['an event type without a meter', billable('session.started'), 'no meter is configured for session.started'],
    ['a custom type without a meter', event('video.shared', { user: { id: 'u', stripeCustomerId: CUSTOMER } }), 'no meter is configured for video.shared'],
    ['an event without a customer id', event('video.completed', SAMPLES['video.completed']()), 'the event has no Stripe customer id at data.user.stripeCustomerId (customerIdPath)'],
  ])('skips %s with the reason', async (_, e, reason) => {
    const error = await deliver(e).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SkipDelivery);
    expect((error as SkipDelivery).reason).toBe(reason);
    expect(fake.requests).toHaveLength(0);
  });

  // Set after validation: what a connector must withstand whatever the event schemas let through.
  const session = (durationSec: unknown, id?: string) => {
    const e = billable('session.ended', { id });
    (e.data as { session: Record<string, unknown> }).session.durationSec = durationSec;
    return e;
  };

  it.each([
    ['a missing value', 'session.ended has no data.session.durationSec, the value of meter studio_seconds', () => {
      const e = billable('session.ended');
      delete (e.data as { session: Record<string, unknown> }).session.durationSec;
      return e;
    }],
    ['a negative value', 'data.session.durationSec is -5: the value of meter studio_seconds must be a non-negative number', () => session(-5)],
    ['a value that is no number', 'data.session.durationSec is "long": the value of meter studio_seconds must be a non-negative number', () => session('long')],
    ['a fractional value without round', 'data.session.durationSec is 12.5: Stripe meters count whole units; set round (up, down or nearest) on the session.ended meter to send it', () => session(12.5)],
    ['an event older than 35 days', 'the event is 36.0 days old (2026-10-22T20:00:00.000Z); Stripe takes meter events from the past 35 days only', () =>
      billable('video.completed', { timestamp: '2026-10-22T20:00:00.000Z' })],
    ['an event 10 minutes ahead', "the event is 10 minutes in the future (2026-11-27T20:10:00.000Z); Stripe takes meter events at most 5 minutes ahead: check the sender's clock", () =>
      billable('video.completed', { timestamp: '2026-11-27T20:10:00.000Z' })],
  ])('refuses %s, naming it, without sending', async (_, message, make) => {
    const error = await failure(make());
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect(error.message).toBe(message);
    expect(fake.requests).toHaveLength(0);
  });

  it('rounds a fractional value as the meter says, and takes a numeric string', async () => {
    await deliver(session(12.2), dest({ meters: { 'session.ended': { eventName: 'studio_seconds', value: 'session.durationSec', round: 'up' } } }));
    await deliver(session(' 7 ', 'evt_session_ended_2'));
    expect(fake.events.map((e) => e.payload.value)).toEqual(['13', '7']);
  });

  it('sends an event from 4 minutes ahead and from 34 days ago', async () => {
    await deliver(billable('video.completed', { id: 'evt_ahead', timestamp: '2026-11-27T20:04:00.000Z' }));
    await deliver(billable('video.completed', { id: 'evt_old', timestamp: '2026-10-24T20:00:00.000Z' }));
    expect(fake.events.map((e) => e.identifier)).toEqual(['evt_ahead', 'evt_old']);
  });
});

describe('stripe connector: how answers are read', () => {
  const stripeError = (status: number, error: Record<string, string>, headers?: Record<string, string>): Reply => ({
    status,
    headers,
    body: { error: { type: 'invalid_request_error', ...error } },
  });

  it.each([
    ['429 rate_limit with Retry-After', stripeError(429, { code: 'rate_limit', message: 'Too many requests hit the API too quickly.' }, { 'retry-after': '2' }), RetryableError, { rateLimited: true, afterMs: 2000 }],
    ['429 rate_limit without Retry-After', stripeError(429, { code: 'rate_limit', message: 'Too many requests.' }), RetryableError, { rateLimited: true, afterMs: undefined }],
    ['lock_timeout', stripeError(429, { code: 'lock_timeout', message: 'This object cannot be accessed right now because another API request or Stripe process is currently accessing it.' }), RetryableError, { rateLimited: false }],
    ['500 api_error', { status: 500, body: { error: { type: 'api_error', message: 'An unknown error occurred' } } }, RetryableError, {}],
    ['502 without a body', { status: 502, body: '' }, RetryableError, {}],
    ['503 with Stripe-Should-Retry: false', { status: 503, headers: { 'stripe-should-retry': 'false' }, body: { error: { type: 'api_error', message: 'down' } } }, PermanentError, { retryable: false }],
    ['409 idempotency_error with Stripe-Should-Retry: true', stripeError(409, { type: 'idempotency_error', message: 'There is currently another in-progress request using this Idempotent Key.' }, { 'stripe-should-retry': 'true' }), RetryableError, {}],
    ['400 idempotency_error', stripeError(400, { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters.' }), PermanentError, { retryable: false }],
    ['400 naming a parameter', stripeError(400, { code: 'parameter_invalid_integer', param: 'payload[value]', message: 'Invalid integer: 1.5' }), PayloadValidationError, {}],
    ['401', stripeError(401, { message: 'Invalid API Key provided: sk_test_****GHIJ' }), AuthError, {}],
  ] as const)('%s', async (_, reply, kind, fields) => {
    fake.failNext(reply);
    const error = await failure(billable('video.completed'));
    expect(error).toBeInstanceOf(kind);
    expect(error).toMatchObject(fields);
    expect(error.message).toMatch(/^Stripe refused the meter event videos_completed \(\d{3} /);
  });

  it('fails a meter event for a customer Stripe does not know, naming the customer', async () => {
    const e = billable('video.completed');
    (e.data as { user: Record<string, unknown> }).user.stripeCustomerId = 'cus_Unknown999';
    const error = await failure(e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).not.toBeInstanceOf(RetryableError);
    expect(error.message).toBe(
      "Stripe refused the meter event videos_completed: the customer is unknown to this account (No such customer: 'cus_Unknown999'); check customerIdPath and test/live mode",
    );
  });

  it('fails a meter event for an inactive meter, naming the meter', async () => {
    fake.meters[0].status = 'inactive';
    const error = await failure(billable('video.completed'));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain("No active meter was found for event_name 'videos_completed'");
    expect(error.message).toContain('Billing › Meters');
  });

  it('names the permission a restricted key lacks', async () => {
    const error = await failure(billable('video.completed'), dest({ secretKey: NO_BILLING_KEY }));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(/give the restricted key the permission "billing meter events: write" \(rak_billing_meter_event_write\)/);
  });

  it('sends with a restricted key that may write meter events', async () => {
    await deliver(billable('video.completed'), dest({ secretKey: WRITE_ONLY_KEY }));
    expect(fake.events).toHaveLength(1);
  });

  it('never lets the key reach a message or the record, even when the answer echoes it', async () => {
    fake.failNext({ status: 401, body: { error: { type: 'invalid_request_error', message: `Invalid API Key provided: ${SECRET_KEY}` } } });
    const http = createHttp({ secrets: [SECRET_KEY] });
    const error = await failure(billable('video.completed'), dest(), http);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toContain('check secretKey');
    expect(error.message).not.toContain(SECRET_KEY);
    expect(JSON.stringify(http.exchanges)).not.toContain(SECRET_KEY);
  });
});

describe('stripe connector: check', () => {
  const check = (d = dest()) => stripe.check!(d, createHttp(), ctx());

  it('confirms every configured meter is active', async () => {
    expect(await check()).toBe(
      `authenticated to ${fake.origin} as sk_…GHIJ (test mode); active meters: videos_completed (video.completed), studio_seconds (session.ended), exports (video.exported)`,
    );
    expect(fake.requests[0].url).toBe('/v1/billing/meters?limit=100');
    expect(fake.requests[0].headers['stripe-version']).toBe(STRIPE_VERSION);
  });

  it('reads every page of meters', async () => {
    fake.meters.splice(0);
    for (let i = 0; i < 150; i++) fake.addMeter(`other_${i}`);
    for (const { eventName } of Object.values(METERS)) fake.addMeter(eventName);
    await check();
    expect(fake.requests.map((r) => r.url)).toEqual(['/v1/billing/meters?limit=100', '/v1/billing/meters?limit=100&starting_after=mtr_000100']);
  });

  it('names the meters that are missing, inactive or read other payload keys', async () => {
    fake.meters.splice(0);
    fake.addMeter('videos_completed', { status: 'inactive' });
    fake.addMeter('exports', { value_settings: { event_payload_key: 'count' } });
    const error = (await check().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe(
      'Stripe has no usable active meter for videos_completed (inactive), studio_seconds (no such meter), exports (reads payload keys stripe_customer_id and count; vidhook sends stripe_customer_id and value): create or fix it under Billing › Meters, or change meters.<type>.eventName',
    );
  });

  it('names the read permission a write-only restricted key lacks', async () => {
    const error = (await check(dest({ secretKey: WRITE_ONLY_KEY })).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toContain('"billing meters: read" (rak_billing_meter_read)');
  });
});

describe('stripe connector: settings', () => {
  const parse = (settings: Record<string, unknown>) => stripe.settings.safeParse({ secretKey: SECRET_KEY, meters: METERS, ...settings });
  const messageOf = (settings: Record<string, unknown>) => {
    const result = parse(settings);
    return result.success ? undefined : result.error.issues[0].message;
  };

  it('takes secret and restricted keys and refuses others with the reason', () => {
    expect(parse({ secretKey: WRITE_ONLY_KEY }).success).toBe(true);
    expect(messageOf({ secretKey: 'pk_test_51Abcdefghijklmnop' })).toMatch(/publishable key \(pk_…\), which cannot write meter events/);
    expect(messageOf({ secretKey: 'whsec_abcdefghijklmnop' })).toBe('must be a Stripe secret key (sk_…) or restricted key (rk_…)');
  });

  it('refuses meters that cannot work', () => {
    expect(messageOf({ meters: {} })).toBe('must name at least one event type');
    expect(messageOf({ meters: { 'video.completed': { eventName: 'x'.repeat(101) } } })).toMatch(/at most 100 characters/);
    expect(messageOf({ meters: { 'video.completed': { eventName: 'v', value: '2' } } })).toMatch(/dot path/);
    expect(messageOf({ meters: { 'video.completed': { eventName: 'v', value: -1 } } })).toBeDefined();
    expect(messageOf({ meters: { 'video.completed': { eventName: 'v', valu: 'video.durationSec' } } })).toBeDefined();
  });

  it('defaults the value to 1 and the customer to user.stripeCustomerId', () => {
    const settings = stripe.settings.parse({ secretKey: SECRET_KEY, meters: { 'video.completed': { eventName: 'v' } } });
    expect(settings.meters['video.completed'].value).toBe(1);
    expect(settings.customerIdPath).toBe('user.stripeCustomerId');
  });

  it('warns about a host that is not Stripe’s', () => {
    expect(stripe.warnings!(settingsOf({ baseUrl: 'https://api.stripe.com' }))).toEqual([]);
    expect(stripe.warnings!(settingsOf({ baseUrl: 'https://stripe-proxy.example.com' }))).toEqual([
      "baseUrl https://stripe-proxy.example.com is not Stripe's API host (api.stripe.com)",
    ]);
  });
});
