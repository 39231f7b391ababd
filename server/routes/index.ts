import { bulkTriageRoute } from './bulk_triage_route';
import { communityEventsRoute } from './community_events_route';
import { communityStatsRoute } from './community_stats_route';
import { detectionStatusRoute } from './detection_status_route';
import { discoverSavedSearchRoute } from './discover_saved_search_route';
import { disableDetectionRoute } from './disable_detection_route';
import { enableDetectionRoute } from './enable_detection_route';
import { getCommunityRoute } from './get_community_route';
import { listCommunitiesRoute } from './list_communities_route';
import { prevalenceRoute } from './prevalence_route';
import type { RouteDef } from './route_types';
import { getNotificationSettingsRoute } from './get_notification_settings_route';
import { updateNotificationSettingsRoute } from './update_notification_settings_route';
import { testNotificationRoute } from './test_notification_route';
import { listDeliveriesRoute } from './list_deliveries_route';
import { retryDeliveryRoute } from './retry_delivery_route';
import { runDetectionRoute } from './run_detection_route';
import { getSettingsRoute } from './get_settings_route';
import { updateSettingsRoute } from './update_settings_route';
import { deleteSuppressionRoute } from './delete_suppression_route';
import { listSuppressionsRoute } from './list_suppressions_route';
import { triageCommunityRoute } from './triage_community_route';
import { listQuarantineRoute } from './list_quarantine_route';
import { retryQuarantineRoute } from './retry_quarantine_route';
import { dismissQuarantineRoute } from './dismiss_quarantine_route';

/** Every API route, registered as-is by the Kibana glue and by the standalone host. */
export const ROUTES: readonly RouteDef[] = [
  listCommunitiesRoute,
  communityStatsRoute,
  bulkTriageRoute,
  getCommunityRoute,
  communityEventsRoute,
  triageCommunityRoute,
  runDetectionRoute,
  detectionStatusRoute,
  enableDetectionRoute,
  disableDetectionRoute,
  prevalenceRoute,
  getSettingsRoute,
  updateSettingsRoute,
  listSuppressionsRoute,
  deleteSuppressionRoute,
  discoverSavedSearchRoute,
  getNotificationSettingsRoute,
  updateNotificationSettingsRoute,
  testNotificationRoute,
  listDeliveriesRoute,
  retryDeliveryRoute,
  listQuarantineRoute,
  retryQuarantineRoute,
  dismissQuarantineRoute,
];
