import { LATENCY_CLASS_RATIO, type Activity } from '../store/types.js';

/** The windows the console charts: how far back, and how wide each bucket is. */
export const WINDOWS = {
  '1h': { spanMs: 3_600_000, bucketMs: 60_000 },
  '24h': { spanMs: 86_400_000, bucketMs: 900_000 },
} as const;
export type WindowName = keyof typeof WINDOWS;

export interface DestinationActivity {
  name: string;
  attempts: number;
  failures: number;
  /** Share of attempts that succeeded (0–1), null without attempts. */
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  /** One value per bucket, aligned with `ActivityReport.buckets`. */
  series: { attempts: number[]; successRate: Array<number | null>; p50Ms: Array<number | null>; p95Ms: Array<number | null> };
}

export interface ActivityReport {
  window: WindowName;
  bucketSeconds: number;
  /** Epoch seconds at which each bucket starts, oldest first. */
  buckets: number[];
  events: { total: number; perBucket: number[] };
  destinations: DestinationActivity[];
}

/** The duration a latency class stands for: the geometric middle of its range, in whole ms. */
export function classMidpointMs(latencyClass: number): number {
  return Math.max(0, Math.round(Math.pow(LATENCY_CLASS_RATIO, latencyClass + 0.5) - 1));
}

/** The q-quantile (0–1) of a histogram of latency classes, or null when it is empty. */
export function quantileMs(histogram: Map<number, number>, q: number): number | null {
  const total = [...histogram.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const cls of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(cls)!;
    if (seen >= rank) return classMidpointMs(cls);
  }
  return null;
}

function add(histogram: Map<number, number>, cls: number, n: number): void {
  histogram.set(cls, (histogram.get(cls) ?? 0) + n);
}

/** Turns the store's per-bucket histograms into the figures and series the overview draws. */
export function activityReport(window: WindowName, names: string[], activity: Activity, now: number): ActivityReport {
  const { spanMs, bucketMs } = WINDOWS[window];
  const last = Math.floor(now / bucketMs) * bucketMs;
  const count = spanMs / bucketMs;
  const starts = Array.from({ length: count }, (_, i) => last - (count - 1 - i) * bucketMs);
  const index = new Map(starts.map((s, i) => [s, i]));

  const perBucket = starts.map(() => 0);
  for (const e of activity.events) {
    const i = index.get(e.bucket);
    if (i !== undefined) perBucket[i] += e.count;
  }

  const destinations = names.map((name): DestinationActivity => {
    const rows = activity.attempts.filter((r) => r.destination === name && index.has(r.bucket));
    const whole = new Map<number, number>();
    const buckets = starts.map(() => ({ attempts: 0, failures: 0, histogram: new Map<number, number>() }));
    for (const r of rows) {
      const b = buckets[index.get(r.bucket)!];
      b.attempts += r.attempts;
      b.failures += r.failures;
      add(b.histogram, r.latencyClass, r.attempts);
      add(whole, r.latencyClass, r.attempts);
    }
    const attempts = buckets.reduce((a, b) => a + b.attempts, 0);
    const failures = buckets.reduce((a, b) => a + b.failures, 0);
    const rate = (b: { attempts: number; failures: number }) => (b.attempts ? +((b.attempts - b.failures) / b.attempts).toFixed(4) : null);
    return {
      name,
      attempts,
      failures,
      successRate: rate({ attempts, failures }),
      p50Ms: quantileMs(whole, 0.5),
      p95Ms: quantileMs(whole, 0.95),
      series: {
        attempts: buckets.map((b) => b.attempts),
        successRate: buckets.map(rate),
        p50Ms: buckets.map((b) => quantileMs(b.histogram, 0.5)),
        p95Ms: buckets.map((b) => quantileMs(b.histogram, 0.95)),
      },
    };
  });

  return {
    window,
    bucketSeconds: bucketMs / 1000,
    buckets: starts.map((s) => s / 1000),
    events: { total: perBucket.reduce((a, b) => a + b, 0), perBucket },
    destinations,
  };
}
