import type { Envelope, User } from '../../events/index.js';
import { eventUser } from '../crm/activity.js';
import { defineConnector, PermanentError, SkipDelivery, type Session } from '../core/index.js';
import { api, apiVersions, composite, queries, type SalesforceCall, type SaveResult } from './api.js';
import { mintSession, pemOf, type SalesforceSession } from './auth.js';
import { classifySalesforce, ConvertedLeadError, RecordGoneError } from './errors.js';
import { contactKey, followConversion, leadKey, taskKey, trackContact, type Conversion, type Intent } from './people.js';
import { leadFields, soqlString, taskFields } from './records.js';
import { salesforceSettings, type SalesforceSettings } from './settings.js';

export type { SalesforceSettings } from './settings.js';

interface LeadRow {
  Id: string;
  IsConverted?: boolean;
  ConvertedContactId?: string | null;
  ConvertedAccountId?: string | null;
  ConvertedOpportunityId?: string | null;
}

const CONVERSION_FIELDS = 'Id, IsConverted, ConvertedContactId, ConvertedAccountId, ConvertedOpportunityId';

const conversionOf = (row: LeadRow | undefined): Conversion | undefined =>
  row?.IsConverted && row.ConvertedContactId
    ? { contactId: row.ConvertedContactId, accountId: row.ConvertedAccountId, opportunityId: row.ConvertedOpportunityId }
    : undefined;

type FoundLead = { id: string; remembered: boolean; conversion?: Conversion };

/**
 * The user's Lead: the one remembered for this user, else the oldest open Lead with the same
 * email, else a converted one (which is followed to its Contact).
 */
async function findLead(call: SalesforceCall, user: User): Promise<FoundLead | undefined> {
  const kept = await call.state.get(leadKey(user.id));
  if (kept) return { id: kept, remembered: true };
  if (!user.email) return undefined;
  const soql = `SELECT ${CONVERSION_FIELDS} FROM Lead WHERE Email = ${soqlString(user.email)} ORDER BY CreatedDate ASC LIMIT 10`;
  const rows = (await queries<LeadRow>(call, { lead: soql }, 'the Lead lookup by email')).get('lead') ?? [];
  const lead = rows.find((r) => !r.IsConverted) ?? rows.find((r) => conversionOf(r));
  return lead ? { id: lead.Id, remembered: false, conversion: conversionOf(lead) } : undefined;
}

/** What a remembered Lead that Salesforce calls converted became. */
async function conversionById(call: SalesforceCall, leadId: string): Promise<Conversion | undefined> {
  const rows = await queries<LeadRow>(call, { lead: `SELECT ${CONVERSION_FIELDS} FROM Lead WHERE Id = ${soqlString(leadId)} LIMIT 1` }, 'the converted Lead read');
  return conversionOf(rows.get('lead')?.[0]);
}

/**
 * Lead mode. A person already followed to a Contact (a converted Lead) is tracked as one; else
 * `onLead` runs against the Lead, and a Lead found converted on the way is followed. Answers
 * whether the Lead did the work.
 */
async function asLead(call: SalesforceCall, event: Envelope, user: User, intent: Intent, onLead: (lead: FoundLead) => Promise<void>): Promise<boolean> {
  // Twice at most: a remembered Lead that was deleted since is forgotten and looked up afresh.
  for (let round = 0; round < 2; round++) {
    if (await call.state.get(contactKey(user.id))) break;
    const lead = await findLead(call, user);
    if (!lead) return false;
    let conversion = lead.conversion;
    if (!conversion) {
      try {
        await onLead(lead);
        return true;
      } catch (err) {
        if (err instanceof ConvertedLeadError) conversion = await conversionById(call, lead.id);
        else if (err instanceof RecordGoneError && lead.remembered) {
          await call.state.delete(leadKey(user.id));
          continue;
        }
        if (!conversion) throw err;
      }
    }
    await followConversion(call, user, conversion);
    break;
  }
  if (!(await call.state.get(contactKey(user.id)))) return false;
  await trackContact(call, event, user, intent);
  return true;
}

async function registerLead(call: SalesforceCall, event: Envelope, user: User): Promise<void> {
  const done = await asLead(call, event, user, { update: true, task: false }, async (lead) => {
    await api(call, { method: 'PATCH', path: `/sobjects/Lead/${lead.id}`, action: 'the Lead update', json: leadFields(user, call.settings, 'update') });
    await call.state.set(leadKey(user.id), lead.id);
  });
  if (done) return;
  const created = await api<SaveResult>(call, { method: 'POST', path: '/sobjects/Lead', action: 'the Lead creation', json: leadFields(user, call.settings, 'create') });
  if (created.id) await call.state.set(leadKey(user.id), created.id);
}

async function addTask(call: SalesforceCall, event: Envelope, user: User): Promise<void> {
  const intent = { update: false, task: true };
  const done = await asLead(call, event, user, intent, async (lead) => {
    if (await call.state.get(taskKey(event.id))) return;
    const task = await api<SaveResult>(call, { method: 'POST', path: '/sobjects/Task', action: 'the Task creation', json: taskFields(event, lead.id) });
    await call.state.set(leadKey(user.id), lead.id);
    if (task.id) await call.state.set(taskKey(event.id), task.id);
  });
  if (done || (await call.state.get(taskKey(event.id)))) return;
  // Not in Salesforce yet (the registration came before this destination, or is still on its
  // way): the Lead is created from the event's user, with its Task, in one API call.
  const results = await composite(
    call,
    [
      { method: 'POST', path: '/sobjects/Lead', referenceId: 'lead', body: leadFields(user, call.settings, 'create') },
      { method: 'POST', path: '/sobjects/Task', referenceId: 'task', body: taskFields(event, '@{lead.id}') },
    ],
    'the Lead and Task creation',
  );
  const leadId = results.get('lead')?.id;
  const taskId = results.get('task')?.id;
  if (leadId) await call.state.set(leadKey(user.id), leadId);
  if (taskId) await call.state.set(taskKey(event.id), taskId);
}

/** One person's events are serialised, so a registration and a video arriving together make one record. */
function track(event: Envelope, user: User, call: SalesforceCall, intent: Intent): Promise<void> {
  return call.serialized(user.id, () => {
    if (call.settings.person === 'contact') return trackContact(call, event, user, intent);
    return intent.task ? addTask(call, event, user) : registerLead(call, event, user);
  });
}

const taskOnPerson = (event: Envelope, user: User, call: SalesforceCall) => track(event, user, call, { update: false, task: true });

const SESSION_SKIP = 'session events are not sent to Salesforce: each would cost an API call and adds little to a Lead';

function hostOf(url: string): string {
  return new URL(url).hostname.toLowerCase();
}

export const salesforce = defineConnector<SalesforceSettings, SalesforceSession>({
  kind: 'salesforce',
  title: 'Salesforce',
  category: 'crm',
  description: 'One Lead (or a Contact under an Account) per user, found by email, a Task on it for each video event, and optionally one Opportunity per person moved forward through its stages.',
  settings: salesforceSettings,
  defaultEvents: ['user.registered', 'video.*'],
  // No per-second limit at Salesforce, only a daily allocation; stay gentle with the org.
  limits: { concurrency: 4, perSecond: 5 },
  // An inline key as it is used, once its escaped newlines are real ones.
  secrets: ({ privateKey }) => [privateKey && pemOf(privateKey)],

  authorize: {
    mint: mintSession,
    headers: (_settings, session) => ({ authorization: `Bearer ${session.accessToken}`, accept: 'application/json' }),
  },
  classify: classifySalesforce,

  handlers: {
    'user.registered': (event, call) => track(event, event.data.user, call, { update: true, task: false }),
    'video.generated': (event, call) => taskOnPerson(event, event.data.user, call),
    'video.completed': (event, call) => taskOnPerson(event, event.data.user, call),
    'video.failed': (event, call) => taskOnPerson(event, event.data.user, call),
    async custom(event, call) {
      const user = eventUser(event);
      if (!user) throw new SkipDelivery(`${event.type} names no data.user.id, so there is no Lead to attach it to`);
      await taskOnPerson(event, user, call);
    },
  },
  skipped: { 'session.started': SESSION_SKIP, 'session.ended': SESSION_SKIP },

  async check(call) {
    const session = await call.session();
    const versions = await apiVersions(call);
    const { apiVersion, username } = call.settings;
    const who = username ?? `the run-as user ${session.identity?.split('/').at(-1) ?? '(client credentials)'}`;
    if (versions.length > 0 && !versions.includes(apiVersion)) {
      throw new PermanentError(
        `authenticated to ${session.instanceUrl} as ${who}, but the org does not offer API ${apiVersion} (newest: ${versions.at(-1)}): set apiVersion`,
      );
    }
    const found = `authenticated to ${session.instanceUrl} as ${who}; API ${apiVersion}`;
    const { opportunities } = call.settings;
    if (!opportunities) return found;
    const rows = await queries<{ ApiName: string }>(call, { stages: 'SELECT ApiName FROM OpportunityStage WHERE IsActive = true' }, 'the opportunity stages read');
    const active = (rows.get('stages') ?? []).map((r) => r.ApiName);
    const missing = Object.entries(opportunities.stages).filter(([, stage]) => !active.includes(stage));
    if (missing.length > 0) {
      const which = missing.map(([type, stage]) => `opportunities.stages.${type} "${stage}"`).join(', ');
      throw new PermanentError(`${which} ${missing.length === 1 ? 'is not an active' : 'are not active'} opportunity stage; the org's stages: ${active.join(', ')}`);
    }
    return `${found}; every mapped opportunity stage is active`;
  },

  warnings(settings) {
    const host = hostOf(settings.loginUrl);
    const out: string[] = [];
    if (!/(^|\.)(salesforce\.com|force\.com|site\.com)$/.test(host)) {
      out.push(`loginUrl ${settings.loginUrl} is not a Salesforce host (expected https://<domain>.my.salesforce.com)`);
    }
    if (settings.clientSecret && (host === 'login.salesforce.com' || host === 'test.salesforce.com')) {
      out.push(`the client credentials flow needs your My Domain as loginUrl, not ${host}`);
    }
    return out;
  },
});
