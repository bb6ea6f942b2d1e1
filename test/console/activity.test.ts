import { describe, expect, it } from 'vitest';
import { activityReport, classMidpointMs, quantileMs } from '../../src/server/activity.js';
import { LATENCY_CLASS_RATIO } from '../../src/store/types.js';

const classOf = (ms: number) => Math.floor(Math.log(ms + 1) / Math.log(LATENCY_CLASS_RATIO));

describe('latency percentiles from class histograms', () => {
  it.each([
    [[10, 10, 10, 10], 0.5, 10],
    [[5, 5, 5, 5, 5, 5, 5, 5, 5, 400], 0.5, 5],
    [[5, 5, 5, 5, 5, 5, 5, 5, 5, 400], 0.95, 400],
    [[100, 200, 300, 400], 0.5, 200],
  ])('%j at q=%d is about %d ms (within a class, ~10 %%)', (durations, q, expected) => {
    const histogram = new Map<number, number>();
    for (const d of durations) histogram.set(classOf(d), (histogram.get(classOf(d)) ?? 0) + 1);
    const value = quantileMs(histogram, q)!;
    expect(Math.abs(value - expected)).toBeLessThanOrEqual(Math.max(1, expected * 0.1));
  });

  it('has no percentile without attempts', () => {
    expect(quantileMs(new Map(), 0.5)).toBeNull();
  });

  it('gives a class the middle of its range', () => {
    expect(classMidpointMs(0)).toBe(0);
    expect(classMidpointMs(classOf(1000))).toBeGreaterThan(950);
    expect(classMidpointMs(classOf(1000))).toBeLessThan(1050);
  });
});

describe('the activity report', () => {
  it('aligns buckets, counts events and failures, and leaves empty buckets without a rate', () => {
    const now = Date.UTC(2026, 11, 5, 12, 30, 15);
    const minute = Date.UTC(2026, 11, 5, 12, 30);
    const report = activityReport(
      '1h',
      ['a', 'b'],
      {
        attempts: [
          { destination: 'a', bucket: minute, latencyClass: classOf(20), attempts: 3, failures: 1 },
          { destination: 'a', bucket: minute - 60_000, latencyClass: classOf(40), attempts: 1, failures: 0 },
          { destination: 'a', bucket: minute - 3_600_000, latencyClass: classOf(40), attempts: 9, failures: 9 },
        ],
        events: [{ bucket: minute, count: 4 }],
      },
      now,
    );
    expect(report.buckets).toHaveLength(60);
    expect(report.buckets.at(-1)).toBe(minute / 1000);
    expect(report.events).toMatchObject({ total: 4 });
    expect(report.events.perBucket.at(-1)).toBe(4);
    const a = report.destinations[0];
    expect(a).toMatchObject({ name: 'a', attempts: 4, failures: 1, successRate: 0.75 });
    expect(a.series.successRate.at(-1)).toBeCloseTo(2 / 3, 3);
    expect(a.series.successRate.at(-2)).toBe(1);
    expect(a.series.successRate[0]).toBeNull();
    expect(report.destinations[1]).toMatchObject({ name: 'b', attempts: 0, successRate: null, p50Ms: null });
  });
});
