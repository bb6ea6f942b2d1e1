import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, PayloadValidationError, PermanentError, RetryableError, SkipDelivery } from '../../../src/connectors/core/errors.js';
import { hubspot, type HubspotSettings } from '../../../src/connectors/hubspot/index.js';
import { LinkedRecordGoneError, msUntilDailyReset } from '../../../src/connectors/hubspot/errors.js';
import { hubspotOrigin } from '../../../src/connectors/hubspot/host.js';
import type { Destination } from '../../../src/destinations/index.js';
import { createHttp, type RecordingHttp } from '../../../src/delivery/http.js';
import { buildEnvelope, SAMPLES, type Envelope } from '../../../src/events/index.js';
import { memoryContext } from '../../helpers/context.js';
import { FakeHubspot } from './fake.js';

const TOKEN = 'pat-eu1-4f1c2a9e-7b3d-4c55-9e0a-2d6f8b1c3e7a';
const at = '2026-11-27T19:40:00.000Z';
const event = (type: string, data: Record<string, unknown>, id?: string): Envelope =>
  buildEnvelope({ type, data, timestamp: at, id }, { customTypes: ['video.shared'] });
const registered = event('user.registered', SAMPLES['user.registered'](), 'evt_registered_1');
const completed = event('video.completed', SAMPLES['video.completed'](), 'evt_completed_1');
const VIDEO_URL = 'https://cdn.example.com/videos/vid_2xq9c7.mp4';

let fake: FakeHubspot;

function destination(settings: Record<string, unknown> = {}): Destination<HubspotSettings> {
  return {
    name: 'crm-hubspot',
    connector: 'hubspot',
    events: hubspot.defaultEvents,
    enabled: true,
    source: 'project',
    settings: hubspot.settings.parse({ accessToken: TOKEN, baseUrl: fake.origin, ...settings }),
  };
}
const lines = (http: RecordingHttp) => http.exchanges.map((x) => `${x.request.method} ${new URL(x.request.url).pathname} ${x.response?.status ?? x.error}`);

beforeEach(async () => {
  fake = await FakeHubspot.start({ token: TOKEN, customProperties: ['vidhook_plan'] });
});
afterEach(() => fake.close());

describe('hubspot connector', () => {
  it('upserts the contact by email, then adds one note with the video link to it', async () => {
    const http = createHttp();
    const ctx = memoryContext();
    await hubspot.deliver(registered, destination(), http, ctx);
    await hubspot.deliver(completed, destination(), http, ctx);

    expect(lines(http)).toEqual(['POST /crm/objects/2026-03/contacts/batch/upsert 200', 'POST /crm/objects/2026-03/notes 201']);
    const [upsert, note] = fake.requests;
    expect(upsert.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(upsert.json()).toEqual({
      inputs: [
        {
          idProperty: 'email',
          id: 'maya.chen@example.com',
          properties: { firstname: 'Maya', lastname: 'Chen', phone: '+1 415 555 0134', company: 'Northwind Studio', city: 'San Francisco', country: 'US' },
        },
      ],
    });
    const [contact] = fake.contacts.values();
    expect(note.json()).toEqual({
      properties: {
        hs_timestamp: at,
        hs_note_body:
          '<p><strong>Video completed: Product launch teaser</strong></p><p>' +
          [
            `Video: <a href="${VIDEO_URL}">${VIDEO_URL}</a>`,
            'Video id: vid_2xq9c7',
            'Prompt: Slow dolly shot across a sunlit studio, spring jackets on mannequins, soft film grain',
            'Model: gen-4-turbo',
            'Duration: 30 s',
            `vidhook event evt_completed_1 (video.completed, ${at})`,
          ].join('<br>') +
          '</p>',
      },
      associations: [{ to: { id: contact.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 202 }] }],
    });
    expect(fake.contacts.size).toBe(1);
    expect([...fake.notes.values()]).toEqual([expect.objectContaining({ contactIds: [contact.id], associationTypeIds: [202] })]);
    expect(ctx.state.map.get('contact:usr_8f3k2m')).toBe(contact.id);
  });

  it('creates no duplicate contact or note when the same events arrive again', async () => {
    const ctx = memoryContext();
    await hubspot.deliver(registered, destination(), createHttp(), ctx);
    await hubspot.deliver(completed, destination(), createHttp(), ctx);
    const again = createHttp();
    await hubspot.deliver(registered, destination(), again, ctx);
    await hubspot.deliver(completed, destination(), again, ctx);
    expect(fake.contacts.size).toBe(1);
    expect(fake.notes.size).toBe(1);
    expect(lines(again)).toEqual(['POST /crm/objects/2026-03/contacts/batch/upsert 200']);
  });

  it('upserts the contact from a video event of a user HubSpot does not know yet', async () => {
    const ctx = memoryContext();
    const failed = event('video.failed', {
      video: { id: 'vid_9', title: 'Winter <promo>' },
      error: { code: 'timeout', message: 'Rendering timed out' },
      user: { id: 'usr_new', email: 'Sam@Example.org', name: 'Sam Rivera' },
    }, 'evt_failed_1');
    const http = createHttp();
    await hubspot.deliver(failed, destination(), http, ctx);
    expect(lines(http)).toEqual(['POST /crm/objects/2026-03/contacts/batch/upsert 200', 'POST /crm/objects/2026-03/notes 201']);
    const [contact] = fake.contacts.values();
    expect(contact.properties).toEqual({ email: 'sam@example.org', firstname: 'Sam', lastname: 'Rivera' });
    const [note] = fake.notes.values();
    expect(note.properties.hs_note_body).toBe(
      `<p><strong>Video generation failed: Winter &lt;promo&gt;</strong></p><p>Video id: vid_9<br>Error: timeout: Rendering timed out<br>vidhook event evt_failed_1 (video.failed, ${at})</p>`,
    );
  });

  it('waits for the registration when a video event of an unknown user carries no email', async () => {
    const anonymous = event('video.completed', { video: { id: 'v', title: 'T', url: 'https://v.example/v.mp4' }, user: { id: 'usr_x' } });
    const error = await hubspot.deliver(anonymous, destination(), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toBe(
      "HubSpot has no contact for user usr_x yet and this video.completed carries no user.email; it waits for the user's user.registered delivery",
    );
    expect(fake.requests).toHaveLength(0);
  });

  it('upserts afresh when the remembered contact was deleted', async () => {
    const ctx = memoryContext();
    await hubspot.deliver(registered, destination(), createHttp(), ctx);
    fake.contacts.clear();
    const http = createHttp();
    await hubspot.deliver(completed, destination(), http, ctx);
    expect(lines(http)).toEqual([
      'POST /crm/objects/2026-03/notes 400',
      'POST /crm/objects/2026-03/contacts/batch/upsert 200',
      'POST /crm/objects/2026-03/notes 201',
    ]);
    const [contact] = fake.contacts.values();
    expect([...fake.notes.values()][0].contactIds).toEqual([contact.id]);
  });

  it('sends configured extra properties and names a property HubSpot does not have', async () => {
    await hubspot.deliver(registered, destination({ contactProperties: { vidhook_plan: 'user.plan' } }), createHttp(), memoryContext());
    expect([...fake.contacts.values()][0].properties.vidhook_plan).toBe('pro');
    const error = await hubspot
      .deliver(registered, destination({ contactProperties: { vidhook_signup_ip: 'context.ip' } }), createHttp(), memoryContext())
      .catch((e) => e);
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect(error.message).toBe('HubSpot refused the contact upsert: property vidhook_signup_ip: Property "vidhook_signup_ip" does not exist');
  });

  it('uses the legacy v3 paths when apiVersion is v3', async () => {
    const http = createHttp();
    const ctx = memoryContext();
    await hubspot.deliver(registered, destination({ apiVersion: 'v3' }), http, ctx);
    await hubspot.deliver(completed, destination({ apiVersion: 'v3' }), http, ctx);
    expect(lines(http)).toEqual(['POST /crm/v3/objects/contacts/batch/upsert 200', 'POST /crm/v3/objects/notes 201']);
  });

  it('waits out the ten-second window, as the rate-limit headers say', async () => {
    await fake.close();
    fake = await FakeHubspot.start({ token: TOKEN, perWindow: 3, windowMs: 10_000 });
    const ctx = memoryContext();
    await hubspot.deliver(registered, destination(), createHttp(), ctx);
    await hubspot.deliver(completed, destination(), createHttp(), ctx);
    const error = await hubspot
      .deliver(event('video.failed', SAMPLES['video.failed'](), 'evt_f'), destination(), createHttp(), ctx)
      .then(() => hubspot.deliver(event('video.generated', SAMPLES['video.generated'](), 'evt_g'), destination(), createHttp(), ctx))
      .catch((e) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ rateLimited: true, afterMs: 10_000, status: 429 });
    expect(error.message).toBe('HubSpot rate limit (TEN_SECONDLY_ROLLING): You have reached your ten_secondly_rolling limit.');
    expect(fake.notes.size).toBe(2);
  });

  it.each([
    ['SECONDLY without Retry-After', { policyName: 'SECONDLY' }, {}, 1000],
    ['TEN_SECONDLY_ROLLING with Retry-After', { policyName: 'TEN_SECONDLY_ROLLING' }, { 'retry-after': '3' }, 3000],
  ])('reads a 429 %s', async (_, body, headers, afterMs) => {
    fake.injectOnce({ status: 429, body: { status: 'error', message: 'limit', errorType: 'RATE_LIMIT', ...body }, headers });
    const error = await hubspot.deliver(registered, destination(), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toMatchObject({ rateLimited: true, afterMs });
  });

  it('pauses until the daily window resets, at midnight in the account time zone', async () => {
    fake.dailyExhausted = true;
    const now = new Date('2026-11-27T21:30:00.000Z'); // 22:30 in Berlin
    const ctx = memoryContext(() => now);
    const error = await hubspot.deliver(registered, destination({ timeZone: 'Europe/Berlin' }), createHttp(), ctx).catch((e) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ rateLimited: true, status: 429, afterMs: 90 * 60_000 + 60_000 });
    expect(error.message).toMatch(/daily API limit is used up \(DAILY\); paused until it resets at midnight Europe\/Berlin/);
    // Without the zone: probe just after the next full hour, never sooner.
    const unknownZone = await hubspot.deliver(registered, destination(), createHttp(), ctx).catch((e) => e);
    expect(unknownZone.afterMs).toBe(31 * 60_000);
    expect(fake.requests).toHaveLength(2);
  });

  it.each([
    ['a revoked token', 401, { status: 'error', message: 'expired', category: 'EXPIRED_AUTHENTICATION' }, AuthError, /set accessToken to the current token/],
    ['missing scopes', 403, { status: 'error', message: 'This app hasn\'t been granted all required scopes', category: 'MISSING_SCOPES', errors: [{ message: 'missing', context: { requiredGranularScopes: ['crm.objects.contacts.write'] } }] }, AuthError, /give the token the scopes it lacks \(crm\.objects\.contacts\.write\)/],
    ['a server error', 502, { status: 'error', message: 'Bad gateway' }, RetryableError, /HTTP 502/],
    ['a conflict', 409, { status: 'error', message: 'Contact already exists. Existing ID: 123', category: 'CONFLICT' }, PermanentError, /HTTP 409 CONFLICT/],
  ])('classifies %s', async (_, status, body, kind, message) => {
    fake.injectOnce({ status, body });
    const error = await hubspot.deliver(registered, destination(), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(kind);
    expect(error.message).toMatch(message);
  });

  it('refuses a wrong token without repeating it', async () => {
    const wrong = 'pat-na1-00000000-1111-2222-3333-444444444444';
    const http = createHttp();
    const error = await hubspot.deliver(registered, destination({ accessToken: wrong }), http, memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(JSON.stringify(http.exchanges) + error.message).not.toContain(wrong);
  });

  it('never lets the token reach the exchange log or an error message', async () => {
    const http = createHttp();
    const ctx = memoryContext();
    await hubspot.deliver(registered, destination(), http, ctx);
    await hubspot.deliver(completed, destination(), http, ctx);
    fake.injectOnce({ status: 400, body: { status: 'error', message: `bad value near ${TOKEN}`, category: 'VALIDATION_ERROR' } });
    const error = await hubspot.deliver(event('video.failed', SAMPLES['video.failed'](), 'evt_x'), destination(), http, ctx).catch((e) => e);
    const log = JSON.stringify(http.exchanges);
    expect(log).not.toContain(TOKEN);
    expect(log).toContain('Bearer pat-eu1-…3e7a');
    expect(error.message).not.toContain(TOKEN);
  });

  it('skips session events and events without a user, with the reason', async () => {
    await expect(hubspot.deliver(event('session.started', SAMPLES['session.started']()), destination(), createHttp(), memoryContext())).rejects.toBeInstanceOf(SkipDelivery);
    await expect(hubspot.deliver(event('video.shared', {}), destination(), createHttp(), memoryContext())).rejects.toThrow(/names no data\.user\.id/);
    expect(fake.requests).toHaveLength(0);
  });

  it('runs the whole flow in a dry run without sending or remembering anything', async () => {
    const http = createHttp({ dryRun: true });
    const ctx = memoryContext();
    await hubspot.deliver(registered, destination(), http, ctx);
    await hubspot.deliver(completed, destination(), http, ctx);
    expect(fake.requests).toHaveLength(0);
    expect(ctx.state.map.size).toBe(0);
    expect(lines(http)).toEqual([
      'POST /crm/objects/2026-03/contacts/batch/upsert 200',
      'POST /crm/objects/2026-03/contacts/batch/upsert 200',
      'POST /crm/objects/2026-03/notes 200',
    ]);
  });

  it('reads what it remembers in a dry run: a known contact gets only the note, a noted event nothing', async () => {
    const ctx = memoryContext();
    await hubspot.deliver(registered, destination(), createHttp(), ctx);
    const remembered = new Map(ctx.state.map);
    const dry = createHttp({ dryRun: true });
    await hubspot.deliver(completed, destination(), dry, ctx);
    expect(lines(dry)).toEqual(['POST /crm/objects/2026-03/notes 200']);
    const [contact] = fake.contacts.values();
    expect(JSON.parse(dry.exchanges[0].request.body!).associations[0].to.id).toBe(contact.id);
    expect(ctx.state.map).toEqual(remembered);
    expect(fake.requests).toHaveLength(1);

    await hubspot.deliver(completed, destination(), createHttp(), ctx);
    const dryAgain = createHttp({ dryRun: true });
    await hubspot.deliver(completed, destination(), dryAgain, ctx);
    expect(lines(dryAgain)).toEqual([]);
  });

  it('masks the token where HubSpot echoes it in a refusal, as the engine masks every message', async () => {
    fake.injectOnce({ status: 409, body: { status: 'error', message: `Contact already exists for token ${TOKEN}`, category: 'CONFLICT' } });
    const error = await hubspot.deliver(registered, destination(), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe('HubSpot refused the contact upsert (HTTP 409 CONFLICT): Contact already exists for token pat-eu1-…3e7a');

    fake.injectOnce({ status: 403, body: { status: 'error', message: `token ${TOKEN} lacks scopes`, category: 'MISSING_SCOPES' } });
    const refused = await hubspot.check!(destination(), createHttp(), memoryContext()).catch((e) => e);
    expect(refused).toBeInstanceOf(AuthError);
    expect(refused.message).toContain('HubSpot refused the contacts read (403: token pat-eu1-…3e7a lacks scopes)');
    expect(refused.message).not.toContain(TOKEN);
  });

  it('serializes concurrent events of one user: one contact upsert, then notes on the remembered contact', async () => {
    const ctx = memoryContext();
    const videos = ['evt_a', 'evt_b', 'evt_c'].map((id) => event('video.completed', SAMPLES['video.completed'](), id));
    const http = createHttp();
    await Promise.all(videos.map((v) => hubspot.deliver(v, destination(), http, ctx)));
    expect(lines(http)).toEqual([
      'POST /crm/objects/2026-03/contacts/batch/upsert 200',
      'POST /crm/objects/2026-03/notes 201',
      'POST /crm/objects/2026-03/notes 201',
      'POST /crm/objects/2026-03/notes 201',
    ]);
    expect(fake.contacts.size).toBe(1);
    expect(fake.notes.size).toBe(3);
  });

  it('reads "not found" as a gone contact only for a request that links to it', async () => {
    fake.injectOnce({ status: 404, body: { status: 'error', message: 'Not found', category: 'OBJECT_NOT_FOUND' } });
    const upsert = await hubspot.deliver(registered, destination(), createHttp(), memoryContext()).catch((e) => e);
    expect(upsert).toBeInstanceOf(PermanentError);
    expect(upsert).not.toBeInstanceOf(LinkedRecordGoneError);
    expect(upsert.message).toBe('HubSpot refused the contact upsert (HTTP 404 OBJECT_NOT_FOUND): Not found');

    // A remembered contact that is gone, and no email to find it again by: the refusal stands.
    const ctx = memoryContext();
    await ctx.state.set('contact:usr_x', '999');
    const anonymous = event('video.completed', { video: { id: 'v', title: 'T', url: 'https://v.example/v.mp4' }, user: { id: 'usr_x' } }, 'evt_anon');
    const note = await hubspot.deliver(anonymous, destination(), createHttp(), ctx).catch((e) => e);
    expect(note).toBeInstanceOf(LinkedRecordGoneError);
    expect(note.message).toBe('HubSpot refused the note: One or more associations are invalid: contact 999 was not found');
    expect(fake.requests).toHaveLength(2);
  });

  it('adds a note for a custom event that names a user, and says why it skips session events', async () => {
    const shared = event('video.shared', { user: { id: 'usr_8f3k2m', email: 'maya.chen@example.com' }, channel: 'email' }, 'evt_shared');
    const http = createHttp();
    await hubspot.deliver(shared, destination(), http, memoryContext());
    expect(lines(http)).toEqual(['POST /crm/objects/2026-03/contacts/batch/upsert 200', 'POST /crm/objects/2026-03/notes 201']);
    expect([...fake.notes.values()][0].properties.hs_note_body).toMatch(/^<p><strong>vidhook event: video\.shared<\/strong><\/p>/);
    await expect(hubspot.deliver(event('session.ended', SAMPLES['session.ended']()), destination(), createHttp(), memoryContext())).rejects.toThrow(
      "session events are not sent to HubSpot: they would flood the contact's timeline",
    );
  });

  it('checks the token with a one-record read', async () => {
    const http = createHttp();
    await expect(hubspot.check!(destination(), http, memoryContext())).resolves.toBe(`authenticated to ${fake.origin} as pat-eu1-…3e7a; contacts readable`);
    expect(fake.requests[0].url).toBe('/crm/objects/2026-03/contacts?limit=1');
    await expect(hubspot.check!(destination({ accessToken: 'pat-na1-wrong-token-value' }), createHttp(), memoryContext())).rejects.toBeInstanceOf(AuthError);
  });

  it.each([
    ['pat-eu1-abc', undefined, 'https://api-eu1.hubapi.com'],
    ['pat-na1-abc', undefined, 'https://api.hubapi.com'],
    ['pat-ap1-abc', undefined, 'https://api-ap1.hubapi.com'],
    ['a-service-key', undefined, 'https://api.hubapi.com'],
    ['pat-eu1-abc', 'http://127.0.0.1:9999', 'http://127.0.0.1:9999'],
  ])('picks the host for token %s (baseUrl %s): %s', (accessToken, baseUrl, origin) => {
    expect(hubspotOrigin({ accessToken, baseUrl })).toBe(origin);
  });

  it('computes the daily reset across zones', () => {
    const now = new Date('2026-11-27T10:15:00.000Z');
    expect(msUntilDailyReset(now, 'UTC')).toBe((13 * 60 + 45) * 60_000 + 60_000);
    expect(msUntilDailyReset(now, 'America/New_York')).toBe((18 * 60 + 45) * 60_000 + 60_000);
  });

  it('validates settings and warns about unusual hosts', () => {
    expect(hubspot.settings.safeParse({ accessToken: TOKEN, apiVersion: '2026' }).success).toBe(false);
    expect(hubspot.settings.safeParse({ accessToken: TOKEN, timeZone: 'Mars/Olympus' }).error?.issues[0].message).toMatch(/IANA time zone/);
    expect(hubspot.settings.parse({ accessToken: TOKEN }).apiVersion).toBe('2026-03');
    expect(hubspot.warnings!(hubspot.settings.parse({ accessToken: TOKEN, baseUrl: 'https://api-eu1.hubapi.com' }))).toEqual([]);
    expect(hubspot.warnings!(hubspot.settings.parse({ accessToken: TOKEN, baseUrl: 'https://proxy.example' }))[0]).toMatch(/not a HubSpot API host/);
  });
});
