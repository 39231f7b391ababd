import { API_BASE } from '../../common/constants';
import { storeStatus as statusOf } from './errors';
import { defineRoute, ok, type RouteResponse } from './route_types';

function refusal(status: 400 | 403 | 404, error: string, message: string): RouteResponse {
  return { status, body: { statusCode: status, error, message } };
}

/**
 * Ensures the Discover data view and saved search of the drill-down exist in the caller's space
 * and answers their ids. Only Kibana has Discover: the standalone host answers 404 and its app
 * keeps its own raw-events view.
 */
export const discoverSavedSearchRoute = defineRoute({
  method: 'post',
  path: `${API_BASE}/discover/_saved_search`,
  privilege: 'read',
  validate: {},
  async handler(ctx) {
    if (!ctx.discover) {
      return refusal(
        404,
        'Not Found',
        'Discover is not available in this host; the app shows a community’s raw events itself.',
      );
    }
    const { indices } = await ctx.stores.settings.get();
    try {
      return ok(await ctx.discover.ensureSavedSearch(indices));
    } catch (e) {
      if (e instanceof RangeError) return refusal(400, 'Bad Request', e.message);
      if (statusOf(e) === 403) {
        return refusal(
          403,
          'Forbidden',
          'Creating the Discover saved search needs write access to saved searches and data ' +
            'views in this space (for example Discover: All); once it exists, read access suffices.',
        );
      }
      throw e;
    }
  },
});
