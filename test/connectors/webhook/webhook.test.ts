import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { webhook } from '../../../src/connectors/webhook/index.js';
import { createHttp } from '../../../src/delivery/http.js';
import { buildEnvelope, SAMPLES } from '../../../src/events/index.js';
import { generateSecret } from '../../../src/signing/standard-webhooks.js';
import { EndpointGoneError, PermanentError, RetryableError } from '../../../src/connectors/core/errors.js';
import type { Destination } from '../../../src/destinations/index.js';
import type { WebhookSettings } from '../../../src/connectors/webhook/index.js';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import { memoryContext } from '../../helpers/context.js';

const event = buildEnvelope({ type: 'video.completed', data: SAMPLES['video.completed']() });

function destination(url: string, settings: Partial<WebhookSettings> = {}): Destination<WebhookSettings> {
  return { name: 'partner', connector: 'webhook', events: ['*'], enabled: true, source: 'user', settings: { url, ...settings } };
}

describe('webhook connector', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(() => receiver.close());

  it('sends the envelope signed so standardwebhooks and svix both verify it', async () => {
    const secret = generateSecret();
    await webhook.deliver(event, destination(receiver.url, { secret }), createHttp(), memoryContext());
    const [req] = receiver.requests;
    expect(req.headers['webhook-id']).toBe(event.id);
    expect(req.headers['content-type']).toBe('application/json');
    expect(new StandardWebhook(secret).verify(req.body, req.headers)).toEqual(event);
    expect(() => new SvixWebhook(secret).verify(req.body, req.headers)).not.toThrow();
  });

  it('signs with the previous secret too while a rotation overlaps', async () => {
    const [oldSecret, newSecret] = [generateSecret(), generateSecret()];
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const dest = destination(receiver.url, { secret: newSecret, previousSecrets: [{ secret: oldSecret, expiresAt }] });
    await webhook.deliver(event, dest, createHttp(), memoryContext());
    const [req] = receiver.requests;
    expect(req.headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const s of [oldSecret, newSecret]) {
      expect(() => new StandardWebhook(s).verify(req.body, req.headers)).not.toThrow();
      expect(() => new SvixWebhook(s).verify(req.body, req.headers)).not.toThrow();
    }
    expect(() => new StandardWebhook(generateSecret()).verify(req.body, req.headers)).toThrow();
  });

  it('drops an expired previous secret', async () => {
    const dest = destination(receiver.url, {
      secret: generateSecret(),
      previousSecrets: [{ secret: generateSecret(), expiresAt: new Date(Date.now() - 1000).toISOString() }],
    });
    await webhook.deliver(event, dest, createHttp(), memoryContext());
    expect(receiver.requests[0].headers['webhook-signature'].split(' ')).toHaveLength(1);
  });

  it('generates a secret once and keeps it when none is configured', async () => {
    const ctx = memoryContext();
    await webhook.deliver(event, destination(receiver.url), createHttp(), ctx);
    await webhook.deliver(event, destination(receiver.url), createHttp(), ctx);
    const kept = ctx.state.map.get('generated-secret')!;
    expect(kept).toMatch(/^whsec_/);
    for (const req of receiver.requests) expect(() => new StandardWebhook(kept).verify(req.body, req.headers)).not.toThrow();
  });

  it('never records the secret in the exchange log', async () => {
    const secret = generateSecret();
    const http = createHttp();
    await webhook.deliver(event, destination(receiver.url, { secret, headers: { 'x-api-key': secret } }), http, memoryContext());
    expect(JSON.stringify(http.exchanges)).not.toContain(secret.slice(6));
  });

  it.each([
    [500, RetryableError],
    [429, RetryableError],
    [408, RetryableError],
    [400, PermanentError],
    [410, EndpointGoneError],
    [301, PermanentError],
  ])('classifies HTTP %i', async (status, kind) => {
    receiver.respond(() => ({ status, headers: { location: 'https://elsewhere.example/' } }));
    const failure = webhook.deliver(event, destination(receiver.url, { secret: generateSecret() }), createHttp(), memoryContext());
    await expect(failure).rejects.toBeInstanceOf(kind);
  });

  it('reads Retry-After on a 429', async () => {
    receiver.respond(() => ({ status: 429, headers: { 'retry-after': '7' } }));
    const error = await webhook
      .deliver(event, destination(receiver.url, { secret: generateSecret() }), createHttp(), memoryContext())
      .catch((e) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.afterMs).toBe(7000);
  });

  it('treats a timeout and a reset connection as retryable', async () => {
    receiver.respond(() => ({ delayMs: 2000 }));
    const slow = webhook.deliver(event, destination(receiver.url), createHttp({ timeoutMs: 300 }), memoryContext());
    await expect(slow).rejects.toThrow(/timed out/);
    receiver.respond(() => ({ reset: true }));
    const reset = webhook.deliver(event, destination(receiver.url), createHttp(), memoryContext());
    await expect(reset).rejects.toBeInstanceOf(RetryableError);
  });

  it('refuses a loopback target when only public targets are allowed', async () => {
    const refused = webhook.deliver(event, destination(receiver.url), createHttp({ publicTargetsOnly: true }), memoryContext());
    await expect(refused).rejects.toBeInstanceOf(PermanentError);
    expect(receiver.requests).toHaveLength(0);
  });
});
