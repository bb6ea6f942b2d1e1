import type { Video } from '../../events/index.js';
import { PayloadValidationError } from '../core/index.js';
import { httpUrlOrUndefined } from '../video-links.js';
import { runGraphql } from './graphql.js';
import type { ShopifyCall } from './settings.js';

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

/** The product's metafields under one namespace: what the storefront shows about the product's video. */
export class ProductMetafields {
  constructor(
    private readonly ownerId: string,
    private readonly namespace: string,
  ) {}

  private field(key: string, type: MetafieldInput['type'], value: string): MetafieldInput {
    return { ownerId: this.ownerId, namespace: this.namespace, key, type, value };
  }

  private common(video: Video, status: string): MetafieldInput[] {
    return [this.field('video_id', 'single_line_text_field', line(video.id)), this.field('status', 'single_line_text_field', status)];
  }

  /** `at` is the event's time, used when the video does not say when it was completed. */
  ready(video: Video & { url: string }, at: string): MetafieldInput[] {
    const url = httpUrlOrUndefined(video.url);
    if (!url) throw new PayloadValidationError('video.url must be an http(s) URL');
    return [
      ...this.common(video, 'ready'),
      this.field('video_url', 'url', url),
      this.field('generated_at', 'date_time', dateTime(video.completedAt, at)),
      ...(video.prompt ? [this.field('prompt', 'multi_line_text_field', video.prompt.slice(0, 65_000))] : []),
    ];
  }

  failed(video: Video, message: string): MetafieldInput[] {
    return [...this.common(video, 'failed'), this.field('error', 'multi_line_text_field', message.slice(0, 65_000))];
  }

  generating(video: Video): MetafieldInput[] {
    return this.common(video, 'generating');
  }
}

/** Shopify's date_time: ISO 8601 to the second. */
function dateTime(value: string | undefined, fallback: string): string {
  const parsed = Date.parse(value ?? '');
  return new Date(Number.isNaN(parsed) ? Date.parse(fallback) : parsed).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const line = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 255);

/** metafieldsSet is atomic and idempotent: the same values set twice leave one set of metafields. */
export async function setMetafields(call: ShopifyCall, metafields: MetafieldInput[]): Promise<void> {
  await runGraphql(call, 'the metafieldsSet mutation', METAFIELDS_SET, { metafields });
}
