/** Wire types of the notification routes (server/routes/*notification*, list_deliveries_route). */
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

export interface DeliveryEntry {
  id: string;
  communityId: string;
  url: string;
  kind: 'new' | 'escalated' | 'test';
  event?: string;
  score: number;
  severity: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  createdAt: string;
  nextAttemptAt: string;
  lastAttemptAt?: string;
  deliveredAt?: string;
  lastError?: string;
}

export interface DeliveriesResponse {
  available: boolean;
  reason?: string;
  deliveries: DeliveryEntry[];
}

export interface TestSendResponse {
  results: { id: string; url: string; status: string; httpStatus?: number; error?: string }[];
}
