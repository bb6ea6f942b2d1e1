import { z } from 'zod';
import { baseUrl, described, secret } from '../core/settings.js';

/** The data centre an API key belongs to is its suffix: `…-us21` → `us21`. */
const KEY_WITH_DATA_CENTRE = /^\S+-([a-z]{2,4}\d{1,3})$/i;

const tagNames = z
  .union([z.string().trim().min(1), z.array(z.string().trim().min(1)).min(1)])
  .transform((value) => (typeof value === 'string' ? [value] : value));

export const mailchimpSettings = z.object({
  apiKey: secret(
    z.string().trim().regex(KEY_WITH_DATA_CENTRE, { message: 'must be a Mailchimp API key, which ends with its data centre (…-us21)' }),
    'An API key of the account (Profile → Extras → API keys); its suffix (…-us21) names the data centre.',
  ),
  listId: described(
    z.string().trim().regex(/^[A-Za-z0-9]+$/, { message: 'must be an Audience ID like a1b2c3d4e5 (Audience → Settings → Audience name and defaults)' }),
    'The Audience ID (Audience → Settings → Audience name and defaults), e.g. a1b2c3d4e5.',
  ),
  status: described(
    z.enum(['pending', 'subscribed', 'transactional']).default('pending'),
    'Status of a member added by user.registered: pending (double opt-in email, default), subscribed (consent collected elsewhere), or transactional. An existing member keeps theirs.',
  ),
  tags: described(
    z.record(z.string().trim().min(1), tagNames).optional(),
    'Tags to add to the member per event type, e.g. { "user.registered": ["vidhook", "trial"], "video.completed": "creator" }.',
  ),
  mergeFields: described(
    z
      .record(
        z.string().trim().regex(/^[A-Z][A-Z0-9_]*$/, { message: 'must be an audience merge tag in capitals, like PLAN' }),
        z.string().trim().min(1),
      )
      .optional(),
    'Extra merge fields set on registration, each from a path into the event data, e.g. { PLAN: user.plan, COMPANY: user.company }.',
  ),
  baseUrl: described(baseUrl(), "Replaces https://<dc>.api.mailchimp.com, the data centre named by the API key (proxies, tests)."),
});

export type MailchimpSettings = z.output<typeof mailchimpSettings>;

export function dataCentreOf(apiKey: string): string {
  return KEY_WITH_DATA_CENTRE.exec(apiKey)![1].toLowerCase();
}

/** The API origin: the override, else the data centre's host. */
export function mailchimpOrigin(settings: Pick<MailchimpSettings, 'apiKey' | 'baseUrl'>): string {
  return settings.baseUrl ?? `https://${dataCentreOf(settings.apiKey)}.api.mailchimp.com`;
}

/** `…/3.0/lists/{listId}` and below. */
export function listUrl(settings: MailchimpSettings, rest = ''): string {
  return `${mailchimpOrigin(settings)}/3.0/lists/${settings.listId}${rest}`;
}
