/**
 * [Kibana glue] The server plugin: registers the feature, the detection-credentials saved object,
 * routes and the detection task in setup; start returns at once and finishes set-up (indices,
 * task scheduling, removal of tasks of an earlier partitioning) in the background with bounded
 * retries, its state visible in the detection status. Kibana aborts a plugin whose start promise
 * takes more than 10 s (plugins_system.ts), and a cluster that is still starting must not stop
 * Kibana from starting.
 */
import path from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { KIBANA_INDEX_NAMES } from '../common/constants';
import { kibanaAppUrl } from '../common/community_link';
import type { EdgeScorer } from '../common/types/scoring';
import type { ProblemChildConfig } from './config';
import { EcsAlertSink } from './alerts/ecs_alert_sink';
import { runDetectionJob } from './jobs/detection_job';
import { TfjsEdgeScorer } from './lib/model/scorer';
import type {
  DetectionAccess,
  Logger,
  Partition,
  RunReport,
  SetupStatus,
  Settings,
  Stores,
} from './ports';
import { ROUTES } from './routes';
import { EsStore } from './stores/elasticsearch/es_store';
import { type RetryPolicy, retryDelay, sleep } from './stores/elasticsearch/retry';
import type {
  AlertingSetup,
  CoreSetup,
  CoreStart,
  EncryptedSavedObjectsSetup,
  EncryptedSavedObjectsStart,
  FeaturesSetup,
  KibanaLogger,
  KibanaRequest,
  PluginInitializerContext,
  TaskManagerSetup,
  TaskManagerStart,
} from './kibana/contracts';
import {
  DetectionCredentials,
  KibanaDetectionAccess,
  registerDetectionCredentials,
} from './kibana/detection_access';
import { PROBLEM_CHILD_FEATURE } from './kibana/feature';
import { anomalousCommunityRuleType } from './kibana/alerting_rule_type';
import { registerKibanaRoutes } from './kibana/register_routes';
import { routeContextFactory } from './kibana/route_context';
import {
  type RunRange,
  type SkippedRun,
  registerDetectionTask,
  removeStaleDetectionTasks,
  scheduleDetectionTasks,
} from './kibana/register_tasks';
import { type AuthFailure, apiKeyAuthorization, observeAuthFailures } from './kibana/source_client';

export interface SetupDeps {
  taskManager: TaskManagerSetup;
  features: FeaturesSetup;
  /** Optional: without it (or without its encryption key) detection cannot be enabled. */
  encryptedSavedObjects?: EncryptedSavedObjectsSetup;
  /** Optional: with it, the "ProblemChild anomalous community" rule type is registered. */
  alerting?: AlertingSetup;
}

export interface StartDeps {
  taskManager: TaskManagerStart;
  encryptedSavedObjects?: EncryptedSavedObjectsStart;
}

/**
 * How start-up set-up is retried in the background: until it succeeds or Kibana stops, at most a
 * minute apart, so a cluster that comes up late (or a template an operator fixes) needs no
 * Kibana restart. Tests pass a bounded policy.
 */
export const DEFAULT_SETUP_RETRY: Required<Omit<RetryPolicy, 'minDelayMs'>> = {
  attempts: Number.POSITIVE_INFINITY,
  baseDelayMs: 2_000,
  maxDelayMs: 60_000,
};

/** Kibana compiles server code to CommonJS, where __dirname exists; models/ sits beside server/. */
function defaultModelDir(): string {
  const here = typeof __dirname === 'string' ? __dirname : path.join(process.cwd(), 'server');
  return path.join(here, '..', 'models', 'default');
}

function toLogger(log: KibanaLogger): Logger {
  return {
    debug: (m, meta) => log.debug(m, meta),
    info: (m, meta) => log.info(m, meta),
    warn: (m, meta) => log.warn(m, meta),
    error: (m, meta) => log.error(m, meta),
  };
}

const message = (e: unknown) => (e instanceof Error ? e.message.split('\n')[0]! : String(e));

/** A DetectionAccess whose Kibana services are resolved on first use (routes run after start). */
function lazyAccess(get: () => Promise<DetectionAccess>): DetectionAccess {
  return {
    status: async () => (await get()).status(),
    enable: async (user, indices) => (await get()).enable(user, indices),
    disable: async (user) => (await get()).disable(user),
  };
}

export class ProblemChildPlugin {
  private readonly logger: Logger;
  private readonly kibanaLogger: KibanaLogger;
  private readonly config: ProblemChildConfig;
  private taskManagerStart: TaskManagerStart | undefined;
  private readonly scorers = new Map<string, Promise<EdgeScorer>>();
  private canEncrypt = false;
  private setupState: SetupStatus = {
    state: 'pending',
    attempts: 0,
    updatedAt: new Date().toISOString(),
  };
  private setupDone: Promise<SetupStatus> | undefined;
  private readonly stopping = new AbortController();

  constructor(
    ctx: PluginInitializerContext<ProblemChildConfig>,
    private readonly modelDir = defaultModelDir(),
    private readonly setupRetry: RetryPolicy = DEFAULT_SETUP_RETRY,
  ) {
    this.kibanaLogger = ctx.logger.get();
    this.logger = toLogger(this.kibanaLogger);
    this.config = ctx.config.get();
  }

  private storeFor(own: unknown, source?: unknown): EsStore {
    return new EsStore({
      client: own as Client,
      sourceClient: source as Client | undefined,
      names: KIBANA_INDEX_NAMES,
      logger: this.logger,
      settingsDefaults: {
        threshold: this.config.threshold,
        interval: this.config.interval,
        lookback: this.config.lookback,
        prevalence_lookback: this.config.prevalenceLookback,
        indices: this.config.indices,
        score_source: this.config.scoreSource,
      },
    });
  }

  private scorer = (s: Settings): Promise<EdgeScorer> => {
    let p = this.scorers.get(s.score_source);
    if (!p) {
      p = TfjsEdgeScorer.load({ modelDir: this.modelDir, mode: s.score_source });
      this.scorers.set(s.score_source, p);
    }
    return p;
  };

  private credentialsFor(coreStart: CoreStart, plugins: StartDeps): DetectionCredentials {
    return new DetectionCredentials({
      core: coreStart,
      eso: plugins.encryptedSavedObjects,
      canEncrypt: this.canEncrypt,
      logger: this.logger,
    });
  }

  setup(core: CoreSetup<StartDeps>, deps: SetupDeps): Record<string, never> {
    if (!this.config.enabled) return {};
    deps.features.registerKibanaFeature(PROBLEM_CHILD_FEATURE);
    registerDetectionCredentials(core.savedObjects, deps.encryptedSavedObjects);
    this.canEncrypt = deps.encryptedSavedObjects?.canEncrypt === true;

    const accessFor = (request: KibanaRequest): DetectionAccess =>
      lazyAccess(async () => {
        const [coreStart, plugins] = await core.getStartServices();
        return new KibanaDetectionAccess(this.credentialsFor(coreStart, plugins), {
          core: coreStart,
          request,
          // The stored setting; kibana.yml's while the settings cannot be read (set-up pending).
          defaultIndices: () =>
            this.storeFor(coreStart.elasticsearch.client.asInternalUser)
              .settings.get()
              .then(
                (s) => s.indices,
                () => this.config.indices,
              ),
          logger: this.logger,
        });
      });

    registerKibanaRoutes(
      core.http.createRouter(),
      ROUTES,
      routeContextFactory({
        storesFor: ({ own, source }) => this.storeFor(own, source).stores,
        userName: async (request) =>
          (await core.getStartServices())[0].security.authc.getCurrentUser(request)?.username,
        taskManager: () => this.taskManagerStart,
        partitions: this.config.partitions,
        detectionAccess: accessFor,
        setupStatus: () => this.setupState,
        logger: this.logger,
      }),
      this.kibanaLogger,
    );

    // The rule type reads the plugin's own community index as Kibana's internal user.
    deps.alerting?.registerType(
      anomalousCommunityRuleType({
        communities: async () =>
          this.storeFor((await core.getStartServices())[0].elasticsearch.client.asInternalUser)
            .communities,
        publicBaseUrl: () => core.http.basePath?.publicBaseUrl,
      }),
    );

    registerDetectionTask(
      deps.taskManager,
      (partition, signal, range) => this.runPartition(core, partition, signal, range),
      { timeout: this.config.taskTimeout },
    );
    return {};
  }

  /**
   * One task run: reads source events with the detection key, writes with the internal user.
   * Without a key nothing runs; a key Elasticsearch refuses stops detection until re-enabled.
   */
  private async runPartition(
    core: CoreSetup<StartDeps>,
    partition: Partition,
    signal: AbortSignal,
    range?: RunRange,
  ): Promise<RunReport | SkippedRun> {
    const [coreStart, plugins] = await core.getStartServices();
    const credentials = this.credentialsFor(coreStart, plugins);
    let creds;
    try {
      creds = await credentials.decrypted();
    } catch (e) {
      const reason = `The stored detection key could not be decrypted (${message(e)}); was xpack.encryptedSavedObjects.encryptionKey changed?`;
      await credentials.markStopped(reason).catch(() => undefined);
      this.logger.error(reason);
      return { status: 'stopped', message: reason };
    }
    if (!creds) {
      const reason = 'detection is not enabled: no run until an administrator enables it';
      this.logger.debug(reason);
      return { status: 'not_enabled', message: reason };
    }
    if (creds.stoppedAt)
      return { status: 'stopped', message: creds.stoppedReason ?? 'detection stopped' };

    let refused: AuthFailure | undefined;
    const keyClient = coreStart.elasticsearch.client.asScoped({
      headers: { authorization: apiKeyAuthorization(creds.apiKeyId, creds.apiKey) },
    }).asCurrentUser as object;
    const source = observeAuthFailures(keyClient, (f) => (refused ??= f));
    const stores: Stores = this.storeFor(
      coreStart.elasticsearch.client.asInternalUser,
      source,
    ).stores;
    // Findings also become ECS alerts in logs-problemchild.alerts for Elastic Security, written
    // with the detection key (its role descriptor grants that index; docs/alerts.md). Not through
    // `source`: a refused write must fail the run, not read as a refused source index.
    const alerts = new EcsAlertSink({
      client: keyClient as Client,
      appUrl: () => kibanaAppUrl(core.http.basePath?.publicBaseUrl),
      logger: this.logger,
    });
    const report = await runDetectionJob(
      { stores, scorer: this.scorer, logger: this.logger, sinks: [alerts] },
      { partition, graphWindow: this.config.graphWindow, range },
      signal,
    );
    if (refused) {
      const reason =
        refused.status === 401
          ? 'Elasticsearch no longer accepts the detection API key (invalidated or expired).'
          : 'The detection API key may not read the source indices (Elasticsearch answered 403).';
      this.logger.warn(`detection stopped: ${reason}`, { error: refused.message });
      await credentials
        .markStopped(reason)
        .catch((e: unknown) =>
          this.logger.error('could not record that detection stopped', { error: message(e) }),
        );
    }
    return report;
  }

  start(core: CoreStart, deps: StartDeps): Record<string, never> {
    if (!this.config.enabled) return {};
    this.taskManagerStart = deps.taskManager;
    this.setupDone = this.finishSetup(core, deps.taskManager);
    return {};
  }

  /** Resolves when background set-up has succeeded, failed for good, or the plugin stopped. */
  whenSetUp(): Promise<SetupStatus> {
    return this.setupDone ?? Promise.resolve(this.setupState);
  }

  private async finishSetup(core: CoreStart, tm: TaskManagerStart): Promise<SetupStatus> {
    const attempts = Math.max(1, this.setupRetry.attempts ?? DEFAULT_SETUP_RETRY.attempts);
    let reason: string | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.stopping.signal.aborted) break;
      this.setupState = {
        state: 'pending',
        attempts: attempt,
        ...(reason ? { reason } : {}),
        updatedAt: new Date().toISOString(),
      };
      let step = 'creating the plugin indices';
      try {
        await this.storeFor(core.elasticsearch.client.asInternalUser).setup();
        step = 'scheduling the detection tasks';
        await scheduleDetectionTasks(tm, {
          interval: this.config.interval,
          partitions: this.config.partitions,
        });
        step = 'removing detection tasks of an earlier partitioning';
        const removed = await removeStaleDetectionTasks(tm, this.config.partitions);
        if (removed.length) this.logger.info('removed stale detection tasks', { removed });
        this.setupState = {
          state: 'ready',
          attempts: attempt,
          updatedAt: new Date().toISOString(),
        };
        return this.setupState;
      } catch (e) {
        reason = `${step} failed: ${message(e)}`;
        this.logger.warn(`ProblemChild set-up attempt ${attempt} of ${attempts}: ${reason}`);
      }
      if (attempt < attempts) {
        try {
          await sleep(retryDelay(attempt - 1, this.setupRetry), this.stopping.signal);
        } catch {
          break;
        }
      }
    }
    this.setupState = {
      state: 'failed',
      attempts: this.setupState.attempts,
      reason: this.stopping.signal.aborted ? 'Kibana is stopping' : (reason ?? 'unknown'),
      updatedAt: new Date().toISOString(),
    };
    if (!this.stopping.signal.aborted)
      this.logger.error(`ProblemChild set-up gave up; restart Kibana to retry: ${reason}`);
    return this.setupState;
  }

  stop(): void {
    this.stopping.abort();
  }
}
