import type { Envelope, User } from '../../events/index.js';
import type { Call, ConnectorRequest } from '../core/index.js';
import { clip } from '../crm/activity.js';
import { hubspotOrigin } from './host.js';
import type { HubspotSettings } from './settings.js';

type HubspotCall = Call<HubspotSettings>;

// The timeline API has no date version: it lives on for the apps that already have templates.
export const TIMELINE_EVENTS_PATH = '/integrators/timeline/v3/events';
const timelineKey = (eventId: string) => `timeline:${eventId}`;

type Fields = Record<string, unknown>;
const record = (value: unknown): Fields => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Fields) : {});
const text = (value: unknown, max: number): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? clip(value.trim(), max) : undefined;

/** The template's tokens from the event: only those the event has (documented in docs/connectors/hubspot.md). */
export function timelineTokens(event: Envelope): Record<string, string | number> {
  const video = record(event.data.video);
  const error = record(event.data.error);
  const tokens: Record<string, string | number | undefined> = {
    eventType: event.type,
    videoTitle: text(video.title, 500),
    videoUrl: text(video.url, 2000),
    videoDuration: typeof video.durationSec === 'number' && Number.isFinite(video.durationSec) ? video.durationSec : undefined,
    videoModel: text(video.model, 500),
    errorMessage: text(error.message, 1000),
  };
  return Object.fromEntries(Object.entries(tokens).filter(([, v]) => v !== undefined)) as Record<string, string | number>;
}

/** Whether a request is a timeline event: there a 409 means "this id is on the timeline already". */
export function isTimelineEvent(request: ConnectorRequest): boolean {
  return request.method === 'POST' && new URL(request.url).pathname === TIMELINE_EVENTS_PATH;
}

/**
 * The event on the contact's timeline, with the event id as the timeline event's id: a retry or
 * a replay answers 409, which is success. The contact is named by the event's email, else by id.
 */
export async function addTimelineEvent(call: HubspotCall, event: Envelope, user: User, contactId: () => Promise<string>): Promise<void> {
  const timeline = call.settings.timeline;
  if (!timeline || (await call.state.get(timelineKey(event.id)))) return;
  const who = user.email ? { email: user.email.toLowerCase() } : { objectId: await contactId() };
  await call.send({
    method: 'POST',
    url: `${hubspotOrigin(call.settings)}${TIMELINE_EVENTS_PATH}`,
    action: 'the timeline event',
    json: { eventTemplateId: timeline.eventTemplateId, id: event.id, ...who, timestamp: event.timestamp, tokens: timelineTokens(event) },
  });
  await call.state.set(timelineKey(event.id), '1');
}
