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

export function videoBlock(link: VideoLink, options: { poster?: string; width?: number; height?: number }): SafeHtml {
  return new SafeHtml(
    link.kind === 'external' ? embedBlock(link.url, link.provider, aspectClass(options.width, options.height)) : fileBlock(link.url, options.poster),
  );
}
