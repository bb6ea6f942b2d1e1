import { SafeHtml, escapeHtml } from '../templates.js';
import type { VideoLink } from '../video-links.js';

/** Block attributes as the block editor serialises them, so nothing in a URL can close the comment. */
export function blockAttributes(attributes: Record<string, unknown>): string {
  return JSON.stringify(attributes)
    .replace(/--/g, '\\u002d\\u002d')
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\\"/g, '\\u0022');
}

const ASPECTS: Array<[number, string]> = [
  [21 / 9, '21-9'],
  [18 / 9, '18-9'],
  [16 / 9, '16-9'],
  [4 / 3, '4-3'],
  [1, '1-1'],
  [9 / 16, '9-16'],
  [1 / 2, '1-2'],
];

/** The block editor's responsive-embed class for the nearest known ratio (16:9 when unknown). */
export function aspectClass(width?: number, height?: number): string {
  if (!width || !height) return '16-9';
  const ratio = width / height;
  let best = ASPECTS[0];
  for (const candidate of ASPECTS) if (Math.abs(candidate[0] - ratio) < Math.abs(best[0] - ratio)) best = candidate;
  return best[1];
}

/** A core/embed block: WordPress turns the URL into the provider's player itself (no iframe in the post). */
function embedBlock(url: string, provider: 'youtube' | 'vimeo', aspect: string): string {
  const className = `wp-embed-aspect-${aspect} wp-has-aspect-ratio`;
  const attrs = blockAttributes({ url, type: 'video', providerNameSlug: provider, responsive: true, className });
  return (
    `<!-- wp:embed ${attrs} -->\n` +
    `<figure class="wp-block-embed is-type-video is-provider-${provider} wp-block-embed-${provider} ${className}"><div class="wp-block-embed__wrapper">\n` +
    `${escapeHtml(url)}\n` +
    `</div></figure>\n` +
    `<!-- /wp:embed -->`
  );
}

/** A core/video block for a file on a CDN (no attachment id: the file stays where it is). */
function fileBlock(url: string, poster: string | undefined): string {
  const posterAttr = poster ? ` poster="${escapeHtml(poster)}"` : '';
  return (
    `<!-- wp:video -->\n` +
    `<figure class="wp-block-video"><video controls${posterAttr} src="${escapeHtml(url)}"></video></figure>\n` +
    `<!-- /wp:video -->`
  );
}

export type ContentFormat = 'blocks' | 'shortcodes';

/** The extensions wp_video_shortcode() plays (wp_get_video_extensions); it links any other src. */
const SHORTCODE_VIDEO = /\.(mp4|m4v|webm|ogv|flv)$/i;

/**
 * A URL as a shortcode attribute or body: WordPress's shortcode parser ends a value at a quote
 * and a shortcode at a bracket, so those (and spaces) are percent-encoded, as a URL allows.
 */
function shortcodeUrl(url: string): string {
  return url.replace(/[\s"'[\]<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * WordPress's own shortcodes, for sites on the classic editor: [embed] for YouTube and Vimeo
 * (oEmbed), [video] for a file whose name WordPress recognises. WordPress checks the extension at
 * the very end of the src (a signed URL's query string hides it): such a file gets a plain
 * <video> element instead, which the classic editor keeps as well.
 */
function shortcode(link: VideoLink, options: { poster?: string; width?: number; height?: number }): string {
  if (link.kind === 'external') return `[embed]${shortcodeUrl(link.url)}[/embed]`;
  const size = options.width && options.height ? { width: options.width, height: options.height } : {};
  if (SHORTCODE_VIDEO.test(link.url)) {
    const attributes = { src: link.url, ...(options.poster ? { poster: options.poster } : {}), ...size };
    return `[video ${Object.entries(attributes).map(([k, v]) => `${k}="${typeof v === 'number' ? v : shortcodeUrl(v)}"`).join(' ')}]`;
  }
  const poster = options.poster ? ` poster="${escapeHtml(options.poster)}"` : '';
  const dimensions = options.width && options.height ? ` width="${options.width}" height="${options.height}"` : '';
  return `<video controls preload="metadata"${poster}${dimensions} src="${escapeHtml(link.url)}"></video>`;
}

export function videoBlock(link: VideoLink, options: { poster?: string; width?: number; height?: number; format?: ContentFormat }): SafeHtml {
  if (options.format === 'shortcodes') return new SafeHtml(shortcode(link, options));
  return new SafeHtml(
    link.kind === 'external' ? embedBlock(link.url, link.provider, aspectClass(options.width, options.height)) : fileBlock(link.url, options.poster),
  );
}
