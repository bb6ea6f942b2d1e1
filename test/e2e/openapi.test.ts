import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { startDaemon, eventually, type DaemonProcess } from '../helpers/daemon.js';
import { checkedFetch, checkExchange } from '../helpers/openapi.js';
import { openApiDocument } from '../../src/server/openapi.js';

const TOKEN = 'openapi-test-token';
const video = (id: string) => ({ type: 'video.generated', id, data: { video: { id: 'v1', title: 'Teaser' }, user: { id: 'u1' } } });

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 for a standard validator, which refuses a broken one', async () => {
    const document = openApiDocument('1.2.3');
    expect(await new Validator().validate(document)).toEqual({ valid: true });
    const broken = structuredClone(document) as { paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>> };
    delete broken.paths['/api/events'].post.responses['202'].description;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('describes each built-in event type from its zod schema, down to the required fields', () => {
    const { components } = openApiDocument('1.2.3') as { components: { schemas: Record<string, any> } };
    const completed = components.schemas.VideoCompletedEvent;
    expect(completed.properties.type.const).toBe('video.completed');
    expect(completed.properties.data.required).toEqual(['video', 'user']);
    expect(completed.properties.data.properties.video.required).toEqual(['id', 'title', 'url']);
    expect(components.schemas.User.properties.email.pattern).toBe('^[^@\\s]+@[^@\\s]+$');
    expect(components.schemas.Event.anyOf).toHaveLength(7);
  });

  it('refuses an answer it does not describe: a field too many, a status not listed, another content type, an unknown route', async () => {
    const delivery = { id: 'dlv_1', eventId: 'evt_1', eventType: 'video.generated', destination: 'd', state: 'pending', attempts: 0, nextAt: 1, createdAt: 1, updatedAt: 1 };
    const answer = (status: number, body: unknown, contentType = 'application/json; charset=utf-8') => ({
      method: 'GET', url: '/api/deliveries', status, contentType, body: JSON.stringify(body),
    });
    await expect(checkExchange(answer(200, { deliveries: [delivery], next: null }))).resolves.toBeUndefined();
    await expect(checkExchange(answer(200, { deliveries: [{ ...delivery, extra: 1 }], next: null }))).rejects.toThrow(/\/deliveries\/0 must NOT have additional properties/);
    await expect(checkExchange(answer(200, { deliveries: [{ ...delivery, state: 'lost' }], next: null }))).rejects.toThrow(/\/deliveries\/0\/state must be equal to one of the allowed values/);
    await expect(checkExchange(answer(201, { deliveries: [], next: null }))).rejects.toThrow(/lists no 201 answer for GET \/api\/deliveries/);
    await expect(checkExchange(answer(200, { deliveries: [], next: null }, 'text/html'))).rejects.toThrow(/content type text\/html is not one the document lists/);
    await expect(checkExchange({ ...answer(200, {}), url: '/api/nowhere' })).rejects.toThrow(/has no operation GET \/api\/nowhere/);
    await expect(checkExchange(answer(404, { error: { code: 'not_found' } }))).rejects.toThrow(/\/error must have required property 'message'/);
  });
});

describe('the daemon and its OpenAPI document', () => {
  let box: Sandbox;
  let receiver: Receiver;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    box = sandbox({ VIDHOOK_TOKEN: TOKEN });
    receiver = await startReceiver();
    box.writeConfig(`
events:
  custom: [course.finished]
destinations:
  partner:
    connector: webhook
    url: ${receiver.url}
    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
`);
    daemon = await startDaemon(box, [], TOKEN);
  });
  afterAll(async () => {
    await daemon.stop();
    await receiver.close();
    box.cleanup();
  });

  it('serves the document at /api/openapi.json without a token, the one `vidhook openapi` prints', async () => {
    const served = await checkedFetch(`${daemon.url}/api/openapi.json`);
    expect(served.status).toBe(200);
    const document = (await served.json()) as { info: { version: string } };
    expect(await new Validator().validate(document)).toEqual({ valid: true });
    const printed = await box.run(['openapi']);
    expect(printed.exitCode).toBe(0);
    expect(JSON.parse(printed.stdout)).toEqual(document);
    expect(document).toEqual(openApiDocument(document.info.version));
  });

  it('answers as documented on the routes the other tests leave out', async () => {
    const accepted = await daemon.request('POST', '/api/events', {
      events: [video('evt_oa1'), { type: 'course.finished', id: 'evt_oa2', data: { course: 'intro' }, to: ['partner'] }],
    });
    expect(accepted.status).toBe(202);
    const stream = await checkedFetch(`${daemon.url}/api/deliveries/stream`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(stream.status).toBe(200);
    await stream.body?.cancel();
    await receiver.waitFor(2);
    const { deliveries } = await eventually(async () => {
      const page = await daemon.request('GET', '/api/deliveries?status=succeeded');
      return page.body.deliveries.length === 2 && page.body;
    });
    expect((await daemon.request('GET', `/api/deliveries/${deliveries[0].id}`)).body.attempts[0].exchanges[0].response.status).toBe(200);
    expect((await daemon.request('POST', `/api/deliveries/${deliveries[0].id}/retry`)).status).toBe(202);
    expect((await daemon.request('POST', '/api/deliveries/retry', { status: 'failed', destination: 'partner' })).status).toBe(202);
    expect((await daemon.request('POST', '/api/replay', { destination: 'partner', since: '1h', dryRun: true })).body).toMatchObject({ destination: 'partner', events: 0, dryRun: true });
    expect((await daemon.request('GET', '/api/attempts?status=ok&limit=5')).status).toBe(200);
    expect((await daemon.request('GET', '/api/events/evt_oa2')).body.event.data).toEqual({ course: 'intro' });
    expect((await daemon.request('GET', '/readyz')).body.ready).toBe(true);
    expect((await daemon.request('GET', '/metrics')).headers.get('content-type')).toMatch(/^text\/plain/);
    expect((await daemon.request('GET', '/api/integrations/zapier/samples/course.finished')).status).toBe(200);
    expect((await daemon.request('GET', '/api/deliveries/dlv_nothing')).status).toBe(404);
    expect((await daemon.request('PUT', '/api/events')).status).toBe(405);
    expect((await daemon.request('GET', '/api/events/evt_oa1', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
  });
});
