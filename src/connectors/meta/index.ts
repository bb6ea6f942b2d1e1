import { z } from 'zod';
import { baseUrl, defineConnector, described, secret, type Call, type TypedEvent } from '../core/index.js';
import { classifyGraph } from './graph-errors.js';
import { NOT_SENT, renderBuiltinEvent, renderCustomEvent, type MetaEventType, type MetaServerEvent } from './server-event.js';

const GRAPH_ORIGIN = 'https://graph.facebook.com';
export const DEFAULT_GRAPH_VERSION = 'v25.0';

const settings = z.object({
  pixelId: described(
    z.string().trim().regex(/^\d{5,20}$/, { message: 'must be the numeric pixel (dataset) id from Events Manager' }),
    'The pixel (dataset) id from Events Manager.',
  ),
  accessToken: secret(z.string().trim().min(1), 'A Conversions API access token (Events Manager › Settings › Generate access token).'),
  apiVersion: described(
    z
      .string()
      .trim()
      .regex(/^v\d+\.\d+$/, { message: 'must look like v25.0' })
      .default(DEFAULT_GRAPH_VERSION),
    `Graph API version (default ${DEFAULT_GRAPH_VERSION}).`,
  ),
  testEventCode: described(
    z.string().trim().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be the code shown under Test events, e.g. TEST12345' }).optional(),
    'Sends events to Events Manager › Test events (for trying a setup).',
  ),
  baseUrl: described(baseUrl(), 'Replaces https://graph.facebook.com (proxies, tests).'),
});

export type MetaSettings = z.output<typeof settings>;

function graphUrl(s: MetaSettings, path: string): URL {
  return new URL(`/${s.apiVersion}/${s.pixelId}${path}`, s.baseUrl ?? GRAPH_ORIGIN);
}

export function eventsRequestBody(events: MetaServerEvent[], s: MetaSettings): Record<string, unknown> {
  return {
    data: events,
    ...(s.testEventCode ? { test_event_code: s.testEventCode } : {}),
    // In the body rather than the URL, so proxies and access logs never see it.
    access_token: s.accessToken,
  };
}

type MetaCall = Call<MetaSettings>;

async function upload(call: MetaCall, event: MetaServerEvent): Promise<void> {
  await call.send({
    method: 'POST',
    url: graphUrl(call.settings, '/events').toString(),
    json: eventsRequestBody([event], call.settings),
    action: 'the event upload',
  });
}

const conversion = <T extends MetaEventType>(event: TypedEvent<T>, call: MetaCall) => upload(call, renderBuiltinEvent(event, call.now()));

// The Graph API takes the token as an access_token parameter (body or query), not a header, so
// there is no `authorize`; the token is a secret() setting, masked by the engine everywhere.
export const meta = defineConnector<MetaSettings>({
  kind: 'meta',
  title: 'Meta Conversions API',
  category: 'analytics',
  description: 'Meta (Facebook) Conversions API: registrations and finished videos as server events, deduplicated with the Pixel by event id.',
  settings,
  defaultEvents: ['user.registered', 'video.completed'],
  // CAPI has no published per-call quota; app-level Graph limits still apply.
  limits: { concurrency: 4, perSecond: 20 },
  classify: classifyGraph,

  // What each type becomes is in server-event.ts (META_EVENTS), from the event's typed data.
  handlers: {
    'user.registered': conversion,
    'video.generated': conversion,
    'video.completed': conversion,
    custom: (event, call) => upload(call, renderCustomEvent(event, call.now())),
  },
  skipped: NOT_SENT,

  async check(call) {
    const url = graphUrl(call.settings, '');
    url.searchParams.set('fields', 'id,name');
    url.searchParams.set('access_token', call.settings.accessToken);
    const pixel = await call.sendJson<{ id?: string; name?: string }>({ method: 'GET', url: url.toString(), action: 'the pixel lookup' });
    return `Meta pixel ${pixel.name ? `"${pixel.name}" ` : ''}(${pixel.id ?? call.settings.pixelId}) is reachable with this access token`;
  },

  warnings(s) {
    const out: string[] = [];
    const host = s.baseUrl ? new URL(s.baseUrl).hostname : undefined;
    if (host && host !== 'graph.facebook.com') out.push(`baseUrl host ${host} is not Meta's Graph API host (graph.facebook.com)`);
    if (s.testEventCode) out.push('testEventCode is set: events go to Events Manager › Test events; remove it once testing is done');
    return out;
  },
});
