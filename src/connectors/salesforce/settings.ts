import { z } from 'zod';
import { described, httpUrl, secret } from '../core/settings.js';
import { nameTemplateSchema, stageMapSchema } from '../crm/pipeline.js';

export const DEFAULT_CLOSE_DAYS = 30;

export const DEFAULT_API_VERSION = 'v66.0';

export const salesforceSettings = z
  .object({
    loginUrl: described(
      httpUrl().transform((value) => new URL(value).origin),
      'Where tokens are requested: your My Domain (https://acme.my.salesforce.com; required for client credentials), or https://login.salesforce.com / https://test.salesforce.com for JWT bearer. API calls go to the instance the token answer names.',
    ),
    clientId: described(z.string().trim().min(1), 'Consumer key of the External Client App (or connected app).'),
    clientSecret: secret(z.string().trim().min(1).optional(), 'Consumer secret: selects the client credentials flow.'),
    username: described(z.string().trim().min(1).optional(), 'The pre-authorized user the JWT bearer flow acts as.'),
    privateKeyPath: described(z.string().trim().min(1).optional(), 'PEM file with the private key whose certificate is uploaded to the app (JWT bearer).'),
    privateKey: secret(z.string().trim().min(1).optional(), 'The PEM private key itself, instead of privateKeyPath (JWT bearer).'),
    apiVersion: described(
      z
        .string()
        .trim()
        .regex(/^v?\d{2,3}\.0$/, { message: 'must look like v66.0' })
        .transform((v) => (v.startsWith('v') ? v : `v${v}`))
        .default(DEFAULT_API_VERSION),
      `REST API version (default ${DEFAULT_API_VERSION}).`,
    ),
    company: described(z.string().trim().min(1).optional(), 'Company written on new Leads when the user has none (default "[not provided]").'),
    leadSource: described(z.string().trim().min(1).optional(), 'LeadSource of new Leads, Contacts and Opportunities (default "Web").'),
    person: described(
      z.enum(['lead', 'contact'], { message: 'must be lead or contact' }).default('lead'),
      'Who a user becomes: lead (default: a Lead, followed to its Contact and Opportunity once converted) or contact (a Contact found by Email, under an Account).',
    ),
    defaultAccountId: described(
      z.string().trim().regex(/^001[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/, { message: 'must be an Account id (001…, 15 or 18 characters)' }).optional(),
      'Account of Contacts whose user names no company (person: contact); without it an Account named after the company setting is found or created.',
    ),
    opportunities: described(
      z
        .object({
          stages: stageMapSchema('StageName'),
          closeDays: z.coerce.number().int().min(0).max(3650).default(DEFAULT_CLOSE_DAYS),
          name: nameTemplateSchema().optional(),
        })
        .strict()
        .optional(),
      `One Opportunity per person: { stages: { user.registered: Prospecting, video.completed: Qualification }, closeDays?: ${DEFAULT_CLOSE_DAYS}, name?: Liquid template }. Created at the first mapped event on the person's Account with an OpportunityContactRole, moved forward by later ones, never back.`,
    ),
  })
  .superRefine((s, ctx) => {
    const jwt = s.username !== undefined || s.privateKey !== undefined || s.privateKeyPath !== undefined;
    if (s.clientSecret && jwt) {
      ctx.addIssue({
        code: 'custom',
        path: ['clientSecret'],
        message: 'set either clientSecret (client credentials) or username with privateKeyPath/privateKey (JWT bearer), not both',
      });
    } else if (!s.clientSecret && !jwt) {
      ctx.addIssue({
        code: 'custom',
        path: ['clientSecret'],
        message: 'is required, unless you use the JWT bearer flow (username with privateKeyPath or privateKey)',
      });
    } else if (jwt && !s.username) {
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'is required for the JWT bearer flow (the Salesforce user to act as)' });
    } else if (jwt && !s.privateKey && !s.privateKeyPath) {
      ctx.addIssue({ code: 'custom', path: ['privateKeyPath'], message: 'or privateKey is required for the JWT bearer flow' });
    } else if (s.privateKey && s.privateKeyPath) {
      ctx.addIssue({ code: 'custom', path: ['privateKey'], message: 'set privateKey or privateKeyPath, not both' });
    }
  });

export type SalesforceSettings = z.output<typeof salesforceSettings>;
