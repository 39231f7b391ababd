import { API_BASE } from '../../common/constants';
import { enableDetectionBody } from '../../common/schemas';
import { defineRoute, ok } from './route_types';

/**
 * Enables detection as the calling administrator (Kibana: creates the source-reading API key).
 * The feature's `all` privilege gates it; what the key may read is further limited by the
 * caller's own index privileges.
 */
export const enableDetectionRoute = defineRoute({
  method: 'post',
  path: `${API_BASE}/detection/_enable`,
  privilege: 'all',
  validate: { body: enableDetectionBody },
  async handler(ctx, { body }) {
    return ok(await ctx.detectionAccess.enable(ctx.user, body?.indices));
  },
});
