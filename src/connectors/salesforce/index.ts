import type { Envelope, User } from '../../events/index.js';
import { eventUser } from '../crm/activity.js';
import { withKeyLock } from '../core/key-lock.js';
import { PermanentError, SkipDelivery } from '../core/errors.js';
import { SalesforceApi, type SaveResult } from './api.js';
import { withSalesforceSession } from './auth.js';
import { ConvertedLeadError, RecordGoneError } from './errors.js';
import { leadFields, soqlString, taskFields } from './records.js';
import { salesforceSettings, type SalesforceSettings } from './settings.js';
import type { Connector, DeliveryContext, Http } from '../core/types.js';

export type { SalesforceSettings } from './settings.js';

const leadKey = (userId: string) => `lead:${userId}`;
const taskKey = (eventId: string) => `task:${eventId}`;

/** One delivery's view of the org: the API, the destination's settings and its durable state. */
interface Run {
  api: SalesforceApi;
  settings: SalesforceSettings;
  ctx: DeliveryContext;
  http: Http;
}

async function remember(run: Run, key: string, value: string): Promise<void> {
  // A dry run's ids are invented: keeping them would break the real deliveries.
  if (!run.http.dryRun) await run.ctx.state.set(key, value);
}

/** The user's Lead: the one remembered for this user, else an open Lead with the same email. */
async function findLead(run: Run, user: User): Promise<{ id: string; remembered: boolean } | undefined> {
  const kept = await run.ctx.state.get(leadKey(user.id));
  if (kept) return { id: kept, remembered: true };
  if (!user.email) return undefined;
  const soql = `SELECT Id FROM Lead WHERE Email = ${soqlString(user.email)} AND IsConverted = false ORDER BY CreatedDate ASC LIMIT 1`;
  const [id] = await run.api.queryIds(soql, 'the Lead lookup by email');
  return id ? { id, remembered: false } : undefined;
}

const saved = { status: 201, body: { id: 'dry-run-record', success: true, errors: [] } };

async function registerLead(run: Run, user: User): Promise<void> {
  // Twice at most: a remembered Lead that was deleted since is forgotten and looked up afresh.
  for (let round = 0; round < 2; round++) {
    const lead = await findLead(run, user);
    if (!lead) break;
    try {
      await run.api.call('PATCH', `/sobjects/Lead/${lead.id}`, 'the Lead update', {
        json: leadFields(user, run.settings, 'update'),
        dryRun: { status: 204, body: '' },
      });
      await remember(run, leadKey(user.id), lead.id);
      return;
    } catch (err) {
      if (err instanceof ConvertedLeadError) return;
      if (!(err instanceof RecordGoneError && lead.remembered)) throw err;
      await run.ctx.state.delete(leadKey(user.id));
    }
  }
  const created = await run.api.call<SaveResult>('POST', '/sobjects/Lead', 'the Lead creation', {
    json: leadFields(user, run.settings, 'create'),
    dryRun: saved,
  });
  if (created?.id) await remember(run, leadKey(user.id), created.id);
}

async function addTask(run: Run, event: Envelope, user: User): Promise<void> {
  if (await run.ctx.state.get(taskKey(event.id))) return;
  for (let round = 0; round < 2; round++) {
    const lead = await findLead(run, user);
    if (!lead) break;
    try {
      const task = await run.api.call<SaveResult>('POST', '/sobjects/Task', 'the Task creation', {
        json: taskFields(event, lead.id),
        dryRun: saved,
      });
      await remember(run, leadKey(user.id), lead.id);
      if (task?.id) await remember(run, taskKey(event.id), task.id);
      return;
    } catch (err) {
      if (!(err instanceof RecordGoneError && lead.remembered)) throw err;
      await run.ctx.state.delete(leadKey(user.id));
    }
  }
  // Not in Salesforce yet (the registration came before this destination, or is still on its
  // way): the Lead is created from the event's user, with its Task, in one API call.
  const results = await run.api.composite(
    [
      { method: 'POST', path: '/sobjects/Lead', referenceId: 'lead', body: leadFields(user, run.settings, 'create') },
      { method: 'POST', path: '/sobjects/Task', referenceId: 'task', body: taskFields(event, '@{lead.id}') },
    ],
    'the Lead and Task creation',
  );
  const leadId = (results.get('lead') as SaveResult | undefined)?.id;
  const taskId = (results.get('task') as SaveResult | undefined)?.id;
  if (leadId) await remember(run, leadKey(user.id), leadId);
  if (taskId) await remember(run, taskKey(event.id), taskId);
}

function hostOf(url: string): string {
  return new URL(url).hostname.toLowerCase();
}

export const salesforce: Connector<SalesforceSettings> = {
  kind: 'salesforce',
  title: 'Salesforce',
  category: 'crm',
  description: 'One Lead per registered user (found by email, created or updated), and a Task on it for each video event.',
  settings: salesforceSettings,
  defaultEvents: ['user.registered', 'video.*'],
  // No per-second limit at Salesforce, only a daily allocation; stay gentle with the org.
  limits: { concurrency: 4, perSecond: 5 },

  async deliver(event, dest, http, ctx) {
    if (event.type.startsWith('session.')) {
      throw new SkipDelivery('session events are not sent to Salesforce: each would cost an API call and adds little to a Lead');
    }
    const user = eventUser(event);
    if (!user) throw new SkipDelivery(`${event.type} names no data.user.id, so there is no Lead to attach it to`);
    await withKeyLock(`salesforce:${dest.name}:${user.id}`, () =>
      withSalesforceSession(dest, http, ctx.now(), async (session) => {
        const run: Run = { api: new SalesforceApi(http, session, dest.settings.apiVersion), settings: dest.settings, ctx, http };
        if (event.type === 'user.registered') await registerLead(run, user);
        else await addTask(run, event, user);
      }),
    );
  },

  async check(dest, http, ctx) {
    return withSalesforceSession(dest, http, ctx.now(), async (session) => {
      const versions = await new SalesforceApi(http, session, dest.settings.apiVersion).versions();
      const who = dest.settings.username ?? `the run-as user ${session.identity?.split('/').at(-1) ?? '(client credentials)'}`;
      if (versions.length > 0 && !versions.includes(dest.settings.apiVersion)) {
        throw new PermanentError(
          `authenticated to ${session.instanceUrl} as ${who}, but the org does not offer API ${dest.settings.apiVersion} (newest: ${versions.at(-1)}): set apiVersion`,
        );
      }
      return `authenticated to ${session.instanceUrl} as ${who}; API ${dest.settings.apiVersion}`;
    });
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
};
