import { PayloadValidationError, PermanentError } from './errors.js';
import type { Http, HttpResponse } from './types.js';

export interface Download {
  bytes: Buffer;
  contentType: string;
}

/**
 * The raw bytes of a response. The http door reads bodies as UTF-8 text; a door that also keeps
 * the bytes (`bytes`) carries any file, otherwise only a body that survived the decoding is usable.
 */
function bytesOf(res: HttpResponse): Buffer | undefined {
  const raw = (res as HttpResponse & { bytes?: unknown }).bytes;
  if (Buffer.isBuffer(raw)) return raw;
  if (raw instanceof Uint8Array) return Buffer.from(raw);
  return res.body.includes('\uFFFD') ? undefined : Buffer.from(res.body, 'utf8');
}

export class BinaryBodyUnavailable extends PermanentError {}

/**
 * Fetches a media file named in an event (trusted by SPEC §7) through the http door, with a size
 * cap, and refuses content types the caller does not accept.
 */
export async function downloadFile(
  http: Http,
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
  const bytes = bytesOf(res);
  if ((Number.isFinite(declared) && declared > options.maxBytes) || (bytes && bytes.length > options.maxBytes)) {
    throw new PayloadValidationError(`${options.what} ${url} is larger than ${Math.round(options.maxBytes / 1024 / 1024)} MiB`);
  }
  if (!bytes) {
    throw new BinaryBodyUnavailable(`${options.what} ${url} is binary and this http transport only returns text bodies`);
  }
  if (bytes.length === 0) throw new PayloadValidationError(`${options.what} ${url} is empty`);
  return { bytes, contentType };
}
