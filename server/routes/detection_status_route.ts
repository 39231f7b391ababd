import { API_BASE } from '../../common/constants';
import { defineRoute, ok } from './route_types';

export const detectionStatusRoute = defineRoute({
  method: 'get',
  path: `${API_BASE}/detection/status`,
  privilege: 'read',
  validate: {},
  async handler(ctx) {
    const runs = await ctx.stores.state.recentRuns(10);
    return ok({
      lastRun: runs[0] ?? null,
      recentRuns: runs,
      nextRunAt: (await ctx.nextRunAt()) ?? null,
    });
  },
});
