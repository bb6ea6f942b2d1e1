import type { Envelope, Video } from '../../events/index.js';
import { PayloadValidationError } from '../core/errors.js';
import { httpUrlOrUndefined } from '../video-links.js';
import { assertNoUserErrors, type ShopifyGraphql, type UserError } from './graphql.js';

const METAFIELDS_SET = `mutation VidhookMetafields($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { key namespace value }
    userErrors { field message code }
  }
}`;

export interface MetafieldInput {
  ownerId: string;
  namespace: string;
  key: string;
  type: 'url' | 'date_time' | 'single_line_text_field' | 'multi_line_text_field';
  value: string;
}

/** Shopify's date_time: ISO 8601 to the second. */
function dateTime(value: string | undefined, fallback: string): string {
  const parsed = Date.parse(value ?? '');
  return new Date(Number.isNaN(parsed) ? Date.parse(fallback) : parsed).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const line = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 255);

/** The product's metafields for one event: what the storefront shows about the product's video. */
export function metafieldsFor(event: Envelope, video: Video, ownerId: string, namespace: string): MetafieldInput[] {
  const field = (key: string, type: MetafieldInput['type'], value: string): MetafieldInput => ({ ownerId, namespace, key, type, value });
  const common = [field('video_id', 'single_line_text_field', line(video.id))];
  if (event.type === 'video.completed') {
    const url = httpUrlOrUndefined(video.url);
    if (!url) throw new PayloadValidationError('video.url must be an http(s) URL');
    return [
      ...common,
      field('status', 'single_line_text_field', 'ready'),
      field('video_url', 'url', url),
      field('generated_at', 'date_time', dateTime(video.completedAt, event.timestamp)),
      ...(video.prompt ? [field('prompt', 'multi_line_text_field', video.prompt.slice(0, 65_000))] : []),
    ];
  }
  if (event.type === 'video.failed') {
    const message = (event.data as { error?: { message?: string } }).error?.message;
    return [
      ...common,
      field('status', 'single_line_text_field', 'failed'),
      ...(message ? [field('error', 'multi_line_text_field', message.slice(0, 65_000))] : []),
    ];
  }
  return [...common, field('status', 'single_line_text_field', 'generating')];
}

/** metafieldsSet is atomic and idempotent: the same values set twice leave one set of metafields. */
export async function setMetafields(shopify: ShopifyGraphql, metafields: MetafieldInput[]): Promise<void> {
  const data = await shopify.run<{ metafieldsSet: { userErrors: UserError[] } }>(METAFIELDS_SET, { metafields }, { metafieldsSet: { userErrors: [] } });
  assertNoUserErrors(data.metafieldsSet, 'metafieldsSet');
}
