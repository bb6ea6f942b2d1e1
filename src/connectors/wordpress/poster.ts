import { downloadFile } from '../binary-download.js';
import { AuthError, DeliveryError, RetryableError, type Call, type ConnectorRequest } from '../core/index.js';
import { fileNameFrom } from '../video-links.js';
import { PostGoneError, rest, restJson, type SiteAccess } from './api.js';

const POSTER_TYPES: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/avif': 'avif',
};
export const MAX_POSTER_BYTES = 5 * 1024 * 1024;

const LEFT_OUT = 'published without the featured image';

/** A remembered attachment someone may have deleted from the media library since. */
async function mediaExists(call: Call<SiteAccess>, id: string): Promise<boolean> {
  try {
    await rest(call, {
      method: 'GET',
      route: `/wp/v2/media/${id}`,
      query: { context: 'edit', _fields: 'id' },
      action: `the check of the poster attachment ${id}`,
      dryRunBody: { id: Number(id) },
    });
    return true;
  } catch (err) {
    if (err instanceof PostGoneError) return false;
    throw err;
  }
}

/**
 * The poster in the media library, for the post's featured image: uploaded once per video (its
 * id is remembered, and uploaded again if it was deleted). A poster that cannot be fetched, or
 * that WordPress refuses, does not hold the post back: the post goes out without it and the
 * delivery says why. SVG is refused: it can carry script.
 */
export async function posterMediaId(call: Call<SiteAccess>, video: { id: string }, posterUrl: string): Promise<number | undefined> {
  const key = `media:${video.id}`;
  const kept = await call.state.get(key);
  if (kept && (await mediaExists(call, kept))) return Number(kept);

  // The poster lives on the video CDN: it is fetched without the site's credentials.
  const download = {
    request: (request: ConnectorRequest) => call.send({ ...request, authorize: false, action: `the poster download ${posterUrl}` }),
  };
  let file: Awaited<ReturnType<typeof downloadFile>>;
  try {
    file = await downloadFile(download, posterUrl, {
      maxBytes: MAX_POSTER_BYTES,
      accept: Object.keys(POSTER_TYPES),
      what: 'the poster (video.thumbnailUrl)',
      dryRunType: 'image/jpeg',
    });
  } catch (err) {
    if (!(err instanceof DeliveryError)) throw err;
    const reason = err.message.includes(posterUrl) ? err.message : `the poster ${posterUrl}: ${err.message}`;
    call.note(`${LEFT_OUT}: ${reason}`);
    return undefined;
  }

  const filename = fileNameFrom(posterUrl, `poster-${video.id}`, POSTER_TYPES[file.contentType]);
  let media: { id: number };
  try {
    media = await restJson<{ id: number }>(call, {
      method: 'POST',
      route: '/wp/v2/media',
      headers: { 'content-type': file.contentType, 'content-disposition': `attachment; filename="${filename}"` },
      body: file.bytes,
      action: `the upload of the poster ${posterUrl}`,
      dryRunBody: { id: 0, media_type: 'image' },
    });
  } catch (err) {
    // A refused password or a site that is down would refuse the post as well: that is the delivery's failure.
    if (!(err instanceof DeliveryError) || err instanceof AuthError || err instanceof RetryableError) throw err;
    call.note(`${LEFT_OUT}: ${err.message}`);
    return undefined;
  }
  await call.state.set(key, String(media.id));
  return media.id;
}
