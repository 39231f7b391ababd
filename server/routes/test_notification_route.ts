import { API_BASE } from '../../common/constants';
import { RefusedError } from '../ports';
import { WEBHOOKS_UNAVAILABLE, webhookHost } from './notification_routes_shared';
import { defineRoute, notFound, ok } from './route_types';

/** The settings page's test button: one signed test notification per URL, sent now. */
export const testNotificationRoute = defineRoute({
  method: 'post',
  path: `${API_BASE}/notifications/_test`,
  privilege: 'all',
  validate: {},
  async handler(ctx) {
    const host = webhookHost(ctx);
    if (!host) return notFound(WEBHOOKS_UNAVAILABLE);
    const { outbox, webhooks } = host;
    if (!(await outbox.getConfig()).urls.length) {
      throw new RefusedError(400, 'no webhook URL is configured: save one first', 'body.urls');
    }
    return ok({ results: await webhooks.testSend() });
  },
});
