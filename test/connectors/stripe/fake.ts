import { startReceiver, type Receiver, type ReceivedRequest, type Reply } from '../../helpers/receiver.js';

export const SECRET_KEY = 'sk_test_51FakeAccount0123456789abcdefGHIJ';
/** A restricted key with "Billing meter events: write" only. */
export const WRITE_ONLY_KEY = 'rk_test_51FakeAccountWriteOnly0123456789';
/** A restricted key with no billing permission. */
export const NO_BILLING_KEY = 'rk_test_51FakeAccountNoBilling0123456789';

const PERMISSIONS: Record<string, Set<string>> = {
  [SECRET_KEY]: new Set(['rak_billing_meter_event_write', 'rak_billing_meter_read']),
  [WRITE_ONLY_KEY]: new Set(['rak_billing_meter_event_write']),
  [NO_BILLING_KEY]: new Set(),
};

export interface FakeMeter {
  id: string;
  event_name: string;
  status: 'active' | 'inactive';
  customer_mapping: { type: 'by_id'; event_payload_key: string };
  value_settings: { event_payload_key: string };
}

export interface RecordedMeterEvent {
  event_name: string;
  identifier: string;
  timestamp: number;
  payload: Record<string, string>;
}

export interface FakeStripe extends Receiver {
  meters: FakeMeter[];
  customers: Set<string>;
  events: RecordedMeterEvent[];
  /** Answers the next requests with these replies instead (a 429, a lock timeout, an outage). */
  failNext(...replies: Reply[]): void;
  addMeter(eventName: string, options?: Partial<Pick<FakeMeter, 'status' | 'customer_mapping' | 'value_settings'>>): FakeMeter;
}

const error = (status: number, fields: { type?: string; code?: string; message: string; param?: string }, headers?: Record<string, string>): Reply => ({
  status,
  headers,
  body: { error: { type: 'invalid_request_error', ...fields } },
});

/** How Stripe shows a key in its own messages. */
const shown = (key: string) => `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`;

const ALLOWED = new Set(['event_name', 'identifier', 'timestamp']);
const DAY = 86_400;

/**
 * Stripe's v1 Billing API as strict as its documentation: bearer keys with restricted permissions,
 * a pinned version, form bodies, meter event rules (35 days back, 5 minutes ahead, whole values,
 * 100-character names and identifiers), idempotency keys replayed for the same parameters and
 * refused for others, identifiers counted once, and its error objects.
 */
export async function startFakeStripe(options: { now?: () => number } = {}): Promise<FakeStripe> {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const meters: FakeMeter[] = [];
  const customers = new Set(['cus_RmayaChen0001']);
  const events: RecordedMeterEvent[] = [];
  const failures: Reply[] = [];
  const idempotent = new Map<string, { params: string; reply: Reply }>();

  const addMeter: FakeStripe['addMeter'] = (eventName, options = {}) => {
    const meter: FakeMeter = {
      id: `mtr_${String(meters.length + 1).padStart(6, '0')}`,
      event_name: eventName,
      status: 'active',
      customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
      value_settings: { event_payload_key: 'value' },
      ...options,
    };
    meters.push(meter);
    return meter;
  };

  function meterEvent(req: ReceivedRequest): Reply {
    if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
      return error(400, { message: 'Invalid request: the body must be application/x-www-form-urlencoded' });
    }
    const form = new URLSearchParams(req.body);
    const payload: Record<string, string> = {};
    for (const [key, value] of form) {
      const inPayload = /^payload\[([^\]]+)\]$/.exec(key);
      if (inPayload) payload[inPayload[1]] = value;
      else if (!ALLOWED.has(key)) return error(400, { code: 'parameter_unknown', param: key, message: `Received unknown parameter: ${key}` });
    }
    const eventName = form.get('event_name');
    if (!eventName) return error(400, { code: 'parameter_missing', param: 'event_name', message: 'Missing required param: event_name.' });
    if (eventName.length > 100) return error(400, { code: 'parameter_invalid_string_too_long', param: 'event_name', message: 'event_name is too long (maximum is 100 characters).' });
    const identifier = form.get('identifier');
    if (identifier !== null && (identifier.length === 0 || identifier.length > 100)) {
      return error(400, { code: 'parameter_invalid_string_too_long', param: 'identifier', message: 'identifier must be 1 to 100 characters.' });
    }
    const timestamp = form.get('timestamp');
    if (timestamp !== null) {
      if (!/^\d+$/.test(timestamp)) return error(400, { code: 'parameter_invalid_integer', param: 'timestamp', message: 'Invalid integer: ' + timestamp });
      const age = now() - Number(timestamp);
      if (age > 35 * DAY || age < -300) {
        return error(400, { param: 'timestamp', message: 'Timestamp must be within the past 35 calendar days or up to 5 minutes in the future.' });
      }
    }
    const meter = meters.find((m) => m.event_name === eventName && m.status === 'active');
    if (!meter) return error(400, { code: 'resource_missing', param: 'event_name', message: `No active meter was found for event_name '${eventName}'.` });
    const customerKey = meter.customer_mapping.event_payload_key;
    const valueKey = meter.value_settings.event_payload_key;
    const customer = payload[customerKey];
    if (!customer) return error(400, { code: 'parameter_missing', param: `payload[${customerKey}]`, message: `Missing required param: payload[${customerKey}].` });
    if (!customers.has(customer)) return error(400, { code: 'resource_missing', param: `payload[${customerKey}]`, message: `No such customer: '${customer}'` });
    const value = payload[valueKey];
    if (value === undefined) return error(400, { code: 'parameter_missing', param: `payload[${valueKey}]`, message: `Missing required param: payload[${valueKey}].` });
    if (!/^\d+$/.test(value)) return error(400, { code: 'parameter_invalid_integer', param: `payload[${valueKey}]`, message: `Invalid integer: ${value}` });

    const at = timestamp === null ? now() : Number(timestamp);
    const id = identifier ?? `gen_${events.length + 1}`;
    // A repeated identifier is dropped: the usage is counted once.
    if (!events.some((e) => e.identifier === id)) events.push({ event_name: eventName, identifier: id, timestamp: at, payload });
    return {
      status: 200,
      body: { object: 'billing.meter_event', created: now(), event_name: eventName, identifier: id, livemode: false, payload, timestamp: at },
    };
  }

  function listMeters(req: ReceivedRequest): Reply {
    const query = new URL(req.url, 'http://fake').searchParams;
    const limit = Number(query.get('limit') ?? '10');
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return error(400, { code: 'parameter_invalid_integer', param: 'limit', message: 'limit must be 1 to 100.' });
    const after = query.get('starting_after');
    const start = after ? meters.findIndex((m) => m.id === after) + 1 : 0;
    const data = meters.slice(start, start + limit).map((m) => ({ object: 'billing.meter', ...m }));
    return { status: 200, body: { object: 'list', url: '/v1/billing/meters', has_more: start + limit < meters.length, data } };
  }

  function route(req: ReceivedRequest): Reply {
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!auth) return error(401, { message: 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth.' });
    const permissions = PERMISSIONS[auth[1]];
    if (!permissions) return error(401, { message: `Invalid API Key provided: ${shown(auth[1])}` });
    const version = req.headers['stripe-version'];
    if (version !== undefined && !/^\d{4}-\d{2}-\d{2}\.[a-z]+$/.test(version)) return error(400, { message: `Invalid Stripe API version: ${version}` });
    const path = new URL(req.url, 'http://fake').pathname;
    const needs = path === '/v1/billing/meter_events' ? 'rak_billing_meter_event_write' : 'rak_billing_meter_read';
    if (!permissions.has(needs)) {
      return error(403, {
        message: `The provided key '${shown(auth[1])}' does not have the required permissions for this endpoint on account 'acct_1Fake'. Having the '${needs}' permission would allow this request to continue.`,
      });
    }
    if (req.method === 'POST' && path === '/v1/billing/meter_events') {
      const key = req.headers['idempotency-key'];
      if (key === undefined) return meterEvent(req);
      if (key.length > 255) return error(400, { message: 'Idempotency-Key must be at most 255 characters.' });
      const kept = idempotent.get(key);
      if (kept && kept.params !== req.body) {
        return error(400, {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        });
      }
      if (kept) return { ...kept.reply, headers: { ...kept.reply.headers, 'idempotent-replayed': 'true' } };
      const reply = meterEvent(req);
      idempotent.set(key, { params: req.body, reply });
      return reply;
    }
    if (req.method === 'GET' && path === '/v1/billing/meters') return listMeters(req);
    return error(404, { message: `Unrecognized request URL (${req.method}: ${path}).` });
  }

  const receiver = await startReceiver((req) => failures.shift() ?? route(req));
  return Object.assign(receiver, {
    meters,
    customers,
    events,
    addMeter,
    failNext: (...replies: Reply[]) => void failures.push(...replies),
  });
}
