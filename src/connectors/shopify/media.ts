import type { Video } from '../../events/index.js';
import { isRetryableStatus, parseRetryAfter } from '../core/classify.js';
import { downloadFile } from '../binary-download.js';
import { PayloadValidationError, PermanentError, RetryableError } from '../core/errors.js';
import type { DeliveryContext, Http } from '../core/types.js';
import { classifyVideoUrl, fileNameFrom } from '../video-links.js';
import { assertNoUserErrors, userErrorText, type ShopifyGraphql, type UserError } from './graphql.js';
import { multipartBody } from './multipart.js';

const STAGED_UPLOADS_CREATE = `mutation VidhookStagedUpload($input: [StagedUploadInput!]!) {
  stagedUploadsCreate(input: $input) {
    stagedTargets { url resourceUrl parameters { name value } }
    userErrors { field message }
  }
}`;

// productCreateMedia is deprecated: media is added through productUpdate(product:, media:).
const PRODUCT_UPDATE_MEDIA = `mutation VidhookAttachVideo($product: ProductUpdateInput!, $media: [CreateMediaInput!]) {
  productUpdate(product: $product, media: $media) {
    product { id media(last: 1) { nodes { id mediaContentType status } } }
    userErrors { field message }
  }
}`;

interface StagedTarget {
  url: string;
  resourceUrl: string;
  parameters: Array<{ name: string; value: string }>;
}

interface ProductUpdatePayload {
  productUpdate: {
    product: { id: string; media?: { nodes: Array<{ id: string; mediaContentType?: string; status?: string }> } } | null;
    userErrors: UserError[];
  };
}

const VIDEO_TYPES: Record<string, string> = { 'video/mp4': 'mp4', 'video/quicktime': 'mov', 'video/webm': 'webm' };
const BY_EXTENSION: Record<string, string> = { mp4: 'video/mp4', m4v: 'video/mp4', mov: 'video/quicktime', webm: 'video/webm' };

function mimeTypeOf(url: string, served: string): string {
  if (VIDEO_TYPES[served]) return served;
  const extension = /\.([a-z0-9]+)$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase() ?? '';
  return BY_EXTENSION[extension] ?? 'video/mp4';
}

/** Downloads the file, stages it on Shopify's storage and answers the resourceUrl media is created from. */
async function stageVideo(shopify: ShopifyGraphql, http: Http, video: Video, url: string, maxBytes: number): Promise<string> {
  const file = await downloadFile(http, url, {
    maxBytes,
    accept: [...Object.keys(VIDEO_TYPES), 'application/octet-stream', 'binary/octet-stream'],
    what: 'the video (video.url)',
    dryRunType: 'video/mp4',
  });
  const mimeType = mimeTypeOf(url, file.contentType);
  const filename = fileNameFrom(url, video.id, VIDEO_TYPES[mimeType]);
  const staged = await shopify.run<{ stagedUploadsCreate: { stagedTargets: StagedTarget[] | null; userErrors: UserError[] } }>(
    STAGED_UPLOADS_CREATE,
    { input: [{ filename, mimeType, resource: 'VIDEO', fileSize: String(file.bytes.length), httpMethod: 'POST' }] },
    {
      stagedUploadsCreate: {
        stagedTargets: [{ url: 'https://shopify-staged-uploads.storage.googleapis.com/', resourceUrl: 'https://shopify-staged-uploads.storage.googleapis.com/dry-run', parameters: [] }],
        userErrors: [],
      },
    },
  );
  assertNoUserErrors(staged.stagedUploadsCreate, 'stagedUploadsCreate');
  const target = staged.stagedUploadsCreate.stagedTargets?.[0];
  if (!target) throw new PermanentError('Shopify stagedUploadsCreate answered no upload target');

  const form = multipartBody(target.parameters, { field: 'file', filename, contentType: mimeType, bytes: file.bytes });
  const res = await http.request({
    method: 'POST',
    url: target.url,
    headers: { 'content-type': form.contentType },
    body: form.body,
    acceptStatus: () => true,
    dryRunResponse: { status: 201, body: '' },
  });
  if (res.status < 200 || res.status >= 300) {
    const detail = `HTTP ${res.status}${res.body ? `: ${res.body.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`;
    // A fresh target is asked for on the next attempt, so an expired one heals itself.
    if (isRetryableStatus(res.status) || res.status === 403) {
      throw new RetryableError(`the staged upload of the video failed (${detail})`, parseRetryAfter(res.headers['retry-after']), res.status);
    }
    throw new PermanentError(`the staged upload of the video failed (${detail})`, res.status);
  }
  return target.resourceUrl;
}

/**
 * Adds the video to the product's media once per product and video: EXTERNAL_VIDEO for YouTube and
 * Vimeo, a staged upload for a file. A staged file is remembered until the media exists, so a
 * retry after a throttled productUpdate does not upload it again.
 */
export async function attachVideo(
  shopify: ShopifyGraphql,
  http: Http,
  ctx: DeliveryContext,
  productId: string,
  video: Video,
  maxBytes: number,
): Promise<void> {
  const attachedKey = `media:${productId}:${video.id}`;
  if (await ctx.state.get(attachedKey)) return;
  const link = classifyVideoUrl(video.url ?? '');
  if (!link) throw new PayloadValidationError('video.url must be an http(s) URL');

  const stagedKey = `staged:${productId}:${video.id}`;
  let source = link.url;
  let reusedStage = false;
  if (link.kind === 'file') {
    const kept = await ctx.state.get(stagedKey);
    reusedStage = Boolean(kept);
    source = kept ?? (await stageVideo(shopify, http, video, link.url, maxBytes));
    if (!kept && !http.dryRun) await ctx.state.set(stagedKey, source);
  }

  const media = { originalSource: source, mediaContentType: link.kind === 'external' ? 'EXTERNAL_VIDEO' : 'VIDEO', alt: (video.title ?? '').slice(0, 512) };
  const data = await shopify.run<ProductUpdatePayload>(
    PRODUCT_UPDATE_MEDIA,
    { product: { id: productId }, media: [media] },
    { productUpdate: { product: { id: productId, media: { nodes: [{ id: 'gid://shopify/Video/0' }] } }, userErrors: [] } },
  );
  const errors = data.productUpdate?.userErrors ?? [];
  if (reusedStage && errors.some((e) => e.field?.includes('originalSource'))) {
    await ctx.state.delete(stagedKey);
    throw new RetryableError(`the staged video upload is no longer usable (${userErrorText(errors)}); it is uploaded again on the next attempt`);
  }
  assertNoUserErrors(data.productUpdate, 'productUpdate');
  if (http.dryRun) return;
  await ctx.state.set(attachedKey, data.productUpdate.product?.media?.nodes.at(-1)?.id ?? 'attached');
  await ctx.state.delete(stagedKey);
}
