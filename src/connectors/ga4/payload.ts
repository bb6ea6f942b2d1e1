import { createHash } from 'node:crypto';
import type { Envelope } from '../../events/index.js';
import { PayloadValidationError } from '../core/errors.js';
import {
  customEventName,
  GA4_LIMITS,
  isValidParamName,
  LONG_PARAM_LIMITS,
  toGa4Name,
} from './rules.js';

export type Ga4ParamValue = string | number;

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

export const GA4_EVENT_NAMES: Readonly<Record<string, string>> = {
  'user.registered': 'sign_up',
  'video.generated': 'video_generation_started',
  'video.completed': 'video_generation_completed',
  'video.failed': 'video_generation_failed',
  'session.started': 'app_session_begin',
  'session.ended': 'app_session_end',
};

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {});
const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

function seconds(iso: unknown): number | undefined {
  const ms = typeof iso === 'string' ? Date.parse(iso) : NaN;
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

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
function sessionId(event: Envelope, data: Obj): string {
  const session = obj(data.session);
  const explicit = str(obj(data.context).gaSessionId);
  if (explicit) return explicit;
  const started = seconds(session.startedAt);
  if (started !== undefined) return String(started);
  const eventSec = Math.floor(Date.parse(event.timestamp) / 1000);
  const duration = num(session.durationSec);
  if (event.type === 'session.ended' && duration !== undefined) return String(Math.floor((seconds(session.endedAt) ?? eventSec) - duration));
  if (event.type === 'session.started') return String(eventSec);
  return String(eventSec - (eventSec % SESSION_WINDOW_SEC));
}

function fitValue(name: string, value: unknown): Ga4ParamValue | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const max = LONG_PARAM_LIMITS[name] ?? GA4_LIMITS.paramValueLength;
  return value.length > max ? value.slice(0, max) : value;
}

/** Adds params in order of importance, keeping only valid names, fitted values and at most 25. */
function paramsOf(entries: Array<[string, unknown]>): Record<string, Ga4ParamValue> {
  const params: Record<string, Ga4ParamValue> = {};
  for (const [name, raw] of entries) {
    if (Object.keys(params).length >= GA4_LIMITS.paramsPerEvent) break;
    if (name in params || !isValidParamName(name)) continue;
    const value = fitValue(name, raw);
    if (value !== undefined) params[name] = value;
  }
  return params;
}

function renderMs(video: Obj): number | undefined {
  const created = Date.parse(String(video.createdAt));
  const completed = Date.parse(String(video.completedAt));
  return Number.isNaN(created) || Number.isNaN(completed) || completed < created ? undefined : completed - created;
}

const LOOKS_PERSONAL = /@|^\+?[\d\s().-]{7,}$/;

/** Scalars of a custom event's data, one level of nesting flattened, personal data left out (GA4 forbids it). */
function customParams(data: Obj): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  const visit = (prefix: string, value: unknown, depth: number) => {
    if (typeof value === 'string' && LOOKS_PERSONAL.test(value)) return;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      const name = toGa4Name(prefix);
      if (name) out.push([name, value]);
    } else if (depth < 1 && value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) visit(`${prefix}_${key}`, inner, depth + 1);
    }
  };
  for (const [key, value] of Object.entries(data)) {
    if (key === 'user' || key === 'context') continue;
    visit(key, value, 0);
  }
  return out;
}

function eventParams(event: Envelope, data: Obj): Array<[string, unknown]> {
  const video = obj(data.video);
  const session = obj(data.session);
  const error = obj(data.error);
  const prompt = str(video.prompt);
  const videoParams: Array<[string, unknown]> = [
    ['video_id', video.id],
    ['video_title', video.title],
    ['model', video.model],
  ];
  switch (event.type) {
    case 'user.registered':
      return [['method', data.method ?? obj(data.user).signupMethod], ['plan', obj(data.user).plan]];
    case 'video.generated':
      return [...videoParams, ['prompt_len', prompt?.length], ['duration_sec', video.durationSec], ['video_format', video.format]];
    case 'video.completed':
      return [...videoParams, ['duration_sec', video.durationSec], ['render_ms', renderMs(video)], ['video_format', video.format]];
    case 'video.failed':
      return [...videoParams, ['error_code', error.code], ['error_message', error.message]];
    case 'session.started':
      return [['app_session_id', session.id]];
    case 'session.ended':
      return [['app_session_id', session.id], ['session_duration_sec', session.durationSec], ['videos_generated', session.videosGenerated]];
    default:
      return customParams(data);
  }
}

function engagementMs(event: Envelope, data: Obj): number {
  // GA4 counts an event as engaged only with a positive value; a session's end carries its length.
  const duration = num(obj(data.session).durationSec);
  return event.type === 'session.ended' && duration !== undefined && duration > 0 ? Math.round(duration * 1000) : 1;
}

/** Turns one product event into a GA4 event, or says why it cannot be sent. */
export function renderGa4Event(event: Envelope, now: Date): RenderedGa4Event {
  const data = obj(event.data);
  const user = obj(data.user);
  const context = obj(data.context);
  const happenedAt = Date.parse(event.timestamp);
  const age = now.getTime() - happenedAt;
  if (age > GA4_LIMITS.backdateMs) {
    const hours = Math.round(age / 3_600_000);
    throw new PayloadValidationError(
      `GA4 accepts events at most 72 hours old; this ${event.type} event happened ${hours} hours ago (${event.timestamp})`,
    );
  }

  const userId = str(user.id);
  const clientId = str(context.gaClientId) ?? (userId ? derivedClientId(userId) : undefined);
  if (!clientId) {
    throw new PayloadValidationError(`GA4 needs a client id: give the ${event.type} event data.context.gaClientId or data.user.id`);
  }

  const name = GA4_EVENT_NAMES[event.type] ?? customEventName(event.type);
  const params = paramsOf([
    ['session_id', sessionId(event, data)],
    ['engagement_time_msec', engagementMs(event, data)],
    ...eventParams(event, data),
    ['page_location', context.pageUrl],
  ]);

  const userProperties: Record<string, { value: Ga4ParamValue }> = {};
  const plan = str(user.plan);
  if (plan) userProperties.plan = { value: plan.slice(0, GA4_LIMITS.userPropertyValueLength) };

  return {
    clientId,
    userId: userId && userId.length <= GA4_LIMITS.userIdLength ? userId : undefined,
    userProperties,
    event: { name, params, timestamp_micros: happenedAt * 1000 },
  };
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
