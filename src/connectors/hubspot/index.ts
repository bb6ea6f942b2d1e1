import type { Envelope, User } from '../../events/index.js';
import { eventUser } from '../crm/activity.js';
import { withKeyLock } from '../core/key-lock.js';
import { scrubbed } from '../crm/scrub.js';
import { AuthError, PermanentError, RetryableError, SkipDelivery } from '../core/errors.js';
import { hubspotFailure } from './errors.js';
import { hubspotOrigin, objectsPath } from './host.js';
import { contactProperties, NOTE_TO_CONTACT, noteBody } from './records.js';
import { hubspotSettings, type HubspotSettings } from './settings.js';
import { maskSecret } from '../core/masking.js';
import type { Connector, DeliveryContext, Destination, Http, HttpRequest } from '../core/types.js';

export type { HubspotSettings } from './settings.js';

const contactKey = (userId: string) => `contact:${userId}`;
const noteKey = (eventId: string) => `note:${eventId}`;

interface BatchAnswer {
  results?: Array<{ id?: string }>;
  errors?: Array<{ message?: string; category?: string }>;
}

/** The note was refused because its contact no longer exists (deleted, merged away). */
function pointsAtMissingContact(err: unknown): boolean {
  if (!(err instanceof PermanentError) || err instanceof AuthError) return false;
  return err.status === 404 || (err.status === 400 && /associat|not found|does not exist/i.test(err.message));
}

/** One delivery's calls to HubSpot, with its state. */
class HubspotRun {
  constructor(
    readonly dest: Destination<HubspotSettings>,
    readonly http: Http,
    readonly ctx: DeliveryContext,
  ) {
    http.addSecret(dest.settings.accessToken);
  }

  path(objectType: string): string {
    return objectsPath(this.dest.settings.apiVersion, objectType);
  }

  async send<T>(method: HttpRequest['method'], path: string, action: string, json: unknown, dryRun: unknown): Promise<T> {
    const res = await this.http.request({
      method,
      url: `${hubspotOrigin(this.dest.settings)}${path}`,
      headers: { authorization: `Bearer ${this.dest.settings.accessToken}`, accept: 'application/json' },
      json,
      acceptStatus: () => true,
      dryRunResponse: { status: method === 'GET' ? 200 : 201, body: dryRun },
    });
    if (res.status < 200 || res.status >= 300) {
      throw scrubbed(hubspotFailure(res, action, this.ctx.now(), this.dest.settings.timeZone), [this.dest.settings.accessToken]);
    }
    return (res.body ? res.json<T>() : {}) as T;
  }

  async remember(key: string, value: string): Promise<void> {
    // A dry run's ids are invented: keeping them would break the real deliveries.
    if (!this.http.dryRun) await this.ctx.state.set(key, value);
  }

  /** Creates or updates the contact by email (HubSpot's natural key) and remembers its id. */
  async upsertContact(event: Envelope, user: User & { email: string }): Promise<string> {
    const answer = await this.send<BatchAnswer>(
      'POST',
      `${this.path('contacts')}/batch/upsert`,
      'the contact upsert',
      { inputs: [{ idProperty: 'email', id: user.email.toLowerCase(), properties: contactProperties(event, user, this.dest.settings) }] },
      { status: 'COMPLETE', results: [{ id: 'dry-run-contact', new: false, properties: {} }] },
    );
    const id = answer.results?.[0]?.id;
    if (!id) {
      const why = answer.errors?.[0]?.message ?? 'no contact in the answer';
      throw new PermanentError(`HubSpot did not upsert the contact ${user.email}: ${why}`);
    }
    await this.remember(contactKey(user.id), id);
    return id;
  }

  async addNote(event: Envelope, user: User): Promise<void> {
    if (await this.ctx.state.get(noteKey(event.id))) return;
    // Twice at most: a remembered contact that was deleted or merged since is upserted afresh.
    for (let round = 0; ; round++) {
      const kept = await this.ctx.state.get(contactKey(user.id));
      const contactId = kept ?? (await this.contactFromEvent(event, user));
      try {
        const note = await this.send<{ id?: string }>(
          'POST',
          this.path('notes'),
          'the note',
          {
            properties: { hs_timestamp: event.timestamp, hs_note_body: noteBody(event) },
            associations: [{ to: { id: contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: NOTE_TO_CONTACT }] }],
          },
          { id: 'dry-run-note', properties: {} },
        );
        if (note.id) await this.remember(noteKey(event.id), note.id);
        return;
      } catch (err) {
        if (!(kept && user.email && round === 0 && pointsAtMissingContact(err))) throw err;
        await this.ctx.state.delete(contactKey(user.id));
      }
    }
  }

  private async contactFromEvent(event: Envelope, user: User): Promise<string> {
    if (!user.email) {
      // HubSpot knows people by email: creating one without it would duplicate the contact the
      // registration makes. Wait for that delivery instead.
      throw new RetryableError(
        `HubSpot has no contact for user ${user.id} yet and this ${event.type} carries no user.email; it waits for the user's user.registered delivery`,
      );
    }
    return this.upsertContact(event, user as User & { email: string });
  }
}

export const hubspot: Connector<HubspotSettings> = {
  kind: 'hubspot',
  title: 'HubSpot',
  category: 'crm',
  description: 'Upserts a contact by email for each registered user, and adds a note with the video link to it for video events.',
  settings: hubspotSettings,
  defaultEvents: ['user.registered', 'video.completed', 'video.failed'],
  // 100 requests per 10 s on Free/Starter, shared by every app of the account; a delivery makes one or two.
  limits: { concurrency: 2, perSecond: 4 },

  async deliver(event, dest, http, ctx) {
    if (event.type.startsWith('session.')) {
      throw new SkipDelivery("session events are not sent to HubSpot: they would flood the contact's timeline");
    }
    const user = eventUser(event);
    if (!user) throw new SkipDelivery(`${event.type} names no data.user.id, so there is no contact to attach it to`);
    const run = new HubspotRun(dest, http, ctx);
    await withKeyLock(`hubspot:${dest.name}:${user.id}`, async () => {
      if (event.type === 'user.registered' && user.email) await run.upsertContact(event, user as User & { email: string });
      else await run.addNote(event, user);
    });
  },

  async check(dest, http, ctx) {
    const run = new HubspotRun(dest, http, ctx);
    await run.send('GET', `${run.path('contacts')}?limit=1`, 'the contacts read', undefined, { results: [] });
    return `authenticated to ${hubspotOrigin(dest.settings)} as ${maskSecret(dest.settings.accessToken)}; contacts readable`;
  },

  warnings(settings) {
    if (!settings.baseUrl) return [];
    const host = new URL(settings.baseUrl).hostname.toLowerCase();
    return /(^|\.)hubapi\.com$/.test(host) ? [] : [`baseUrl ${settings.baseUrl} is not a HubSpot API host (api.hubapi.com)`];
  },
};
