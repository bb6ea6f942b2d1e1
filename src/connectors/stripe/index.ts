import { defineConnector, forEveryEvent, maskSecret, PermanentError, type Call } from '../core/index.js';
import { classifyStripe } from './errors.js';
import { formBody, meterEvent, meterFor } from './meter-event.js';
import { stripeSettings, type StripeSettings } from './settings.js';

export type { StripeSettings } from './settings.js';

const ORIGIN = 'https://api.stripe.com';
/** Pinned so the answers read here keep their shape whatever the account's default version is. */
export const STRIPE_VERSION = '2026-02-25.clover';
/** Pages of 100 meters `check` reads at most. */
const MAX_METER_PAGES = 10;

const origin = (settings: StripeSettings) => settings.baseUrl ?? ORIGIN;

interface Meter {
  id: string;
  event_name?: string;
  status?: string;
  customer_mapping?: { event_payload_key?: string };
  value_settings?: { event_payload_key?: string };
}

async function listMeters(call: Call<StripeSettings>): Promise<Meter[]> {
  const meters: Meter[] = [];
  for (let page = 0; page < MAX_METER_PAGES; page++) {
    const after = meters.at(-1)?.id;
    const list = await call.sendJson<{ data?: Meter[]; has_more?: boolean }>({
      method: 'GET',
      url: `${origin(call.settings)}/v1/billing/meters?limit=100${after ? `&starting_after=${encodeURIComponent(after)}` : ''}`,
      action: 'the meters list',
    });
    meters.push(...(list.data ?? []));
    if (!list.has_more || !list.data?.length) break;
  }
  return meters;
}

/** What is wrong with the meter an event name should count on, if anything. */
function meterProblem(eventName: string, meters: Meter[]): string | undefined {
  const named = meters.filter((m) => m.event_name === eventName);
  const active = named.find((m) => m.status === 'active');
  if (!active) return named.length ? `${eventName} (inactive)` : `${eventName} (no such meter)`;
  // The connector sends the default payload keys; a meter reading others would never count these events.
  const customerKey = active.customer_mapping?.event_payload_key ?? 'stripe_customer_id';
  const valueKey = active.value_settings?.event_payload_key ?? 'value';
  if (customerKey !== 'stripe_customer_id' || valueKey !== 'value') {
    return `${eventName} (reads payload keys ${customerKey} and ${valueKey}; vidhook sends stripe_customer_id and value)`;
  }
  return undefined;
}

export const stripe = defineConnector<StripeSettings>({
  kind: 'stripe',
  title: 'Stripe usage billing',
  category: 'billing',
  description: 'Records a Billing meter event for each event type given a meter, so Stripe bills the customer for usage.',
  settings: stripeSettings,
  // The types come from `meters`, which a static list cannot read: take every type and skip the unmetered ones with a reason.
  defaultEvents: ['*'],
  // v1 meter events take 1,000 calls/s per account (less in test mode); leave room for the account's other traffic.
  limits: { concurrency: 8, perSecond: 100 },

  authorize: {
    headers: ({ secretKey }) => ({ authorization: `Bearer ${secretKey}`, 'stripe-version': STRIPE_VERSION }),
  },
  classify: classifyStripe,

  handlers: forEveryEvent(async (event, call) => {
    const meter = meterFor(event, call.settings);
    const params = meterEvent(event, meter, call.settings, call.now());
    await call.send({
      method: 'POST',
      url: `${origin(call.settings)}/v1/billing/meter_events`,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        // With the identifier this makes a retried request, even one whose answer was lost, count once.
        'idempotency-key': `${event.id}:${meter.eventName}`,
      },
      body: formBody(params),
      action: `the meter event ${meter.eventName}`,
    });
  }),

  async check(call) {
    const meters = await listMeters(call);
    const problems = [...new Set(Object.values(call.settings.meters).map((m) => m.eventName))]
      .map((name) => meterProblem(name, meters))
      .filter((p): p is string => p !== undefined);
    if (problems.length) {
      throw new PermanentError(`Stripe has no usable active meter for ${problems.join(', ')}: create or fix it under Billing › Meters, or change meters.<type>.eventName`);
    }
    const mode = /^(sk|rk)_live_/.test(call.settings.secretKey) ? 'live' : /^(sk|rk)_test_/.test(call.settings.secretKey) ? 'test' : 'unknown';
    const counted = Object.entries(call.settings.meters).map(([type, m]) => `${m.eventName} (${type})`);
    return `authenticated to ${origin(call.settings)} as ${maskSecret(call.settings.secretKey)} (${mode} mode); active meters: ${counted.join(', ')}`;
  },

  warnings(settings) {
    if (!settings.baseUrl) return [];
    return new URL(settings.baseUrl).hostname === 'api.stripe.com' ? [] : [`baseUrl ${settings.baseUrl} is not Stripe's API host (api.stripe.com)`];
  },
});
