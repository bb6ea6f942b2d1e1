import type { Envelope, User } from '../../events/index.js';
import { movesForward, renderRecordName } from '../crm/pipeline.js';
import { queries, writeAll, type CompositeSubrequest, type SalesforceCall } from './api.js';
import { RecordGoneError } from './errors.js';
import { accountName, closeDate, contactFields, DEFAULT_LEAD_SOURCE, soqlString, taskFields } from './records.js';
import { DEFAULT_CLOSE_DAYS } from './settings.js';

// What vidhook remembers of a person once they are a Contact (contact mode, or a converted Lead).
export const leadKey = (userId: string) => `lead:${userId}`;
export const contactKey = (userId: string) => `contact:${userId}`;
const accountKey = (userId: string) => `account:${userId}`;
const opportunityKey = (userId: string) => `opportunity:${userId}`;
const opportunityStageKey = (userId: string) => `opportunity-stage:${userId}`;
export const taskKey = (eventId: string) => `task:${eventId}`;

const OPPORTUNITY_NAME_LIMIT = 120;

/** What one event asks for: the person's fields updated (a registration) and a Task (a video or custom event). */
export interface Intent {
  update: boolean;
  task: boolean;
}

/** The records a converted Lead became (`ConvertedContactId`, …). */
export interface Conversion {
  contactId: string;
  accountId?: string | null;
  opportunityId?: string | null;
}

/** A converted Lead is followed: from now on the person is its Contact, with its Account and Opportunity. */
export async function followConversion(call: SalesforceCall, user: User, conversion: Conversion): Promise<void> {
  await call.state.set(contactKey(user.id), conversion.contactId);
  if (conversion.accountId) await call.state.set(accountKey(user.id), conversion.accountId);
  await call.state.delete(opportunityStageKey(user.id));
  if (conversion.opportunityId) await call.state.set(opportunityKey(user.id), conversion.opportunityId);
  else await call.state.delete(opportunityKey(user.id));
  await call.state.delete(leadKey(user.id));
}

interface ContactRow {
  Id: string;
  AccountId?: string | null;
}

/** A Contact found by email, and the Account the user's company names, in one API call. */
async function findContactAndAccount(call: SalesforceCall, user: User): Promise<{ contact?: ContactRow; accountId?: string }> {
  const name = accountName(user, call.settings);
  const soql: Record<string, string> = {};
  if (user.email) soql.contact = `SELECT Id, AccountId FROM Contact WHERE Email = ${soqlString(user.email)} ORDER BY CreatedDate ASC LIMIT 1`;
  if (name) soql.account = `SELECT Id FROM Account WHERE Name = ${soqlString(name)} ORDER BY CreatedDate ASC LIMIT 1`;
  const rows = await queries<{ Id: string; AccountId?: string | null }>(call, soql, 'the Contact and Account lookup');
  return { contact: rows.get('contact')?.[0], accountId: rows.get('account')?.[0]?.Id };
}

/** The person's Opportunity and its stage now: remembered, else the oldest where the Contact has a role. */
async function currentOpportunity(call: SalesforceCall, user: User, contactId: string): Promise<{ id: string; stage?: string } | undefined> {
  const kept = await call.state.get(opportunityKey(user.id));
  if (kept) {
    const rows = await queries<{ Id: string; StageName?: string }>(
      call,
      { opportunity: `SELECT Id, StageName FROM Opportunity WHERE Id = ${soqlString(kept)} LIMIT 1` },
      'the Opportunity read',
    );
    const row = rows.get('opportunity')?.[0];
    if (row) return { id: row.Id, stage: row.StageName };
    await call.state.delete(opportunityKey(user.id));
    await call.state.delete(opportunityStageKey(user.id));
  }
  const rows = await queries<{ OpportunityId: string; Opportunity?: { StageName?: string } | null }>(
    call,
    { role: `SELECT OpportunityId, Opportunity.StageName FROM OpportunityContactRole WHERE ContactId = ${soqlString(contactId)} ORDER BY CreatedDate ASC LIMIT 1` },
    'the Opportunity lookup by contact role',
  );
  const role = rows.get('role')?.[0];
  return role ? { id: role.OpportunityId, stage: role.Opportunity?.StageName ?? undefined } : undefined;
}

interface OpportunityPlan {
  writes: CompositeSubrequest[];
  /** The Opportunity and stage to remember once the writes succeed. */
  remember?: { id?: string; stage?: string };
}

/**
 * What the event does to the person's Opportunity: nothing (no mapped stage, or not forward), a
 * stage update, or a new Opportunity with the Contact's role on it. What vidhook last set is
 * remembered, so an event that would not move it reads nothing; one that would reads the
 * current stage first, so a stage a person set since is never undone.
 */
async function planOpportunity(
  call: SalesforceCall,
  event: Envelope,
  user: User,
  contact: { id?: string; ref: string; accountRef?: string },
): Promise<OpportunityPlan> {
  const opportunities = call.settings.opportunities;
  const stage = opportunities?.stages[event.type];
  if (!opportunities || !stage) return { writes: [] };
  if (contact.id) {
    const known = await call.state.get(opportunityStageKey(user.id));
    if (known !== undefined && (await call.state.get(opportunityKey(user.id))) && !movesForward(opportunities.stages, known, stage)) {
      return { writes: [] };
    }
    const current = await currentOpportunity(call, user, contact.id);
    if (current) {
      if (!movesForward(opportunities.stages, current.stage, stage)) return { writes: [], remember: { id: current.id, stage: current.stage } };
      return {
        writes: [{ method: 'PATCH', path: `/sobjects/Opportunity/${current.id}`, referenceId: 'stage', body: { StageName: stage } }],
        remember: { id: current.id, stage },
      };
    }
  }
  const name = await renderRecordName(opportunities.name, event, 'opportunities.name', OPPORTUNITY_NAME_LIMIT);
  return {
    writes: [
      {
        method: 'POST',
        path: '/sobjects/Opportunity',
        referenceId: 'opportunity',
        body: {
          Name: name,
          StageName: stage,
          CloseDate: closeDate(event, opportunities.closeDays ?? DEFAULT_CLOSE_DAYS),
          LeadSource: call.settings.leadSource ?? DEFAULT_LEAD_SOURCE,
          Description: `vidhook user ${user.id}`,
          ...(contact.accountRef ? { AccountId: contact.accountRef } : {}),
        },
      },
      { method: 'POST', path: '/sobjects/OpportunityContactRole', referenceId: 'role', body: { OpportunityId: '@{opportunity.id}', ContactId: contact.ref, IsPrimary: true } },
    ],
    remember: { stage },
  };
}

const LABELS: Record<string, string> = {
  account: 'Account creation',
  contact: 'Contact',
  task: 'Task creation',
  opportunity: 'Opportunity creation',
  role: 'OpportunityContactRole creation',
  stage: 'Opportunity stage update',
};

function actionOf(writes: CompositeSubrequest[]): string {
  const labels = writes.map((w) => (w.referenceId === 'contact' ? `Contact ${w.method === 'POST' ? 'creation' : 'update'}` : LABELS[w.referenceId]));
  return `the ${labels.length > 1 ? `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}` : labels[0]}`;
}

async function trackOnce(call: SalesforceCall, event: Envelope, user: User, intent: Intent): Promise<void> {
  const task = intent.task && !(await call.state.get(taskKey(event.id)));
  let contactId = await call.state.get(contactKey(user.id));
  let accountId = await call.state.get(accountKey(user.id));
  const writes: CompositeSubrequest[] = [];

  if (!contactId) {
    const found = await findContactAndAccount(call, user);
    contactId = found.contact?.Id;
    accountId = found.contact?.AccountId ?? found.accountId ?? call.settings.defaultAccountId;
    if (!accountId) {
      writes.push({ method: 'POST', path: '/sobjects/Account', referenceId: 'account', body: { Name: accountName(user, call.settings) } });
    }
    const accountRef = accountId ?? '@{account.id}';
    if (!contactId) {
      writes.push({ method: 'POST', path: '/sobjects/Contact', referenceId: 'contact', body: { ...contactFields(user, call.settings, 'create'), AccountId: accountRef } });
    } else if (intent.update || !found.contact?.AccountId) {
      const fields = { ...contactFields(user, call.settings, 'update'), ...(found.contact?.AccountId ? {} : { AccountId: accountRef }) };
      writes.push({ method: 'PATCH', path: `/sobjects/Contact/${contactId}`, referenceId: 'contact', body: fields });
    }
  } else if (intent.update) {
    writes.push({ method: 'PATCH', path: `/sobjects/Contact/${contactId}`, referenceId: 'contact', body: contactFields(user, call.settings, 'update') });
  }
  const contactRef = contactId ?? '@{contact.id}';
  const accountRef = accountId ?? (writes.some((w) => w.referenceId === 'account') ? '@{account.id}' : undefined);
  if (task) writes.push({ method: 'POST', path: '/sobjects/Task', referenceId: 'task', body: taskFields(event, contactRef) });
  const opportunity = await planOpportunity(call, event, user, { id: contactId, ref: contactRef, accountRef });
  writes.push(...opportunity.writes);

  const results = await writeAll(call, writes, writes.length ? actionOf(writes) : '');
  const newContact = results.get('contact')?.id;
  const newAccount = results.get('account')?.id;
  if (contactId || newContact) await call.state.set(contactKey(user.id), (contactId ?? newContact)!);
  if (accountId || newAccount) await call.state.set(accountKey(user.id), (accountId ?? newAccount)!);
  const taskId = results.get('task')?.id;
  if (taskId) await call.state.set(taskKey(event.id), taskId);
  const opportunityId = opportunity.remember?.id ?? results.get('opportunity')?.id;
  if (opportunityId) await call.state.set(opportunityKey(user.id), opportunityId);
  if (opportunityId && opportunity.remember?.stage) await call.state.set(opportunityStageKey(user.id), opportunity.remember.stage);
}

/**
 * The person as a Contact under an Account: found by email (or remembered), created when new,
 * with the event's Task and Opportunity stage, all written in one Composite call. A remembered
 * Contact that is gone is forgotten and found or created afresh once.
 */
export async function trackContact(call: SalesforceCall, event: Envelope, user: User, intent: Intent): Promise<void> {
  const remembered = Boolean(await call.state.get(contactKey(user.id)));
  try {
    await trackOnce(call, event, user, intent);
  } catch (err) {
    if (!(err instanceof RecordGoneError && remembered)) throw err;
    for (const key of [contactKey, accountKey, opportunityKey, opportunityStageKey]) await call.state.delete(key(user.id));
    await trackOnce(call, event, user, intent);
  }
}
