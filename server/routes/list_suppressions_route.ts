import { API_BASE } from '../../common/constants';
import { defineRoute, ok } from './route_types';

export const listSuppressionsRoute = defineRoute({
  method: 'get',
  path: `${API_BASE}/suppressions`,
  privilege: 'read',
  validate: {},
  async handler(ctx) {
    const rules = await ctx.stores.suppressions.all();
    return ok({ total: rules.length, rules });
  },
});
