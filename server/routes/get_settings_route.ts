import { API_BASE } from '../../common/constants';
import { defineRoute, ok } from './route_types';

export const getSettingsRoute = defineRoute({
  method: 'get',
  path: `${API_BASE}/settings`,
  privilege: 'read',
  validate: {},
  async handler(ctx) {
    return ok(await ctx.stores.settings.get());
  },
});
