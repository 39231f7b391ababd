import { API_BASE } from '../../common/constants';
import { defineRoute, ok } from './route_types';

/** Host-windows whose analysis failed: why, how often, and the finding that reports each. */
export const listQuarantineRoute = defineRoute({
  method: 'get',
  path: `${API_BASE}/detection/quarantine`,
  privilege: 'read',
  validate: {},
  async handler(ctx) {
    return ok({ items: await ctx.stores.state.listQuarantine() });
  },
});
