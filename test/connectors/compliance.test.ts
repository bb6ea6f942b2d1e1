import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../src/connectors/registry.js';
import { RetryableError, SkipDelivery, DeliveryError } from '../../src/connectors/core/errors.js';
import { template } from '../../src/connectors/_template/index.js';
import { forgetAllSessions } from '../../src/connectors/core/sessions.js';
import type { AnyConnector, ConnectorTarget, HttpRequest } from '../../src/connectors/core/types.js';
import { createHttp } from '../../src/delivery/http.js';
import { BUILTIN_EVENT_TYPES, buildEnvelope, SAMPLES, matchesEventFilter } from '../../src/events/index.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { memoryContext } from '../helpers/context.js';

/**
 * The contract every connector keeps (Vector's habit): it renders every event type or skips it with
 * a reason, no secret reaches what is recorded or thrown, and timeouts, 5xx and 429 are retryable.
 */
const SETTINGS: Record<string, (origin: string) => Record<string, unknown>> = {
  webhook: (o) => ({ url: `${o}/hook`, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }),
  zapier: (o) => ({ hookUrl: `${o}/hooks/catch/123456/abcdefghijk/` }),
  slack: (o) => ({ webhookUrl: `${o}/services/T0000AAAA/B0000BBBB/abcdefghijklmnopqrstuvwx` }),
  teams: (o) => ({ webhookUrl: `${o}/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=s3cr3tSignatureValue0123` }),
  discord: (o) => ({ webhookUrl: `${o}/api/webhooks/123456789012345678/TOKENtokenTOKENtokenTOKEN0123` }),
  salesforce: (o) => ({ loginUrl: o, clientId: 'client-id-123', clientSecret: 'sf-client-secret-0123456789' }),
  hubspot: (o) => ({ accessToken: 'pat-na1-00000000-1111-2222-3333-444444444444', baseUrl: o }),
  wordpress: (o) => ({ siteUrl: o, username: 'editor', appPassword: 'abcd EFGH 1234 ijkl MNOP 5678' }),
  shopify: (o) => ({ shop: 'northwind.myshopify.com', accessToken: 'shpat_0123456789abcdef0123456789abcdef', baseUrl: o }),
  ga4: (o) => ({ measurementId: 'G-ABC123DEF4', apiSecret: 'ga4-api-secret-0123456789', baseUrl: o }),
  meta: (o) => ({ pixelId: '123456789012345', accessToken: 'EAAGmeta-access-token-0123456789', baseUrl: o }),
  mailchimp: (o) => ({ apiKey: '0123456789abcdef0123456789abcdef-us21', listId: 'a1b2c3d4e5', tags: { 'user.registered': ['vidhook'] }, baseUrl: o }),
  stripe: (o) => ({ secretKey: 'sk_test_51Compliance0123456789abcdef', meters: { 'video.generated': { eventName: 'videos_started' }, 'video.completed': { eventName: 'video_seconds', value: 'video.durationSec' } }, customerIdPath: 'user.id', baseUrl: o }),
  // The template a new connector starts from keeps the contract too.
  template: (o) => ({ apiKey: 'tmpl_live_0123456789abcdef', baseUrl: o }),
};

const httpConnectors: AnyConnector[] = [...CONNECTORS.filter((c) => c.kind !== 'log'), template];

function destination(connector: AnyConnector, origin: string): ConnectorTarget<Record<string, unknown>> {
  return { name: `${connector.kind}-dest`, settings: connector.settings.parse(SETTINGS[connector.kind](origin)) as Record<string, unknown> };
}

/** A sample whose media URLs point at the local receiver, so nothing leaves the machine. */
function sampleFor(type: string) {
  const data = SAMPLES[type as keyof typeof SAMPLES]();
  const video = data.video as Record<string, unknown> | undefined;
  if (video) {
    video.productId = 'gid://shopify/Product/1';
    if (video.url) video.url = `${receiver.origin}/media/video.mp4`;
    if (video.thumbnailUrl) video.thumbnailUrl = `${receiver.origin}/media/poster.jpg`;
  }
  return buildEnvelope({ type, data });
}

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver(() => ({ status: 500, body: { error: 'internal' } }));
});
afterAll(() => receiver.close());

it('covers every registered connector', () => {
  expect(httpConnectors.map((c) => c.kind).sort()).toEqual(Object.keys(SETTINGS).sort());
});

describe.each(httpConnectors.map((c) => [c.kind, c] as const))('%s', (_, connector) => {
  const dest = () => destination(connector, receiver.origin);
  const secrets = () => connector.secretValues(dest().settings);
  const typesTaken = BUILTIN_EVENT_TYPES.filter((t) => matchesEventFilter(t, connector.defaultEvents));

  it.each(BUILTIN_EVENT_TYPES.map((t) => [t]))('renders %s in a dry run, or skips it with a reason', async (type) => {
    const http = createHttp({ dryRun: true, secrets: secrets() });
    try {
      await connector.deliver(sampleFor(type), dest(), http, memoryContext());
      expect(http.exchanges.length).toBeGreaterThan(0);
    } catch (err) {
      expect(err).toBeInstanceOf(SkipDelivery);
      expect((err as SkipDelivery).reason.length).toBeGreaterThan(10);
    }
    const recorded = JSON.stringify(http.exchanges);
    for (const s of secrets()) expect(recorded).not.toContain(s);
  });

  it('maps at least one of its default event types', async () => {
    let rendered = 0;
    for (const type of typesTaken) {
      const http = createHttp({ dryRun: true, secrets: secrets() });
      await connector.deliver(sampleFor(type), dest(), http, memoryContext()).catch(() => undefined);
      if (http.exchanges.length) rendered++;
    }
    expect(rendered).toBeGreaterThan(0);
  });

  it.each([
    ['a 500', { status: 500, body: { error: 'internal' } }],
    ['a 503', { status: 503, body: 'Service Unavailable' }],
    ['a 429 with Retry-After', { status: 429, headers: { 'retry-after': '7' }, body: { error: 'slow down' } }],
  ] as const)('treats %s as retryable, without a secret in the message', async (_, reply) => {
    receiver.respond(() => reply);
    const type = typesTaken.find((t) => t !== 'session.started') ?? typesTaken[0];
    const http = createHttp({ secrets: secrets() });
    const error = await connector.deliver(sampleFor(type), dest(), http, memoryContext()).then(
      () => undefined,
      (e) => e,
    );
    expect(error).toBeInstanceOf(RetryableError);
    if (reply.status === 429) expect((error as RetryableError).afterMs).toBeGreaterThanOrEqual(7000);
    for (const s of secrets()) {
      expect((error as DeliveryError).message).not.toContain(s);
      expect(JSON.stringify(http.exchanges)).not.toContain(s);
    }
  });

  it('treats a timeout as retryable', async () => {
    receiver.respond(() => ({ status: 200, delayMs: 1500 }));
    const type = typesTaken.find((t) => t !== 'session.started') ?? typesTaken[0];
    const error = await connector
      .deliver(sampleFor(type), dest(), createHttp({ timeoutMs: 200, secrets: secrets() }), memoryContext())
      .then(() => undefined, (e) => e);
    expect(error).toBeInstanceOf(RetryableError);
  });

  it('masks every secret a service echoes back in its refusal', async () => {
    const echoed = secrets().join(' ');
    receiver.respond(() => ({ status: 400, body: { error: { message: `invalid request: ${echoed}` }, message: `invalid request: ${echoed}` } }));
    const type = typesTaken.find((t) => t !== 'session.started') ?? typesTaken[0];
    const http = createHttp();
    const error = await connector.deliver(sampleFor(type), dest(), http, memoryContext()).then(
      () => undefined,
      (e) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const said = `${(error as Error).message} ${JSON.stringify(http.exchanges)}`;
    for (const s of secrets()) expect(said).not.toContain(s);
  });

  it.each(typesTaken.map((t) => [t]))('sends %s exactly as its dry run shows it', async (type) => {
    const event = sampleFor(type);
    const now = () => new Date('2026-12-01T12:00:00.000Z');
    const dry = createHttp({ dryRun: true, secrets: secrets() });
    // What the dry run pretended the service answered, before masking.
    const pretended: Array<{ status: number; headers: Record<string, string>; body: string }> = [];
    const recording = { ...dry, request: async (req: HttpRequest) => {
      const res = await dry.request(req);
      pretended.push({ status: res.status, headers: res.headers, body: res.body });
      return res;
    } };
    const skipped = await connector.deliver(event, dest(), recording, memoryContext(now)).then(
      () => false,
      (e) => e instanceof SkipDelivery,
    );
    if (skipped) return;
    let next = 0;
    receiver.respond(() => pretended[next++] ?? { status: 500 });
    // A session kept from an earlier test would spare the real run its token request.
    forgetAllSessions();
    const real = createHttp({ secrets: secrets() });
    await connector.deliver(event, dest(), real, memoryContext(now)).catch(() => undefined);
    const shape = (x: { request: { method: string; url: string; body?: string } }) =>
      `${x.request.method} ${x.request.url}\n${x.request.body ?? ''}`.replace(/boundary=[-\w]+/, 'boundary=(random)');
    expect(real.exchanges.map(shape)).toEqual(dry.exchanges.map(shape));
  });
});
