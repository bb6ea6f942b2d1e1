import { z } from 'zod';
import type { BuiltinEventType } from '../../events/index.js';
import {
  baseUrl,
  defineConnector,
  described,
  isRetryableStatus,
  parseRetryAfter,
  PayloadValidationError,
  PermanentError,
  RetryableError,
  secret,
  snippet,
  type Call,
  type Classification,
  type ClassifyContext,
  type HttpResponse,
  type TypedEvent,
} from '../core/index.js';
import { ga4Payloads, renderBuiltinEvent, renderCustomEvent, renderGa4Event, type Ga4Payload, type RenderedGa4Event } from './payload.js';

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

type Ga4Call = Call<Ga4Settings>;

const COLLECT = 'the event upload';
const VALIDATE = 'the validation request';

/**
 * The Measurement Protocol authorizes by query parameter, not header: the API secret is in
 * every URL (the engine masks it, a `secret()` setting, wherever a URL is recorded or thrown).
 */
function endpoint(s: Ga4Settings, path: '/mp/collect' | '/debug/mp/collect'): string {
  const url = new URL(path, s.baseUrl ?? GA4_ORIGIN);
  url.searchParams.set('measurement_id', s.measurementId);
  url.searchParams.set('api_secret', s.apiSecret);
  return url.toString();
}

/**
 * /mp/collect answers 2xx even to payloads it drops, and GA4 does not deduplicate: a 2xx is
 * final, only transport failures and non-2xx answers are retried.
 */
function classifyGa4(res: HttpResponse, { request }: ClassifyContext<Ga4Settings>): Classification {
  if (res.status >= 200 && res.status < 300) return 'ok';
  const what = `GA4 answered HTTP ${res.status} to ${request.action ?? 'a request'}${res.body.trim() ? `: ${snippet(res.body)}` : ''}`;
  if (isRetryableStatus(res.status)) return new RetryableError(what, parseRetryAfter(res.headers['retry-after']), res.status);
  if (res.status === 413) return new PayloadValidationError(`${what} (GA4 refuses bodies of 130 kB or more)`, res.status);
  if (res.status === 404) return new PermanentError(`${what} (no Measurement Protocol at this address: check baseUrl)`, res.status);
  // Redirects (not followed) and 410 Gone: the generic rule.
  if (res.status < 400 || res.status === 410) return undefined;
  return new PermanentError(what, res.status);
}

async function collect(call: Ga4Call, event: RenderedGa4Event): Promise<void> {
  await call.send({ method: 'POST', url: endpoint(call.settings, '/mp/collect'), json: ga4Payloads([event])[0], action: COLLECT });
}

async function debugMessages(call: Ga4Call, payload: Ga4Payload): Promise<string[]> {
  const body = await call.sendJson<{ validationMessages?: Ga4ValidationMessage[] }>({
    method: 'POST',
    // The validator ignores the secret; sending it anyway makes the request the same as the real one.
    url: endpoint(call.settings, '/debug/mp/collect'),
    json: { ...payload, validation_behavior: 'ENFORCE_RECOMMENDATIONS' },
    action: VALIDATE,
  });
  return (body.validationMessages ?? []).map(
    (m) => `${m.validationCode ?? 'INVALID'}: ${m.description ?? 'no description'}${m.fieldPath ? ` (${m.fieldPath})` : ''}`,
  );
}

const builtin = <T extends BuiltinEventType>(event: TypedEvent<T>, call: Ga4Call) => collect(call, renderBuiltinEvent(event, call.now()));

export const ga4 = defineConnector<Ga4Settings>({
  kind: 'ga4',
  title: 'Google Analytics 4',
  category: 'analytics',
  description: 'Google Analytics 4 through the Measurement Protocol: sign_up, video generation and session events.',
  settings,
  defaultEvents: ['*'],
  // No published rate limit; stay polite.
  limits: { concurrency: 4, perSecond: 25 },
  classify: classifyGa4,

  // What each type becomes is in payload.ts (GA4_EVENTS), from the event's typed data.
  handlers: {
    'user.registered': builtin,
    'video.generated': builtin,
    'video.completed': builtin,
    'video.failed': builtin,
    'session.started': builtin,
    'session.ended': builtin,
    custom: (event, call) => collect(call, renderCustomEvent(event, call.now())),
  },

  async validate(event, call) {
    return debugMessages(call, ga4Payloads([renderGa4Event(event, call.now())])[0]);
  },

  async check(call) {
    const now = call.now();
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
    const messages = await debugMessages(call, payload);
    if (messages.length > 0) throw new PermanentError(`GA4 rejected a test event: ${messages.join('; ')}`);
    return `GA4 accepted a test event for ${call.settings.measurementId} (the validator does not check the API secret: a wrong one shows only as missing data in Realtime)`;
  },

  warnings(s) {
    const host = s.baseUrl ? new URL(s.baseUrl).hostname : undefined;
    return host && !KNOWN_HOSTS.has(host) ? [`baseUrl host ${host} is not a Google Analytics host (expected www.google-analytics.com or region1.google-analytics.com)`] : [];
  },
});
