import { API_BASE } from '../../common/constants';
import { listDeliveriesQuery } from '../../common/notification_schemas';
import { deliveryView, WEBHOOKS_UNAVAILABLE } from './notification_routes_shared';
import { defineRoute, ok } from './route_types';

/** The delivery log, newest first: status, attempts, next attempt and last error. */
export const listDeliveriesRoute = defineRoute({
  method: 'get',
  path: `${API_BASE}/notifications/deliveries`,
  privilege: 'read',
  validate: { query: listDeliveriesQuery },
  async handler(ctx, { query }) {
    const outbox = ctx.stores.notifications;
    if (!outbox || !ctx.webhooks) {
      return ok({ available: false, reason: WEBHOOKS_UNAVAILABLE, deliveries: [] });
    }
    const list = await outbox.list({ limit: query.limit, status: query.status });
    return ok({ available: true, deliveries: list.map(deliveryView) });
  },
});
