import { API_BASE } from '../../common/constants';
import { communityIdParams } from '../../common/schemas';
import { defineRoute, notFound, ok } from './route_types';

export const getCommunityRoute = defineRoute({
  method: 'get',
  path: `${API_BASE}/communities/{id}`,
  privilege: 'read',
  validate: { params: communityIdParams },
  async handler(ctx, { params }) {
    const community = await ctx.stores.communities.get(params.id);
    return community ? ok(community) : notFound(`community ${params.id} not found`);
  },
});
