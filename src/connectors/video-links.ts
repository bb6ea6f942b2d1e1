/** What kind of link a video URL is: a page on YouTube or Vimeo (embedded by the service) or a file. */
export type VideoLink =
  | { kind: 'external'; provider: 'youtube' | 'vimeo'; url: string }
  | { kind: 'file'; url: string };

const PROVIDERS: Record<string, 'youtube' | 'vimeo'> = {
  'youtube.com': 'youtube',
  'www.youtube.com': 'youtube',
  'm.youtube.com': 'youtube',
  'youtu.be': 'youtube',
  'vimeo.com': 'vimeo',
  'www.vimeo.com': 'vimeo',
  'player.vimeo.com': 'vimeo',
};

/** An http(s) URL, normalised, or undefined: event text must not smuggle `javascript:` into markup. */
export function httpUrlOrUndefined(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  try {
    const url = new URL(value.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export function classifyVideoUrl(value: string): VideoLink | undefined {
  const href = httpUrlOrUndefined(value);
  if (!href) return undefined;
  const provider = PROVIDERS[new URL(href).hostname.toLowerCase()];
  return provider ? { kind: 'external', provider, url: href } : { kind: 'file', url: href };
}

/** The last path segment, reduced to characters every service accepts in a file name. */
export function fileNameFrom(url: string, fallbackBase: string, extension: string): string {
  const last = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '').replace(/[^A-Za-z0-9._-]+/g, '-');
  const base = last.replace(/\.[A-Za-z0-9]+$/, '').replace(/^[-.]+|[-.]+$/g, '').slice(0, 80) || fallbackBase;
  return `${base}.${extension}`;
}
