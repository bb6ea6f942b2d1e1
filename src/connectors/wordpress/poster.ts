import { downloadFile } from '../binary-download.js';
import type { DeliveryContext, Http } from '../core/types.js';
import { fileNameFrom } from '../video-links.js';
import type { WordPressApi } from './api.js';

const POSTER_TYPES: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/avif': 'avif',
};
export const MAX_POSTER_BYTES = 5 * 1024 * 1024;

/**
 * The poster uploaded to the media library, once per video (its id is remembered), for the
 * post's featured image. SVG is refused: it can carry script.
 */
export async function posterMediaId(
  wp: WordPressApi,
  http: Http,
  ctx: DeliveryContext,
  video: { id: string; title?: string },
  posterUrl: string,
): Promise<number | undefined> {
  const key = `media:${video.id}`;
  const kept = await ctx.state.get(key);
  if (kept) return Number(kept);

  const file = await downloadFile(http, posterUrl, {
    maxBytes: MAX_POSTER_BYTES,
    accept: Object.keys(POSTER_TYPES),
    what: 'the poster (video.thumbnailUrl)',
    dryRunType: 'image/jpeg',
  });
  const filename = fileNameFrom(posterUrl, `poster-${video.id}`, POSTER_TYPES[file.contentType]);
  const media = await wp.expect<{ id: number }>(
    {
      method: 'POST',
      route: '/wp/v2/media',
      headers: { 'content-type': file.contentType, 'content-disposition': `attachment; filename="${filename}"` },
      body: file.bytes,
      dryRunStatus: 201,
      dryRunBody: { id: 0, media_type: 'image' },
    },
    'upload the poster image',
  );
  if (!http.dryRun) await ctx.state.set(key, String(media.id));
  return media.id;
}
