import { API_BASE } from '../../common/constants';
import { communityStatsQuery } from '../../common/schemas';
import { defineRoute, ok } from './route_types';

/**
 * The charts' counts over every community matching the list's filters, with the detection
 * threshold the score histogram marks.
 */
export const communityStatsRoute = defineRoute({
  method: 'get',
  path: `${API_BASE}/communities/_stats`,
  privilege: 'read',
  validate: { query: communityStatsQuery },
  async handler(ctx, { query }) {
    const [stats, settings] = await Promise.all([
      ctx.stores.communities.stats(query),
      ctx.stores.settings.get(),
    ]);
    return ok({ ...stats, threshold: settings.threshold });
  },
});
