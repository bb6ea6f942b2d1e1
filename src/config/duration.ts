const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** '0s', '5s', '30m', '2h', '7d', or a bare number of seconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(String(text));
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 's']);
}

/** A `--since` value: a duration back from now, or an ISO date. Returns epoch ms. */
export function parseSince(text: string, now = Date.now()): number | undefined {
  const duration = parseDuration(text);
  if (duration !== undefined) return now - duration;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : date;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${+(ms / 3_600_000).toFixed(1)} h`;
  return `${+(ms / 86_400_000).toFixed(1)} d`;
}
