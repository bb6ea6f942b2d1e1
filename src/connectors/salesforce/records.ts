import type { Envelope, User } from '../../events/index.js';
import { clip, describeActivity, personName } from '../crm/activity.js';
import type { SalesforceSettings } from './settings.js';

export const DEFAULT_COMPANY = '[not provided]';
export const DEFAULT_LEAD_SOURCE = 'Web';

type Fields = Record<string, string>;

function put(fields: Fields, name: string, value: string | undefined, max: number): void {
  if (value) fields[name] = clip(value, max);
}

/**
 * Lead fields from the event's user. A new Lead needs LastName and Company, so they fall back
 * (email local part or user id; the `company` setting); an update sends only what the event
 * says, so it never overwrites a real Company with the fallback.
 */
export function leadFields(user: User, settings: SalesforceSettings, mode: 'create' | 'update'): Fields {
  const { first, last } = personName(user);
  const fields: Fields = {};
  put(fields, 'FirstName', first, 40);
  put(fields, 'LastName', last, 80);
  put(fields, 'Email', user.email, 80);
  put(fields, 'Phone', user.phone, 40);
  put(fields, 'City', user.city, 40);
  put(fields, 'Company', user.company, 255);
  if (mode === 'create') {
    fields.LastName ??= clip(user.email?.split('@')[0] || `vidhook user ${user.id}`, 80);
    fields.Company ??= clip(settings.company ?? DEFAULT_COMPANY, 255);
    fields.LeadSource = settings.leadSource ?? DEFAULT_LEAD_SOURCE;
    const plan = user.plan ? `, plan ${user.plan}` : '';
    fields.Description = `vidhook user ${user.id}${plan}`;
  }
  return fields;
}

/** A Task on the Lead: what happened, the video link, and the event id to trace it. */
export function taskFields(event: Envelope, whoId: string): Fields {
  const activity = describeActivity(event);
  return {
    WhoId: whoId,
    Subject: clip(activity.headline, 255),
    Status: activity.outcome === 'completed' || activity.outcome === 'other' ? 'Completed' : activity.outcome === 'started' ? 'In Progress' : 'Not Started',
    Priority: activity.outcome === 'failed' ? 'High' : 'Normal',
    ActivityDate: event.timestamp.slice(0, 10),
    Description: clip(activity.details.join('\n'), 32000),
  };
}

/** A SOQL string literal. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Contact fields from the event's user; like a Lead's, a new Contact needs a LastName. */
export function contactFields(user: User, settings: SalesforceSettings, mode: 'create' | 'update'): Fields {
  const { first, last } = personName(user);
  const fields: Fields = {};
  put(fields, 'FirstName', first, 40);
  put(fields, 'LastName', last, 80);
  put(fields, 'Email', user.email, 80);
  put(fields, 'Phone', user.phone, 40);
  put(fields, 'MailingCity', user.city, 40);
  if (mode === 'create') {
    fields.LastName ??= clip(user.email?.split('@')[0] || `vidhook user ${user.id}`, 80);
    fields.LeadSource = settings.leadSource ?? DEFAULT_LEAD_SOURCE;
    const plan = user.plan ? `, plan ${user.plan}` : '';
    fields.Description = `vidhook user ${user.id}${plan}`;
  }
  return fields;
}

/** The Account a Contact goes under: the user's company, else the `company` setting (unless defaultAccountId is set). */
export function accountName(user: User, settings: SalesforceSettings): string | undefined {
  if (user.company) return clip(user.company, 255);
  return settings.defaultAccountId ? undefined : clip(settings.company ?? DEFAULT_COMPANY, 255);
}

/** The close date `days` after the event, as Salesforce's date. */
export function closeDate(event: Envelope, days: number): string {
  return new Date(Date.parse(event.timestamp) + days * 86_400_000).toISOString().slice(0, 10);
}
