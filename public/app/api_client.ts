/**
 * One method per API route over an injected `http` function, so the same client runs on Kibana's
 * core.http.fetch and on the standalone host's fetch wrapper. Imports nothing from Kibana.
 */
import { API_BASE, API_VERSION } from '../../common/constants';
import type { DiscoverSavedSearchIds } from '../../common/discover';
import type {
  BulkTriageResponse,
  CommunityEventsResponse,
  CommunityPage,
  CommunityStatsParams,
  CommunityStatsResponse,
  DetectionAccessStatus,
  DetectionStatus,
  ListCommunitiesParams,
  PrevalenceResponse,
  QuarantinedHostWindow,
  QuarantineResponse,
  RunDetectionResponse,
  Settings,
  StoredCommunity,
  SuppressionsResponse,
  TriageRequest,
  TriageResponse,
} from './api_types';
import type {
  DeliveriesResponse,
  DeliveryEntry,
  NotificationSettings,
  NotificationSettingsPatch,
  TestSendResponse,
} from './components/notifications_page/notification_types';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type QueryValue = string | number | boolean | undefined;

export interface HttpOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  version?: string;
}

/** Resolves with the parsed JSON body; rejects with an {@link ApiError} for non-2xx answers. */
export type HttpFn = (method: HttpMethod, path: string, options: HttpOptions) => Promise<unknown>;

/** The error body both hosts send. */
export interface ApiErrorBody {
  statusCode?: number;
  error?: string;
  message?: string;
  errors?: { field: string; message: string }[];
  [k: string]: unknown;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** HTTP status; 0 when the server could not be reached at all. */
    readonly status: number,
    message: string,
    readonly body?: ApiErrorBody,
  ) {
    super(message);
  }

  get fieldErrors(): { field: string; message: string }[] {
    return Array.isArray(this.body?.errors) ? this.body.errors : [];
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** Status of any error thrown by an HttpFn, including ones not wrapped in ApiError. */
export function errorStatus(e: unknown): number | undefined {
  if (e instanceof ApiError) return e.status;
  const s = (e as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

const enc = encodeURIComponent;

function toQuery(params: object): Record<string, QueryValue> {
  const query: Record<string, QueryValue> = {};
  for (const [k, v] of Object.entries(params) as [string, QueryValue][]) {
    // The server validates strictly: empty strings would be a 400, so they mean "no filter".
    if (v === undefined || v === '') continue;
    query[k] = typeof v === 'boolean' ? String(v) : v;
  }
  return query;
}

export class ApiClient {
  constructor(private readonly http: HttpFn) {}

  private call<T>(method: HttpMethod, path: string, options: Omit<HttpOptions, 'version'> = {}) {
    return this.http(method, `${API_BASE}${path}`, {
      ...options,
      version: API_VERSION,
    }) as Promise<T>;
  }

  listCommunities(params: ListCommunitiesParams = {}): Promise<CommunityPage> {
    return this.call('GET', '/communities', { query: toQuery(params) });
  }

  /** Counts for the charts over every community matching the same filters as the list. */
  communityStats(params: CommunityStatsParams = {}): Promise<CommunityStatsResponse> {
    return this.call('GET', '/communities/_stats', { query: toQuery(params) });
  }

  getCommunity(id: string): Promise<StoredCommunity> {
    return this.call('GET', `/communities/${enc(id)}`);
  }

  communityEvents(id: string): Promise<CommunityEventsResponse> {
    return this.call('GET', `/communities/${enc(id)}/events`);
  }

  /** `version` is the one last read; a stale one is answered with 409 instead of overwriting. */
  triage(id: string, change: TriageRequest, version?: number): Promise<TriageResponse> {
    const body = version === undefined ? { ...change } : { ...change, version };
    return this.call('POST', `/communities/${enc(id)}/triage`, { body });
  }

  bulkTriage(ids: readonly string[], change: TriageRequest): Promise<BulkTriageResponse> {
    return this.call('POST', '/communities/_bulk_triage', { body: { ids: [...ids], ...change } });
  }

  /** A run already in progress (409) is an answer, not a failure: `started` is false. */
  async runDetection(range?: { from?: string; to?: string }): Promise<RunDetectionResponse> {
    try {
      return await this.call<RunDetectionResponse>('POST', '/detection/_run', {
        body: range ?? {},
      });
    } catch (e) {
      if (errorStatus(e) === 409) {
        const body = e instanceof ApiError ? e.body : undefined;
        const message =
          typeof body?.message === 'string' ? body.message : 'A detection run is already running.';
        return { started: false, message };
      }
      throw e;
    }
  }

  detectionStatus(): Promise<DetectionStatus> {
    return this.call('GET', '/detection/status');
  }

  /**
   * Enables detection as the current user (Kibana: creates the source-reading API key, limited to
   * `indices` or the configured ones). Refusals (400 no encryption key, 403 nothing readable) throw.
   */
  enableDetection(indices?: string): Promise<DetectionAccessStatus> {
    return this.call('POST', '/detection/_enable', {
      body: indices === undefined ? {} : { indices },
    });
  }

  /** Disables detection (Kibana: invalidates the key). */
  disableDetection(): Promise<DetectionAccessStatus> {
    return this.call('POST', '/detection/_disable', { body: {} });
  }

  /** Kibana: the Discover saved search of the drill-down, created on first use (404 elsewhere). */
  ensureDiscoverSavedSearch(): Promise<DiscoverSavedSearchIds> {
    return this.call('POST', '/discover/_saved_search', { body: {} });
  }

  prevalence(parent: string, child: string, commandLine?: string): Promise<PrevalenceResponse> {
    return this.call('GET', '/prevalence', {
      query: { parent, child, command_line: commandLine },
    });
  }

  getSettings(): Promise<Settings> {
    return this.call('GET', '/settings');
  }

  updateSettings(patch: Partial<Settings>): Promise<Settings> {
    return this.call('PUT', '/settings', { body: patch });
  }

  listSuppressions(): Promise<SuppressionsResponse> {
    return this.call('GET', '/suppressions');
  }

  deleteSuppression(id: string): Promise<{ removed: string }> {
    return this.call('DELETE', `/suppressions/${enc(id)}`);
  }

  // Webhook notifications (standalone host; Kibana answers `available: false`).

  getNotificationSettings(): Promise<NotificationSettings> {
    return this.call('GET', '/notifications/settings');
  }

  updateNotificationSettings(patch: NotificationSettingsPatch): Promise<NotificationSettings> {
    return this.call('PUT', '/notifications/settings', { body: patch });
  }

  testNotification(): Promise<TestSendResponse> {
    return this.call('POST', '/notifications/_test', { body: {} });
  }

  listDeliveries(status?: DeliveryEntry['status']): Promise<DeliveriesResponse> {
    return this.call('GET', '/notifications/deliveries', { query: { status } });
  }

  retryDelivery(id: string): Promise<{ retried: string }> {
    return this.call('POST', `/notifications/deliveries/${enc(id)}/_retry`, { body: {} });
  }

  // Host-windows whose analysis failed (the id travels in the body: it holds "/" and "|").

  listQuarantine(): Promise<QuarantineResponse> {
    return this.call('GET', '/detection/quarantine');
  }

  retryQuarantine(id: string): Promise<{ item: QuarantinedHostWindow }> {
    return this.call('POST', '/detection/quarantine/_retry', { body: { id } });
  }

  dismissQuarantine(id: string): Promise<{ dismissed: string }> {
    return this.call('POST', '/detection/quarantine/_dismiss', { body: { id } });
  }
}
