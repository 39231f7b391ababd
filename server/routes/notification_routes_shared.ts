/**
 * What the notification routes share: the outbox of the caller's stores. Where the host delivers
 * no webhooks (Kibana: use the alerting rule type there) writes answer 404 with that message.
 */
import type { NotificationDelivery, NotificationOutbox, WebhookConfig } from '../ports';
import type { RouteContext } from './route_types';

export const WEBHOOKS_UNAVAILABLE =
  'webhook notifications are a standalone-host feature; in Kibana use the "ProblemChild anomalous community" rule type with any connector';

/** The outbox and worker, or undefined where the host has none (the routes answer 404). */
export function webhookHost(
  ctx: RouteContext,
): { outbox: NotificationOutbox; webhooks: NonNullable<RouteContext['webhooks']> } | undefined {
  const outbox = ctx.stores.notifications;
  return outbox && ctx.webhooks ? { outbox, webhooks: ctx.webhooks } : undefined;
}

/** The secret never leaves the server: only whether one is set. */
export function configView(c: WebhookConfig) {
  return { available: true, urls: c.urls, secretSet: c.secret !== null };
}

/** The log's view of a delivery: the stored body stays server-side, its summary does not. */
export function deliveryView(d: NotificationDelivery) {
  const { body, ...rest } = d;
  let event: string | undefined;
  try {
    event = (JSON.parse(body) as { event?: string }).event;
  } catch {
    event = undefined;
  }
  return { ...rest, event };
}
