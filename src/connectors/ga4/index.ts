import { z } from 'zod';
import type { Envelope } from '../../events/index.js';
import { PermanentError } from '../core/errors.js';
import { ga4Payloads, renderGa4Event, type Ga4Payload } from './payload.js';
import { baseUrl, described, secret } from '../core/settings.js';
import type { Connector, DeliveryContext, Destination, Http } from '../core/types.js';

const GA4_ORIGIN = 'https://www.google-analytics.com';
const KNOWN_HOSTS = new Set(['www.google-analytics.com', 'region1.google-analytics.com']);

const settings = z.object({
  measurementId: described(
    z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^G-[A-Z0-9]{4,}$/, { message: 'must be a web stream measurement id like G-ABC123XYZ' }),
    'The web data stream\'s measurement id (G-…).',
  ),
  apiSecret: secret(z.string().trim().min(1), 'A Measurement Protocol API secret of that stream (Admin › Data streams).'),
  baseUrl: described(baseUrl(), 'Replaces https://www.google-analytics.com (e.g. https://region1.google-analytics.com for EU processing).'),
});

export type Ga4Settings = z.output<typeof settings>;

export interface Ga4ValidationMessage {
  fieldPath?: string;
  description?: string;
  validationCode?: string;
}

function endpoint(dest: Destination<Ga4Settings>, path: '/mp/collect' | '/debug/mp/collect', withSecret: boolean): string {
  const url = new URL(path, dest.settings.baseUrl ?? GA4_ORIGIN);
  url.searchParams.set('measurement_id', dest.settings.measurementId);
  if (withSecret) url.searchParams.set('api_secret', dest.settings.apiSecret);
  return url.toString();
}

function payloadFor(event: Envelope, ctx: DeliveryContext): Ga4Payload {
  return ga4Payloads([renderGa4Event(event, ctx.now())])[0];
}

async function debugMessages(payload: Ga4Payload, dest: Destination<Ga4Settings>, http: Http): Promise<string[]> {
  http.addSecret(dest.settings.apiSecret);
  const res = await http.request({
    method: 'POST',
    // The validator ignores the secret; sending it anyway makes the request the same as the real one.
    url: endpoint(dest, '/debug/mp/collect', true),
    json: { ...payload, validation_behavior: 'ENFORCE_RECOMMENDATIONS' },
    dryRunResponse: { status: 200, body: { validationMessages: [] } },
  });
  let body: { validationMessages?: Ga4ValidationMessage[] };
  try {
    body = res.json();
  } catch {
    throw new PermanentError(`the GA4 debug endpoint answered ${res.status} without JSON`);
  }
  return (body.validationMessages ?? []).map(
    (m) => `${m.validationCode ?? 'INVALID'}: ${m.description ?? 'no description'}${m.fieldPath ? ` (${m.fieldPath})` : ''}`,
  );
}

export const ga4: Connector<Ga4Settings> = {
  kind: 'ga4',
  title: 'Google Analytics 4',
  category: 'analytics',
  description: 'Google Analytics 4 through the Measurement Protocol: sign_up, video generation and session events.',
  settings,
  defaultEvents: ['*'],
  // No published rate limit; stay polite.
  limits: { concurrency: 4, perSecond: 25 },

  async deliver(event, dest, http, ctx) {
    const payload = payloadFor(event, ctx);
    http.addSecret(dest.settings.apiSecret);
    // /mp/collect answers 2xx even to payloads it drops, and GA4 does not deduplicate:
    // a 2xx is final, only transport failures and non-2xx are retried.
    await http.request({
      method: 'POST',
      url: endpoint(dest, '/mp/collect', true),
      json: payload,
      dryRunResponse: { status: 204, body: '' },
    });
  },

  async validate(event, dest, http, ctx) {
    return debugMessages(payloadFor(event, ctx), dest, http);
  },

  async check(dest, http, ctx) {
    const now = ctx.now();
    const payload: Ga4Payload = {
      client_id: '1000000000.1000000000',
      timestamp_micros: now.getTime() * 1000,
      events: [
        {
          name: 'vidhook_check',
          params: { session_id: String(Math.floor(now.getTime() / 1000)), engagement_time_msec: 1 },
          timestamp_micros: now.getTime() * 1000,
        },
      ],
    };
    const messages = await debugMessages(payload, dest, http);
    if (messages.length > 0) throw new PermanentError(`GA4 rejected a test event: ${messages.join('; ')}`);
    return `GA4 accepted a test event for ${dest.settings.measurementId} (the validator does not check the API secret: a wrong one shows only as missing data in Realtime)`;
  },

  warnings(s) {
    const host = s.baseUrl ? new URL(s.baseUrl).hostname : undefined;
    return host && !KNOWN_HOSTS.has(host) ? [`baseUrl host ${host} is not a Google Analytics host (expected www.google-analytics.com or region1.google-analytics.com)`] : [];
  },
};
