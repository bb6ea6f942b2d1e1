import { z } from 'zod';
import { activityReport, WINDOWS, type ActivityReport, type WindowName } from '../activity.js';
import type { DaemonContext } from '../context.js';
import { ApiError, queryOf, sendJson } from '../http-utils.js';
import type { Router } from '../router.js';

const perBucket = <T extends z.ZodType>(value: T) => z.array(value).describe('One value per bucket, aligned with buckets.');

export const activityReportSchema = z
  .object({
    window: z.enum(['1h', '24h']),
    bucketSeconds: z.number().int().positive(),
    buckets: z.array(z.number().int()).describe('Epoch seconds at which each bucket starts, oldest first.'),
    events: z.object({ total: z.number().int().nonnegative(), perBucket: perBucket(z.number().int().nonnegative()) }),
    destinations: z.array(
      z.object({
        name: z.string(),
        attempts: z.number().int().nonnegative(),
        failures: z.number().int().nonnegative(),
        successRate: z.number().min(0).max(1).nullable().describe('Share of attempts that succeeded; null without attempts.'),
        p50Ms: z.number().nullable(),
        p95Ms: z.number().nullable(),
        series: z.object({
          attempts: perBucket(z.number().int().nonnegative()),
          successRate: perBucket(z.number().nullable()),
          p50Ms: perBucket(z.number().nullable()),
          p95Ms: perBucket(z.number().nullable()),
        }),
      }),
    ),
  })
  .describe("Each destination's success rate and latency, and the events accepted, over a window.") satisfies z.ZodType<ActivityReport>;

/** Read-only figures for the console's overview: success rate, latency and events over a window. */
export function statsRoutes(router: Router, ctx: DaemonContext): void {
  router.on('GET', '/api/stats', async (req, res) => {
    const window = queryOf(req).get('window') ?? '1h';
    if (!(window in WINDOWS)) {
      throw new ApiError(400, 'invalid_request', `window "${window}" is not one of ${Object.keys(WINDOWS).join(', ')}`);
    }
    const { spanMs, bucketMs } = WINDOWS[window as WindowName];
    const now = Date.now();
    const names = ctx.destinations().map((d) => d.dest.name);
    const since = Math.floor(now / bucketMs) * bucketMs - spanMs + bucketMs;
    const activity = await ctx.store.activity(names, since, bucketMs);
    sendJson(res, 200, activityReport(window as WindowName, names, activity, now) satisfies z.input<typeof activityReportSchema>);
  });
}
