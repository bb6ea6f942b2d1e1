import { z } from 'zod';
import type { DaemonContext } from '../context.js';
import { ApiError, sendJson } from '../http-utils.js';
import type { Router } from '../router.js';

export const destinationSwitchedSchema = z.object({
  name: z.string(),
  state: z.enum(['enabled', 'disabled']),
  cleared: z.string().optional().describe('Why it had been disabled, when enabling cleared that.'),
});

/** Enable and disable any destination, as `vidhook destinations enable|disable` does. */
export function destinationRoutes(router: Router, ctx: DaemonContext): void {
  const find = (name: string) => {
    if (!ctx.destinations().some((d) => d.dest.name === name)) {
      throw new ApiError(404, 'not_found', `no destination named "${name}"; see GET /api/integrations/status`);
    }
  };

  router.on('POST', '/api/integrations/destinations/:name/disable', async (req, res, { name }) => {
    req.resume();
    find(name);
    await ctx.store.setDisabled(name, 'disabled through the API');
    ctx.dispatcher.wake([name], { recheck: true });
    sendJson(res, 200, { name, state: 'disabled' } satisfies z.input<typeof destinationSwitchedSchema>);
  });

  router.on('POST', '/api/integrations/destinations/:name/enable', async (req, res, { name }) => {
    req.resume();
    find(name);
    const cleared = (await ctx.store.disabledDestinations())[name];
    await ctx.store.setDisabled(name, null);
    ctx.dispatcher.wake([name], { recheck: true });
    sendJson(res, 200, { name, state: 'enabled', ...(cleared !== undefined ? { cleared } : {}) } satisfies z.input<typeof destinationSwitchedSchema>);
  });
}
