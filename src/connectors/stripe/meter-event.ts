import { createHash } from 'node:crypto';
import type { Envelope } from '../../events/index.js';
import { PayloadValidationError, SkipDelivery } from '../core/index.js';
import type { MeterSetting, StripeSettings } from './settings.js';

/** Stripe takes meter events from the past 35 days up to 5 minutes ahead. */
export const MAX_AGE_SEC = 35 * 86_400;
export const MAX_AHEAD_SEC = 5 * 60;
/** Stripe's limit on `identifier`; event ids may be up to 128 characters. */
const IDENTIFIER_MAX = 100;

export interface MeterEvent {
  event_name: string;
  'payload[stripe_customer_id]': string;
  'payload[value]': string;
  timestamp: string;
  identifier: string;
}

/** The value at a dot path into the event data; own properties only, so `__proto__` reads nothing. */
export function valueAt(data: unknown, path: string): unknown {
  let value = data;
  for (const key of path.split('.')) {
    if (!value || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const ROUND = { up: Math.ceil, down: Math.floor, nearest: Math.round } as const;

function meterValue(event: Envelope, meter: MeterSetting): string {
  if (typeof meter.value === 'number') return String(meter.value);
  const where = `data.${meter.value}`;
  const raw = valueAt(event.data, meter.value);
  if (raw === undefined || raw === null) {
    throw new PayloadValidationError(`${event.type} has no ${where}, the value of meter ${meter.eventName}`);
  }
  const number = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isFinite(number) || number < 0) {
    throw new PayloadValidationError(`${where} is ${JSON.stringify(raw)}: the value of meter ${meter.eventName} must be a non-negative number`);
  }
  const whole = meter.round ? ROUND[meter.round](number) : number;
  if (!Number.isInteger(whole)) {
    throw new PayloadValidationError(
      `${where} is ${number}: Stripe meters count whole units; set round (up, down or nearest) on the ${event.type} meter to send it`,
    );
  }
  if (!Number.isSafeInteger(whole)) throw new PayloadValidationError(`${where} is ${number}, too large for a meter value`);
  return String(whole);
}

function customerId(event: Envelope, path: string): string {
  const raw = valueAt(event.data, path);
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    throw new SkipDelivery(`the event has no Stripe customer id at data.${path} (customerIdPath)`);
  }
  if (typeof raw !== 'string') throw new PayloadValidationError(`data.${path} must be a Stripe customer id (cus_…), not ${JSON.stringify(raw)}`);
  return raw.trim();
}

function describeAge(seconds: number): string {
  return seconds >= 86_400 ? `${(seconds / 86_400).toFixed(1)} days` : `${Math.round(seconds / 60)} minutes`;
}

/** Unix seconds of the event, refused outside the window Stripe accepts (it would refuse it too, after a round trip). */
function eventTime(event: Envelope, now: Date): number {
  const at = Math.floor(Date.parse(event.timestamp) / 1000);
  const age = Math.floor(now.getTime() / 1000) - at;
  if (age > MAX_AGE_SEC) {
    throw new PayloadValidationError(`the event is ${describeAge(age)} old (${event.timestamp}); Stripe takes meter events from the past 35 days only`);
  }
  if (-age > MAX_AHEAD_SEC) {
    throw new PayloadValidationError(
      `the event is ${describeAge(-age)} in the future (${event.timestamp}); Stripe takes meter events at most 5 minutes ahead: check the sender's clock`,
    );
  }
  return at;
}

/** Stripe drops a second meter event with the same identifier, so a retry is counted once. */
export function identifierOf(eventId: string): string {
  return eventId.length <= IDENTIFIER_MAX ? eventId : `vidhook-md5-${createHash('md5').update(eventId).digest('hex')}`;
}

/** The meter this event counts on, or why it is skipped. */
export function meterFor(event: Envelope, settings: StripeSettings): MeterSetting {
  const meter = Object.hasOwn(settings.meters, event.type) ? settings.meters[event.type] : undefined;
  if (!meter) throw new SkipDelivery(`no meter is configured for ${event.type}`);
  return meter;
}

/** The meter event's parameters; everything comes from the event and settings, so a retry sends the same request. */
export function meterEvent(event: Envelope, meter: MeterSetting, settings: StripeSettings, now: Date): MeterEvent {
  const customer = customerId(event, settings.customerIdPath);
  return {
    event_name: meter.eventName,
    'payload[stripe_customer_id]': customer,
    'payload[value]': meterValue(event, meter),
    timestamp: String(eventTime(event, now)),
    identifier: identifierOf(event.id),
  };
}

/** Form encoding as Stripe's own SDK sends it: brackets in keys kept literal, values escaped. */
export function formBody(params: object): string {
  return Object.entries(params)
    .map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`)
    .join('&');
}
