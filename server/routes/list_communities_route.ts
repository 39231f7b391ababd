import { API_BASE } from '../../common/constants';
import { listCommunitiesQuery } from '../../common/schemas';
import { defineRoute, ok } from './route_types';

export const listCommunitiesRoute = defineRoute({
  method: 'get',
  path: `${API_BASE}/communities`,
  privilege: 'read',
  validate: { query: listCommunitiesQuery },
  async handler(ctx, { query }) {
    return ok(await ctx.stores.communities.list(query));
  },
});
