import type { Video } from '../../events/index.js';
import { downloadFile } from '../binary-download.js';
import {
  isRetryableStatus,
  parseRetryAfter,
  PayloadValidationError,
  PermanentError,
  RetryableError,
  snippet,
  type Classification,
  type ConnectorRequest,
  type HttpResponse,
} from '../core/index.js';
import type { Http } from '../core/types.js';
import { classifyVideoUrl, fileNameFrom } from '../video-links.js';
import { runGraphql, ShopifyUserErrors, userErrorText } from './graphql.js';
import { multipartBody } from './multipart.js';
import { DEFAULT_MAX_VIDEO_MB, type ShopifyCall } from './settings.js';

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

const DOWNLOAD = 'the download of the video (video.url)';
const STAGED_UPLOAD = 'the staged upload of the video';

interface StagedTarget {
  url: string;
  resourceUrl: string;
  parameters: Array<{ name: string; value: string }>;
}

interface ProductUpdatePayload {
  productUpdate?: { product: { id: string; media?: { nodes: Array<{ id: string }> } } | null };
}

const VIDEO_TYPES: Record<string, string> = { 'video/mp4': 'mp4', 'video/quicktime': 'mov', 'video/webm': 'webm' };
const BY_EXTENSION: Record<string, string> = { mp4: 'video/mp4', m4v: 'video/mp4', mov: 'video/quicktime', webm: 'video/webm' };

function mimeTypeOf(url: string, served: string): string {
  if (VIDEO_TYPES[served]) return served;
  const extension = /\.([a-z0-9]+)$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase() ?? '';
  return BY_EXTENSION[extension] ?? 'video/mp4';
}

/** The http door downloadFile takes, sending through the call without Shopify's token (the file is not on Shopify). */
function downloadDoor(call: ShopifyCall): Http {
  return {
    request: (req) => call.send({ ...req, authorize: false, action: DOWNLOAD }),
    addSecret: (value) => call.addSecret(value),
    // What the connector throws is masked by the engine.
    redact: (text) => text,
    dryRun: call.dryRun,
  };
}

/** What the video's host or the staged upload target (not Shopify's API) answered. */
const stagingOrigin = (call: ShopifyCall) => call.settings.baseUrl ?? 'https://shopify-staged-uploads.storage.googleapis.com';

export function storageAnswer(res: HttpResponse, request: ConnectorRequest): Classification {
  if (res.status >= 200 && res.status < 300) return 'ok';
  const action = request.action ?? `${request.method} ${request.url}`;
  const detail = `${action} failed (HTTP ${res.status}${res.body ? `: ${snippet(res.body)}` : ''})`;
  // A fresh upload target is asked for on the next attempt, so an expired one (403) heals itself.
  if (isRetryableStatus(res.status) || (action === STAGED_UPLOAD && res.status === 403)) {
    return new RetryableError(detail, parseRetryAfter(res.headers['retry-after']), res.status);
  }
  return new PermanentError(detail, res.status);
}

/** Downloads the file, stages it on Shopify's storage and answers the resourceUrl media is created from. */
async function stageVideo(call: ShopifyCall, video: Video, url: string): Promise<string> {
  const file = await downloadFile(downloadDoor(call), url, {
    maxBytes: (call.settings.maxVideoMb ?? DEFAULT_MAX_VIDEO_MB) * 1024 * 1024,
    accept: [...Object.keys(VIDEO_TYPES), 'application/octet-stream', 'binary/octet-stream'],
    what: 'the video (video.url)',
    dryRunType: 'video/mp4',
  });
  const mimeType = mimeTypeOf(url, file.contentType);
  const filename = fileNameFrom(url, video.id, VIDEO_TYPES[mimeType]);
  const staged = await runGraphql<{ stagedUploadsCreate: { stagedTargets: StagedTarget[] | null } }>(
    call,
    'the stagedUploadsCreate mutation',
    STAGED_UPLOADS_CREATE,
    { input: [{ filename, mimeType, resource: 'VIDEO', fileSize: String(file.bytes.length), httpMethod: 'POST' }] },
    {
      stagedUploadsCreate: {
        // A pretend target; behind a baseUrl (a proxy, a local test server) it stays on that host.
        stagedTargets: [{ url: `${stagingOrigin(call)}/`, resourceUrl: `${stagingOrigin(call)}/dry-run`, parameters: [] }],
      },
    },
  );
  const target = staged.stagedUploadsCreate.stagedTargets?.[0];
  if (!target) throw new PermanentError('Shopify stagedUploadsCreate answered no upload target');

  const form = multipartBody(target.parameters, { field: 'file', filename, contentType: mimeType, bytes: file.bytes });
  await call.send({ method: 'POST', url: target.url, headers: { 'content-type': form.contentType }, body: form.body, authorize: false, action: STAGED_UPLOAD });
  return target.resourceUrl;
}

/**
 * Adds the video to the product's media once per product and video: EXTERNAL_VIDEO for YouTube and
 * Vimeo, a staged upload for a file. A staged file is remembered until the media exists, so a
 * retry after a throttled productUpdate does not upload it again. Callers serialise it per
 * product and video.
 */
export async function attachVideo(call: ShopifyCall, productId: string, video: Video): Promise<void> {
  const attachedKey = `media:${productId}:${video.id}`;
  if (await call.state.get(attachedKey)) return;
  const link = classifyVideoUrl(video.url ?? '');
  if (!link) throw new PayloadValidationError('video.url must be an http(s) URL');

  const stagedKey = `staged:${productId}:${video.id}`;
  let source = link.url;
  let reusedStage = false;
  if (link.kind === 'file') {
    const kept = await call.state.get(stagedKey);
    reusedStage = Boolean(kept);
    source = kept ?? (await stageVideo(call, video, link.url));
    if (!kept) await call.state.set(stagedKey, source);
  }

  const media = { originalSource: source, mediaContentType: link.kind === 'external' ? 'EXTERNAL_VIDEO' : 'VIDEO', alt: (video.title ?? '').slice(0, 512) };
  let data: ProductUpdatePayload;
  try {
    data = await runGraphql<ProductUpdatePayload>(call, 'the productUpdate mutation', PRODUCT_UPDATE_MEDIA, { product: { id: productId }, media: [media] });
  } catch (err) {
    if (reusedStage && err instanceof ShopifyUserErrors && err.errors.some((e) => e.field?.includes('originalSource'))) {
      await call.state.delete(stagedKey);
      throw new RetryableError(`the staged video upload is no longer usable (${userErrorText(err.errors)}); it is uploaded again on the next attempt`);
    }
    throw err;
  }
  await call.state.set(attachedKey, data.productUpdate?.product?.media?.nodes.at(-1)?.id ?? 'attached');
  await call.state.delete(stagedKey);
}
