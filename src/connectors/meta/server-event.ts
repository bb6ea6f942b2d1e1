import { userShape, contextShape, type BuiltinEventType, type Envelope } from '../../events/index.js';
import { PayloadValidationError, type TypedEvent } from '../core/index.js';
import { customEventSpec, META_EVENTS, metaCustomData, type MetaEventSpec, type MetaEventType } from '../analytics/meta-events.js';
import { metaUserData, type MetaPerson, type MetaUserData } from './user-data.js';

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

/** Why the other built-in types are not sent. */
export const NOT_SENT: Readonly<Record<Exclude<BuiltinEventType, MetaEventType>, string>> = {
  'video.failed': 'Meta optimizes ads on conversions; a failed generation is not one, so it is not sent',
  'session.started': 'sessions are not conversions; the browser Pixel already reports page views',
  'session.ended': 'sessions are not conversions; the browser Pixel already reports page views',
};

export {
  customEventName,
  META_EVENTS,
  type MetaEventSpec,
  type MetaEventType,
  type MetaRenderings,
} from '../analytics/meta-events.js';

/** One product event, as its type renders it, as a Conversions API server event, or why it cannot be sent. */
function rendered(event: Envelope<unknown>, person: MetaPerson, spec: MetaEventSpec, now: Date): MetaServerEvent {
  const eventTime = Math.floor(Date.parse(event.timestamp) / 1000);
  const age = Math.floor(now.getTime() / 1000) - eventTime;
  if (age > MAX_EVENT_AGE_SEC) {
    const days = (age / 86_400).toFixed(1);
    throw new PayloadValidationError(
      `Meta refuses events older than 7 days (error 2804003, and the whole request fails); this ${event.type} event happened ${days} days ago (${event.timestamp})`,
    );
  }

  const userData = metaUserData(person);
  const pageUrl = person.context?.pageUrl;
  const sourceUrl = pageUrl && /^https?:\/\//i.test(pageUrl) ? pageUrl : undefined;
  // Website events must name the page and the browser; without both the event is the server's own.
  const website = !spec.systemGenerated && sourceUrl !== undefined && userData.client_user_agent !== undefined;
  const custom = metaCustomData(spec);

  return {
    event_name: spec.name,
    event_time: eventTime,
    event_id: event.id,
    action_source: website ? 'website' : 'system_generated',
    ...(website ? { event_source_url: sourceUrl } : {}),
    user_data: userData,
    ...(Object.keys(custom).length > 0 ? { custom_data: custom } : {}),
  };
}

/** A built-in conversion as a server event, from its typed data. */
export function renderBuiltinEvent<T extends MetaEventType>(event: TypedEvent<T>, now: Date): MetaServerEvent {
  const render: (event: TypedEvent<T>) => MetaEventSpec = META_EVENTS[event.type];
  return rendered(event, event.data, render(event), now);
}

// A custom event's data is free-form: its user and context count where they have the built-in shapes.
const customUser = userShape.partial();

/** A custom event as a custom server event that names its vidhook type. */
export function renderCustomEvent(event: Envelope, now: Date): MetaServerEvent {
  const user = customUser.safeParse(event.data.user);
  const context = contextShape.safeParse(event.data.context);
  const person = { user: user.success ? user.data : undefined, context: context.success ? context.data : undefined };
  return rendered(event, person, customEventSpec(event.type), now);
}
