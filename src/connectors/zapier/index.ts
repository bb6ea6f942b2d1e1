import { z } from 'zod';
import type { Envelope } from '../../events/index.js';
import { defineConnector, EndpointGoneError, forEveryEvent, httpUrl, secret } from '../core/index.js';

const settings = z.object({
  hookUrl: secret(httpUrl(), 'Zapier "Catch Hook" URL (https://hooks.zapier.com/hooks/catch/…), or a REST-hook target URL.'),
});

export type ZapierSettings = z.output<typeof settings>;

export interface ZapierPayload {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/**
 * What a Zap receives: the event envelope itself, one object per event. The daemon's sample
 * route serves the same shape, because Zapier requires samples and live payloads to match.
 */
export function zapierPayload(envelope: Envelope): ZapierPayload {
  return { id: envelope.id, type: envelope.type, timestamp: envelope.timestamp, data: envelope.data };
}

function hookSecrets(hookUrl: string): string[] {
  // …/hooks/catch/<account>/<hook>/: the path after /hooks/ is what makes the URL usable.
  const match = /\/hooks\/(?:catch|standard)\/(.+?)\/?$/.exec(new URL(hookUrl).pathname);
  return match ? [match[1]] : [];
}

export const zapier = defineConnector<ZapierSettings>({
  kind: 'zapier',
  title: 'Zapier',
  category: 'workflow',
  description: 'Triggers a Zap: posts each event to a Catch Hook URL or a REST-hook subscription.',
  settings,
  defaultEvents: ['*'],
  // Zapier allows about 30 requests per second per hook; stay well under.
  limits: { concurrency: 4, perSecond: 20 },
  secrets: ({ hookUrl }) => hookSecrets(hookUrl),
  classify(res) {
    // Zapier answers 410 when the Zap was turned off or deleted: stop sending (and, for a REST hook, unsubscribe).
    if (res.status === 410) return new EndpointGoneError('Zapier answered 410 Gone: the Zap is off or deleted, so this hook no longer accepts events', 410);
    return undefined;
  },
  handlers: forEveryEvent(async (event, call) => {
    await call.send({ method: 'POST', url: call.settings.hookUrl, json: zapierPayload(event), dryRunResponse: { status: 200, body: { status: 'success' } } });
  }),
  warnings({ hookUrl }) {
    const { hostname, pathname } = new URL(hookUrl);
    if (hostname !== 'hooks.zapier.com') return [`hookUrl host ${hostname} is not Zapier’s (hooks.zapier.com)`];
    if (!/^\/hooks\/(catch|standard)\//.test(pathname)) return ['hookUrl does not look like a Catch Hook (…/hooks/catch/…) or REST-hook URL'];
    return [];
  },
});
