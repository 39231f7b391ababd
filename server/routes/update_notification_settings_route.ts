import { API_BASE } from '../../common/constants';
import { notificationSettingsBody } from '../../common/notification_schemas';
import { configView, WEBHOOKS_UNAVAILABLE, webhookHost } from './notification_routes_shared';
import { defineRoute, notFound, ok } from './route_types';

/** Sets the webhook URLs and/or the write-only secret (`null` clears it); answers like GET. */
export const updateNotificationSettingsRoute = defineRoute({
  method: 'put',
  path: `${API_BASE}/notifications/settings`,
  privilege: 'all',
  validate: { body: notificationSettingsBody },
  async handler(ctx, { body }) {
    const host = webhookHost(ctx);
    if (!host) return notFound(WEBHOOKS_UNAVAILABLE);
    const { outbox } = host;
    return ok(configView(await outbox.setConfig(body)));
  },
});
