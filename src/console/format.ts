export function ago(at: string | number | null | undefined, now = Date.now()): string {
  if (at === null || at === undefined) return '—';
  const ms = now - (typeof at === 'number' ? at : Date.parse(at));
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1000) return 'just now';
  return `${duration(ms)} ago`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${+(ms / 3_600_000).toFixed(1)} h`;
  return `${+(ms / 86_400_000).toFixed(1)} d`;
}

export const percent = (rate: number | null) => (rate === null ? '—' : `${+(rate * 100).toFixed(1)} %`);
export const ms = (value: number | null) => (value === null ? '—' : value < 1000 ? `${value} ms` : `${+(value / 1000).toFixed(2)} s`);

export function time(at: string | number): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? String(at) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Bodies are shown pretty-printed when they are JSON, as stored otherwise. */
export function pretty(body: string | undefined): string {
  if (body === undefined || body === '') return '';
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
