// What each product event is called in GA4 and which params it carries: the one mapping the
// ga4 connector (Measurement Protocol) and `vidhook/browser` (gtag) share, so a browser and a
// server event of one type look the same in reports. No node:* or zod imports: it ships to browsers.
import type { Envelope } from '../../events/envelope.js';
import { isBuiltinEventType } from '../../events/catalog.js';
import type { BuiltinEventType, Video } from '../../events/schemas.js';
import type { TypedEvent } from '../core/definition.js';
import { customEventName, GA4_LIMITS, isValidParamName, LONG_PARAM_LIMITS, toGa4Name } from '../ga4/rules.js';

export type Ga4ParamValue = string | number;

/** What an event type makes of its event: the GA4 name and params, and what it knows of its session. */
export interface Ga4EventSpec {
  name: string;
  /** In order of importance: the first valid ones are kept. */
  params: Array<[string, unknown]>;
  /** The session's start in Unix seconds, when this event type knows it. */
  sessionStartSec?: number;
  /** engagement_time_msec, when this event type knows it (1 otherwise). */
  engagementMs?: number;
}

/**
 * Params about the visit rather than the event: the Measurement Protocol request sets them
 * from the event's context, and gtag.js sets them itself in the browser.
 */
export const VISIT_PARAMS = ['session_id', 'engagement_time_msec', 'page_location'] as const;

const epochSec = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

export function isoSeconds(iso: string | undefined): number | undefined {
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

function renderMs(video: Video): number | undefined {
  const created = Date.parse(video.createdAt ?? '');
  const completed = Date.parse(video.completedAt ?? '');
  return Number.isNaN(created) || Number.isNaN(completed) || completed < created ? undefined : completed - created;
}

const videoParams = (video: Video): Array<[string, unknown]> => [
  ['video_id', video.id],
  ['video_title', video.title],
  ['model', video.model],
];

/** One rendering per built-in event type, from its typed data. */
export type Ga4Renderings = { [T in BuiltinEventType]: (event: TypedEvent<T>) => Ga4EventSpec };

export const GA4_EVENTS: Ga4Renderings = {
  'user.registered': ({ data }) => ({
    name: 'sign_up',
    params: [['method', data.method ?? data.user.signupMethod], ['plan', data.user.plan]],
  }),
  'video.generated': ({ data: { video } }) => ({
    name: 'video_generation_started',
    params: [...videoParams(video), ['prompt_len', video.prompt?.length], ['duration_sec', video.durationSec], ['video_format', video.format]],
  }),
  'video.completed': ({ data: { video } }) => ({
    name: 'video_generation_completed',
    params: [...videoParams(video), ['duration_sec', video.durationSec], ['render_ms', renderMs(video)], ['video_format', video.format]],
  }),
  'video.failed': ({ data: { video, error } }) => ({
    name: 'video_generation_failed',
    params: [...videoParams(video), ['error_code', error.code], ['error_message', error.message]],
  }),
  'session.started': ({ data: { session }, timestamp }) => ({
    name: 'app_session_begin',
    params: [['app_session_id', session.id]],
    sessionStartSec: epochSec(timestamp),
  }),
  'session.ended': ({ data: { session }, timestamp }) => ({
    name: 'app_session_end',
    params: [['app_session_id', session.id], ['session_duration_sec', session.durationSec], ['videos_generated', session.videosGenerated]],
    sessionStartSec: Math.floor((isoSeconds(session.endedAt) ?? epochSec(timestamp)) - session.durationSec),
    // GA4 counts an event as engaged only with a positive value; a session's end carries its length.
    engagementMs: session.durationSec > 0 ? Math.round(session.durationSec * 1000) : undefined,
  }),
};

const LOOKS_PERSONAL = /@|^\+?[\d\s().-]{7,}$/;

/** Scalars of a custom event's data, one level of nesting flattened, personal data left out (GA4 forbids it). */
function customParams(data: Record<string, unknown>): Array<[string, unknown]> {
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

/** What any event is in GA4: a built-in type by its rendering, a custom type by a valid name and its data's scalars. */
export function ga4EventSpec(event: Envelope): Ga4EventSpec {
  if (!isBuiltinEventType(event.type)) return { name: customEventName(event.type), params: customParams(event.data) };
  // A built-in type's data has its type's shape (validated at ingest, or checked by the caller).
  const render = GA4_EVENTS[event.type] as (event: Envelope) => Ga4EventSpec;
  return render(event);
}

function fitValue(name: string, value: unknown): Ga4ParamValue | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const max = LONG_PARAM_LIMITS[name] ?? GA4_LIMITS.paramValueLength;
  return value.length > max ? value.slice(0, max) : value;
}

/** Adds params in order of importance, keeping only valid names and fitted values, at most `max`. */
export function ga4Params(entries: Array<[string, unknown]>, max: number = GA4_LIMITS.paramsPerEvent): Record<string, Ga4ParamValue> {
  const params: Record<string, Ga4ParamValue> = {};
  for (const [name, raw] of entries) {
    if (Object.keys(params).length >= max) break;
    if (name in params || !isValidParamName(name)) continue;
    const value = fitValue(name, raw);
    if (value !== undefined) params[name] = value;
  }
  return params;
}

/** The event's own params: the spec's, leaving room for (and never taking the names of) the visit params. */
export function ga4EventParams(spec: Ga4EventSpec): Record<string, Ga4ParamValue> {
  const own = spec.params.filter(([name]) => !(VISIT_PARAMS as readonly string[]).includes(name));
  return ga4Params(own, GA4_LIMITS.paramsPerEvent - VISIT_PARAMS.length);
}
