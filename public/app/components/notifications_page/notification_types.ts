/** Wire types of the notification routes (server/routes/*notification*, list_deliveries_route). */
import type { NotificationDelivery } from '../../../../server/ports';

export interface NotificationSettings {
  available: boolean;
  /** Why not, when unavailable (Kibana: use the alerting rule type). */
  reason?: string;
  urls: string[];
  /** The secret itself is write-only and never sent back. */
  secretSet: boolean;
}

export interface NotificationSettingsPatch {
  urls?: string[];
  /** null clears it. */
  secret?: string | null;
}

/** A delivery as the log route sends it: the stored one without its body. */
export type DeliveryEntry = Omit<NotificationDelivery, 'body'>;

export interface DeliveriesResponse {
  available: boolean;
  reason?: string;
  deliveries: DeliveryEntry[];
}

export interface TestSendResponse {
  results: { id: string; url: string; status: string; httpStatus?: number; error?: string }[];
}
