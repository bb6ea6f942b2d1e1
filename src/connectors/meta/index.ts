import { z } from 'zod';
import { redact } from '../core/masking.js';
import { graphFailure } from './graph-errors.js';
import { renderMetaEvent, type MetaServerEvent } from './server-event.js';
import { baseUrl, described, secret } from '../core/settings.js';
import type { Connector, Destination, Http, HttpRequest, HttpResponse } from '../core/types.js';

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

/** Sends a Graph request and turns any non-2xx answer into the delivery outcome it means. */
async function graphRequest(req: HttpRequest, dest: Destination<MetaSettings>, http: Http): Promise<HttpResponse> {
  http.addSecret(dest.settings.accessToken);
  const res = await http.request({ ...req, acceptStatus: () => true });
  if (res.status >= 200 && res.status < 300) return res;
  const failure = graphFailure(res);
  failure.message = redact(failure.message, [dest.settings.accessToken]);
  throw failure;
}

export function eventsRequestBody(events: MetaServerEvent[], s: MetaSettings): Record<string, unknown> {
  return {
    data: events,
    ...(s.testEventCode ? { test_event_code: s.testEventCode } : {}),
    // In the body rather than the URL, so proxies and access logs never see it.
    access_token: s.accessToken,
  };
}

export const meta: Connector<MetaSettings> = {
  kind: 'meta',
  title: 'Meta Conversions API',
  category: 'analytics',
  description: 'Meta (Facebook) Conversions API: registrations and finished videos as server events, deduplicated with the Pixel by event id.',
  settings,
  defaultEvents: ['user.registered', 'video.completed'],
  // CAPI has no published per-call quota; app-level Graph limits still apply.
  limits: { concurrency: 4, perSecond: 20 },

  async deliver(event, dest, http, ctx) {
    const serverEvent = renderMetaEvent(event, ctx.now());
    await graphRequest(
      {
        method: 'POST',
        url: graphUrl(dest.settings, '/events').toString(),
        json: eventsRequestBody([serverEvent], dest.settings),
        dryRunResponse: { status: 200, body: { events_received: 1, messages: [], fbtrace_id: 'dry-run' } },
      },
      dest,
      http,
    );
  },

  async check(dest, http) {
    const url = graphUrl(dest.settings, '');
    url.searchParams.set('fields', 'id,name');
    url.searchParams.set('access_token', dest.settings.accessToken);
    const res = await graphRequest(
      { method: 'GET', url: url.toString(), dryRunResponse: { status: 200, body: { id: dest.settings.pixelId, name: 'dry run' } } },
      dest,
      http,
    );
    const pixel = res.json<{ id?: string; name?: string }>();
    return `Meta pixel ${pixel.name ? `"${pixel.name}" ` : ''}(${pixel.id ?? dest.settings.pixelId}) is reachable with this access token`;
  },

  warnings(s) {
    const out: string[] = [];
    const host = s.baseUrl ? new URL(s.baseUrl).hostname : undefined;
    if (host && host !== 'graph.facebook.com') out.push(`baseUrl host ${host} is not Meta's Graph API host (graph.facebook.com)`);
    if (s.testEventCode) out.push('testEventCode is set: events go to Events Manager › Test events; remove it once testing is done');
    return out;
  },
};
