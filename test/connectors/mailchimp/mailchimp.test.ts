import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, PayloadValidationError, PermanentError, RetryableError, SkipDelivery } from '../../../src/connectors/core/errors.js';
import type { Destination } from '../../../src/destinations/index.js';
import { mailchimp, type MailchimpSettings } from '../../../src/connectors/mailchimp/index.js';
import { mailchimpOrigin } from '../../../src/connectors/mailchimp/settings.js';
import { createHttp, type RecordingHttp } from '../../../src/delivery/http.js';
import { buildEnvelope, SAMPLES, type Envelope } from '../../../src/events/index.js';
import { memoryContext } from '../../helpers/context.js';
import { FakeMailchimp, MAX_CONNECTIONS, md5 } from './fake.js';

const KEY = 'f3a9c1e07b2d4e6f8a0b1c2d3e4f5a6b-us21';
const LIST = 'a1b2c3d4e5';
const EMAIL = 'maya.chen@example.com';
const HASH = md5(EMAIL);
const at = '2026-11-27T19:40:00.000Z';
const BASIC = `Basic ${Buffer.from(`vidhook:${KEY}`).toString('base64')}`;

const event = (type: string, data: Record<string, unknown>, id = `evt_${type.replace(/\W/g, '_')}`): Envelope =>
  buildEnvelope({ type, data, timestamp: at, id }, { customTypes: ['video.shared'] });
const sample = (type: keyof typeof SAMPLES, id?: string) => event(type, SAMPLES[type](), id);

let fake: FakeMailchimp;

function destination(settings: Record<string, unknown> = {}): Destination<MailchimpSettings> {
  return {
    name: 'newsletter',
    connector: 'mailchimp',
    events: mailchimp.defaultEvents,
    enabled: true,
    source: 'project',
    settings: mailchimp.settings.parse({ apiKey: KEY, listId: LIST, baseUrl: fake.origin, ...settings }),
  };
}
const deliver = (e: Envelope, settings: Record<string, unknown> = {}, http: RecordingHttp = createHttp(), ctx = memoryContext()) =>
  mailchimp.deliver(e, destination(settings), http, ctx);
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: Error) => e);
const lines = (http: RecordingHttp) => http.exchanges.map((x) => `${x.request.method} ${new URL(x.request.url).pathname} ${x.response?.status ?? x.error}`);

beforeEach(async () => {
  fake = await FakeMailchimp.start({ apiKey: KEY });
});
afterEach(() => fake.close());

const member = `/3.0/lists/${LIST}/members/${HASH}`;
const videoProperties = {
  video_id: 'vid_2xq9c7',
  video_title: 'Product launch teaser',
  video_url: 'https://cdn.example.com/videos/vid_2xq9c7.mp4',
  thumbnail_url: 'https://cdn.example.com/videos/vid_2xq9c7.jpg',
  duration_sec: '30',
  model: 'gen-4-turbo',
};

describe('mailchimp requests, event by event', () => {
  it.each([
    [
      'user.registered',
      { tags: { 'user.registered': ['vidhook', 'trial'] } },
      [
        { method: 'PUT', url: member, body: { email_address: EMAIL, status_if_new: 'pending', merge_fields: { FNAME: 'Maya', LNAME: 'Chen' } } },
        { method: 'POST', url: `${member}/tags`, body: { tags: [{ name: 'vidhook', status: 'active' }, { name: 'trial', status: 'active' }] } },
      ],
    ],
    [
      'video.completed',
      {},
      [
        {
          method: 'POST',
          url: `${member}/events`,
          body: { name: 'video_completed', occurred_at: at, is_syncing: false, properties: { event_id: 'evt_video_completed', ...videoProperties } },
        },
      ],
    ],
    [
      'video.generated',
      { tags: { 'video.generated': 'creator' } },
      [
        {
          method: 'POST',
          url: `${member}/events`,
          body: {
            name: 'video_generated',
            occurred_at: at,
            is_syncing: false,
            properties: { event_id: 'evt_video_generated', video_id: 'vid_2xq9c7', video_title: 'Product launch teaser', duration_sec: '30', model: 'gen-4-turbo' },
          },
        },
        { method: 'POST', url: `${member}/tags`, body: { tags: [{ name: 'creator', status: 'active' }] } },
      ],
    ],
    [
      'video.failed',
      {},
      [
        {
          method: 'POST',
          url: `${member}/events`,
          body: {
            name: 'video_failed',
            occurred_at: at,
            is_syncing: false,
            properties: {
              event_id: 'evt_video_failed',
              video_id: 'vid_2xq9c7',
              video_title: 'Product launch teaser',
              model: 'gen-4-turbo',
              error_code: 'content_policy',
              error_message: 'The prompt was flagged by the content policy filter.',
            },
          },
        },
      ],
    ],
    [
      'session.started',
      {},
      [{ method: 'POST', url: `${member}/events`, body: { name: 'session_started', occurred_at: at, is_syncing: false, properties: { event_id: 'evt_session_started', session_id: 'ses_k41n0p' } } }],
    ],
    [
      'session.ended',
      {},
      [
        {
          method: 'POST',
          url: `${member}/events`,
          body: {
            name: 'session_ended',
            occurred_at: at,
            is_syncing: false,
            properties: { event_id: 'evt_session_ended', session_id: 'ses_k41n0p', duration_sec: '1530', videos_generated: '3' },
          },
        },
      ],
    ],
  ] as const)('%s with %j becomes exactly these requests', async (type, settings, expected) => {
    if (type !== 'user.registered') fake.addMember(LIST, EMAIL);
    await deliver(sample(type), settings);
    expect(fake.requests.map((r) => ({ method: r.method, url: r.url, body: r.json() }))).toEqual(expected);
    for (const r of fake.requests) {
      expect(r.headers.authorization).toBe(BASIC);
      expect(r.headers['content-type']).toBe('application/json');
    }
  });

  it('uses the data centre the API key names, unless baseUrl replaces it', () => {
    expect(mailchimpOrigin({ apiKey: KEY })).toBe('https://us21.api.mailchimp.com');
    expect(mailchimpOrigin({ apiKey: 'abc-US6' })).toBe('https://us6.api.mailchimp.com');
    expect(mailchimpOrigin({ apiKey: KEY, baseUrl: 'http://127.0.0.1:9' })).toBe('http://127.0.0.1:9');
  });

  it('hashes the lower-cased address but sends it as the user typed it', async () => {
    await deliver(event('user.registered', { user: { id: 'usr_2', email: 'Sam.Rivera@Example.ORG', name: 'Sam de la Rivera' } }));
    const [put] = fake.requests;
    expect(put.url).toBe(`/3.0/lists/${LIST}/members/${md5('sam.rivera@example.org')}`);
    expect(put.json()).toEqual({ email_address: 'Sam.Rivera@Example.ORG', status_if_new: 'pending', merge_fields: { FNAME: 'Sam de la', LNAME: 'Rivera' } });
  });

  it('sends configured merge fields from paths into the event data, and the configured status', async () => {
    await deliver(sample('user.registered'), { status: 'transactional', mergeFields: { PLAN: 'user.plan', COMPANY: 'user.company', SIGNUP_IP: 'context.nothere' } });
    expect(fake.requests[0].json()).toEqual({
      email_address: EMAIL,
      status_if_new: 'transactional',
      merge_fields: { FNAME: 'Maya', LNAME: 'Chen', PLAN: 'pro', COMPANY: 'Northwind Studio' },
    });
    expect(fake.member(LIST, EMAIL)).toMatchObject({ status: 'transactional', mergeFields: { PLAN: 'pro', COMPANY: 'Northwind Studio' } });
  });

  it('names custom events within Mailchimp\'s rules and sends their own values as string properties', async () => {
    fake.addMember(LIST, EMAIL);
    await deliver(event('video.shared', { user: { id: 'usr_8f3k2m', email: EMAIL }, channel: 'email', 'share count': 3, nested: { a: 1 } }, 'evt_shared'));
    expect(fake.requests[0].json()).toEqual({
      name: 'video_shared',
      occurred_at: at,
      is_syncing: false,
      properties: { event_id: 'evt_shared', channel: 'email', share_count: '3' },
    });
    expect(fake.member(LIST, EMAIL)!.events).toHaveLength(1);
  });
});

describe('mailchimp answers, status by status', () => {
  const problem = (status: number, title: string, detail: string, extra: Record<string, unknown> = {}) => ({
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: { type: 'https://mailchimp.com/developer/marketing/docs/errors/', title, status, detail, instance: 'f00d', ...extra },
  });

  it.each([
    ['Forgotten Email Not Subscribed', problem(400, 'Forgotten Email Not Subscribed', `${EMAIL} was permanently deleted and cannot be re-imported.`), SkipDelivery, /permanently deleted and cannot be re-imported/],
    ['Member In Compliance State', problem(400, 'Member In Compliance State', `${EMAIL} is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.`), SkipDelivery, /Member In Compliance State.*compliance review/],
    ['Invalid Resource', problem(400, 'Invalid Resource', 'Your merge fields were invalid.', { errors: [{ field: 'BIRTHDAY', message: 'Please enter the date' }] }), PayloadValidationError, /^Mailchimp refused the member upsert \(Invalid Resource\): Your merge fields were invalid\. \(BIRTHDAY: Please enter the date\)$/],
    ['Member Exists', problem(400, 'Member Exists', `${EMAIL} is already a list member.`), PermanentError, /Member Exists.*already a list member/],
    ['API Key Invalid', problem(401, 'API Key Invalid', "Your API key may be invalid, or you've attempted to access the wrong datacenter."), AuthError, /refused the API key \(API Key Invalid\): set apiKey/],
    ['Forbidden', problem(403, 'User Disabled', 'This account has been disabled.'), AuthError, /403 User Disabled/],
    ['Resource Not Found (the list)', problem(404, 'Resource Not Found', 'The requested resource could not be found.'), PermanentError, new RegExp(`no audience ${LIST}.*set listId`)],
    ['Method Not Allowed', problem(405, 'Method Not Allowed', 'The requested method and resource are not compatible.'), PermanentError, /HTTP 405 Method Not Allowed/],
    ['an HTML page', { status: 400, headers: { 'content-type': 'text/html' }, body: '<html><body>Bad gateway config</body></html>' }, PermanentError, /HTTP 400.*Bad gateway config/],
    ['Internal Server Error', problem(500, 'Internal Server Error', 'An unexpected internal error has occurred.'), RetryableError, /HTTP 500/],
    ['a 503 page', { status: 503, body: 'Service Unavailable' }, RetryableError, /HTTP 503/],
  ] as const)('reads %s', async (_, reply, kind, message) => {
    fake.injectOnce(reply);
    const error = await failure(deliver(sample('user.registered')));
    expect(error).toBeInstanceOf(kind);
    expect(kind === SkipDelivery ? (error as SkipDelivery).reason : error!.message).toMatch(message);
    if (kind !== RetryableError) expect(error).not.toBeInstanceOf(RetryableError);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries Too Many Requests after the delay asked for, or the schedule\'s when none is named, pausing the destination', async () => {
    fake.injectOnce({ ...problem(429, 'Too Many Requests', 'You have exceeded the limit of 10 simultaneous connections.'), headers: { 'retry-after': '3' } });
    const named = await failure(deliver(sample('user.registered')));
    expect(named).toBeInstanceOf(RetryableError);
    expect(named).toMatchObject({ status: 429, rateLimited: true, afterMs: 3000 });
    expect(named!.message).toBe(
      'Mailchimp throttled the member upsert (Too Many Requests; at most 10 simultaneous connections per account): You have exceeded the limit of 10 simultaneous connections.',
    );
    fake.injectOnce(problem(429, 'Too Many Requests', 'slow down'));
    expect(await failure(deliver(sample('user.registered')))).toMatchObject({ rateLimited: true, afterMs: undefined });
  });
});

describe('mailchimp against a local Mailchimp', () => {
  it('adds a registered user as a pending member with tags, then records the completed video on them once however often it is retried', async () => {
    const ctx = memoryContext();
    const settings = { tags: { 'user.registered': ['vidhook'], 'video.completed': ['creator'] } };
    await deliver(sample('user.registered'), settings, createHttp(), ctx);
    const completed = sample('video.completed');
    await deliver(completed, settings, createHttp(), ctx);
    const again = createHttp();
    await deliver(completed, settings, again, ctx);

    const kept = fake.member(LIST, EMAIL)!;
    expect(kept).toMatchObject({ status: 'pending', mergeFields: { FNAME: 'Maya', LNAME: 'Chen' } });
    expect([...kept.tags]).toEqual(['vidhook', 'creator']);
    expect(kept.events).toEqual([{ name: 'video_completed', occurred_at: at, is_syncing: false, properties: { event_id: completed.id, ...videoProperties } }]);
    // The retry adds the tags again (harmless) but no second event.
    expect(lines(again)).toEqual([`POST ${member}/tags 204`]);
    expect(ctx.state.map.get('member:usr_8f3k2m')).toBe(HASH);
  });

  it('leaves an existing member\'s status alone and still gives them the tags the upsert would have dropped', async () => {
    fake.addMember(LIST, EMAIL, 'unsubscribed');
    await deliver(sample('user.registered'), { status: 'subscribed', tags: { 'user.registered': 'vidhook' } });
    expect(fake.member(LIST, EMAIL)).toMatchObject({ status: 'unsubscribed', mergeFields: { FNAME: 'Maya', LNAME: 'Chen' } });
    expect([...fake.member(LIST, EMAIL)!.tags]).toEqual(['vidhook']);
  });

  it('names the merge field an audience requires', async () => {
    await fake.close();
    fake = await FakeMailchimp.start({ apiKey: KEY, requiredMergeFields: ['PLAN'] });
    const error = await failure(deliver(sample('user.registered')));
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect(error!.message).toBe('Mailchimp refused the member upsert (Invalid Resource): Your merge fields were invalid. (PLAN: Please enter a value)');
    await deliver(sample('user.registered'), { mergeFields: { PLAN: 'user.plan' } });
    expect(fake.member(LIST, EMAIL)!.mergeFields.PLAN).toBe('pro');
  });

  it('skips a permanently deleted address and one in compliance review with Mailchimp\'s reason, never retrying', async () => {
    fake.forgotten.add(EMAIL);
    const forgotten = await failure(deliver(sample('user.registered')));
    expect(forgotten).toBeInstanceOf(SkipDelivery);
    expect((forgotten as SkipDelivery).reason).toBe(
      `Mailchimp will not add this member (Forgotten Email Not Subscribed): ${EMAIL} was permanently deleted and cannot be re-imported. The contact must re-subscribe to get back on the list.`,
    );
    fake.forgotten.clear();
    fake.compliance.add(EMAIL);
    const review = await failure(deliver(sample('user.registered')));
    expect(review).toBeInstanceOf(SkipDelivery);
    expect((review as SkipDelivery).reason).toMatch(/^Mailchimp will not add this member \(Member In Compliance State\)/);
  });

  it('attaches an event without an email to the member its user registered as, and skips it when there is none', async () => {
    const anonymous = event('video.completed', { video: { id: 'v1', title: 'T', url: 'https://v.example/v.mp4' }, user: { id: 'usr_8f3k2m' } }, 'evt_anon');
    const skipped = await failure(deliver(anonymous));
    expect(skipped).toBeInstanceOf(SkipDelivery);
    expect((skipped as SkipDelivery).reason).toBe(
      'video.completed carries no user.email and user usr_8f3k2m was not registered through this destination, so there is no Mailchimp member to attach it to',
    );
    expect(fake.requests).toHaveLength(0);

    const ctx = memoryContext();
    await deliver(sample('user.registered'), {}, createHttp(), ctx);
    await deliver(anonymous, {}, createHttp(), ctx);
    expect(fake.member(LIST, EMAIL)!.events.map((e) => e.properties?.video_id)).toEqual(['v1']);
  });

  it('skips an event of someone who is not in the audience, and fails naming the audience when it is the audience that is missing', async () => {
    const notMember = await failure(deliver(sample('video.completed')));
    expect(notMember).toBeInstanceOf(SkipDelivery);
    expect((notMember as SkipDelivery).reason).toBe(
      `${EMAIL} is not a member of the audience "Vidhook users" (${LIST}): video.completed is recorded only for members (added by user.registered)`,
    );
    expect(fake.requests.map((r) => `${r.method} ${r.url}`)).toEqual([`POST ${member}/events`, `GET /3.0/lists/${LIST}?fields=id,name`]);

    const wrongList = await failure(deliver(sample('video.completed'), { listId: 'ffff000011' }));
    expect(wrongList).toBeInstanceOf(PermanentError);
    expect(wrongList!.message).toBe(
      'Mailchimp has no audience ffff000011 (Resource Not Found): set listId to the Audience ID (Audience → Settings → Audience name and defaults)',
    );
  });

  it('forgets a remembered member that was deleted since', async () => {
    const ctx = memoryContext();
    await deliver(sample('user.registered'), {}, createHttp(), ctx);
    fake.lists.get(LIST)!.members.clear();
    const anonymous = event('session.started', { session: { id: 's1' }, user: { id: 'usr_8f3k2m' } });
    expect(await failure(deliver(anonymous, {}, createHttp(), ctx))).toBeInstanceOf(SkipDelivery);
    expect(ctx.state.map.has('member:usr_8f3k2m')).toBe(false);
  });

  it('keeps to Mailchimp\'s ten simultaneous connections: its limit is below them, and a connection past them is retried later', async () => {
    expect(mailchimp.limits!.concurrency).toBeLessThanOrEqual(MAX_CONNECTIONS);
    await fake.close();
    fake = await FakeMailchimp.start({ apiKey: KEY, delayMs: 150 });
    const users = Array.from({ length: MAX_CONNECTIONS + 2 }, (_, i) => event('user.registered', { user: { id: `u${i}`, email: `user${i}@example.com` } }, `evt_${i}`));
    const outcomes = await Promise.all(users.map((u) => failure(deliver(u))));
    const throttled = outcomes.filter((o) => o !== undefined);
    expect(fake.peakConnections).toBe(MAX_CONNECTIONS);
    expect(throttled).toHaveLength(2);
    for (const t of throttled) expect(t).toMatchObject({ rateLimited: true, status: 429 });
  });

  it('serializes racing events of one member: one upsert before the events', async () => {
    const ctx = memoryContext();
    const http = createHttp();
    await Promise.all([deliver(sample('user.registered'), {}, http, ctx), deliver(sample('video.completed', 'evt_a'), {}, http, ctx), deliver(sample('video.completed', 'evt_b'), {}, http, ctx)]);
    expect(lines(http)).toEqual([`PUT ${member} 200`, `POST ${member}/events 204`, `POST ${member}/events 204`]);
  });
});

describe('mailchimp secrets, checks, dry runs and settings', () => {
  it('never lets the key, or the Basic credentials made of it, reach the log or a message', async () => {
    const http = createHttp();
    await deliver(sample('user.registered'), {}, http);
    fake.injectOnce({ status: 400, body: { title: 'Invalid Resource', status: 400, detail: `key ${KEY} rejected` } });
    const echoed = await failure(deliver(sample('user.registered'), {}, http));
    const wrong = 'deadbeefdeadbeefdeadbeefdeadbeef-us21';
    const refused = await failure(deliver(sample('user.registered'), { apiKey: wrong }, http));
    const credentials = Buffer.from(`vidhook:${KEY}`).toString('base64');
    const log = JSON.stringify(http.exchanges) + echoed!.message + refused!.message;
    for (const secret of [KEY, credentials, wrong]) expect(log).not.toContain(secret);
    expect(echoed!.message).toBe('Mailchimp refused the member upsert (Invalid Resource): key …us21 rejected');
    expect(refused).toBeInstanceOf(AuthError);
    expect(http.exchanges[0].request.headers.authorization).toMatch(/^Basic …/);
  });

  it('checks the key with a ping, then names the audience', async () => {
    fake.addMember(LIST, EMAIL);
    await expect(mailchimp.check!(destination(), createHttp(), memoryContext())).resolves.toBe(
      `authenticated to ${fake.origin} (Everything's Chimpy!); audience "Vidhook users" (${LIST}, 1 members)`,
    );
    expect(fake.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /3.0/ping', `GET /3.0/lists/${LIST}?fields=id,name,stats.member_count`]);
    await expect(mailchimp.check!(destination({ listId: 'nolist0000' }), createHttp(), memoryContext())).rejects.toThrow(/no audience nolist0000/);
    const refused = await failure(mailchimp.check!(destination({ apiKey: 'wrongwrongwrongwrong-us21' }), createHttp(), memoryContext()) as Promise<unknown>);
    expect(refused).toBeInstanceOf(AuthError);
    expect(refused!.message).not.toContain('wrongwrongwrongwrong');
  });

  it('runs a whole dry run without sending or remembering, reading what a real run remembered', async () => {
    const dry = createHttp({ dryRun: true });
    const ctx = memoryContext();
    await deliver(sample('user.registered'), { tags: { 'user.registered': 'vidhook' } }, dry, ctx);
    await deliver(sample('video.completed'), {}, dry, ctx);
    expect(lines(dry)).toEqual([`PUT ${member} 200`, `POST ${member}/tags 200`, `POST ${member}/events 200`]);
    expect(fake.requests).toHaveLength(0);
    expect(ctx.state.map.size).toBe(0);

    await deliver(sample('user.registered'), {}, createHttp(), ctx);
    await deliver(sample('video.completed'), {}, createHttp(), ctx);
    const dryAgain = createHttp({ dryRun: true });
    await deliver(sample('video.completed'), {}, dryAgain, ctx);
    expect(lines(dryAgain)).toEqual([]);
  });

  it('validates settings: a key with its data centre, an Audience ID, a known status, merge tags in capitals', () => {
    const parse = (s: Record<string, unknown>) => mailchimp.settings.safeParse({ apiKey: KEY, listId: LIST, ...s });
    expect(parse({}).data).toMatchObject({ status: 'pending' });
    expect(parse({ apiKey: 'f3a9c1e07b2d4e6f8a0b1c2d3e4f5a6b' }).error?.issues[0].message).toMatch(/ends with its data centre/);
    expect(parse({ listId: 'a1b2 c3' }).success).toBe(false);
    expect(parse({ status: 'unsubscribed' }).success).toBe(false);
    expect(parse({ mergeFields: { plan: 'user.plan' } }).success).toBe(false);
    expect(parse({ tags: { 'user.registered': 'vidhook' } }).data?.tags).toEqual({ 'user.registered': ['vidhook'] });
  });

  it('warns about a host that is not Mailchimp\'s, or a data centre that is not the key\'s', () => {
    const warn = (baseUrl: string) => mailchimp.warnings!(mailchimp.settings.parse({ apiKey: KEY, listId: LIST, baseUrl }));
    expect(warn('https://us21.api.mailchimp.com')).toEqual([]);
    expect(warn('https://us6.api.mailchimp.com')).toEqual(['baseUrl names data centre us6 but the API key belongs to us21: Mailchimp would answer API Key Invalid']);
    expect(warn('https://proxy.example')[0]).toMatch(/not a Mailchimp API host \(the API key's is https:\/\/us21\.api\.mailchimp\.com\)/);
  });
});
