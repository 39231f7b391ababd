import { API_BASE } from '../../common/constants';
import { disableDetectionBody } from '../../common/schemas';
import { defineRoute, ok } from './route_types';

/** Disables detection (Kibana: invalidates the detection API key and forgets it). */
export const disableDetectionRoute = defineRoute({
  method: 'post',
  path: `${API_BASE}/detection/_disable`,
  privilege: 'all',
  validate: { body: disableDetectionBody },
  async handler(ctx) {
    return ok(await ctx.detectionAccess.disable(ctx.user));
  },
});
