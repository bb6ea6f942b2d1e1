import { createHash } from 'node:crypto';
import type { Envelope, Session, User, Video } from '../../events/index.js';
import { personName } from '../crm/activity.js';
import type { MailchimpSettings } from './settings.js';

/** Mailchimp's member id: the MD5 hex of the lower-cased address. */
export function subscriberHash(email: string): string {
  return createHash('md5').update(email.trim().toLowerCase()).digest('hex');
}

/** The value at a configured dot path (`user.plan`) into the event data. */
function at(data: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), data);
}

/** FNAME/LNAME from the user's names, then the configured merge fields; empty values are left out. */
export function mergeFields(event: Envelope, user: User, settings: MailchimpSettings): Record<string, string | number> {
  const { first, last } = personName(user);
  const candidates: Record<string, unknown> = { FNAME: first, LNAME: last };
  for (const [tag, path] of Object.entries(settings.mergeFields ?? {})) candidates[tag] = at(event.data, path);
  const fields: Record<string, string | number> = {};
  for (const [tag, value] of Object.entries(candidates)) {
    if ((typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value))) fields[tag] = value;
    else if (typeof value === 'boolean') fields[tag] = String(value);
  }
  return fields;
}

/** Mailchimp event names: letters, numbers, underscores and dashes, 2–30 characters (`video.completed` → `video_completed`). */
export function eventName(type: string): string {
  const name = type.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 30);
  return name.length >= 2 ? name : `${name}__`.slice(0, 2);
}

type Properties = Record<string, string>;

/** Event properties: keys of letters, numbers and underscores, every value a string; empty ones left out. */
function properties(event: Envelope, values: Record<string, unknown>): Properties {
  const out: Properties = { event_id: event.id };
  for (const [key, value] of Object.entries(values)) {
    const name = key.replace(/[^A-Za-z0-9_]+/g, '_');
    if (typeof value === 'string' && value !== '') out[name] = value;
    else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') out[name] = String(value);
  }
  return out;
}

export function videoProperties(event: Envelope, video: Video, error?: { code?: string; message?: string }): Properties {
  return properties(event, {
    video_id: video.id,
    video_title: video.title,
    video_url: video.url,
    thumbnail_url: video.thumbnailUrl,
    duration_sec: video.durationSec,
    model: video.model,
    error_code: error?.code,
    error_message: error?.message,
  });
}

export function sessionProperties(event: Envelope, session: Session): Properties {
  return properties(event, { session_id: session.id, duration_sec: session.durationSec, videos_generated: session.videosGenerated });
}

/** A custom event's own top-level values (not its user) as properties. */
export function customProperties(event: Envelope): Properties {
  const { user: _user, ...rest } = event.data;
  return properties(event, rest);
}
