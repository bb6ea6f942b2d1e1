import type { Envelope, User } from '../../events/index.js';
import { eventUser } from '../crm/activity.js';
import { defineConnector, PermanentError, SkipDelivery, type Session } from '../core/index.js';
import { api, apiVersions, composite, queryIds, type SalesforceCall, type SaveResult } from './api.js';
import { mintSession, pemOf, type SalesforceSession } from './auth.js';
import { classifySalesforce, ConvertedLeadError, RecordGoneError } from './errors.js';
import { leadFields, soqlString, taskFields } from './records.js';
import { salesforceSettings, type SalesforceSettings } from './settings.js';

export type { SalesforceSettings } from './settings.js';

const leadKey = (userId: string) => `lead:${userId}`;
const taskKey = (eventId: string) => `task:${eventId}`;

/** The user's Lead: the one remembered for this user, else an open Lead with the same email. */
async function findLead(call: SalesforceCall, user: User): Promise<{ id: string; remembered: boolean } | undefined> {
  const kept = await call.state.get(leadKey(user.id));
  if (kept) return { id: kept, remembered: true };
  if (!user.email) return undefined;
  const soql = `SELECT Id FROM Lead WHERE Email = ${soqlString(user.email)} AND IsConverted = false ORDER BY CreatedDate ASC LIMIT 1`;
  const [id] = await queryIds(call, soql, 'the Lead lookup by email');
  return id ? { id, remembered: false } : undefined;
}

async function registerLead(call: SalesforceCall, user: User): Promise<void> {
  // Twice at most: a remembered Lead that was deleted since is forgotten and looked up afresh.
  for (let round = 0; round < 2; round++) {
    const lead = await findLead(call, user);
    if (!lead) break;
    try {
      await api(call, { method: 'PATCH', path: `/sobjects/Lead/${lead.id}`, action: 'the Lead update', json: leadFields(user, call.settings, 'update') });
      await call.state.set(leadKey(user.id), lead.id);
      return;
    } catch (err) {
      if (err instanceof ConvertedLeadError) return;
      if (!(err instanceof RecordGoneError && lead.remembered)) throw err;
      await call.state.delete(leadKey(user.id));
    }
  }
  const created = await api<SaveResult>(call, { method: 'POST', path: '/sobjects/Lead', action: 'the Lead creation', json: leadFields(user, call.settings, 'create') });
  if (created.id) await call.state.set(leadKey(user.id), created.id);
}

async function addTask(call: SalesforceCall, event: Envelope, user: User): Promise<void> {
  if (await call.state.get(taskKey(event.id))) return;
  for (let round = 0; round < 2; round++) {
    const lead = await findLead(call, user);
    if (!lead) break;
    try {
      const task = await api<SaveResult>(call, { method: 'POST', path: '/sobjects/Task', action: 'the Task creation', json: taskFields(event, lead.id) });
      await call.state.set(leadKey(user.id), lead.id);
      if (task.id) await call.state.set(taskKey(event.id), task.id);
      return;
    } catch (err) {
      if (!(err instanceof RecordGoneError && lead.remembered)) throw err;
      await call.state.delete(leadKey(user.id));
    }
  }
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

/** Events of one user are serialised, so a registration and a video arriving together make one Lead. */
const taskOnLead = (event: Envelope, user: User, call: SalesforceCall) => call.serialized(user.id, () => addTask(call, event, user));

const SESSION_SKIP = 'session events are not sent to Salesforce: each would cost an API call and adds little to a Lead';

function hostOf(url: string): string {
  return new URL(url).hostname.toLowerCase();
}

export const salesforce = defineConnector<SalesforceSettings, SalesforceSession>({
  kind: 'salesforce',
  title: 'Salesforce',
  category: 'crm',
  description: 'One Lead per registered user (found by email, created or updated), and a Task on it for each video event.',
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
    'user.registered': (event, call) => call.serialized(event.data.user.id, () => registerLead(call, event.data.user)),
    'video.generated': (event, call) => taskOnLead(event, event.data.user, call),
    'video.completed': (event, call) => taskOnLead(event, event.data.user, call),
    'video.failed': (event, call) => taskOnLead(event, event.data.user, call),
    async custom(event, call) {
      const user = eventUser(event);
      if (!user) throw new SkipDelivery(`${event.type} names no data.user.id, so there is no Lead to attach it to`);
      await taskOnLead(event, user, call);
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
    return `authenticated to ${session.instanceUrl} as ${who}; API ${apiVersion}`;
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
