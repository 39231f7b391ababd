/**
 * Every port of server/ports.ts on Elasticsearch: events and prevalence read the configured event
 * indices, everything the product writes lives in its own two indices (see indices.ts).
 *
 * Two clients, because the two kinds of index need different credentials on a secured cluster:
 * `client` for the store's own indices and `sourceClient` for reading source events (events and
 * prevalence). In Kibana the own indices are `.kibana-problem-child-*` on `asInternalUser`; source
 * events are read with the request's `asCurrentUser` in routes (an analyst sees only the raw
 * events they may read) and with the detection API key in the task. `setup()` is idempotent and
 * safe on several nodes at once.
 */
import type { Client } from '@elastic/elasticsearch';
import type { Logger, Settings, Stores } from '../../ports';
import { EsCommunityStore } from './community_store';
import { EsEventSource } from './event_source';
import {
  DEFAULT_INDEX_NAMES,
  type EsCapabilities,
  type EsIndexNames,
  deleteIndices,
  ensureIndices,
} from './indices';
import { EsNotificationOutbox } from './notification_outbox';
import { EsPrevalenceProvider } from './prevalence';
import type { RetryPolicy } from './retry';
import {
  DEFAULT_SETTINGS,
  EsJobStateStore,
  EsSettingsStore,
  EsSuppressionStore,
  type Refresh,
  type StateCtx,
} from './state_store';

export interface EsStoreOptions {
  /** The store's own indices (communities, state): created, read and written with it. */
  client: Client;
  /** Reads source event indices (events and prevalence); `client` when absent. */
  sourceClient?: Client;
  names?: EsIndexNames;
  logger?: Logger;
  /** Overrides of the built-in setting defaults (stored settings still win). */
  settingsDefaults?: Partial<Settings>;
  /** Refresh after writes so the next read sees them (default true; 'wait_for' is gentler on busy clusters). */
  refresh?: Refresh;
  /** Hits per page when reading events (default 2,000). */
  eventPageSize?: number;
  /** Composite buckets per prevalence request (default 20,000, halved when a page is too large). */
  prevalencePageSize?: number;
  /** Distinct raw command lines the prevalence table reads at most (default 1,000,000). */
  maxCommandLineBuckets?: number;
  /** Retries of requests the cluster refused (429/5xx) or never answered (default: retry.ts). */
  retry?: RetryPolicy;
}

export class EsStore implements Stores {
  readonly events: EsEventSource;
  readonly prevalence: EsPrevalenceProvider;
  readonly communities: EsCommunityStore;
  readonly suppressions: EsSuppressionStore;
  readonly state: EsJobStateStore;
  readonly settings: EsSettingsStore;
  readonly notifications: EsNotificationOutbox;
  readonly names: EsIndexNames;

  constructor(private readonly opts: EsStoreOptions) {
    const { client, logger, retry } = opts;
    const sourceClient = opts.sourceClient ?? client;
    this.names = opts.names ?? DEFAULT_INDEX_NAMES;
    const refresh = opts.refresh ?? true;
    const state: StateCtx = { client, index: this.names.state, logger, refresh, retry };
    this.settings = new EsSettingsStore(state, { ...DEFAULT_SETTINGS, ...opts.settingsDefaults });
    // Event indices come from the settings at every read, so a change applies to the next run.
    const indices = async () => (await this.settings.get()).indices;
    this.events = new EsEventSource({
      client: sourceClient,
      logger,
      indices,
      pageSize: opts.eventPageSize,
      retry,
    });
    this.prevalence = new EsPrevalenceProvider({
      client: sourceClient,
      logger,
      indices,
      pageSize: opts.prevalencePageSize,
      maxCommandLineBuckets: opts.maxCommandLineBuckets,
      retry,
    });
    this.communities = new EsCommunityStore({
      client,
      index: this.names.communities,
      logger,
      refresh,
      retry,
    });
    this.suppressions = new EsSuppressionStore(state);
    this.state = new EsJobStateStore(state);
    this.notifications = new EsNotificationOutbox(state);
  }

  /** Templates and indices (idempotent): call from plugin start / standalone start. */
  setup(): Promise<EsCapabilities> {
    return ensureIndices(this.opts.client, { names: this.names, logger: this.opts.logger });
  }

  /** Deletes the store's own indices and templates (tests, uninstall). Event indices are untouched. */
  destroy(): Promise<void> {
    return deleteIndices(this.opts.client, this.names);
  }

  /** The ports alone, for code that must not see setup or destroy. */
  get stores(): Stores {
    return {
      events: this.events,
      prevalence: this.prevalence,
      communities: this.communities,
      suppressions: this.suppressions,
      state: this.state,
      settings: this.settings,
      notifications: this.notifications,
    };
  }
}

export async function openEsStore(opts: EsStoreOptions): Promise<EsStore> {
  const store = new EsStore(opts);
  await store.setup();
  return store;
}
