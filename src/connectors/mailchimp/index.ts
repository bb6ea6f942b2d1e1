import type { Envelope, User } from '../../events/index.js';
import { eventUser } from '../crm/activity.js';
import { defineConnector, SkipDelivery, type Call, type ConnectorRequest } from '../core/index.js';
import { classifyMailchimp, MemberNotFoundError, MemberUnavailableError } from './errors.js';
import { customProperties, eventName, mergeFields, sessionProperties, subscriberHash, videoProperties } from './member.js';
import { dataCentreOf, listUrl, mailchimpOrigin, mailchimpSettings, type MailchimpSettings } from './settings.js';

export type { MailchimpSettings } from './settings.js';

type MailchimpCall = Call<MailchimpSettings>;

/** The member hash a user registered with, so later events without an email still find the member. */
const memberKey = (userId: string) => `member:${userId}`;
/** Mailchimp keeps no id for a member event: remembering the posted ones keeps a retry from posting twice. */
const postedKey = (eventId: string) => `event:${eventId}`;

const basicCredentials = ({ apiKey }: Pick<MailchimpSettings, 'apiKey'>) => Buffer.from(`vidhook:${apiKey}`).toString('base64');

/** The audience's own rules keep this address out: a skip with Mailchimp's reason, not a failure. */
async function sendForMember(call: MailchimpCall, request: ConnectorRequest): Promise<void> {
  try {
    await call.send(request);
  } catch (err) {
    if (err instanceof MemberUnavailableError) throw new SkipDelivery(err.message);
    throw err;
  }
}

async function addTags(event: Envelope, hash: string, call: MailchimpCall): Promise<void> {
  const names = call.settings.tags?.[event.type] ?? [];
  if (names.length === 0) return;
  // Tags sent with the upsert are ignored for an existing member; this endpoint adds them to anyone.
  await call.send({
    method: 'POST',
    url: listUrl(call.settings, `/members/${hash}/tags`),
    json: { tags: names.map((name) => ({ name, status: 'active' })) },
    action: 'the tags update',
  });
}

async function upsertMember(event: Envelope, user: User & { email: string }, call: MailchimpCall): Promise<void> {
  const hash = subscriberHash(user.email);
  await call.serialized(hash, async () => {
    const merge = mergeFields(event, user, call.settings);
    await sendForMember(call, {
      method: 'PUT',
      url: listUrl(call.settings, `/members/${hash}`),
      // status_if_new, never status: an existing member's subscription (or unsubscription) stands.
      json: { email_address: user.email, status_if_new: call.settings.status, ...(Object.keys(merge).length ? { merge_fields: merge } : {}) },
      action: 'the member upsert',
    });
    await call.state.set(memberKey(user.id), hash);
    await addTags(event, hash, call);
  });
}

interface Member {
  hash: string;
  /** How messages name the member. */
  who: string;
  /** The user whose remembered hash this is; absent when the event's email gave it. */
  rememberedFor?: string;
}

async function memberOf(event: Envelope, user: User, call: MailchimpCall): Promise<Member> {
  if (user.email) return { hash: subscriberHash(user.email), who: user.email };
  const hash = await call.state.get(memberKey(user.id));
  if (hash) return { hash, who: `user ${user.id}`, rememberedFor: user.id };
  throw new SkipDelivery(
    `${event.type} carries no user.email and user ${user.id} was not registered through this destination, so there is no Mailchimp member to attach it to`,
  );
}

/** A 404 on a member's event: name the audience when it is the audience that is missing, else skip. */
async function memberMissing(event: Envelope, member: Member, call: MailchimpCall): Promise<never> {
  const list = await call.sendJson<{ name?: string }>({ method: 'GET', url: listUrl(call.settings, '?fields=id,name'), action: 'the audience read' });
  if (member.rememberedFor) await call.state.delete(memberKey(member.rememberedFor));
  throw new SkipDelivery(
    `${member.who} is not a member of the audience "${list.name ?? call.settings.listId}" (${call.settings.listId}): ${event.type} is recorded only for members (added by user.registered)`,
  );
}

/** A member event (`video_completed`, …) that can start a Customer Journey, then the event type's tags. */
async function recordEvent(event: Envelope, user: User, properties: Record<string, string>, call: MailchimpCall): Promise<void> {
  const member = await memberOf(event, user, call);
  await call.serialized(member.hash, async () => {
    try {
      if (!(await call.state.get(postedKey(event.id)))) {
        await call.send({
          method: 'POST',
          url: listUrl(call.settings, `/members/${member.hash}/events`),
          json: { name: eventName(event.type), occurred_at: event.timestamp, is_syncing: false, properties },
          action: 'the member event',
        });
        await call.state.set(postedKey(event.id), member.hash);
      }
      await addTags(event, member.hash, call);
    } catch (err) {
      if (err instanceof MemberNotFoundError) await memberMissing(event, member, call);
      throw err;
    }
  });
}

export const mailchimp = defineConnector<MailchimpSettings>({
  kind: 'mailchimp',
  title: 'Mailchimp',
  category: 'marketing',
  description: 'Adds each registered user to an audience (double opt-in by default) and records video and session events on the member, where they can start Customer Journeys.',
  settings: mailchimpSettings,
  defaultEvents: ['user.registered', 'video.completed'],
  // Mailchimp allows 10 simultaneous connections per account, shared with every other integration.
  limits: { concurrency: 5 },
  secrets: (settings) => [basicCredentials(settings)],
  authorize: { headers: (settings) => ({ authorization: `Basic ${basicCredentials(settings)}`, accept: 'application/json' }) },
  classify: classifyMailchimp,

  handlers: {
    'user.registered': (event, call) => upsertMember(event, event.data.user, call),
    'video.generated': (event, call) => recordEvent(event, event.data.user, videoProperties(event, event.data.video), call),
    'video.completed': (event, call) => recordEvent(event, event.data.user, videoProperties(event, event.data.video), call),
    'video.failed': (event, call) => recordEvent(event, event.data.user, videoProperties(event, event.data.video, event.data.error), call),
    'session.started': (event, call) => recordEvent(event, event.data.user, sessionProperties(event, event.data.session), call),
    'session.ended': (event, call) => recordEvent(event, event.data.user, sessionProperties(event, event.data.session), call),
    custom: (event, call) => {
      const user = eventUser(event);
      if (!user) throw new SkipDelivery(`${event.type} names no data.user.id, so there is no Mailchimp member to attach it to`);
      return recordEvent(event, user, customProperties(event), call);
    },
  },

  async check(call) {
    const origin = mailchimpOrigin(call.settings);
    const ping = await call.sendJson<{ health_status?: string }>({ method: 'GET', url: `${origin}/3.0/ping`, action: 'the ping' });
    const list = await call.sendJson<{ name?: string; stats?: { member_count?: number } }>({
      method: 'GET',
      url: listUrl(call.settings, '?fields=id,name,stats.member_count'),
      action: 'the audience read',
    });
    const members = typeof list.stats?.member_count === 'number' ? `, ${list.stats.member_count} members` : '';
    return `authenticated to ${origin} (${ping.health_status ?? 'ping answered'}); audience "${list.name ?? '?'}" (${call.settings.listId}${members})`;
  },

  warnings(settings) {
    if (!settings.baseUrl) return [];
    const own = dataCentreOf(settings.apiKey);
    const dc = /^([a-z]{2,4}\d{1,3})\.api\.mailchimp\.com$/.exec(new URL(settings.baseUrl).hostname.toLowerCase())?.[1];
    if (!dc) return [`baseUrl ${settings.baseUrl} is not a Mailchimp API host (the API key's is https://${own}.api.mailchimp.com)`];
    if (dc !== own) return [`baseUrl names data centre ${dc} but the API key belongs to ${own}: Mailchimp would answer API Key Invalid`];
    return [];
  },
});
