import { startReceiver, type ReceivedRequest, type Receiver, type Reply } from '../../helpers/receiver.js';

// A local GA4 that applies the Measurement Protocol's rules the way /debug/mp/collect reports them.

export interface ValidationMessage {
  fieldPath: string;
  description: string;
  validationCode: 'VALUE_INVALID' | 'VALUE_REQUIRED' | 'NAME_INVALID' | 'NAME_RESERVED' | 'VALUE_OUT_OF_BOUNDS' | 'EXCEEDED_MAX_ENTITIES' | 'NAME_DUPLICATED';
}

const RESERVED_EVENTS = new Set(
  (
    'ad_activeview ad_click ad_exposure ad_impression ad_query adunit_exposure app_clear_data app_install app_update ' +
    'app_remove error first_open first_visit in_app_purchase notification_dismiss notification_foreground ' +
    'notification_open notification_receive os_update screen_view session_start user_engagement click file_download ' +
    'form_start form_submit page_view scroll view_search_results video_start video_progress video_complete ' +
    'app_store_refund app_store_subscription_cancel app_store_subscription_renew app_store_subscription_convert'
  ).split(' '),
);
const RESERVED_PREFIXES = ['_', 'firebase_', 'ga_', 'google_', 'gtag.'];
const RESERVED_USER_PROPERTIES = new Set(['first_open_time', 'first_visit_time', 'last_deep_link_referrer', 'user_id', 'first_open_after_install']);
const LONG_VALUES: Record<string, number> = { page_title: 300, page_referrer: 420, page_location: 1000 };
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

export interface FakeGa4Options {
  apiSecret: string;
  now?: () => number;
}

export interface CollectedEvent {
  clientId: string;
  userId?: string;
  userProperties?: Record<string, { value: unknown }>;
  name: string;
  params: Record<string, unknown>;
  timestampMicros: number;
}

export interface FakeGa4 {
  origin: string;
  receiver: Receiver;
  /** Events /mp/collect accepted: valid payload, right secret. */
  collected: CollectedEvent[];
  /** Payloads /mp/collect answered 204 to and silently threw away, with why. */
  dropped: Array<{ body: unknown; messages: ValidationMessage[] }>;
  /** Names the fake refuses on top of GA4's own, to see messages come back. */
  extraReserved: Set<string>;
  /** Answer this status instead of GA4's usual ones (outages). */
  failWith?: number;
  /** Answer with this instead (a proxy's or a broken endpoint's answers). */
  answer?: (req: ReceivedRequest) => Reply;
  close(): Promise<void>;
}

const prefixed = (name: string) => RESERVED_PREFIXES.some((p) => name.toLowerCase().startsWith(p));

export function validateGa4(body: unknown, measurementId: string | null, now: number, extraReserved: ReadonlySet<string> = new Set()): ValidationMessage[] {
  const out: ValidationMessage[] = [];
  const add = (fieldPath: string, validationCode: ValidationMessage['validationCode'], description: string) =>
    out.push({ fieldPath, validationCode, description });
  if (!measurementId) add('measurement_id', 'VALUE_REQUIRED', 'Measurement ID is required.');
  if (!body || typeof body !== 'object') {
    add('', 'VALUE_INVALID', 'Body must be a JSON object.');
    return out;
  }
  const b = body as Record<string, any>;
  if (typeof b.client_id !== 'string' || b.client_id.length === 0) add('client_id', 'VALUE_REQUIRED', 'client_id is required for web streams.');
  if (b.user_id !== undefined && (typeof b.user_id !== 'string' || b.user_id.length > 256)) add('user_id', 'VALUE_INVALID', 'user_id must be a string of at most 256 characters.');
  const checkTime = (path: string, micros: unknown) => {
    if (micros === undefined) return;
    if (typeof micros !== 'number' || !Number.isInteger(micros) || String(micros).length < 16) {
      add(path, 'VALUE_INVALID', 'timestamp_micros must be microseconds since the epoch.');
      return;
    }
    if (micros < (now - 72 * 3600_000) * 1000) add(path, 'VALUE_OUT_OF_BOUNDS', 'timestamp_micros is more than 72 hours in the past.');
    if (micros > (now + 60_000) * 1000) add(path, 'VALUE_OUT_OF_BOUNDS', 'timestamp_micros is in the future.');
  };
  checkTime('timestamp_micros', b.timestamp_micros);

  const props = b.user_properties ?? {};
  if (Object.keys(props).length > 25) add('user_properties', 'EXCEEDED_MAX_ENTITIES', 'At most 25 user properties.');
  for (const [name, prop] of Object.entries<any>(props)) {
    if (name.length > 24 || !NAME.test(name)) add(`user_properties.${name}`, 'NAME_INVALID', `User property name [${name}] is invalid.`);
    if (RESERVED_USER_PROPERTIES.has(name) || prefixed(name)) add(`user_properties.${name}`, 'NAME_RESERVED', `User property name [${name}] is reserved.`);
    if (String(prop?.value ?? '').length > 36) add(`user_properties.${name}.value`, 'VALUE_OUT_OF_BOUNDS', 'User property value is longer than 36 characters.');
  }

  const events = b.events;
  if (!Array.isArray(events) || events.length === 0) {
    add('events', 'VALUE_REQUIRED', 'At least one event is required.');
    return out;
  }
  if (events.length > 25) add('events', 'EXCEEDED_MAX_ENTITIES', 'At most 25 events per request.');
  events.forEach((event: any, i: number) => {
    const name = event?.name;
    const at = `events[${i}]`;
    if (typeof name !== 'string' || name.length > 40 || !NAME.test(name)) {
      add(`${at}.name`, 'NAME_INVALID', `Event at index: [${i}] has invalid name [${name}]. Names must start with an alphabetic character.`);
    } else if (RESERVED_EVENTS.has(name) || prefixed(name) || extraReserved.has(name)) {
      add(`${at}.name`, 'NAME_RESERVED', `Event at index: [${i}] has name [${name}] which is reserved.`);
    }
    checkTime(`${at}.timestamp_micros`, event?.timestamp_micros);
    const params = event?.params ?? {};
    const names = Object.keys(params);
    if (names.length > 25) add(`${at}.params`, 'EXCEEDED_MAX_ENTITIES', `Event at index: [${i}] has more than 25 params.`);
    for (const [param, value] of Object.entries<unknown>(params)) {
      if (param.length > 40 || !NAME.test(param)) add(`${at}.params.${param}`, 'NAME_INVALID', `Param [${param}] has an invalid name.`);
      else if (param === 'firebase_conversion' || prefixed(param)) add(`${at}.params.${param}`, 'NAME_RESERVED', `Param [${param}] is reserved.`);
      if (typeof value === 'string') {
        if (value.length > (LONG_VALUES[param] ?? 100)) add(`${at}.params.${param}`, 'VALUE_OUT_OF_BOUNDS', `Param [${param}] value is too long.`);
      } else if (typeof value !== 'number' && param !== 'items') {
        add(`${at}.params.${param}`, 'VALUE_INVALID', `Param [${param}] must be a string or a number.`);
      }
    }
    // What the MP guide asks for so events show in Realtime and engagement reports.
    if (params.session_id === undefined) add(`${at}.params.session_id`, 'VALUE_REQUIRED', 'session_id is needed for session reports.');
    if (!(Number(params.engagement_time_msec) > 0)) add(`${at}.params.engagement_time_msec`, 'VALUE_REQUIRED', 'engagement_time_msec must be positive.');
  });
  return out;
}

function parse(req: ReceivedRequest): unknown {
  try {
    return JSON.parse(req.body);
  } catch {
    return undefined;
  }
}

export async function startFakeGa4(options: FakeGa4Options): Promise<FakeGa4> {
  const now = options.now ?? Date.now;
  const fake = { collected: [], dropped: [], extraReserved: new Set<string>() } as unknown as FakeGa4;
  const receiver = await startReceiver((req) => {
    if (fake.answer) return fake.answer(req);
    if (fake.failWith) return { status: fake.failWith, body: 'unavailable' };
    const url = new URL(req.url, 'http://ga4.local');
    if (req.method !== 'POST') return { status: 405 };
    if (Buffer.byteLength(req.body) >= 130_000) return { status: 413 };
    const body = parse(req);
    const messages = validateGa4(body, url.searchParams.get('measurement_id'), now(), fake.extraReserved);
    if (url.pathname === '/debug/mp/collect') return { status: 200, body: { validationMessages: messages } };
    if (url.pathname !== '/mp/collect') return { status: 404 };
    if (url.searchParams.get('api_secret') !== options.apiSecret) {
      messages.push({ fieldPath: 'api_secret', validationCode: 'VALUE_INVALID', description: 'Unknown API secret.' });
    }
    if (messages.length > 0) fake.dropped.push({ body, messages });
    else {
      const b = body as Record<string, any>;
      for (const event of b.events) {
        fake.collected.push({
          clientId: b.client_id,
          userId: b.user_id,
          userProperties: b.user_properties,
          name: event.name,
          params: event.params,
          timestampMicros: event.timestamp_micros ?? b.timestamp_micros,
        });
      }
    }
    // The real endpoint never tells: always 204, valid or not.
    return { status: 204 };
  });
  fake.receiver = receiver;
  fake.origin = receiver.origin;
  fake.close = () => receiver.close();
  return fake;
}
