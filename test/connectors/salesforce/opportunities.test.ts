import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PayloadValidationError, PermanentError } from '../../../src/connectors/core/errors.js';
import { salesforce, type SalesforceSettings } from '../../../src/connectors/salesforce/index.js';
import { forgetAllSessions } from '../../../src/connectors/core/sessions.js';
import type { Destination } from '../../../src/destinations/index.js';
import { resolveDestination } from '../../../src/config/destinations.js';
import { createHttp, type RecordingHttp } from '../../../src/delivery/http.js';
import { buildEnvelope, SAMPLES, type Envelope } from '../../../src/events/index.js';
import { memoryContext } from '../../helpers/context.js';
import { FakeSalesforce } from './fake.js';

const CLIENT_ID = '3MVG9fakeConsumerKey.vidhook';
const CLIENT_SECRET = 'C0nsumerSecret-7d41f09e2b';
const at = '2026-11-27T19:40:00.000Z';
const event = (type: string, data: Record<string, unknown>, id: string): Envelope => buildEnvelope({ type, data, timestamp: at, id });
const registered = event('user.registered', SAMPLES['user.registered'](), 'evt_reg');
const generated = event('video.generated', SAMPLES['video.generated'](), 'evt_gen');
const completed = event('video.completed', SAMPLES['video.completed'](), 'evt_done');
const STAGES = { 'user.registered': 'Prospecting', 'video.generated': 'Qualification', 'video.completed': 'Needs Analysis' };
const CONTACT_MODE = { person: 'contact', opportunities: { stages: STAGES } };

let fake: FakeSalesforce;

function destination(settings: Record<string, unknown> = CONTACT_MODE): Destination<SalesforceSettings> {
  return {
    name: 'crm-sf',
    connector: 'salesforce',
    events: ['user.registered', 'video.*'],
    enabled: true,
    source: 'project',
    settings: salesforce.settings.parse({ loginUrl: fake.origin, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...settings }),
  };
}
const lines = (http: RecordingHttp) =>
  http.exchanges.filter((x) => !x.request.url.includes('/oauth2/')).map((x) => `${x.request.method} ${new URL(x.request.url).pathname} ${x.response?.status ?? x.error}`);
const subrequests = (http: RecordingHttp, n: number) =>
  (JSON.parse(http.exchanges.filter((x) => x.request.url.endsWith('/composite'))[n].request.body!).compositeRequest as Array<{ method: string; url: string; referenceId: string; body?: Record<string, unknown> }>);
const only = <T>(map: Map<string, T>): T => {
  expect(map.size).toBe(1);
  return [...map.values()][0];
};

beforeEach(async () => {
  forgetAllSessions();
  fake = await FakeSalesforce.start({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
});
afterEach(() => fake.close());

describe('salesforce contacts and opportunities (person: contact)', () => {
  it('makes the Account, the Contact and the Opportunity with its contact role in one Composite call', async () => {
    const http = createHttp();
    const ctx = memoryContext();
    await salesforce.deliver(registered, destination(), http, ctx);
    expect(lines(http)).toEqual(['POST /services/data/v66.0/composite 200', 'POST /services/data/v66.0/composite 200']);
    expect(subrequests(http, 0).map((r) => [r.method, decodeURIComponent(r.url.split('q=')[1] ?? '')])).toEqual([
      ['GET', "SELECT Id, AccountId FROM Contact WHERE Email = 'maya.chen@example.com' ORDER BY CreatedDate ASC LIMIT 1"],
      ['GET', "SELECT Id FROM Account WHERE Name = 'Northwind Studio' ORDER BY CreatedDate ASC LIMIT 1"],
    ]);
    expect(subrequests(http, 1)).toEqual([
      { method: 'POST', url: '/services/data/v66.0/sobjects/Account', referenceId: 'account', body: { Name: 'Northwind Studio' } },
      {
        method: 'POST',
        url: '/services/data/v66.0/sobjects/Contact',
        referenceId: 'contact',
        body: {
          FirstName: 'Maya',
          LastName: 'Chen',
          Email: 'maya.chen@example.com',
          Phone: '+1 415 555 0134',
          MailingCity: 'San Francisco',
          LeadSource: 'Web',
          Description: 'vidhook user usr_8f3k2m, plan pro',
          AccountId: '@{account.id}',
        },
      },
      {
        method: 'POST',
        url: '/services/data/v66.0/sobjects/Opportunity',
        referenceId: 'opportunity',
        body: { Name: 'Northwind Studio (vidhook)', StageName: 'Prospecting', CloseDate: '2026-12-27', LeadSource: 'Web', Description: 'vidhook user usr_8f3k2m', AccountId: '@{account.id}' },
      },
      {
        method: 'POST',
        url: '/services/data/v66.0/sobjects/OpportunityContactRole',
        referenceId: 'role',
        body: { OpportunityId: '@{opportunity.id}', ContactId: '@{contact.id}', IsPrimary: true },
      },
    ]);
    const account = only(fake.accounts);
    const contact = only(fake.contacts);
    const opportunity = only(fake.opportunities);
    expect(contact.AccountId).toBe(account.Id);
    expect(opportunity).toMatchObject({ AccountId: account.Id, StageName: 'Prospecting' });
    expect(only(fake.contactRoles)).toMatchObject({ OpportunityId: opportunity.Id, ContactId: contact.Id, IsPrimary: 'true' });
    expect(fake.leads.size).toBe(0);
    expect(ctx.state.map.get('contact:usr_8f3k2m')).toBe(contact.Id);
    expect(ctx.state.map.get('opportunity:usr_8f3k2m')).toBe(opportunity.Id);
  });

  it('puts the Task on the Contact and moves the Opportunity forward in one Composite call', async () => {
    const ctx = memoryContext();
    await salesforce.deliver(registered, destination(), createHttp(), ctx);
    const http = createHttp();
    await salesforce.deliver(completed, destination(), http, ctx);
    expect(lines(http)).toEqual(['GET /services/data/v66.0/query 200', 'POST /services/data/v66.0/composite 200']);
    const contact = only(fake.contacts);
    const opportunity = only(fake.opportunities);
    expect(subrequests(http, 0).map((r) => [r.method, r.url, r.body?.WhoId ?? r.body?.StageName])).toEqual([
      ['POST', '/services/data/v66.0/sobjects/Task', contact.Id],
      ['PATCH', `/services/data/v66.0/sobjects/Opportunity/${opportunity.Id}`, 'Needs Analysis'],
    ]);
    expect(opportunity.StageName).toBe('Needs Analysis');
    expect(only(fake.tasks)).toMatchObject({ WhoId: contact.Id, Subject: 'Video completed: Product launch teaser' });
  });

  it('never moves the Opportunity back: an earlier stage only adds its Task', async () => {
    const ctx = memoryContext();
    await salesforce.deliver(registered, destination(), createHttp(), ctx);
    await salesforce.deliver(completed, destination(), createHttp(), ctx);
    const http = createHttp();
    await salesforce.deliver(generated, destination(), http, ctx);
    expect(lines(http)).toEqual(['POST /services/data/v66.0/sobjects/Task 201']);
    expect(only(fake.opportunities).StageName).toBe('Needs Analysis');
  });

  it('leaves a stage a person set since, and one the map does not name', async () => {
    const ctx = memoryContext();
    await salesforce.deliver(registered, destination(), createHttp(), ctx);
    only(fake.opportunities).StageName = 'Closed Lost';
    const http = createHttp();
    await salesforce.deliver(completed, destination(), http, ctx);
    expect(lines(http)).toEqual(['GET /services/data/v66.0/query 200', 'POST /services/data/v66.0/sobjects/Task 201']);
    expect(only(fake.opportunities).StageName).toBe('Closed Lost');
  });

  it('finds the Contact, its Account and its Opportunity again when the memory is lost', async () => {
    await salesforce.deliver(registered, destination(), createHttp(), memoryContext());
    const http = createHttp();
    await salesforce.deliver(completed, destination(), http, memoryContext());
    expect(fake.contacts.size).toBe(1);
    expect(fake.accounts.size).toBe(1);
    expect(only(fake.opportunities).StageName).toBe('Needs Analysis');
    expect(decodeURIComponent(http.exchanges.find((x) => x.request.url.includes('OpportunityContactRole'))!.request.url)).toContain(
      `SELECT OpportunityId, Opportunity.StageName FROM OpportunityContactRole WHERE ContactId = '${only(fake.contacts).Id}'`,
    );
  });

  it('reuses an Account of the same name, and defaultAccountId for a user without a company', async () => {
    const existing = fake.add('Account', { Name: 'Northwind Studio' });
    await salesforce.deliver(registered, destination(), createHttp(), memoryContext());
    expect(fake.accounts.size).toBe(1);
    expect(only(fake.contacts).AccountId).toBe(existing);

    const solo = event('user.registered', { user: { id: 'usr_solo', email: 'solo@example.org' } }, 'evt_solo');
    await salesforce.deliver(solo, destination({ person: 'contact', defaultAccountId: existing }), createHttp(), memoryContext());
    expect([...fake.contacts.values()].find((c) => c.Email === 'solo@example.org')?.AccountId).toBe(existing);
    expect(fake.accounts.size).toBe(1);
  });

  it('makes one Contact and one Opportunity when several events of a new person arrive at once', async () => {
    const ctx = memoryContext();
    await Promise.all([completed, registered, generated].map((e) => salesforce.deliver(e, destination(), createHttp(), ctx)));
    expect(fake.contacts.size).toBe(1);
    expect(fake.accounts.size).toBe(1);
    expect(only(fake.opportunities).StageName).toBe('Needs Analysis');
    expect(fake.tasks.size).toBe(2);
  });

  it('fails for good on a stage the org does not have, and leaves nothing half-made', async () => {
    const error = await salesforce
      .deliver(registered, destination({ person: 'contact', opportunities: { stages: { 'user.registered': 'Signed up' } } }), createHttp(), memoryContext())
      .catch((e) => e);
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect(error.message).toBe(
      'Salesforce refused the Account creation, Contact creation, Opportunity creation and OpportunityContactRole creation (opportunity): INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST on StageName: Stage: bad value for restricted picklist field: Signed up',
    );
    expect(fake.accounts.size + fake.contacts.size + fake.opportunities.size).toBe(0);
  });

  it('shows every write in a dry run without sending or remembering anything', async () => {
    const http = createHttp({ dryRun: true });
    const ctx = memoryContext();
    await salesforce.deliver(registered, destination(), http, ctx);
    expect(lines(http)).toEqual(['POST /services/data/v66.0/composite 200', 'POST /services/data/v66.0/composite 200']);
    expect(subrequests(http, 1).map((r) => r.referenceId)).toEqual(['account', 'contact', 'opportunity', 'role']);
    expect(fake.requests).toHaveLength(0);
    expect(ctx.state.map.size).toBe(0);
  });

  it('checks in doctor that every mapped stage is an active opportunity stage', async () => {
    await expect(salesforce.check!(destination(), createHttp(), memoryContext())).resolves.toBe(
      `authenticated to ${fake.origin} as the run-as user 005000000000001AAA; API v66.0; every mapped opportunity stage is active`,
    );
    const error = await salesforce
      .check!(destination({ opportunities: { stages: { 'video.completed': 'Won' } } }), createHttp(), memoryContext())
      .catch((e) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/^opportunities\.stages\.video\.completed "Won" is not an active opportunity stage; the org's stages: Prospecting, Qualification/);
  });

  it('refuses settings that cannot work, naming the setting', () => {
    const resolve = (extra: Record<string, unknown>) =>
      resolveDestination({
        name: 'crm-sf',
        source: 'project',
        file: 'vidhook.yml',
        body: { connector: 'salesforce', loginUrl: 'https://acme.my.salesforce.com', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...extra },
      });
    expect(() => resolve({ opportunities: { stages: { 'video.done': 'Closed Won' } } })).toThrow(
      'vidhook.yml, destination "crm-sf", setting "opportunities.stages.video.done": "video.done" is not an event type; use one of',
    );
    expect(() => resolve({ person: 'account' })).toThrow('setting "person": must be lead or contact');
    expect(() => resolve({ defaultAccountId: '003000000000001' })).toThrow('setting "defaultAccountId": must be an Account id');
    expect(() => resolve({ opportunities: { stages: STAGES, closeDays: -1 } })).toThrow(/setting "opportunities\.closeDays"/);
    expect(resolve({}).dest.settings).toMatchObject({ person: 'lead' });
  });
});

describe('salesforce converted Leads (person: lead)', () => {
  const LEAD_MODE = { opportunities: { stages: STAGES } };

  it('follows a converted Lead to its Contact and Opportunity instead of making a new Lead', async () => {
    const ctx = memoryContext();
    await salesforce.deliver(registered, destination(LEAD_MODE), createHttp(), ctx);
    const lead = only(fake.leads);
    expect(fake.opportunities.size).toBe(0);
    const converted = fake.convertLead(lead.Id, { Name: 'Northwind deal', StageName: 'Prospecting' });

    const http = createHttp();
    await salesforce.deliver(completed, destination(LEAD_MODE), http, ctx);
    expect(lines(http)).toEqual([
      'POST /services/data/v66.0/sobjects/Task 400',
      'GET /services/data/v66.0/query 200',
      'GET /services/data/v66.0/query 200',
      'POST /services/data/v66.0/composite 200',
    ]);
    expect(fake.leads.size).toBe(1);
    expect(only(fake.tasks)).toMatchObject({ WhoId: converted.contactId });
    expect(fake.opportunities.get(converted.opportunityId!)!.StageName).toBe('Needs Analysis');
    expect(ctx.state.map.get('contact:usr_8f3k2m')).toBe(converted.contactId);
    expect(ctx.state.map.has('lead:usr_8f3k2m')).toBe(false);

    // Later events go to the Contact straight away.
    const again = createHttp();
    await salesforce.deliver(registered, destination(LEAD_MODE), again, ctx);
    expect(lines(again)).toEqual([`PATCH /services/data/v66.0/sobjects/Contact/${converted.contactId} 204`]);
  });

  it('finds a converted Lead by email when nothing is remembered', async () => {
    await salesforce.deliver(registered, destination(LEAD_MODE), createHttp(), memoryContext());
    const converted = fake.convertLead(only(fake.leads).Id);
    const ctx = memoryContext();
    await salesforce.deliver(generated, destination(LEAD_MODE), createHttp(), ctx);
    expect(fake.leads.size).toBe(1);
    expect(only(fake.tasks).WhoId).toBe(converted.contactId);
    // Converted without an Opportunity: the first mapped event makes one on the converted Account.
    expect(only(fake.opportunities)).toMatchObject({ AccountId: converted.accountId, StageName: 'Qualification' });
    expect(only(fake.contactRoles)).toMatchObject({ ContactId: converted.contactId });
  });

  it('updates a converted Lead\'s Contact on a later registration instead of failing', async () => {
    const ctx = memoryContext();
    await salesforce.deliver(registered, destination({}), createHttp(), ctx);
    const converted = fake.convertLead(only(fake.leads).Id);
    const renamed = event('user.registered', { user: { id: 'usr_8f3k2m', email: 'maya.chen@example.com', name: 'Maya Chen-Ito' } }, 'evt_reg_2');
    await salesforce.deliver(renamed, destination({}), createHttp(), ctx);
    expect(fake.contacts.get(converted.contactId)!.LastName).toBe('Chen-Ito');
    expect(fake.leads.size).toBe(1);
  });
});
