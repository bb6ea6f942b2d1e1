import type { Envelope, User } from '../../events/index.js';
import { eventUser } from '../crm/activity.js';
import { defineConnector, maskSecret, PermanentError, RetryableError, SkipDelivery, type Call } from '../core/index.js';
import { classifyHubspot, LinkedRecordGoneError } from './errors.js';
import { hubspotOrigin, objectsPath } from './host.js';
import { advanceDeal, checkPipeline } from './deals.js';
import { contactProperties, NOTE_TO_CONTACT, noteBody } from './records.js';
import { hubspotSettings, type HubspotSettings } from './settings.js';
import { addTimelineEvent } from './timeline.js';

export type { HubspotSettings } from './settings.js';

type HubspotCall = Call<HubspotSettings>;

const contactKey = (userId: string) => `contact:${userId}`;
const noteKey = (eventId: string) => `note:${eventId}`;

interface BatchAnswer {
  results?: Array<{ id?: string }>;
  errors?: Array<{ message?: string; category?: string }>;
}

function objectsUrl(call: HubspotCall, objectType: string, rest = ''): string {
  return `${hubspotOrigin(call.settings)}${objectsPath(call.settings.apiVersion, objectType)}${rest}`;
}

/** Creates or updates the contact by email (HubSpot's natural key) and remembers its id. */
async function upsertContact(event: Envelope, user: User, email: string, call: HubspotCall): Promise<string> {
  const answer = await call.sendJson<BatchAnswer>({
    method: 'POST',
    url: objectsUrl(call, 'contacts', '/batch/upsert'),
    action: 'the contact upsert',
    json: { inputs: [{ idProperty: 'email', id: email.toLowerCase(), properties: contactProperties(event, user, call.settings) }] },
    // A video event's note goes on with the contact id the upsert answers.
    dryRunResponse: { status: 200, body: { status: 'COMPLETE', results: [{ id: 'dry-run-contact', new: false, properties: {} }] } },
  });
  const id = answer.results?.[0]?.id;
  if (!id) {
    const why = answer.errors?.[0]?.message ?? 'no contact in the answer';
    throw new PermanentError(`HubSpot did not upsert the contact ${email}: ${why}`);
  }
  await call.state.set(contactKey(user.id), id);
  return id;
}

async function contactFromEvent(event: Envelope, user: User, call: HubspotCall): Promise<string> {
  if (!user.email) {
    // HubSpot knows people by email: creating one without it would duplicate the contact the
    // registration makes. Wait for that delivery instead.
    throw new RetryableError(
      `HubSpot has no contact for user ${user.id} yet and this ${event.type} carries no user.email; it waits for the user's user.registered delivery`,
    );
  }
  return upsertContact(event, user, user.email, call);
}

async function createNote(event: Envelope, contactId: string, call: HubspotCall): Promise<void> {
  const note = await call.sendJson<{ id?: string }>({
    method: 'POST',
    url: objectsUrl(call, 'notes'),
    action: 'the note',
    json: {
      properties: { hs_timestamp: event.timestamp, hs_note_body: noteBody(event) },
      associations: [{ to: { id: contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: NOTE_TO_CONTACT }] }],
    },
  });
  if (note.id) await call.state.set(noteKey(event.id), note.id);
}

/** What one delivery knows of its person: the contact id once upserted or recalled. */
interface Person {
  user: User;
  contactId?: string;
}

/**
 * Runs `work` with the person's contact id: known, remembered, else upserted from the event. A
 * remembered contact that is gone (deleted, merged) is upserted afresh once.
 */
async function withContact(event: Envelope, person: Person, call: HubspotCall, work: (contactId: string) => Promise<void>): Promise<void> {
  const { user } = person;
  const kept = person.contactId ?? (await call.state.get(contactKey(user.id)));
  if (kept) {
    try {
      person.contactId = kept;
      return await work(kept);
    } catch (err) {
      if (!(err instanceof LinkedRecordGoneError && user.email)) throw err;
      await call.state.delete(contactKey(user.id));
    }
  }
  person.contactId = await contactFromEvent(event, user, call);
  await work(person.contactId);
}

/** The contact id, looked up (or upserted) only when a step needs it. */
async function contactOf(event: Envelope, person: Person, call: HubspotCall): Promise<string> {
  person.contactId ??= (await call.state.get(contactKey(person.user.id))) ?? (await contactFromEvent(event, person.user, call));
  return person.contactId;
}

/** One note per event on the user's contact. */
async function addNote(event: Envelope, person: Person, call: HubspotCall): Promise<void> {
  if (await call.state.get(noteKey(event.id))) return;
  await withContact(event, person, call, (contactId) => createNote(event, contactId, call));
}

/**
 * Everything one event does for its person, one step after another, each remembered or
 * idempotent so a retry redoes only what is missing: the note (video and custom events), the
 * timeline event and the deal stage (when configured). Events of one person are serialised.
 */
function track(event: Envelope, user: User, call: HubspotCall, steps: { upsert: boolean; note: boolean }): Promise<void> {
  return call.serialized(user.id, async () => {
    const person: Person = { user };
    if (steps.upsert && user.email) person.contactId = await upsertContact(event, user, user.email, call);
    if (steps.note) await addNote(event, person, call);
    await addTimelineEvent(call, event, user, () => contactOf(event, person, call));
    if (call.settings.deals?.stages[event.type]) {
      await withContact(event, person, call, (contactId) => advanceDeal(call, event, user, async () => contactId));
    }
  });
}

const SESSIONS_SKIPPED = "session events are not sent to HubSpot: they would flood the contact's timeline";

export const hubspot = defineConnector<HubspotSettings>({
  kind: 'hubspot',
  title: 'HubSpot',
  category: 'crm',
  description: 'Upserts a contact by email for each registered user and adds a note with the video link to it for video events; optionally moves one deal per person through a pipeline and writes timeline events.',
  settings: hubspotSettings,
  defaultEvents: ['user.registered', 'video.completed', 'video.failed'],
  // 100 requests per 10 s on Free/Starter, shared by every app of the account; a delivery makes one or two.
  limits: { concurrency: 2, perSecond: 4 },
  authorize: {
    headers: ({ accessToken }) => ({ authorization: `Bearer ${accessToken}`, accept: 'application/json' }),
  },
  classify: classifyHubspot,

  handlers: {
    'user.registered': (event, call) => track(event, event.data.user, call, { upsert: true, note: false }),
    'video.generated': (event, call) => track(event, event.data.user, call, { upsert: false, note: true }),
    'video.completed': (event, call) => track(event, event.data.user, call, { upsert: false, note: true }),
    'video.failed': (event, call) => track(event, event.data.user, call, { upsert: false, note: true }),
    custom: (event, call) => {
      const user = eventUser(event);
      if (!user) throw new SkipDelivery(`${event.type} names no data.user.id, so there is no contact to attach it to`);
      return track(event, user, call, { upsert: false, note: true });
    },
  },
  skipped: { 'session.started': SESSIONS_SKIPPED, 'session.ended': SESSIONS_SKIPPED },

  async check(call) {
    await call.send({ method: 'GET', url: objectsUrl(call, 'contacts', '?limit=1'), action: 'the contacts read' });
    const found = `authenticated to ${hubspotOrigin(call.settings)} as ${maskSecret(call.settings.accessToken)}; contacts readable`;
    return call.settings.deals ? `${found}; ${await checkPipeline(call, call.settings.deals)}` : found;
  },

  warnings(settings) {
    if (!settings.baseUrl) return [];
    const host = new URL(settings.baseUrl).hostname.toLowerCase();
    return /(^|\.)hubapi\.com$/.test(host) ? [] : [`baseUrl ${settings.baseUrl} is not a HubSpot API host (api.hubapi.com)`];
  },
});
