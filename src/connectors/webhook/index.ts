import { z } from 'zod';
import { generateSecret, isValidSecret, signedHeaders } from '../../signing/standard-webhooks.js';
import { eventJson } from '../../events/stored-envelope.js';
import { defineConnector, described, forEveryEvent, httpUrl, secret, type Call } from '../core/index.js';

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
  headers: described(
    z.record(z.string(), z.string()).optional(),
    'Extra headers sent with every request; their values are treated as secrets (masked everywhere).',
  ),
});

export type WebhookSettings = z.output<typeof settings>;

export const GENERATED_SECRET_KEY = 'generated-secret';

/** The secret in settings, else one generated on first use and kept in the destination's state. */
export async function signingSecret(settings: WebhookSettings, call: Pick<Call<WebhookSettings>, 'state'>): Promise<string> {
  if (settings.secret) return settings.secret;
  const kept = await call.state.get(GENERATED_SECRET_KEY);
  if (kept) return kept;
  const fresh = generateSecret();
  await call.state.set(GENERATED_SECRET_KEY, fresh);
  return fresh;
}

/** Every value of `headers` is a credential until proven otherwise, and so is the token after an auth scheme. */
export function headerSecrets(headers: Record<string, string> | undefined): string[] {
  const values: string[] = [];
  for (const value of Object.values(headers ?? {})) {
    values.push(value);
    const scheme = /^(?:Bearer|Basic|Token|OAuth|Key|ApiKey)\s+(\S.*)$/i.exec(value.trim());
    if (scheme) values.push(scheme[1]);
  }
  return values;
}

function activeSecrets(current: string, settings: WebhookSettings, now: Date): string[] {
  const previous = (settings.previousSecrets ?? [])
    .filter((p) => Date.parse(p.expiresAt) > now.getTime())
    .map((p) => p.secret);
  return [current, ...previous];
}

export const webhook = defineConnector<WebhookSettings>({
  kind: 'webhook',
  title: 'Webhook',
  category: 'webhooks',
  description: 'Any HTTPS endpoint, signed with Standard Webhooks (verifiable with the standardwebhooks or svix libraries).',
  settings,
  defaultEvents: ['*'],
  secrets: (settings) => headerSecrets(settings.headers),
  handlers: forEveryEvent(async (event, call) => {
    const body = eventJson(event);
    const secrets = activeSecrets(await signingSecret(call.settings, call), call.settings, call.now());
    secrets.forEach((s) => call.addSecret(s));
    await call.send({
      method: 'POST',
      url: call.settings.url,
      headers: {
        ...call.settings.headers,
        'content-type': 'application/json',
        ...signedHeaders(secrets, event.id, body, call.now()),
      },
      body,
    });
  }),
});
