import { useEffect, useState } from 'preact/hooks';

// Hash routing: the daemon serves one page, and every view with its filters is a shareable link
// such as /console/#/deliveries?status=failed&destination=crm or /console/#/events/evt_….

export interface Route {
  path: string[];
  params: URLSearchParams;
}

export function currentRoute(): Route {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [pathPart, search = ''] = hash.split('?', 2);
  return { path: pathPart.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(search) };
}

export function href(path: string, params: Record<string, string | undefined | null> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export function navigate(path: string, params: Record<string, string | undefined | null> = {}): void {
  location.hash = href(path, params);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
