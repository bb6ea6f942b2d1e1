import { z } from 'zod';
import { baseUrl, described, secret } from '../core/settings.js';
import { nameTemplateSchema, stageMapSchema } from '../crm/pipeline.js';

export const DEFAULT_API_VERSION = '2026-03';

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const hubspotSettings = z.object({
  accessToken: secret(z.string().trim().min(1), 'Private app token (pat-na1-…, pat-eu1-…) or service key, with the contacts and notes scopes.'),
  baseUrl: described(baseUrl(), 'API origin; by default chosen from the token (pat-eu1-… → https://api-eu1.hubapi.com), else https://api.hubapi.com.'),
  apiVersion: described(
    z
      .string()
      .trim()
      .regex(/^(v3|\d{4}-\d{2})$/, { message: 'must be a date version like 2026-03, or v3 for the legacy paths' })
      .default(DEFAULT_API_VERSION),
    `API version: a date version (default ${DEFAULT_API_VERSION}) or v3 for the legacy /crm/v3 paths.`,
  ),
  contactProperties: described(
    z.record(z.string().trim().min(1), z.string().trim().min(1)).optional(),
    'Extra contact properties, each from a path into the event data, e.g. { vidhook_plan: user.plan }. The properties must exist in HubSpot.',
  ),
  timeZone: described(
    z.string().trim().refine(isTimeZone, { message: 'must be an IANA time zone such as Europe/Berlin' }).optional(),
    "The account's time zone (IANA name), so a DAILY limit pauses exactly until its midnight; without it vidhook probes once an hour.",
  ),
  deals: described(
    z
      .object({
        pipeline: z.string().trim().min(1, { message: 'must be a deal pipeline id (default is "default")' }),
        stages: stageMapSchema('deal stage id'),
        name: nameTemplateSchema().optional(),
        amount: z.union([z.number().nonnegative(), z.string().trim().regex(/^[A-Za-z_][\w.]*$/, { message: 'must be a number or a path into the event data such as video.price' })]).optional(),
      })
      .strict()
      .optional(),
    'One deal per person in a pipeline: { pipeline: default, stages: { user.registered: appointmentscheduled, video.completed: qualifiedtobuy }, name?: Liquid template, amount?: number or data path }. The first mapped event creates the deal at its stage, associated with the contact; later ones move it forward in the order of stages, never back.',
  ),
  timeline: described(
    z.object({ eventTemplateId: z.union([z.string().trim().regex(/^\d+$/), z.number().int().positive()]).transform(String) }).strict().optional(),
    "Also writes each event on the contact's timeline with the app's event template: { eventTemplateId: '1234567' } (tokens eventType, videoTitle, videoUrl, videoDuration, videoModel, errorMessage; see docs/connectors/hubspot.md).",
  ),
});

export type HubspotSettings = z.output<typeof hubspotSettings>;
