import { API_BASE } from '../../common/constants';
import { deliveryIdParams } from '../../common/notification_schemas';
import { WEBHOOKS_UNAVAILABLE, webhookHost } from './notification_routes_shared';
import { defineRoute, notFound, ok } from './route_types';

/** A failed delivery back to the queue, sent at once with fresh attempts. */
export const retryDeliveryRoute = defineRoute({
  method: 'post',
  path: `${API_BASE}/notifications/deliveries/{id}/_retry`,
  privilege: 'all',
  validate: { params: deliveryIdParams },
  async handler(ctx, { params }) {
    const host = webhookHost(ctx);
    if (!host) return notFound(WEBHOOKS_UNAVAILABLE);
    const { outbox, webhooks } = host;
    if (!(await outbox.retry(params.id, new Date().toISOString()))) {
      return notFound(`no failed delivery ${params.id}`);
    }
    webhooks.kick();
    return ok({ retried: params.id });
  },
});
