import { API_BASE } from '../../common/constants';
import { communityIdParams } from '../../common/schemas';
import { defineRoute, notFound, ok } from './route_types';

/** The raw events behind a community: the standalone host's stand-in for Discover. */
export const communityEventsRoute = defineRoute({
  method: 'get',
  path: `${API_BASE}/communities/{id}/events`,
  privilege: 'read',
  validate: { params: communityIdParams },
  async handler(ctx, { params }) {
    const community = await ctx.stores.communities.get(params.id);
    if (!community) return notFound(`community ${params.id} not found`);
    const ids = community.events.map((e) => e.event.event.id);
    const events = await ctx.stores.events.eventsById(ids);
    return ok({ total: events.length, events });
  },
});
