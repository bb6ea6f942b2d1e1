import { activityReport, WINDOWS, type WindowName } from '../activity.js';
import type { DaemonContext } from '../context.js';
import { ApiError, queryOf, sendJson } from '../http-utils.js';
import type { Router } from '../router.js';

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
    sendJson(res, 200, activityReport(window as WindowName, names, activity, now));
  });
}
