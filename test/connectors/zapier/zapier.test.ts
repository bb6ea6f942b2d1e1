import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { zapier, zapierPayload } from '../../../src/connectors/zapier/index.js';
import type { ZapierSettings } from '../../../src/connectors/zapier/index.js';
import { EndpointGoneError, PermanentError, RetryableError } from '../../../src/connectors/core/errors.js';
import { secretKeys } from '../../../src/connectors/core/settings.js';
import type { Destination } from '../../../src/destinations/index.js';
import { createHttp } from '../../../src/delivery/http.js';
import { memoryContext } from '../../helpers/context.js';
import { startReceiver } from '../../helpers/receiver.js';
import { startFakeZapier, type FakeZapier } from './fake.js';
import { goldenEvent, messagingCases } from '../messaging-cases.js';

function destination(hookUrl: string): Destination<ZapierSettings> {
  return { name: 'zap', connector: 'zapier', events: zapier.defaultEvents, enabled: true, source: 'runtime', settings: { hookUrl } };
}

describe('zapier payload', () => {
  it('is the flat event envelope: id, type, timestamp and data, nothing else', () => {
    const event = { ...goldenEvent(), extra: 'not part of the envelope' };
    const payload = zapierPayload(event);
    expect(Object.keys(payload)).toEqual(['id', 'type', 'timestamp', 'data']);
    expect(payload).toEqual({ id: 'evt_01JDX8GOLDEN', type: 'video.completed', timestamp: '2026-11-27T19:40:00.000Z', data: goldenEvent().data });
  });
});

describe('zapier connector against a fake Catch Hook', () => {
  let fake: FakeZapier;
  beforeEach(async () => {
    fake = await startFakeZapier();
  });
  afterEach(() => fake.close());

  it.each(messagingCases())('delivers $name as exactly the sample payload', async ({ event }) => {
    const http = createHttp();
    await zapier.deliver(event, destination(fake.hookUrl), http, memoryContext());
    expect(fake.caught).toEqual([JSON.parse(JSON.stringify(zapierPayload(event)))]);
    expect(fake.receiver.requests[0].headers['content-type']).toBe('application/json');
    expect(JSON.parse(http.exchanges[0].response!.body)).toMatchObject({ status: 'success' });
  });

  it('stops on 410 Gone: the Zap is off', async () => {
    fake.turnOff();
    const error = await zapier.deliver(goldenEvent(), destination(fake.hookUrl), createHttp(), memoryContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointGoneError);
    expect((error as Error).message).toMatch(/410 Gone: the Zap is off or deleted/);
  });

  it('never records or reports the hook URL unmasked', async () => {
    const http = createHttp();
    await zapier.deliver(goldenEvent(), destination(fake.hookUrl), http, memoryContext());
    fake.turnOff();
    const error = (await zapier.deliver(goldenEvent(), destination(fake.hookUrl), http, memoryContext()).catch((e: unknown) => e)) as Error;
    for (const leak of [fake.hookUrl, '1234567/3b9xq7k']) {
      expect(JSON.stringify(http.exchanges)).not.toContain(leak);
      expect(error.message).not.toContain(leak);
    }
  });

  it('sends nothing on a dry run', async () => {
    const http = createHttp({ dryRun: true });
    await zapier.deliver(goldenEvent(), destination(fake.hookUrl), http, memoryContext());
    expect(fake.receiver.requests).toHaveLength(0);
    expect(JSON.parse(http.exchanges[0].request.body!)).toEqual(zapierPayload(goldenEvent()));
  });
});

describe('zapier responses from other servers', () => {
  it.each([
    [429, { 'retry-after': '30' }, RetryableError, 30_000],
    [503, {}, RetryableError, undefined],
    [400, {}, PermanentError, undefined],
  ])('classifies HTTP %i', async (status, headers, kind, afterMs) => {
    const receiver = await startReceiver(() => ({ status, headers, body: { status: 'failure' } }));
    try {
      const error = await zapier.deliver(goldenEvent(), destination(`${receiver.origin}/hooks/catch/1/abcdef/`), createHttp(), memoryContext()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(kind);
      expect((error as RetryableError).afterMs).toBe(afterMs);
    } finally {
      await receiver.close();
    }
  });
});

describe('zapier settings', () => {
  it('marks the hook URL secret and takes every event by default', () => {
    expect(secretKeys(zapier.settings)).toEqual(['hookUrl']);
    expect(zapier.defaultEvents).toEqual(['*']);
  });

  it.each([
    ['https://hooks.zapier.com/hooks/catch/123456/abcdef/', []],
    ['https://hooks.zapier.com/hooks/standard/123456/0b7e4e2c-1b9c-4f2a-9a57-1d2f3c4b5a69/', []],
    ['https://hooks.zapier.com/other/123', [/Catch Hook/]],
    ['https://example.com/hooks/catch/1/2/', [/not Zapier’s/]],
  ])('warns about %s as needed', (hookUrl, expected) => {
    const warnings = zapier.warnings!(zapier.settings.parse({ hookUrl }) as ZapierSettings);
    expect(warnings).toHaveLength(expected.length);
    expected.forEach((pattern, i) => expect(warnings[i]).toMatch(pattern));
  });
});
