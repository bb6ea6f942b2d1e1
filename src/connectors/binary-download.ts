import { PayloadValidationError } from './core/errors.js';
import type { Http } from './core/types.js';

export interface Download {
  bytes: Buffer;
  contentType: string;
}

/**
 * Fetches a media file named in an event (trusted by SPEC §7) through the http door, with a size
 * cap, and refuses content types the caller does not accept. A ported connector passes its
 * `call.send` (unauthorized) as `request`, so the answer is classified like every other.
 */
export async function downloadFile(
  http: Pick<Http, 'request'>,
  url: string,
  options: { maxBytes: number; accept: readonly string[]; what: string; dryRunType: string },
): Promise<Download> {
  const res = await http.request({
    method: 'GET',
    url,
    headers: { accept: options.accept.join(', ') },
    maxResponseBytes: options.maxBytes + 1,
    dryRunResponse: { status: 200, body: 'dry-run', headers: { 'content-type': options.dryRunType } },
  });
  const contentType = (res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!options.accept.includes(contentType)) {
    throw new PayloadValidationError(
      `${options.what} ${url} is ${contentType || 'of no declared type'}; expected ${options.accept.join(', ')}`,
    );
  }
  const declared = Number(res.headers['content-length']);
  const bytes = res.bytes;
  if ((Number.isFinite(declared) && declared > options.maxBytes) || bytes.length > options.maxBytes) {
    throw new PayloadValidationError(`${options.what} ${url} is larger than ${Math.round(options.maxBytes / 1024 / 1024)} MiB`);
  }
  if (bytes.length === 0) throw new PayloadValidationError(`${options.what} ${url} is empty`);
  return { bytes, contentType };
}
