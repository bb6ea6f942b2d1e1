import type { Video } from '../../events/index.js';
import { PermanentError } from '../core/index.js';
import { escapeHtml } from '../templates.js';
import { runGraphql } from './graphql.js';
import type { ShopifyCall } from './settings.js';

export type DescriptionMode = 'off' | 'append' | 'replace';

const PRODUCT_DESCRIPTION = `query VidhookProductDescription($id: ID!) {
  product(id: $id) { id descriptionHtml }
}`;

const PRODUCT_UPDATE_DESCRIPTION = `mutation VidhookDescription($product: ProductUpdateInput!) {
  productUpdate(product: $product) {
    product { id }
    userErrors { field message }
  }
}`;

const END = '<!-- /vidhook -->';
const START_PREFIX = '<!-- vidhook:video:';
// A video id inside an HTML comment: no "--" and no ">" may end the comment early.
const startMarker = (videoId: string) => `${START_PREFIX}${videoId.replace(/-{2,}/g, '-').replace(/>/g, '')} -->`;

/** The video's section: what the storefront shows, between vidhook's markers. */
export function videoSection(video: Video & { url: string; title: string }): string {
  const lines = [`<h3>${escapeHtml(video.title)}</h3>`];
  if (video.description) lines.push(`<p>${escapeHtml(video.description)}</p>`);
  lines.push(`<p><a href="${escapeHtml(video.url)}">Watch the video</a></p>`);
  return `${startMarker(video.id)}\n<div class="vidhook-video" data-video-id="${escapeHtml(video.id)}">\n${lines.join('\n')}\n</div>\n${END}`;
}

/**
 * The description with the video's section in it. The section is replaced where it is (between
 * its markers); content outside vidhook's markers is never touched. A section not there yet is
 * added at the end, except in `replace` mode on a description that holds no vidhook section at
 * all: then the section becomes the whole description.
 */
export function withVideoSection(current: string, section: string, videoId: string, mode: Exclude<DescriptionMode, 'off'>): string {
  const start = current.indexOf(startMarker(videoId));
  if (start >= 0) {
    const end = current.indexOf(END, start);
    if (end >= 0) return `${current.slice(0, start)}${section}${current.slice(end + END.length)}`;
  }
  if (mode === 'replace' && !current.includes(START_PREFIX)) return section;
  return current.trim() ? `${current.replace(/\s+$/, '')}\n${section}` : section;
}

/**
 * Writes the video's section into the product's description: read, change, write only when it
 * changed. Deliveries for one product are serialised, so two videos never overwrite each
 * other's section.
 */
export async function updateDescription(call: ShopifyCall, productId: string, video: Video & { url: string; title: string }): Promise<void> {
  const mode = call.settings.productDescription ?? 'off';
  if (mode === 'off') return;
  await call.serialized(`description:${productId}`, async () => {
    const data = await runGraphql<{ product: { id: string; descriptionHtml?: string | null } | null }>(
      call,
      'the product description query',
      PRODUCT_DESCRIPTION,
      { id: productId },
      { product: { id: productId, descriptionHtml: '' } },
    );
    if (!data.product) throw new PermanentError(`Shopify has no product ${productId} (video.productId)`);
    const current = data.product.descriptionHtml ?? '';
    const next = withVideoSection(current, videoSection(video), video.id, mode);
    if (next === current) return;
    await runGraphql(call, 'the product description update', PRODUCT_UPDATE_DESCRIPTION, { product: { id: productId, descriptionHtml: next } });
  });
}
