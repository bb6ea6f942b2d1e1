import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, PayloadValidationError, PermanentError, RetryableError, SkipDelivery } from '../../../src/connectors/core/errors.js';
import { salesforce, type SalesforceSettings } from '../../../src/connectors/salesforce/index.js';
import { jwtAudience } from '../../../src/connectors/salesforce/auth.js';
import { forgetAllSessions } from '../../../src/connectors/core/sessions.js';
import type { Destination } from '../../../src/destinations/index.js';
import { createHttp, type RecordingHttp } from '../../../src/delivery/http.js';
import { buildEnvelope, SAMPLES, type Envelope } from '../../../src/events/index.js';
import { memoryContext } from '../../helpers/context.js';
import { FakeSalesforce } from './fake.js';

const CLIENT_ID = '3MVG9fakeConsumerKey.vidhook';
const CLIENT_SECRET = 'C0nsumerSecret-7d41f09e2b';
const USERNAME = 'integration@northwind.example';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_KEY = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const OTHER_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const at = '2026-11-27T19:40:00.000Z';
const event = (type: string, data: Record<string, unknown>, id?: string): Envelope =>
  buildEnvelope({ type, data, timestamp: at, id }, { customTypes: ['video.shared'] });
const registered = event('user.registered', SAMPLES['user.registered'](), 'evt_registered_1');
const completed = event('video.completed', SAMPLES['video.completed'](), 'evt_completed_1');
const VIDEO_URL = 'https://cdn.example.com/videos/vid_2xq9c7.mp4';

let fake: FakeSalesforce;

function destination(settings: Record<string, unknown> = {}): Destination<SalesforceSettings> {
  return {
    name: 'crm-sf',
    connector: 'salesforce',
    events: salesforce.defaultEvents,
    enabled: true,
    source: 'project',
    settings: salesforce.settings.parse({ loginUrl: fake.origin, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...settings }),
  };
}

const jwtSettings = (extra: Record<string, unknown> = {}) => ({ clientSecret: undefined, username: USERNAME, ...extra });
/** Everything vidhook records of a delivery, the token endpoint's answer included. */
const recorded = (http: RecordingHttp) => JSON.stringify(http.exchanges);
const lines = (http: RecordingHttp) => http.exchanges.map((x) => `${x.request.method} ${new URL(x.request.url).pathname} ${x.response?.status ?? x.error}`);

beforeEach(async () => {
  forgetAllSessions();
  fake = await FakeSalesforce.start({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, publicKey: keys.publicKey, username: USERNAME });
});
afterEach(() => fake.close());

describe('salesforce connector', () => {
  it('turns a registration and a finished video into one Lead with one Task', async () => {
    const http = createHttp();
    const ctx = memoryContext();
    await salesforce.deliver(registered, destination(), http, ctx);
    await salesforce.deliver(completed, destination(), http, ctx);

    const [token] = fake.requests;
    expect(token.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(token.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
    expect(lines(http)).toEqual([
      'POST /services/oauth2/token 200',
      'GET /services/data/v66.0/query 200',
      'POST /services/data/v66.0/sobjects/Lead 201',
      'POST /services/data/v66.0/sobjects/Task 201',
    ]);
    expect(new URL(http.exchanges[1].request.url).searchParams.get('q')).toBe(
      "SELECT Id, IsConverted, ConvertedContactId, ConvertedAccountId, ConvertedOpportunityId FROM Lead WHERE Email = 'maya.chen@example.com' ORDER BY CreatedDate ASC LIMIT 10",
    );
    expect(fake.requests[2].json()).toEqual({
      FirstName: 'Maya',
      LastName: 'Chen',
      Email: 'maya.chen@example.com',
      Phone: '+1 415 555 0134',
      City: 'San Francisco',
      Company: 'Northwind Studio',
      LeadSource: 'Web',
      Description: 'vidhook user usr_8f3k2m, plan pro',
    });
    expect(fake.requests[3].headers.authorization).toBe(`Bearer ${fake.issuedTokens[0]}`);

    const [lead] = [...fake.leads.values()];
    expect(fake.leads.size).toBe(1);
    expect([...fake.tasks.values()]).toEqual([
      {
        Id: expect.stringMatching(/^00T/),
        WhoId: lead.Id,
        Subject: 'Video completed: Product launch teaser',
        Status: 'Completed',
        Priority: 'Normal',
        ActivityDate: '2026-11-27',
        Description: [
          `Video: ${VIDEO_URL}`,
          'Video id: vid_2xq9c7',
          'Prompt: Slow dolly shot across a sunlit studio, spring jackets on mannequins, soft film grain',
          'Model: gen-4-turbo',
          'Duration: 30 s',
          `vidhook event evt_completed_1 (video.completed, ${at})`,
        ].join('\n'),
      },
    ]);
    expect(ctx.state.map.get('lead:usr_8f3k2m')).toBe(lead.Id);
  });

  it('creates no duplicate Lead or Task when the same events arrive again', async () => {
    const ctx = memoryContext();
    await salesforce.deliver(registered, destination(), createHttp(), ctx);
    await salesforce.deliver(completed, destination(), createHttp(), ctx);

    const again = createHttp();
    await salesforce.deliver(registered, destination(), again, ctx);
    await salesforce.deliver(completed, destination(), again, ctx);
    expect(fake.leads.size).toBe(1);
    expect(fake.tasks.size).toBe(1);
    // The registration updates the remembered Lead; the video was delivered already and sends nothing.
    expect(lines(again)).toEqual(['PATCH /services/data/v66.0/sobjects/Lead/' + [...fake.leads.keys()][0] + ' 204']);
  });

  it('finds the Lead by email when nothing is remembered, and only updates what the event says', async () => {
    await salesforce.deliver(registered, destination(), createHttp(), memoryContext());
    const [id] = fake.leads.keys();
    fake.leads.get(id)!.Company = 'Northwind Studio GmbH';
    const bare = event('user.registered', { user: { id: 'usr_8f3k2m', email: 'Maya.Chen@example.com' } });
    const http = createHttp();
    await salesforce.deliver(bare, destination(), http, memoryContext());
    expect(lines(http).map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'GET /services/data/v66.0/query',
      `PATCH /services/data/v66.0/sobjects/Lead/${id}`,
    ]);
    expect(JSON.parse(http.exchanges[1].request.body!)).toEqual({ Email: 'Maya.Chen@example.com' });
    expect(fake.leads.size).toBe(1);
    expect(fake.leads.get(id)!.Company).toBe('Northwind Studio GmbH');
  });

  it('creates the Lead and its Task in one Composite call for a user Salesforce does not know yet', async () => {
    const video = event('video.failed', {
      video: { id: 'vid_9', title: 'Winter promo' },
      error: { code: 'timeout', message: 'Rendering timed out' },
      user: { id: 'usr_new', email: 'sam@example.org' },
    }, 'evt_failed_1');
    const http = createHttp();
    const ctx = memoryContext();
    await salesforce.deliver(video, destination({ company: 'Self-serve signup' }), http, ctx);

    expect(lines(http)).toEqual([
      'POST /services/oauth2/token 200',
      'GET /services/data/v66.0/query 200',
      'POST /services/data/v66.0/composite 200',
    ]);
    expect(fake.requests[2].json()).toEqual({
      allOrNone: true,
      compositeRequest: [
        {
          method: 'POST',
          url: '/services/data/v66.0/sobjects/Lead',
          referenceId: 'lead',
          body: { LastName: 'sam', Email: 'sam@example.org', Company: 'Self-serve signup', LeadSource: 'Web', Description: 'vidhook user usr_new' },
        },
        {
          method: 'POST',
          url: '/services/data/v66.0/sobjects/Task',
          referenceId: 'task',
          body: {
            WhoId: '@{lead.id}',
            Subject: 'Video generation failed: Winter promo',
            Status: 'Not Started',
            Priority: 'High',
            ActivityDate: '2026-11-27',
            Description: `Video id: vid_9\nError: timeout: Rendering timed out\nvidhook event evt_failed_1 (video.failed, ${at})`,
          },
        },
      ],
    });
    const [lead] = fake.leads.values();
    const [task] = fake.tasks.values();
    expect(task.WhoId).toBe(lead.Id);
    expect(ctx.state.map.get('lead:usr_new')).toBe(lead.Id);
    expect(ctx.state.map.get('task:evt_failed_1')).toBe(task.Id);

    // The registration arriving afterwards updates that Lead instead of making a second one.
    await salesforce.deliver(event('user.registered', { user: { id: 'usr_new', email: 'sam@example.org', name: 'Sam Rivera' } }), destination(), createHttp(), ctx);
    expect(fake.leads.size).toBe(1);
    expect(lead).toMatchObject({ FirstName: 'Sam', LastName: 'Rivera', Company: 'Self-serve signup' });
  });

  it('names a Lead without email after the user id and the company setting falls back to "[not provided]"', async () => {
    const video = event('video.generated', { video: { id: 'vid_3', title: 'Draft' }, user: { id: 'usr_anon' } });
    await salesforce.deliver(video, destination(), createHttp(), memoryContext());
    const [lead] = fake.leads.values();
    expect(lead).toMatchObject({ LastName: 'vidhook user usr_anon', Company: '[not provided]' });
    expect([...fake.tasks.values()][0]).toMatchObject({ Subject: 'Video generation started: Draft', Status: 'In Progress' });
  });

  it('renews an expired session once and the delivery succeeds', async () => {
    const ctx = memoryContext();
    await salesforce.deliver(registered, destination(), createHttp(), ctx);
    fake.expireSessions();
    const http = createHttp();
    await salesforce.deliver(completed, destination(), http, ctx);
    expect(lines(http)).toEqual([
      'POST /services/data/v66.0/sobjects/Task 401',
      'POST /services/oauth2/token 200',
      'POST /services/data/v66.0/sobjects/Task 201',
    ]);
    expect(fake.issuedTokens).toHaveLength(2);
    expect(fake.tasks.size).toBe(1);
    expect(recorded(http)).not.toContain(fake.issuedTokens[0]);
    expect(recorded(http)).not.toContain(fake.issuedTokens[1]);
  });

  it('gives up with an AuthError when a fresh session is refused too', async () => {
    const ctx = memoryContext();
    await salesforce.deliver(registered, destination(), createHttp(), ctx);
    const expired = { status: 401, body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] };
    fake.injectOnce(expired);
    fake.injectOnce(expired);
    const error = await salesforce.deliver(completed, destination(), createHttp(), ctx).catch((e) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(/INVALID_SESSION_ID.*fresh token/);
  });

  it('signs a JWT bearer assertion (RS256) with the key from privateKeyPath', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vidhook-sf-'));
    const path = join(dir, 'server.key');
    writeFileSync(path, PRIVATE_KEY, { mode: 0o600 });
    const http = createHttp();
    await salesforce.deliver(registered, destination(jwtSettings({ privateKeyPath: path })), http, memoryContext());
    const form = new URLSearchParams(fake.requests[0].body);
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const [header, claims] = form.get('assertion')!.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString() || 'null'));
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(claims).toEqual({ iss: CLIENT_ID, sub: USERNAME, aud: fake.origin, exp: expect.any(Number) });
    expect(claims.exp - Date.now() / 1000).toBeLessThanOrEqual(180);
    expect(fake.leads.size).toBe(1);
    expect(JSON.stringify(http.exchanges)).not.toContain(form.get('assertion')!.split('.')[2]);
  });

  it('accepts an inline privateKey with escaped newlines, as environment variables carry it', async () => {
    const inline = PRIVATE_KEY.replace(/\n/g, '\\n');
    const http = createHttp();
    await salesforce.deliver(registered, destination(jwtSettings({ privateKey: inline })), http, memoryContext());
    expect(fake.leads.size).toBe(1);
    const log = JSON.stringify(http.exchanges);
    expect(log).not.toContain(PRIVATE_KEY.split('\n')[1]);
  });

  it.each([
    ['a key that does not match the certificate', { privateKey: OTHER_KEY }, /private key matches the certificate/],
    ['a user that is not pre-authorized', { privateKey: PRIVATE_KEY, username: 'someone@else.example' }, /pre-authorize someone@else\.example/],
    ['an unreadable key file', { privateKeyPath: '/nonexistent/server.key' }, /cannot read privateKeyPath \/nonexistent\/server\.key \(ENOENT\)/],
    ['text that is no key', { privateKey: 'not a key at all' }, /privateKey is not a PEM private key/],
  ])('refuses the JWT flow with %s, saying what to fix', async (_, settings, message) => {
    const error = await salesforce.deliver(registered, destination(jwtSettings(settings)), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('PRIVATE KEY-----\nMII');
  });

  it('says which credential is wrong without repeating it', async () => {
    const wrong = 'wrong-secret-0123456789';
    const http = createHttp({ secrets: [wrong] });
    const error = await salesforce.deliver(registered, destination({ clientSecret: wrong }), http, memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toBe('Salesforce refused the credentials (invalid_client: invalid client credentials): check clientId and clientSecret (the app\'s consumer key and secret)');
    expect(JSON.stringify(http.exchanges)).not.toContain(wrong);
  });

  const leadPost = (req: { method: string; url: string }) => req.method === 'POST' && req.url.endsWith('/sobjects/Lead');
  it.each([
    ['the daily allocation (403 REQUEST_LIMIT_EXCEEDED)', 403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], RetryableError, { rateLimited: true, afterMs: 3_600_000 }],
    ['too many long requests (403 REQUEST_LIMIT_EXCEEDED)', 403, [{ message: 'ConcurrentPerOrgLongTxn Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], RetryableError, { rateLimited: true, afterMs: 60_000 }],
    ['a locked row', 400, [{ message: 'unable to obtain exclusive access to this record', errorCode: 'UNABLE_TO_LOCK_ROW', fields: [] }], RetryableError, { rateLimited: false }],
    ['a trigger lock in the message', 400, [{ message: 'execution of AfterInsert caused by: UNABLE_TO_LOCK_ROW', errorCode: 'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY' }], RetryableError, { rateLimited: false }],
    ['maintenance (503)', 503, [{ message: 'Server unavailable', errorCode: 'SERVER_UNAVAILABLE' }], RetryableError, { status: 503 }],
    ['a missing field', 400, [{ message: 'Required fields are missing: [Company]', errorCode: 'REQUIRED_FIELD_MISSING', fields: ['Company'] }], PayloadValidationError, { message: 'Salesforce refused the Lead creation: REQUIRED_FIELD_MISSING on Company: Required fields are missing: [Company]' }],
    ['a validation rule', 400, [{ message: 'Phone must have 10 digits', errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', fields: ['Phone'] }], PayloadValidationError, { message: expect.stringContaining('FIELD_CUSTOM_VALIDATION_EXCEPTION on Phone: Phone must have 10 digits') }],
    ['missing permissions', 403, [{ message: 'insufficient access rights on object id', errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY' }], PermanentError, { message: expect.stringContaining('give the integration user access') }],
  ])('classifies %s', async (_, status, body, kind, expected) => {
    fake.injectOnce({ status, body }, leadPost);
    const error = await salesforce.deliver(registered, destination(), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(kind);
    if (kind === PayloadValidationError || kind === PermanentError) expect(error).not.toBeInstanceOf(RetryableError);
    expect(error).toMatchObject(expected);
  });

  it('reports the failing subrequest of a Composite call and leaves nothing half-made', async () => {
    const video = event('video.completed', { video: { id: 'v', title: 'T', url: 'https://v.example/v.mp4' }, user: { id: 'usr_c', email: 'c@example.org' } });
    fake.injectOnce(
      {
        status: 200,
        body: {
          compositeResponse: [
            { body: [{ errorCode: 'PROCESSING_HALTED', message: 'The transaction was rolled back' }], httpHeaders: {}, httpStatusCode: 400, referenceId: 'lead' },
            { body: [{ errorCode: 'STRING_TOO_LONG', message: 'Subject: data value too large', fields: ['Subject'] }], httpHeaders: {}, httpStatusCode: 400, referenceId: 'task' },
          ],
        },
      },
      (req) => req.url.endsWith('/composite'),
    );
    const error = await salesforce.deliver(video, destination(), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect(error.message).toBe('Salesforce refused the Lead and Task creation (task): STRING_TOO_LONG on Subject: Subject: data value too large');
    expect(fake.leads.size).toBe(0);
  });

  it('finds the Lead again when the remembered one was deleted', async () => {
    const ctx = memoryContext();
    await salesforce.deliver(registered, destination(), createHttp(), ctx);
    fake.leads.clear();
    await salesforce.deliver(completed, destination(), createHttp(), ctx);
    const [lead] = fake.leads.values();
    expect(fake.leads.size).toBe(1);
    expect([...fake.tasks.values()][0].WhoId).toBe(lead.Id);
    expect(ctx.state.map.get('lead:usr_8f3k2m')).toBe(lead.Id);
  });

  it('makes one Lead when the registration and a video of a new user are delivered at the same time', async () => {
    const ctx = memoryContext();
    await Promise.all([
      salesforce.deliver(completed, destination(), createHttp(), ctx),
      salesforce.deliver(registered, destination(), createHttp(), ctx),
    ]);
    expect(fake.leads.size).toBe(1);
    expect(fake.tasks.size).toBe(1);
  });

  it('skips session events and events without a user, with the reason', async () => {
    const session = event('session.ended', SAMPLES['session.ended']());
    await expect(salesforce.deliver(session, destination(), createHttp(), memoryContext())).rejects.toBeInstanceOf(SkipDelivery);
    const custom = event('video.shared', { video: { id: 'v1' } });
    await expect(salesforce.deliver(custom, destination(), createHttp(), memoryContext())).rejects.toThrow(/names no data\.user\.id/);
    expect(fake.requests).toHaveLength(0);
  });

  it('logs a custom event with a user as a generic Task', async () => {
    const custom = event('video.shared', { video: { id: 'v1' }, user: { id: 'usr_8f3k2m', email: 'maya.chen@example.com' } });
    await salesforce.deliver(custom, destination(), createHttp(), memoryContext());
    expect([...fake.tasks.values()][0]).toMatchObject({ Subject: 'vidhook event: video.shared', Status: 'Completed' });
  });

  it('runs the whole flow in a dry run without sending or remembering anything', async () => {
    const http = createHttp({ dryRun: true });
    const ctx = memoryContext();
    await salesforce.deliver(registered, destination(), http, ctx);
    await salesforce.deliver(completed, destination(), http, ctx);
    expect(fake.requests).toHaveLength(0);
    expect(ctx.state.map.size).toBe(0);
    // One pretend token per delivery; the engine answers what needs no particular answer with 200 {}.
    expect(lines(http)).toEqual([
      'POST /services/oauth2/token 200',
      'GET /services/data/v66.0/query 200',
      'POST /services/data/v66.0/sobjects/Lead 200',
      'POST /services/oauth2/token 200',
      'GET /services/data/v66.0/query 200',
      'POST /services/data/v66.0/composite 200',
    ]);
    expect(JSON.stringify(http.exchanges)).not.toContain(CLIENT_SECRET);
  });

  it('never lets a secret reach the exchange log or an error message', async () => {
    const http = createHttp();
    const ctx = memoryContext();
    await salesforce.deliver(registered, destination(), http, ctx);
    fake.expireSessions();
    await salesforce.deliver(completed, destination(), http, ctx);
    fake.injectOnce({ status: 400, body: [{ message: `bad value ${CLIENT_SECRET}`, errorCode: 'INVALID_FIELD', fields: ['X'] }] });
    const error = await salesforce
      .deliver(event('video.completed', SAMPLES['video.completed'](), 'evt_other'), destination(), http, ctx)
      .catch((e: Error) => e);
    const log = recorded(http) + (error as Error).message;
    for (const secret of [CLIENT_SECRET, ...fake.issuedTokens]) expect(log).not.toContain(secret);
    expect(log).toContain('client_secret=…9e2b');
  });

  // Known gap in the http door (src/delivery/http.ts): a token learnt from a response is masked in
  // every exchange after `addSecret`, but not in the token answer already recorded. Fixed when
  // `addSecret` re-masks the recorded exchanges; this test then fails and becomes a plain `it`.
  it('masks the access token inside the recorded token answer too', async () => {
    const http = createHttp();
    await salesforce.deliver(registered, destination(), http, memoryContext());
    expect(JSON.stringify(http.exchanges)).not.toContain(fake.issuedTokens[0]);
  });

  it('mints one token for concurrent deliveries, and one more for all of them when the session ends', async () => {
    const ctx = memoryContext();
    const video = (n: number) =>
      event('video.completed', { video: { id: `v${n}`, title: `T${n}`, url: 'https://v.example/v.mp4' }, user: { id: `usr_${n}`, email: `u${n}@example.org` } }, `evt_${n}`);
    const all = () => Promise.all([1, 2, 3, 4, 5].map((n) => salesforce.deliver(video(n), destination(), createHttp(), ctx)));
    await all();
    expect(fake.issuedTokens).toHaveLength(1);
    expect(fake.tasks.size).toBe(5);

    fake.expireSessions();
    await Promise.all([6, 7, 8, 9].map((n) => salesforce.deliver(video(n), destination(), createHttp(), ctx)));
    expect(fake.issuedTokens).toHaveLength(2);
    expect(fake.requests.filter((r) => r.url === '/services/oauth2/token')).toHaveLength(2);
    expect(fake.tasks.size).toBe(9);
  });

  it('masks a secret the token endpoint echoes in its refusal', async () => {
    fake.injectOnce(
      { status: 400, body: { error: 'invalid_client', error_description: `client secret ${CLIENT_SECRET} is not valid` } },
      (req) => req.url === '/services/oauth2/token',
    );
    const http = createHttp();
    const error = await salesforce.deliver(registered, destination(), http, memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(/^Salesforce refused the credentials \(invalid_client: client secret …9e2b is not valid\): check clientId and clientSecret/);
    expect(recorded(http) + error.message).not.toContain(CLIENT_SECRET);
  });

  it('masks the access token when an API error echoes it', async () => {
    const ctx = memoryContext();
    await salesforce.deliver(registered, destination(), createHttp(), ctx);
    const [token] = fake.issuedTokens;
    fake.injectOnce({ status: 400, body: [{ message: `session ${token} may not write Tasks`, errorCode: 'INVALID_FIELD', fields: [] }] });
    const http = createHttp();
    const error = await salesforce.deliver(completed, destination(), http, ctx).catch((e) => e);
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect(error.message).toMatch(/^Salesforce refused the Task creation: INVALID_FIELD: session …[\w-]{4} may not write Tasks$/);
    expect(recorded(http) + error.message).not.toContain(token);
  });

  it('reads what the destination remembers in a dry run, so it shows the update the real run would make', async () => {
    const ctx = memoryContext();
    await salesforce.deliver(registered, destination(), createHttp(), ctx);
    const [leadId] = fake.leads.keys();
    const before = new Map(ctx.state.map);
    const sent = fake.requests.length;

    const http = createHttp({ dryRun: true });
    await salesforce.deliver(registered, destination(), http, ctx);
    await salesforce.deliver(completed, destination(), http, ctx);
    expect(lines(http)).toEqual([
      'POST /services/oauth2/token 200',
      `PATCH /services/data/v66.0/sobjects/Lead/${leadId} 200`,
      'POST /services/oauth2/token 200',
      'POST /services/data/v66.0/sobjects/Task 200',
    ]);
    expect(JSON.parse(http.exchanges[3].request.body!)).toMatchObject({ WhoId: leadId, Subject: 'Video completed: Product launch teaser' });
    // Nothing sent, nothing written: the Task is still to be made by the real delivery.
    expect(fake.requests).toHaveLength(sent);
    expect(ctx.state.map).toEqual(before);
    await salesforce.deliver(completed, destination(), createHttp(), ctx);
    expect(fake.tasks.size).toBe(1);
  });

  it('classifies the API limit inside a 200 Composite answer as a rate limit, not as success', async () => {
    fake.injectOnce(
      {
        status: 200,
        body: { compositeResponse: [{ body: [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' }], httpHeaders: {}, httpStatusCode: 403, referenceId: 'lead' }] },
      },
      (req) => req.url.endsWith('/composite'),
    );
    const error = await salesforce.deliver(completed, destination(), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ rateLimited: true, afterMs: 3_600_000 });
  });

  it('checks the credentials cheaply and says where it is authenticated', async () => {
    const http = createHttp();
    await expect(salesforce.check!(destination(), http, memoryContext())).resolves.toBe(
      `authenticated to ${fake.origin} as the run-as user 005000000000001AAA; API v66.0`,
    );
    expect(lines(http)).toEqual(['POST /services/oauth2/token 200', 'GET /services/data/ 200']);
    await expect(salesforce.check!(destination({ apiVersion: 'v99.0' }), createHttp(), memoryContext())).rejects.toThrow(
      /does not offer API v99\.0 \(newest: v67\.0\): set apiVersion/,
    );
    forgetAllSessions();
    await expect(salesforce.check!(destination({ clientSecret: 'nope-nope-nope' }), createHttp(), memoryContext())).rejects.toBeInstanceOf(AuthError);
  });

  it('validates the settings with messages that say what is expected', () => {
    const parse = (s: Record<string, unknown>) => salesforce.settings.safeParse({ loginUrl: 'https://acme.my.salesforce.com', clientId: CLIENT_ID, ...s });
    expect(parse({}).error?.issues[0]).toMatchObject({ path: ['clientSecret'], message: expect.stringMatching(/JWT bearer/) });
    expect(parse({ username: USERNAME }).error?.issues[0]).toMatchObject({ path: ['privateKeyPath'] });
    expect(parse({ clientSecret: 'x', username: USERNAME }).error?.issues[0].message).toMatch(/not both/);
    expect(parse({ clientSecret: 'x', apiVersion: '66' }).success).toBe(false);
    expect(parse({ clientSecret: 'x', apiVersion: '67.0' }).data?.apiVersion).toBe('v67.0');
    expect(parse({ clientSecret: 'x', loginUrl: 'https://acme.my.salesforce.com/' }).data?.loginUrl).toBe('https://acme.my.salesforce.com');
  });

  it('warns about hosts that will not work as expected', () => {
    const settings = (loginUrl: string) => salesforce.settings.parse({ loginUrl, clientId: CLIENT_ID, clientSecret: 'x' });
    expect(salesforce.warnings!(settings('https://acme.my.salesforce.com'))).toEqual([]);
    expect(salesforce.warnings!(settings('https://login.salesforce.com'))).toEqual([
      'the client credentials flow needs your My Domain as loginUrl, not login.salesforce.com',
    ]);
    expect(salesforce.warnings!(settings('https://sf-proxy.internal.example'))[0]).toMatch(/is not a Salesforce host/);
  });

  it.each([
    ['https://acme.my.salesforce.com', 'https://login.salesforce.com'],
    ['https://login.salesforce.com', 'https://login.salesforce.com'],
    ['https://acme--uat.sandbox.my.salesforce.com', 'https://test.salesforce.com'],
    ['https://test.salesforce.com', 'https://test.salesforce.com'],
    ['https://partners.acme.example', 'https://partners.acme.example'],
  ])('uses the JWT audience %s → %s', (loginUrl, audience) => {
    expect(jwtAudience(loginUrl)).toBe(audience);
  });
});
