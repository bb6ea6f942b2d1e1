import { z } from 'zod';
import { baseUrl, described, secret, type Call } from '../core/index.js';

export const DEFAULT_API_VERSION = '2026-07';
export const DEFAULT_NAMESPACE = 'vidhook';
export const DEFAULT_MAX_VIDEO_MB = 100;

const shopDomain = z
  .string()
  .trim()
  .toLowerCase()
  .transform((v) => {
    const host = v.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    return host.includes('.') ? host : `${host}.myshopify.com`;
  })
  .refine((v) => /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(v), { message: 'must be the shop\'s name.myshopify.com domain' });

export const shopifySettings = z
  .object({
    shop: described(shopDomain, 'The shop, name.myshopify.com (the admin domain, not a custom storefront domain).'),
    accessToken: secret(z.string().trim().min(1).optional(), 'Admin API access token (shpat_…) of a custom app.'),
    clientId: described(z.string().trim().min(1).optional(), 'Client ID of a Dev Dashboard app (client-credentials grant), instead of accessToken.'),
    clientSecret: secret(z.string().trim().min(1).optional(), 'Client secret of that app.'),
    apiVersion: described(
      z.string().trim().regex(/^(\d{4}-(01|04|07|10)|unstable)$/, { message: 'must be a release such as 2026-07' }).optional(),
      `Admin API version (default ${DEFAULT_API_VERSION}).`,
    ),
    namespace: described(
      z.string().trim().min(3).max(255).regex(/^[A-Za-z0-9_-]+$/, { message: 'must be 3-255 letters, digits, "_" or "-"' }).optional(),
      `Metafield namespace (default ${DEFAULT_NAMESPACE}).`,
    ),
    maxVideoMb: described(
      z.coerce.number().int().min(1).max(1024).optional(),
      `Largest video file uploaded to Shopify, in MiB (default ${DEFAULT_MAX_VIDEO_MB}; Shopify takes up to 1 GB).`,
    ),
    baseUrl: described(baseUrl(), 'Origin replacing https://{shop} (a proxy, a local test server).'),
    // Not `description`: that key is every destination's own description in the config.
    productDescription: described(
      z.enum(['off', 'append', 'replace'], { message: 'must be off, append or replace' }).default('off'),
      "The product's description (descriptionHtml) on video.completed: off (default); append adds the video's section at the end, or updates it in place; replace makes the section the whole description the first time, then updates it in place. Content outside vidhook's markers is never touched.",
    ),
  })
  .superRefine((s, issue) => {
    if (!s.accessToken && !(s.clientId && s.clientSecret)) {
      issue.addIssue({ code: 'custom', path: ['accessToken'], message: 'set accessToken, or clientId and clientSecret' });
    }
  });

export type ShopifySettings = z.output<typeof shopifySettings>;

/** A delivery's view of its shop; the session is the X-Shopify-Access-Token value. */
export type ShopifyCall = Call<ShopifySettings, string>;

const origin = (s: ShopifySettings) => s.baseUrl ?? `https://${s.shop}`;

export const graphqlUrl = (s: ShopifySettings) => `${origin(s)}/admin/api/${s.apiVersion ?? DEFAULT_API_VERSION}/graphql.json`;

export const tokenUrl = (s: ShopifySettings) => `${origin(s)}/admin/oauth/access_token`;

/** A static accessToken wins over client credentials (configure warns when both are set). */
export const usesClientCredentials = (s: ShopifySettings) => !s.accessToken && Boolean(s.clientId && s.clientSecret);
