import { API_BASE } from '../../common/constants';
import { defineRoute, ok } from './route_types';

/**
 * Runs, schedule, the host's set-up state and detection access. While set-up is not finished
 * the plugin's indices may not exist yet: the run history then reads as empty instead of
 * failing the whole status.
 */
export const detectionStatusRoute = defineRoute({
  method: 'get',
  path: `${API_BASE}/detection/status`,
  privilege: 'read',
  validate: {},
  async handler(ctx) {
    const setup = ctx.setupStatus();
    const runs = await ctx.stores.state.recentRuns(10).catch((e: unknown) => {
      if (setup.state === 'ready') throw e;
      return [];
    });
    return ok({
      // The last finished run: a run in progress is listed in recentRuns only.
      lastRun: runs.find((r) => r.status !== 'running') ?? null,
      recentRuns: runs,
      nextRunAt: (await ctx.nextRunAt()) ?? null,
      setup,
      access: await ctx.detectionAccess.status(),
    });
  },
});
