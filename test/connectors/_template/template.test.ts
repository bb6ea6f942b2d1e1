import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { template, type TemplateSettings } from '../../../src/connectors/_template/index.js';
import { AuthError, PermanentError, SkipDelivery } from '../../../src/connectors/core/index.js';
import { createHttp } from '../../../src/delivery/http.js';
import { buildEnvelope, SAMPLES } from '../../../src/events/index.js';
import { memoryContext } from '../../helpers/context.js';
import { FAKE_API_KEY, startFakeService, type FakeService } from './fake.js';

let fake: FakeService;
beforeAll(async () => {
  fake = await startFakeService();
});
afterAll(() => fake.close());

const dest = (apiKey = FAKE_API_KEY) => ({ name: 'tmpl', settings: template.settings.parse({ apiKey, baseUrl: fake.origin }) as TemplateSettings });
const sample = (type: 'user.registered' | 'video.completed' | 'session.started') => buildEnvelope({ type, data: SAMPLES[type]() });

describe('template connector', () => {
  it('upserts the contact, then notes a completed video on it once however often it is retried', async () => {
    const ctx = memoryContext();
    await template.deliver(sample('user.registered'), dest(), createHttp(), ctx);
    const video = sample('video.completed');
    await template.deliver(video, dest(), createHttp(), ctx);
    await template.deliver(video, dest(), createHttp(), ctx);
    expect(fake.contacts.size).toBe(1);
    expect(fake.notes.filter((n) => n.externalId === video.id)).toHaveLength(1);
  });

  it('finds the contact by the user id when it has not remembered its own id', async () => {
    await template.deliver(sample('user.registered'), dest(), createHttp(), memoryContext());
    const video = sample('video.completed');
    const http = createHttp();
    await template.deliver(video, dest(), http, memoryContext());
    expect(http.exchanges[0].request.url).toContain('/v1/contacts/external:');
    expect(fake.notes.filter((n) => n.externalId === video.id)).toHaveLength(1);
  });

  it('fails for a person the service does not know, without retrying forever', async () => {
    const stranger = buildEnvelope({ type: 'video.completed', data: { ...SAMPLES['video.completed'](), user: { id: 'usr_nobody' } } });
    const error = await template.deliver(stranger, dest(), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toContain('the note failed: not_found');
  });

  it('names a refused key without repeating it', async () => {
    const wrong = 'tmpl_live_wrongwrongwrong';
    const error = (await template.deliver(sample('user.registered'), dest(wrong), createHttp(), memoryContext()).catch((e) => e)) as Error;
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(/contact upsert failed: unauthorized.*check apiKey/);
    expect(error.message).not.toContain(wrong);
  });

  it('skips what it does not map, with its reason', async () => {
    const error = await template.deliver(sample('session.started'), dest(), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(SkipDelivery);
    expect((error as SkipDelivery).reason).toBe('sessions would flood the contact timeline');
  });

  it('checks the key with a cheap read', async () => {
    expect(await template.check!(dest(), createHttp(), memoryContext())).toContain('authenticated');
  });
});
