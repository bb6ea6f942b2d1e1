import { z } from 'zod';
import { generateSecret, isValidSecret, signedHeaders } from '../../signing/standard-webhooks.js';
import { eventJson } from '../../events/stored-envelope.js';
import { described, httpUrl, secret } from '../core/settings.js';
import type { Connector, DeliveryContext, Destination } from '../core/types.js';

const secretSetting = z
  .string()
  .trim()
  .refine(isValidSecret, { message: 'must be whsec_ followed by base64 of 24-64 random bytes' });

const settings = z.object({
  url: described(httpUrl(), 'The endpoint that receives the events (POST, JSON).'),
  secret: secret(secretSetting.optional(), 'Signing secret (whsec_…); generated when absent.'),
  previousSecrets: secret(
    z.array(z.object({ secret: secretSetting, expiresAt: z.string() })).optional(),
    'Rotated secrets that keep signing until they expire.',
  ),
  headers: described(z.record(z.string(), z.string()).optional(), 'Extra headers sent with every request.'),
});

export type WebhookSettings = z.output<typeof settings>;

export const GENERATED_SECRET_KEY = 'generated-secret';

/** The secret in settings, else one generated on first use and kept in the destination's state. */
export async function signingSecret(dest: Destination<WebhookSettings>, ctx: DeliveryContext): Promise<string> {
  if (dest.settings.secret) return dest.settings.secret;
  const kept = await ctx.state.get(GENERATED_SECRET_KEY);
  if (kept) return kept;
  const fresh = generateSecret();
  await ctx.state.set(GENERATED_SECRET_KEY, fresh);
  return fresh;
}

function activeSecrets(current: string, settings: WebhookSettings, now: Date): string[] {
  const previous = (settings.previousSecrets ?? [])
    .filter((p) => Date.parse(p.expiresAt) > now.getTime())
    .map((p) => p.secret);
  return [current, ...previous];
}

export const webhook: Connector<WebhookSettings> = {
  kind: 'webhook',
  title: 'Webhook',
  category: 'webhooks',
  description: 'Any HTTPS endpoint, signed with Standard Webhooks (verifiable with the standardwebhooks or svix libraries).',
  settings,
  defaultEvents: ['*'],
  async deliver(event, dest, http, ctx) {
    const body = eventJson(event);
    const secrets = activeSecrets(await signingSecret(dest, ctx), dest.settings, ctx.now());
    secrets.forEach((s) => http.addSecret(s));
    await http.request({
      method: 'POST',
      url: dest.settings.url,
      headers: {
        ...dest.settings.headers,
        'content-type': 'application/json',
        ...signedHeaders(secrets, event.id, body, ctx.now()),
      },
      body,
    });
  },
};
