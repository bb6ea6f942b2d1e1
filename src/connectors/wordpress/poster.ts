import { downloadFile } from '../binary-download.js';
import type { Call, ConnectorRequest } from '../core/index.js';
import { fileNameFrom } from '../video-links.js';
import { restJson, type SiteAccess } from './api.js';

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
export async function posterMediaId(call: Call<SiteAccess>, video: { id: string }, posterUrl: string): Promise<number> {
  const key = `media:${video.id}`;
  const kept = await call.state.get(key);
  if (kept) return Number(kept);

  // The poster lives on the video CDN: it is fetched without the site's credentials.
  const download = {
    request: (request: ConnectorRequest) => call.send({ ...request, authorize: false, action: `the poster download ${posterUrl}` }),
  };
  const file = await downloadFile(download, posterUrl, {
    maxBytes: MAX_POSTER_BYTES,
    accept: Object.keys(POSTER_TYPES),
    what: 'the poster (video.thumbnailUrl)',
    dryRunType: 'image/jpeg',
  });
  const filename = fileNameFrom(posterUrl, `poster-${video.id}`, POSTER_TYPES[file.contentType]);
  const media = await restJson<{ id: number }>(call, {
    method: 'POST',
    route: '/wp/v2/media',
    headers: { 'content-type': file.contentType, 'content-disposition': `attachment; filename="${filename}"` },
    body: file.bytes,
    action: 'the poster upload',
    dryRunBody: { id: 0, media_type: 'image' },
  });
  await call.state.set(key, String(media.id));
  return media.id;
}
