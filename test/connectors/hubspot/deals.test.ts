import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PayloadValidationError, PermanentError, RetryableError } from '../../../src/connectors/core/errors.js';
import { hubspot, type HubspotSettings } from '../../../src/connectors/hubspot/index.js';
import type { Destination } from '../../../src/destinations/index.js';
import { resolveDestination } from '../../../src/config/destinations.js';
import { createHttp, type RecordingHttp } from '../../../src/delivery/http.js';
import { buildEnvelope, SAMPLES, type Envelope } from '../../../src/events/index.js';
import { memoryContext } from '../../helpers/context.js';
import { FakeHubspot } from './fake.js';

const TOKEN = 'pat-na1-4f1c2a9e-7b3d-4c55-9e0a-2d6f8b1c3e7a';
const TEMPLATE = '1001298';
const at = '2026-11-27T19:40:00.000Z';
const event = (type: string, data: Record<string, unknown>, id: string): Envelope => buildEnvelope({ type, data, timestamp: at, id });
const registered = event('user.registered', SAMPLES['user.registered'](), 'evt_reg');
const generated = event('video.generated', SAMPLES['video.generated'](), 'evt_gen');
const completed = event('video.completed', SAMPLES['video.completed'](), 'evt_done');
const failed = event('video.failed', SAMPLES['video.failed'](), 'evt_fail');

const STAGES = { 'user.registered': 'appointmentscheduled', 'video.generated': 'qualifiedtobuy', 'video.completed': 'presentationscheduled' };
const DEALS = { pipeline: 'default', stages: STAGES };

let fake: FakeHubspot;

function destination(settings: Record<string, unknown> = { deals: DEALS }): Destination<HubspotSettings> {
  return {
    name: 'crm',
    connector: 'hubspot',
    events: ['user.registered', 'video.*'],
    enabled: true,
    source: 'project',
    settings: hubspot.settings.parse({ accessToken: TOKEN, baseUrl: fake.origin, ...settings }),
  };
}
const lines = (http: RecordingHttp) => http.exchanges.map((x) => `${x.request.method} ${new URL(x.request.url).pathname} ${x.response?.status ?? x.error}`);
const onlyDeal = () => {
  expect(fake.deals.size).toBe(1);
  return [...fake.deals.values()][0];
};

beforeEach(async () => {
  fake = await FakeHubspot.start({ token: TOKEN, timelineTemplates: { [TEMPLATE]: ['eventType', 'videoTitle', 'videoUrl', 'videoDuration', 'videoModel', 'errorMessage'] } });
});
afterEach(() => fake.close());

describe('hubspot deals', () => {
  it('creates one deal at the first mapped stage, associated with the contact, and moves it forward', async () => {
    const ctx = memoryContext();
    const http = createHttp();
    await hubspot.deliver(registered, destination(), http, ctx);
    expect(lines(http)).toEqual([
      'POST /crm/objects/2026-03/contacts/batch/upsert 200',
      'POST /crm/objects/2026-03/deals/search 200',
      'POST /crm/objects/2026-03/deals 201',
    ]);
    const [contact] = fake.contacts.values();
    expect(JSON.parse(http.exchanges[1].request.body!)).toEqual({
      filterGroups: [
        {
          filters: [
            { propertyName: 'pipeline', operator: 'EQ', value: 'default' },
            { propertyName: 'associations.contact', operator: 'EQ', value: contact.id },
          ],
        },
      ],
      sorts: [{ propertyName: 'createdate', direction: 'ASCENDING' }],
      properties: ['dealname', 'dealstage', 'pipeline'],
      limit: 1,
    });
    expect(JSON.parse(http.exchanges[2].request.body!)).toEqual({
      properties: { dealname: 'Northwind Studio (vidhook)', pipeline: 'default', dealstage: 'appointmentscheduled' },
      associations: [{ to: { id: contact.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 3 }] }],
    });
    const deal = onlyDeal();
    expect(deal).toMatchObject({ contactIds: [contact.id], associationTypeIds: [3] });

    const later = createHttp();
    await hubspot.deliver(completed, destination(), later, ctx);
    expect(lines(later)).toEqual([
      'POST /crm/objects/2026-03/notes 201',
      `GET /crm/objects/2026-03/deals/${deal.id} 200`,
      `PATCH /crm/objects/2026-03/deals/${deal.id} 200`,
    ]);
    expect(JSON.parse(later.exchanges[2].request.body!)).toEqual({ properties: { dealstage: 'presentationscheduled' } });
    expect(onlyDeal().properties.dealstage).toBe('presentationscheduled');
  });

  it('never moves a deal backward: an earlier stage sends no deal request at all', async () => {
    const ctx = memoryContext();
    await hubspot.deliver(registered, destination(), createHttp(), ctx);
    await hubspot.deliver(completed, destination(), createHttp(), ctx);
    const http = createHttp();
    await hubspot.deliver(generated, destination(), http, ctx);
    expect(lines(http)).toEqual(['POST /crm/objects/2026-03/notes 201']);
    expect(onlyDeal().properties.dealstage).toBe('presentationscheduled');
  });

  it('leaves a stage a person set since: further on, or one the map does not name', async () => {
    const ctx = memoryContext();
    await hubspot.deliver(registered, destination(), createHttp(), ctx);
    onlyDeal().properties.dealstage = 'presentationscheduled';
    const http = createHttp();
    await hubspot.deliver(generated, destination(), http, ctx);
    expect(lines(http).filter((l) => l.includes('/deals'))).toEqual([`GET /crm/objects/2026-03/deals/${onlyDeal().id} 200`]);
    expect(onlyDeal().properties.dealstage).toBe('presentationscheduled');

    onlyDeal().properties.dealstage = 'closedlost';
    await hubspot.deliver(event('video.completed', SAMPLES['video.completed'](), 'evt_done_2'), destination(), createHttp(), ctx);
    expect(onlyDeal().properties.dealstage).toBe('closedlost');
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
  });

  it('finds the deal again by pipeline and contact when the memory is lost, instead of making a second', async () => {
    await hubspot.deliver(registered, destination(), createHttp(), memoryContext());
    const fresh = memoryContext();
    const http = createHttp();
    await hubspot.deliver(completed, destination(), http, fresh);
    expect(lines(http).filter((l) => l.includes('/deals'))).toEqual([
      'POST /crm/objects/2026-03/deals/search 200',
      `PATCH /crm/objects/2026-03/deals/${onlyDeal().id} 200`,
    ]);
    expect(onlyDeal().properties.dealstage).toBe('presentationscheduled');
    expect(fresh.state.map.get('deal:usr_8f3k2m')).toBe(onlyDeal().id);
  });

  it('makes a new deal when the remembered one was deleted', async () => {
    const ctx = memoryContext();
    await hubspot.deliver(registered, destination(), createHttp(), ctx);
    const [old] = fake.deals.keys();
    fake.deals.clear();
    const http = createHttp();
    await hubspot.deliver(completed, destination(), http, ctx);
    expect(lines(http).filter((l) => l.includes('/deals'))).toEqual([
      `GET /crm/objects/2026-03/deals/${old} 404`,
      'POST /crm/objects/2026-03/deals/search 200',
      'POST /crm/objects/2026-03/deals 201',
    ]);
    expect(onlyDeal().properties.dealstage).toBe('presentationscheduled');
  });

  it('makes one deal when several events of a new person are delivered at the same time', async () => {
    const ctx = memoryContext();
    await Promise.all([completed, generated, registered].map((e) => hubspot.deliver(e, destination(), createHttp(), ctx)));
    expect(fake.contacts.size).toBe(1);
    expect(onlyDeal().properties.dealstage).toBe('presentationscheduled');
  });

  it('names the deal from its template and takes the amount from the event', async () => {
    const deals = { ...DEALS, name: '{{ user.name }} – {{ video.title | default: "signup" }}', amount: 'video.durationSec' };
    await hubspot.deliver(completed, destination({ deals }), createHttp(), memoryContext());
    expect(onlyDeal().properties).toMatchObject({ dealname: 'Maya Chen – Product launch teaser', amount: '30', dealstage: 'presentationscheduled' });
    fake.deals.clear();
    await hubspot.deliver(completed, destination({ deals: { ...DEALS, amount: 49 } }), createHttp(), memoryContext());
    expect(onlyDeal().properties.amount).toBe('49');
  });

  it('names the deals scopes when HubSpot refuses a deal request without saying which', async () => {
    fake.injectOnce({ status: 403, body: { status: 'error', message: 'This app hasn\'t been granted all required scopes', category: 'MISSING_SCOPES' } }, (req) => req.url.includes('/deals'));
    const error = await hubspot.deliver(registered, destination(), createHttp(), memoryContext()).catch((e) => e);
    expect(error.message).toBe(
      "HubSpot refused the deal search (403: This app hasn't been granted all required scopes): give the token the scopes it lacks (crm.objects.deals.read/write)",
    );
  });

  it('leaves events the stage map does not name alone', async () => {
    const http = createHttp();
    await hubspot.deliver(failed, destination(), http, memoryContext());
    expect(lines(http)).toEqual(['POST /crm/objects/2026-03/contacts/batch/upsert 200', 'POST /crm/objects/2026-03/notes 201']);
  });

  it('fails for good, naming the stage, when HubSpot has no such stage in the pipeline', async () => {
    const error = await hubspot
      .deliver(registered, destination({ deals: { pipeline: 'default', stages: { 'user.registered': 'signedup' } } }), createHttp(), memoryContext())
      .catch((e) => e);
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect(error.message).toBe('HubSpot refused the deal creation: property dealstage: signedup is not a valid pipeline stage ID in pipeline default');
  });

  it('shows the deal search and creation in a dry run without sending or remembering anything', async () => {
    const http = createHttp({ dryRun: true });
    const ctx = memoryContext();
    await hubspot.deliver(registered, destination(), http, ctx);
    expect(lines(http)).toEqual([
      'POST /crm/objects/2026-03/contacts/batch/upsert 200',
      'POST /crm/objects/2026-03/deals/search 200',
      'POST /crm/objects/2026-03/deals 201',
    ]);
    expect(fake.requests).toHaveLength(0);
    expect(ctx.state.map.size).toBe(0);
  });

  it('checks in doctor that the pipeline and every mapped stage exist', async () => {
    await expect(hubspot.check!(destination(), createHttp(), memoryContext())).resolves.toBe(
      `authenticated to ${fake.origin} as pat-na1-…3e7a; contacts readable; deal pipeline "Sales Pipeline" has every mapped stage`,
    );
    expect(fake.requests.map((r) => r.url)).toEqual(['/crm/objects/2026-03/contacts?limit=1', '/crm/pipelines/2026-03/deals']);

    const wrongStage = await hubspot
      .check!(destination({ deals: { pipeline: 'default', stages: { 'video.completed': 'won' } } }), createHttp(), memoryContext())
      .catch((e) => e);
    expect(wrongStage).toBeInstanceOf(PermanentError);
    expect(wrongStage.message).toMatch(/^deals\.stages\.video\.completed "won" is not a stage of the pipeline "Sales Pipeline"; its stages: appointmentscheduled \(appointmentscheduled\), qualifiedtobuy/);

    const wrongPipeline = await hubspot.check!(destination({ deals: { pipeline: 'renewals', stages: STAGES } }), createHttp(), memoryContext()).catch((e) => e);
    expect(wrongPipeline.message).toBe('deals.pipeline "renewals" is not a deal pipeline of this account; its pipelines: default (Sales Pipeline)');
    await hubspot.check!(destination({ apiVersion: 'v3', deals: DEALS }), createHttp(), memoryContext());
    expect(fake.requests.at(-1)!.url).toBe('/crm/v3/pipelines/deals');
  });

  it('refuses a stage map whose key is not an event type, naming the key', () => {
    const resolve = (deals: unknown) =>
      resolveDestination({ name: 'crm', source: 'project', file: 'vidhook.yml', body: { connector: 'hubspot', accessToken: TOKEN, deals } });
    expect(() => resolve({ pipeline: 'default', stages: { 'video.complete': 'qualifiedtobuy' } })).toThrow(
      'vidhook.yml, destination "crm", setting "deals.stages.video.complete": "video.complete" is not an event type; use one of',
    );
    expect(() => resolve({ pipeline: 'default', stages: {} })).toThrow('setting "deals.stages": must map at least one event type to a deal stage id');
    expect(() => resolve({ stages: STAGES })).toThrow('setting "deals.pipeline": is required');
    expect(() => resolve({ pipeline: 'default', stages: STAGES, name: '{{ user.name' })).toThrow(/setting "deals\.name": is not a valid template/);
    expect(() => resolve({ pipeline: 'default', stages: STAGES, amount: -1 })).toThrow(/setting "deals\.amount"/);
  });
});

describe('hubspot timeline events', () => {
  const timeline = { timeline: { eventTemplateId: TEMPLATE } };

  it('writes each event on the contact timeline with the event id, email and tokens', async () => {
    const ctx = memoryContext();
    const http = createHttp();
    await hubspot.deliver(completed, destination(timeline), http, ctx);
    expect(lines(http)).toEqual([
      'POST /crm/objects/2026-03/contacts/batch/upsert 200',
      'POST /crm/objects/2026-03/notes 201',
      'POST /integrators/timeline/v3/events 200',
    ]);
    expect(JSON.parse(http.exchanges[2].request.body!)).toEqual({
      eventTemplateId: TEMPLATE,
      id: 'evt_done',
      email: 'maya.chen@example.com',
      timestamp: at,
      tokens: {
        eventType: 'video.completed',
        videoTitle: 'Product launch teaser',
        videoUrl: 'https://cdn.example.com/videos/vid_2xq9c7.mp4',
        videoDuration: 30,
        videoModel: 'gen-4-turbo',
      },
    });
    expect([...fake.timeline.keys()]).toEqual(['evt_done']);

    await hubspot.deliver(failed, destination(timeline), createHttp(), ctx);
    expect(fake.timeline.get('evt_fail')!.tokens).toMatchObject({ eventType: 'video.failed', errorMessage: expect.any(String) });
  });

  it('takes a 409 for an id already on the timeline as success, so a retry adds no second entry', async () => {
    await hubspot.deliver(completed, destination(timeline), createHttp(), memoryContext());
    const http = createHttp();
    await hubspot.deliver(completed, destination(timeline), http, memoryContext());
    expect(lines(http).at(-1)).toBe('POST /integrators/timeline/v3/events 409');
    expect(fake.timeline.size).toBe(1);

    // With the memory kept, a repeated event sends nothing at all.
    const ctx = memoryContext();
    await hubspot.deliver(registered, destination(timeline), createHttp(), ctx);
    const again = createHttp();
    await hubspot.deliver(registered, destination(timeline), again, ctx);
    expect(lines(again)).toEqual(['POST /crm/objects/2026-03/contacts/batch/upsert 200']);
  });

  it('names the contact by id when the event carries no email', async () => {
    const ctx = memoryContext();
    await hubspot.deliver(registered, destination(timeline), createHttp(), ctx);
    const anonymous = event('video.generated', { video: { id: 'v1', title: 'Draft' }, user: { id: 'usr_8f3k2m' } }, 'evt_anon');
    await hubspot.deliver(anonymous, destination(timeline), createHttp(), ctx);
    const [contact] = fake.contacts.values();
    expect(fake.timeline.get('evt_anon')).toMatchObject({ objectId: contact.id, email: undefined, tokens: { eventType: 'video.generated', videoTitle: 'Draft' } });
  });

  it('fails for good when the template does not exist, and retries only the timeline event after a 5xx', async () => {
    const missing = await hubspot.deliver(completed, destination({ timeline: { eventTemplateId: '42' } }), createHttp(), memoryContext()).catch((e) => e);
    expect(missing).toBeInstanceOf(PermanentError);
    expect(missing.message).toBe('HubSpot refused the timeline event (HTTP 404 OBJECT_NOT_FOUND): Event template 42 not found');

    const ctx = memoryContext();
    await hubspot.deliver(registered, destination(), createHttp(), ctx);
    const notes = fake.notes.size;
    fake.injectOnce({ status: 502, body: { status: 'error', message: 'Bad gateway' } }, (req) => req.url.startsWith('/integrators/'));
    const error = await hubspot.deliver(completed, destination(timeline), createHttp(), ctx).catch((e) => e);
    expect(error).toBeInstanceOf(RetryableError);
    const retry = createHttp();
    await hubspot.deliver(completed, destination(timeline), retry, ctx);
    expect(lines(retry)).toEqual(['POST /integrators/timeline/v3/events 200']);
    expect(fake.notes.size).toBe(notes + 1);
    expect(fake.timeline.size).toBe(1);
  });
});
