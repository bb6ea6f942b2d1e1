import type { Envelope, User } from '../../events/index.js';
import { describeActivity, personName } from '../crm/activity.js';
import { truncate } from '../core/index.js';
import type { HubspotSettings } from './settings.js';

/** Note → contact, HubSpot-defined. */
export const NOTE_TO_CONTACT = 202;
const NOTE_BODY_LIMIT = 65_536;

/** The value at a configured dot path (`user.plan`) into the event data. */
export function at(data: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), data);
}

/** Contact properties from the event's user, plus the configured extra ones. */
export function contactProperties(event: Envelope, user: User, settings: HubspotSettings): Record<string, string> {
  const { first, last } = personName(user);
  const candidates: Record<string, unknown> = {
    firstname: first,
    lastname: last,
    phone: user.phone,
    company: user.company,
    city: user.city,
    country: user.country,
  };
  for (const [property, path] of Object.entries(settings.contactProperties ?? {})) candidates[property] = at(event.data, path);
  const properties: Record<string, string> = {};
  for (const [name, value] of Object.entries(candidates)) {
    if (typeof value === 'string' && value !== '') properties[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') properties[name] = String(value);
  }
  return properties;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The note's HTML: the headline, a link to the video, the details and the event marker. */
export function noteBody(event: Envelope): string {
  const activity = describeActivity(event);
  const lines = activity.details.map((line) => {
    if (activity.videoUrl && line === `Video: ${activity.videoUrl}`) {
      const url = escapeHtml(activity.videoUrl);
      return `Video: <a href="${url}">${url}</a>`;
    }
    return escapeHtml(line);
  });
  return truncate(`<p><strong>${escapeHtml(activity.headline)}</strong></p><p>${lines.join('<br>')}</p>`, NOTE_BODY_LIMIT);
}
