import type { Envelope } from '../../events/index.js';
import { PayloadValidationError, SkipDelivery } from '../core/errors.js';
import { metaUserData, type MetaUserData } from './user-data.js';

export type ActionSource = 'website' | 'system_generated';

/** One event in the Conversions API's `data` array. */
export interface MetaServerEvent {
  event_name: string;
  event_time: number;
  event_id: string;
  action_source: ActionSource;
  event_source_url?: string;
  user_data: MetaUserData;
  custom_data?: Record<string, unknown>;
}

export const MAX_EVENT_AGE_SEC = 7 * 24 * 60 * 60;

export const META_EVENT_NAMES: Readonly<Record<string, string>> = {
  'user.registered': 'CompleteRegistration',
  'video.generated': 'VideoGenerationStarted',
  'video.completed': 'VideoGenerationCompleted',
};

const NOT_SENT: Readonly<Record<string, string>> = {
  'video.failed': 'Meta optimizes ads on conversions; a failed generation is not one, so it is not sent',
  'session.started': 'sessions are not conversions; the browser Pixel already reports page views',
  'session.ended': 'sessions are not conversions; the browser Pixel already reports page views',
};

// Completion happens on the render farm, not in front of the user, whatever page they were on.
const ALWAYS_SYSTEM_GENERATED = new Set(['video.completed']);

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {});
const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** `order.paid` → `OrderPaid`: Meta custom event names are at most 50 characters. */
export function customEventName(type: string): string {
  const pascal = type
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
  return (pascal || 'CustomEvent').slice(0, 50);
}

function pageUrl(context: Obj): string | undefined {
  const url = str(context.pageUrl);
  return url && /^https?:\/\//i.test(url) ? url : undefined;
}

function customData(event: Envelope, data: Obj): Record<string, unknown> | undefined {
  const video = obj(data.video);
  const entries: Array<[string, unknown]> =
    event.type === 'user.registered'
      ? [['plan', str(obj(data.user).plan)]]
      : event.type.startsWith('video.')
        ? [
            ['content_ids', str(video.id) ? [video.id] : undefined],
            ['content_name', str(video.title)],
            ['content_type', 'product'],
            ['model', str(video.model)],
            ['duration_sec', typeof video.durationSec === 'number' ? video.durationSec : undefined],
          ]
        : [['vidhook_event_type', event.type]];
  const out = Object.fromEntries(entries.filter(([, value]) => value !== undefined));
  return Object.keys(out).length > 0 ? out : undefined;
}

/** One product event as a Conversions API server event, or why it is not sent. */
export function renderMetaEvent(event: Envelope, now: Date): MetaServerEvent {
  const skipped = NOT_SENT[event.type];
  if (skipped) throw new SkipDelivery(skipped);

  const eventTime = Math.floor(Date.parse(event.timestamp) / 1000);
  const age = Math.floor(now.getTime() / 1000) - eventTime;
  if (age > MAX_EVENT_AGE_SEC) {
    const days = (age / 86_400).toFixed(1);
    throw new PayloadValidationError(
      `Meta refuses events older than 7 days (error 2804003, and the whole request fails); this ${event.type} event happened ${days} days ago (${event.timestamp})`,
    );
  }

  const data = obj(event.data);
  const context = obj(data.context);
  const userData = metaUserData(data);
  const sourceUrl = pageUrl(context);
  // Website events must name the page and the browser; without both the event is the server's own.
  const website = !ALWAYS_SYSTEM_GENERATED.has(event.type) && sourceUrl !== undefined && userData.client_user_agent !== undefined;
  const custom = customData(event, data);

  return {
    event_name: META_EVENT_NAMES[event.type] ?? customEventName(event.type),
    event_time: eventTime,
    event_id: event.id,
    action_source: website ? 'website' : 'system_generated',
    ...(website ? { event_source_url: sourceUrl } : {}),
    user_data: userData,
    ...(custom ? { custom_data: custom } : {}),
  };
}
