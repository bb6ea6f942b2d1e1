import type { Video } from '../../events/index.js';
import { defineConnector, PayloadValidationError, SkipDelivery } from '../core/index.js';
import { graphqlAnswer, graphqlRequest } from './graphql.js';
import { updateDescription } from './description.js';
import { attachVideo, storageAnswer } from './media.js';
import { ProductMetafields, setMetafields } from './metafields.js';
import { DEFAULT_API_VERSION, DEFAULT_NAMESPACE, graphqlUrl, shopifySettings, tokenUrl, type ShopifyCall, type ShopifySettings } from './settings.js';
import { shopifySession, tokenAnswer } from './token.js';

export { DEFAULT_API_VERSION, DEFAULT_NAMESPACE, type ShopifySettings } from './settings.js';

const SHOP_QUERY = 'query VidhookShop { shop { name } }';

/** A product id as Shopify's GraphQL ids: `gid://shopify/Product/123` (a bare number is accepted). */
export function productGid(value: string): string {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return `gid://shopify/Product/${trimmed}`;
  if (/^gid:\/\/shopify\/Product\/\d+$/.test(trimmed)) return trimmed;
  throw new PayloadValidationError(`video.productId "${trimmed}" is not a Shopify product id (gid://shopify/Product/123 or 123)`);
}

/** The metafields of the product the video belongs to; a video without a product is skipped. */
function productOf(video: Video, call: ShopifyCall): { productId: string; metafields: ProductMetafields } {
  if (!video.productId) throw new SkipDelivery('video.productId is not set: there is no product to attach the video to');
  const productId = productGid(video.productId);
  return { productId, metafields: new ProductMetafields(productId, call.settings.namespace ?? DEFAULT_NAMESPACE) };
}

const NOT_A_PRODUCT_EVENT = 'sessions have no place in a Shopify shop';

export const shopify = defineConnector<ShopifySettings, string>({
  kind: 'shopify',
  title: 'Shopify',
  category: 'cms',
  description: "Attaches each completed video to its product (video.productId) and keeps the product's video metafields, through the Admin GraphQL API.",
  settings: shopifySettings,
  defaultEvents: ['video.completed', 'video.failed'],
  limits: { concurrency: 2, perSecond: 4 },

  authorize: {
    mint: shopifySession,
    headers: (_settings, token) => ({ 'x-shopify-access-token': token }),
  },

  classify(res, { settings, request }) {
    if (request.url === graphqlUrl(settings)) return graphqlAnswer(res, settings, request.action ?? 'the Admin API request');
    if (request.url === tokenUrl(settings)) return tokenAnswer(res);
    return storageAnswer(res, request);
  },

  handlers: {
    'video.completed': async ({ data: { video }, timestamp }, call) => {
      const { productId, metafields } = productOf(video, call);
      const fields = metafields.ready(video, timestamp);
      // Two deliveries of one video (a replay beside a retry) must not both attach it.
      await call.serialized(`media:${productId}:${video.id}`, () => attachVideo(call, productId, video));
      await updateDescription(call, productId, video);
      await setMetafields(call, fields);
    },
    'video.generated': async ({ data: { video } }, call) => {
      const { metafields } = productOf(video, call);
      await setMetafields(call, metafields.generating(video));
    },
    'video.failed': async ({ data: { video, error } }, call) => {
      const { metafields } = productOf(video, call);
      await setMetafields(call, metafields.failed(video, error.message));
    },
  },
  skipped: {
    'user.registered': 'a Shopify customer is not the video platform user',
    'session.started': NOT_A_PRODUCT_EVENT,
    'session.ended': NOT_A_PRODUCT_EVENT,
    custom: 'the Shopify connector maps only video events to products',
  },

  async check(call) {
    const { settings } = call;
    const res = await call.send(graphqlRequest(settings, 'the shop query', SHOP_QUERY, {}, { shop: { name: settings.shop } }));
    const { data } = res.json<{ data: { shop: { name: string } } }>();
    const wanted = settings.apiVersion ?? DEFAULT_API_VERSION;
    // Shopify serves the oldest supported version in place of one it no longer supports.
    const served = res.headers['x-shopify-api-version'];
    const version = served && served !== wanted ? `API ${served}, not the ${wanted} asked for: that version is not supported any more` : `API ${served ?? wanted}`;
    return `connected to the shop "${data.shop.name}" (${version})`;
  },

  warnings(s) {
    const out: string[] = [];
    if (s.accessToken && (s.clientId || s.clientSecret)) out.push('accessToken is set, so clientId and clientSecret are not used');
    return out;
  },
});
