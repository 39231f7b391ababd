import { API_BASE } from '../../common/constants';
import { quarantineIdBody } from '../../common/quarantine_schemas';
import { defineRoute, notFound, ok } from './route_types';

/**
 * Stops retrying a quarantined host-window. Its failure finding stays among the communities,
 * to be triaged like any other: dismissing the retry does not dismiss the alert.
 */
export const dismissQuarantineRoute = defineRoute({
  method: 'post',
  path: `${API_BASE}/detection/quarantine/_dismiss`,
  privilege: 'all',
  validate: { body: quarantineIdBody },
  async handler(ctx, { body }) {
    if (!(await ctx.stores.state.deleteQuarantine(body.id)))
      return notFound(`no quarantined host-window ${body.id}`);
    ctx.logger.info(`quarantined host-window ${body.id} dismissed by ${ctx.user}`);
    return ok({ dismissed: body.id });
  },
});
