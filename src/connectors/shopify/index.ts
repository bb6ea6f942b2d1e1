import { z } from 'zod';
import type { Video } from '../../events/index.js';
import { PayloadValidationError, SkipDelivery } from '../core/errors.js';
import { baseUrl, described, secret } from '../core/settings.js';
import { ShopifyGraphql } from './graphql.js';
import { attachVideo } from './media.js';
import { metafieldsFor, setMetafields } from './metafields.js';
import type { Connector, DeliveryContext, Destination, Http } from '../core/types.js';

export const DEFAULT_API_VERSION = '2026-07';
export const DEFAULT_NAMESPACE = 'vidhook';
const DEFAULT_MAX_VIDEO_MB = 100;

const shopDomain = z
  .string()
  .trim()
  .toLowerCase()
  .transform((v) => {
    const host = v.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    return host.includes('.') ? host : `${host}.myshopify.com`;
  })
  .refine((v) => /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(v), { message: 'must be the shop\'s name.myshopify.com domain' });

const settings = z
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
  })
  .superRefine((s, issue) => {
    if (!s.accessToken && !(s.clientId && s.clientSecret)) {
      issue.addIssue({ code: 'custom', path: ['accessToken'], message: 'set accessToken, or clientId and clientSecret' });
    }
  });

export type ShopifySettings = z.output<typeof settings>;

const SKIP_REASONS: Record<string, string> = {
  'user.registered': 'a Shopify customer is not the video platform user',
  'session.started': 'sessions have no place in a Shopify shop',
  'session.ended': 'sessions have no place in a Shopify shop',
};

function client(dest: Destination<ShopifySettings>, http: Http, ctx: DeliveryContext): ShopifyGraphql {
  const s = dest.settings;
  return new ShopifyGraphql(
    {
      origin: s.baseUrl ?? `https://${s.shop}`,
      apiVersion: s.apiVersion ?? DEFAULT_API_VERSION,
      credentials: { accessToken: s.accessToken, clientId: s.clientId, clientSecret: s.clientSecret },
      cacheKey: dest.name,
    },
    http,
    () => ctx.now(),
  );
}

/** A product id as Shopify's GraphQL ids: `gid://shopify/Product/123` (a bare number is accepted). */
export function productGid(value: string): string {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return `gid://shopify/Product/${trimmed}`;
  if (/^gid:\/\/shopify\/Product\/\d+$/.test(trimmed)) return trimmed;
  throw new PayloadValidationError(`video.productId "${trimmed}" is not a Shopify product id (gid://shopify/Product/123 or 123)`);
}

export const shopify: Connector<ShopifySettings> = {
  kind: 'shopify',
  title: 'Shopify',
  category: 'cms',
  description: "Attaches each completed video to its product (video.productId) and keeps the product's video metafields, through the Admin GraphQL API.",
  settings,
  defaultEvents: ['video.completed', 'video.failed'],
  limits: { concurrency: 2, perSecond: 4 },

  async deliver(event, dest, http, ctx) {
    const reason = SKIP_REASONS[event.type];
    if (reason) throw new SkipDelivery(reason);
    if (!['video.completed', 'video.failed', 'video.generated'].includes(event.type)) {
      throw new SkipDelivery(`the Shopify connector does not map ${event.type}`);
    }
    const video = (event.data as { video?: Video }).video;
    if (!video?.id) throw new PayloadValidationError('video.id is required');
    if (!video.productId) throw new SkipDelivery('video.productId is not set: there is no product to attach the video to');
    const productId = productGid(video.productId);

    const shop = client(dest, http, ctx);
    const metafields = metafieldsFor(event, video, productId, dest.settings.namespace ?? DEFAULT_NAMESPACE);
    if (event.type === 'video.completed') {
      await attachVideo(shop, http, ctx, productId, video, (dest.settings.maxVideoMb ?? DEFAULT_MAX_VIDEO_MB) * 1024 * 1024);
    }
    await setMetafields(shop, metafields);
  },

  async check(dest, http, ctx) {
    const shop = client(dest, http, ctx);
    const data = await shop.run<{ shop: { name: string } }>('query VidhookShop { shop { name } }', {}, { shop: { name: dest.settings.shop } });
    const wanted = dest.settings.apiVersion ?? DEFAULT_API_VERSION;
    const served = shop.servedVersion;
    const version = served && served !== wanted ? `API ${served}, not the ${wanted} asked for: that version is not supported any more` : `API ${served ?? wanted}`;
    return `connected to the shop "${data.shop.name}" (${version})`;
  },

  warnings(s) {
    const out: string[] = [];
    if (s.accessToken && (s.clientId || s.clientSecret)) out.push('accessToken is set, so clientId and clientSecret are not used');
    return out;
  },
};
