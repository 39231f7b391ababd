/**
 * [Kibana glue] The server plugin: registers the feature, routes and detection task in setup;
 * sets up indices and schedules the task in start. Everything it wires is host-neutral code.
 */
import path from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import type { EdgeScorer } from '../common/types/scoring';
import type { ProblemChildConfig } from './config';
import { runDetectionJob } from './jobs/detection_job';
import { TfjsEdgeScorer } from './lib/model/scorer';
import type { Logger, Partition, Settings } from './ports';
import { ROUTES } from './routes';
import { EsStore } from './stores/elasticsearch/es_store';
import type {
  CoreSetup,
  CoreStart,
  FeaturesSetup,
  KibanaLogger,
  PluginInitializerContext,
  TaskManagerSetup,
  TaskManagerStart,
} from './kibana/contracts';
import { PROBLEM_CHILD_FEATURE } from './kibana/feature';
import { registerKibanaRoutes } from './kibana/register_routes';
import { routeContextFactory } from './kibana/route_context';
import { registerDetectionTask, scheduleDetectionTasks } from './kibana/register_tasks';
import { taskId } from '../common/constants';

export interface SetupDeps {
  taskManager: TaskManagerSetup;
  features: FeaturesSetup;
  security?: { authc: { getCurrentUser(request: unknown): { username: string } | null } };
}

export interface StartDeps {
  taskManager: TaskManagerStart;
}

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

export class ProblemChildPlugin {
  private readonly logger: Logger;
  private readonly kibanaLogger: KibanaLogger;
  private readonly config: ProblemChildConfig;
  private taskManagerStart: TaskManagerStart | undefined;
  private readonly scorers = new Map<string, Promise<EdgeScorer>>();

  constructor(
    ctx: PluginInitializerContext<ProblemChildConfig>,
    private readonly modelDir = defaultModelDir(),
  ) {
    this.kibanaLogger = ctx.logger.get();
    this.logger = toLogger(this.kibanaLogger);
    this.config = ctx.config.get();
  }

  private storeFor(client: unknown): EsStore {
    return new EsStore({
      client: client as Client,
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

  private taskIds(): string[] {
    return Array.from({ length: this.config.partitions }, (_, i) =>
      taskId(i, this.config.partitions),
    );
  }

  setup(core: CoreSetup<StartDeps>, deps: SetupDeps): Record<string, never> {
    if (!this.config.enabled) return {};
    deps.features.registerKibanaFeature(PROBLEM_CHILD_FEATURE);

    registerKibanaRoutes(
      core.http.createRouter(),
      ROUTES,
      routeContextFactory({
        storesFor: (client) => this.storeFor(client).stores,
        userName: (request) => deps.security?.authc.getCurrentUser(request)?.username,
        taskManager: () => this.taskManagerStart,
        taskIds: () => this.taskIds(),
        logger: this.logger,
      }),
      this.kibanaLogger,
    );

    registerDetectionTask(
      deps.taskManager,
      async (partition: Partition, signal: AbortSignal) => {
        const [coreStart] = await core.getStartServices();
        const stores = this.storeFor(coreStart.elasticsearch.client.asInternalUser).stores;
        return runDetectionJob(
          { stores, scorer: this.scorer, logger: this.logger },
          { partition, graphWindow: this.config.graphWindow },
          signal,
        );
      },
      { timeout: this.config.taskTimeout },
    );
    return {};
  }

  async start(core: CoreStart, deps: StartDeps): Promise<Record<string, never>> {
    if (!this.config.enabled) return {};
    this.taskManagerStart = deps.taskManager;
    try {
      await this.storeFor(core.elasticsearch.client.asInternalUser).setup();
      await scheduleDetectionTasks(deps.taskManager, {
        interval: this.config.interval,
        partitions: this.config.partitions,
      });
    } catch (e) {
      // A cluster that is not ready must not stop Kibana from starting; the task retries setup.
      this.logger.error(
        `ProblemChild start-up failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    return {};
  }

  stop(): void {}
}
