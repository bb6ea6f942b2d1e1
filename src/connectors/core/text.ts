// The one way connectors shorten text to a service's limit.

export const ELLIPSIS = '…';

/** At most `max` UTF-16 units, ending with an ellipsis when cut; never splits a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= ELLIPSIS.length) return ELLIPSIS.slice(0, Math.max(0, max));
  let cut = text.slice(0, max - ELLIPSIS.length);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}${ELLIPSIS}`;
}

/** A service's answer as one line for a message: white space folded, at most `max` characters. */
export function snippet(text: string, max = 200): string {
  return truncate(text.replace(/\s+/g, ' ').trim(), max);
}
