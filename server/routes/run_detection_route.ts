import { API_BASE } from '../../common/constants';
import { runDetectionBody } from '../../common/schemas';
import { defineRoute } from './route_types';

export const runDetectionRoute = defineRoute({
  method: 'post',
  path: `${API_BASE}/detection/_run`,
  privilege: 'all',
  validate: { body: runDetectionBody },
  async handler(ctx, { body }) {
    const result = await ctx.runDetection(body ?? undefined);
    return { status: result.started ? 202 : 409, body: result };
  },
});
