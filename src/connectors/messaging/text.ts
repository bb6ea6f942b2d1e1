// Text helpers shared by the chat connectors: every limit is met by trimming, never by failing.
import { truncate } from '../core/text.js';

export { ELLIPSIS, truncate } from '../core/text.js';

/**
 * Escapes then fits in `max`: escaping can lengthen a text, so the raw text is cut until the
 * escaped form fits, which never leaves half an escape sequence at the end.
 */
export function fitEscaped(raw: string, max: number, escape: (text: string) => string): string {
  let budget = max;
  for (;;) {
    const out = escape(truncate(raw, budget));
    if (out.length <= max || budget <= 1) return out.length <= max ? out : truncate(out, max);
    budget -= Math.max(1, out.length - max);
  }
}

/** 30 → 0:30, 1530 → 25:30, 3725 → 1:02:05. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = String(s % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** The URL when it is a well-formed http(s) URL no longer than `max`, else undefined (a cut URL is a broken link). */
export function linkable(url: string | undefined, max = 2000): string | undefined {
  if (!url || url.length > max) return undefined;
  try {
    const { protocol, href } = new URL(url);
    return (protocol === 'https:' || protocol === 'http:') && href.length <= max ? href : undefined;
  } catch {
    return undefined;
  }
}
