// `vidhook/browser`: the browser half of an event. `track` hands the event to gtag.js and the
// Meta Pixel under the names and params the ga4 and meta connectors use, with the event id as
// the Pixel's eventID, so Meta keeps one of the Pixel and Conversions API copies. `clientContext`
// reads the browser identifiers the application sends along with its server event.
import { ga4EventParams, ga4EventSpec, type Ga4ParamValue } from '../connectors/analytics/ga4-events.js';
import { META_STANDARD_EVENTS, metaCustomData, metaEventSpec } from '../connectors/analytics/meta-events.js';

/** The envelope the server gets: the same id on both sides is what lets Meta deduplicate. */
export interface BrowserEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
  /** ISO 8601; now when absent. */
  timestamp?: string;
}

export type Gtag = (command: 'event', name: string, params: Record<string, Ga4ParamValue>) => void;
export type Fbq = (command: 'track' | 'trackCustom', name: string, customData: Record<string, unknown>, options: { eventID: string }) => void;

/** The calls `track` made; a tracker that is not on the page is not called. */
export interface Tracked {
  gtag?: { name: string; params: Record<string, Ga4ParamValue> };
  fbq?: { command: 'track' | 'trackCustom'; name: string; customData: Record<string, unknown>; eventID: string };
}

/** Browser identifiers for the server event's `data.context`; a field is absent when the browser has none. */
export interface ClientContext {
  gaClientId?: string;
  fbp?: string;
  fbc?: string;
  userAgent?: string;
  pageUrl?: string;
}

// What this module reads of the page; declared here so it needs no DOM typings and runs (doing nothing) outside a browser.
interface Page {
  gtag?: unknown;
  fbq?: unknown;
  document?: { cookie?: string };
  navigator?: { userAgent?: string };
  location?: { href?: string };
}

const page = (): Page => globalThis as Page;

// The server's event id pattern (EVENT_ID_PATTERN in events/ids.ts): an id it would refuse cannot be deduplicated.
const EVENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

// The parts of each built-in type's data the mappings read.
const NEEDS: Record<string, string[]> = {
  'video.generated': ['video'],
  'video.completed': ['video'],
  'video.failed': ['video', 'error'],
  'user.registered': ['user'],
  'session.started': ['session'],
  'session.ended': ['session'],
};

function problemOf(event: unknown): string | undefined {
  if (!isRecord(event)) return 'an event { id, type, data }';
  if (typeof event.id !== 'string' || !EVENT_ID.test(event.id)) return 'the id of the server event (1-128 of A-Z a-z 0-9 _ -)';
  if (typeof event.type !== 'string' || event.type === '') return 'the event type';
  if (!isRecord(event.data)) return 'data, an object';
  for (const key of NEEDS[event.type] ?? []) if (!isRecord(event.data[key])) return `data.${key}, an object`;
  if (event.type === 'session.ended' && typeof (event.data.session as Record<string, unknown>).durationSec !== 'number') return 'data.session.durationSec, a number';
  return undefined;
}

/**
 * Sends one event to gtag.js and the Meta Pixel, when they are on the page. Throws a
 * TypeError only for an event it cannot map (no id, no type, a built-in type without its data).
 */
export function track(event: BrowserEvent): Tracked {
  const problem = problemOf(event);
  if (problem) throw new TypeError(`vidhook/browser: track(${typeof event?.type === 'string' ? event.type : 'event'}) needs ${problem}`);
  const envelope = { id: event.id, type: event.type, data: event.data, timestamp: event.timestamp ?? new Date().toISOString() };
  const tracked: Tracked = {};
  const { gtag, fbq } = page();

  if (typeof gtag === 'function') {
    const spec = ga4EventSpec(envelope);
    // gtag.js adds the visit params (session, engagement, page_location) itself.
    tracked.gtag = { name: spec.name, params: ga4EventParams(spec) };
    (gtag as Gtag)('event', tracked.gtag.name, tracked.gtag.params);
  }

  const meta = typeof fbq === 'function' ? metaEventSpec(envelope) : undefined;
  if (meta) {
    const command = META_STANDARD_EVENTS.has(meta.name) ? 'track' : 'trackCustom';
    tracked.fbq = { command, name: meta.name, customData: metaCustomData(meta), eventID: event.id };
    (fbq as Fbq)(command, meta.name, tracked.fbq.customData, { eventID: event.id });
  }
  return tracked;
}

function cookies(): Map<string, string> {
  const jar = new Map<string, string>();
  for (const pair of (page().document?.cookie ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at < 1) continue;
    const name = pair.slice(0, at).trim();
    const raw = pair.slice(at + 1).trim();
    try {
      if (!jar.has(name)) jar.set(name, decodeURIComponent(raw));
    } catch {
      jar.set(name, raw);
    }
  }
  return jar;
}

/** `GA1.1.1197596843.1732736400` → `1197596843.1732736400`, the client id gtag sends. */
function gaClientId(cookie: string | undefined): string | undefined {
  const parts = (cookie ?? '').split('.');
  const id = parts.slice(-2);
  return parts.length >= 4 && id.every((part) => /^\d+$/.test(part)) ? id.join('.') : undefined;
}

/** The Pixel's click id from an ad click (`fbclid` in the URL) before the Pixel has stored it in `_fbc`. */
function fbcFromUrl(href: string | undefined): string | undefined {
  try {
    const fbclid = href ? new URL(href).searchParams.get('fbclid') : null;
    return fbclid ? `fb.1.${Date.now()}.${fbclid}` : undefined;
  } catch {
    return undefined;
  }
}

/** The browser identifiers the ga4 and meta connectors read from a server event's `data.context`. */
export function clientContext(): ClientContext {
  const jar = cookies();
  const { navigator, location } = page();
  const found: ClientContext = {
    gaClientId: gaClientId(jar.get('_ga')),
    fbp: jar.get('_fbp') || undefined,
    fbc: jar.get('_fbc') || fbcFromUrl(location?.href),
    userAgent: navigator?.userAgent || undefined,
    pageUrl: location?.href || undefined,
  };
  for (const key of Object.keys(found) as Array<keyof ClientContext>) if (found[key] === undefined) delete found[key];
  return found;
}
