// Text helpers shared by the chat connectors: every limit is met by trimming, never by failing.

export const ELLIPSIS = '…';

/** At most `max` UTF-16 units, ending with an ellipsis when cut; never splits a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= ELLIPSIS.length) return ELLIPSIS.slice(0, Math.max(0, max));
  let cut = text.slice(0, max - ELLIPSIS.length);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}${ELLIPSIS}`;
}

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
