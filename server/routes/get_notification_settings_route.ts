import { API_BASE } from '../../common/constants';
import { configView, WEBHOOKS_UNAVAILABLE } from './notification_routes_shared';
import { defineRoute, ok } from './route_types';

/** Webhook URLs and whether a secret is set (never the secret itself). */
export const getNotificationSettingsRoute = defineRoute({
  method: 'get',
  path: `${API_BASE}/notifications/settings`,
  privilege: 'read',
  validate: {},
  async handler(ctx) {
    const outbox = ctx.stores.notifications;
    if (!outbox || !ctx.webhooks) {
      return ok({ available: false, reason: WEBHOOKS_UNAVAILABLE, urls: [], secretSet: false });
    }
    return ok(configView(await outbox.getConfig()));
  },
});
