import { createHash } from 'node:crypto';
import {
  contextShape,
  isBuiltinEventType,
  sessionShape,
  userShape,
  type BuiltinEventType,
  type Envelope,
  type EventContext,
  type Session,
  type User,
} from '../../events/index.js';
import { PayloadValidationError, type TypedEvent } from '../core/index.js';
import { GA4_EVENTS, ga4EventParams, ga4EventSpec, ga4Params, isoSeconds, type Ga4EventSpec, type Ga4ParamValue } from '../analytics/ga4-events.js';
import { GA4_LIMITS } from './rules.js';

export { GA4_EVENTS, type Ga4EventSpec, type Ga4ParamValue, type Ga4Renderings } from '../analytics/ga4-events.js';

export interface Ga4Event {
  name: string;
  params: Record<string, Ga4ParamValue>;
  timestamp_micros: number;
}

export interface Ga4Payload {
  client_id: string;
  user_id?: string;
  timestamp_micros: number;
  user_properties?: Record<string, { value: Ga4ParamValue }>;
  events: Ga4Event[];
  validation_behavior?: 'ENFORCE_RECOMMENDATIONS';
}

/** One product event as GA4 sees it: who did it and what it became. */
export interface RenderedGa4Event {
  clientId: string;
  userId?: string;
  userProperties: Record<string, { value: Ga4ParamValue }>;
  event: Ga4Event;
}

/** Who an event is about and where it happened: what GA4 reads of any event, whatever its type. */
export interface Ga4Subject {
  user?: Partial<User>;
  context?: EventContext;
  session?: Partial<Session>;
}

const epochSec = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

/**
 * A client id in gtag's `<number>.<number>` shape, stable per user, for users GA4 has
 * never seen in a browser. It counts as a separate (server-only) device.
 */
export function derivedClientId(userId: string): string {
  const digest = createHash('sha256').update(`vidhook:${userId}`).digest();
  return `${digest.readUInt32BE(0) & 0x7fffffff}.${digest.readUInt32BE(4) & 0x7fffffff}`;
}

const SESSION_WINDOW_SEC = 30 * 60;

/**
 * gtag uses the session's start in Unix seconds as session_id. Without a known start,
 * events of one client in the same half hour share a session, like GA4's own timeout.
 */
function sessionId(timestamp: string, subject: Ga4Subject, startSec: number | undefined): string {
  const explicit = subject.context?.gaSessionId;
  if (typeof explicit === 'string' && explicit) return explicit;
  const started = isoSeconds(subject.session?.startedAt) ?? startSec;
  if (started !== undefined) return String(started);
  const eventSec = epochSec(timestamp);
  return String(eventSec - (eventSec % SESSION_WINDOW_SEC));
}

// A custom event's data is free-form: only the fields GA4 reads are taken, where they have the built-in shapes.
const customUser = userShape.pick({ id: true, plan: true }).partial();
const customContext = contextShape.pick({ gaClientId: true, pageUrl: true });
const customSession = sessionShape.pick({ startedAt: true });

function customSubject(data: Record<string, unknown>): Ga4Subject {
  const shaped = <T>(result: { success: true; data: T } | { success: false }): T | undefined => (result.success ? result.data : undefined);
  return {
    user: shaped(customUser.safeParse(data.user)),
    context: shaped(customContext.safeParse(data.context)),
    session: shaped(customSession.safeParse(data.session)),
  };
}

/** Turns one product event, as its type renders it, into a GA4 event, or says why it cannot be sent. */
function rendered(event: Envelope<unknown>, subject: Ga4Subject, spec: Ga4EventSpec, now: Date): RenderedGa4Event {
  const happenedAt = Date.parse(event.timestamp);
  const age = now.getTime() - happenedAt;
  if (age > GA4_LIMITS.backdateMs) {
    const hours = Math.round(age / 3_600_000);
    throw new PayloadValidationError(
      `GA4 accepts events at most 72 hours old; this ${event.type} event happened ${hours} hours ago (${event.timestamp})`,
    );
  }

  const userId = subject.user?.id || undefined;
  const clientId = subject.context?.gaClientId || (userId ? derivedClientId(userId) : undefined);
  if (!clientId) {
    throw new PayloadValidationError(`GA4 needs a client id: give the ${event.type} event data.context.gaClientId or data.user.id`);
  }

  // The visit params around the event's own ones, which the browser's gtag calls carry too.
  const params = {
    ...ga4Params([
      ['session_id', sessionId(event.timestamp, subject, spec.sessionStartSec)],
      ['engagement_time_msec', spec.engagementMs ?? 1],
    ]),
    ...ga4EventParams(spec),
    ...ga4Params([['page_location', subject.context?.pageUrl]]),
  };

  const userProperties: Record<string, { value: Ga4ParamValue }> = {};
  const plan = subject.user?.plan;
  if (plan) userProperties.plan = { value: plan.slice(0, GA4_LIMITS.userPropertyValueLength) };

  return {
    clientId,
    userId: userId && userId.length <= GA4_LIMITS.userIdLength ? userId : undefined,
    userProperties,
    event: { name: spec.name, params, timestamp_micros: happenedAt * 1000 },
  };
}

/** A built-in event as GA4 sees it, from its typed data. */
export function renderBuiltinEvent<T extends BuiltinEventType>(event: TypedEvent<T>, now: Date): RenderedGa4Event {
  const render: (event: TypedEvent<T>) => Ga4EventSpec = GA4_EVENTS[event.type];
  return rendered(event, event.data, render(event), now);
}

/** A custom event as GA4 sees it: a valid, unreserved name and the data's scalars. */
export function renderCustomEvent(event: Envelope, now: Date): RenderedGa4Event {
  return rendered(event, customSubject(event.data), ga4EventSpec(event), now);
}

/**
 * Any event as its handler renders it, for the debug endpoint (which is given untyped
 * envelopes). A built-in type's data was validated against its schema when the event was built.
 */
export function renderGa4Event(event: Envelope, now: Date): RenderedGa4Event {
  return isBuiltinEventType(event.type) ? renderBuiltinEvent(event as TypedEvent<BuiltinEventType>, now) : renderCustomEvent(event, now);
}

/**
 * Groups rendered events into requests GA4 accepts: one client per request, at most 25
 * events each, each event keeping its own timestamp.
 */
export function ga4Payloads(rendered: readonly RenderedGa4Event[]): Ga4Payload[] {
  const payloads: Ga4Payload[] = [];
  const open = new Map<string, Ga4Payload>();
  for (const item of rendered) {
    const key = `${item.clientId}\u0000${item.userId ?? ''}`;
    let payload = open.get(key);
    if (!payload || payload.events.length >= GA4_LIMITS.eventsPerRequest) {
      payload = {
        client_id: item.clientId,
        ...(item.userId ? { user_id: item.userId } : {}),
        timestamp_micros: item.event.timestamp_micros,
        events: [],
      };
      open.set(key, payload);
      payloads.push(payload);
    }
    if (Object.keys(item.userProperties).length > 0) payload.user_properties = { ...payload.user_properties, ...item.userProperties };
    payload.events.push(item.event);
  }
  for (const payload of payloads) {
    const size = Buffer.byteLength(JSON.stringify(payload));
    if (size >= GA4_LIMITS.bodyBytes) throw new PayloadValidationError(`GA4 refuses bodies of 130 kB or more; this one is ${size} bytes`);
  }
  return payloads;
}
