import { API_BASE } from '../../common/constants';
import { settingsBody } from '../../common/schemas';
import { defineRoute, ok } from './route_types';

export const updateSettingsRoute = defineRoute({
  method: 'put',
  path: `${API_BASE}/settings`,
  privilege: 'all',
  validate: { body: settingsBody },
  async handler(ctx, { body }) {
    return ok(await ctx.stores.settings.update(body));
  },
});
