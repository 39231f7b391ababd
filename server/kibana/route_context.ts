/**
 * [Kibana glue] What a route handler gets for one request.
 *
 * The plugin's own indices (`.kibana-problem-child-*`) are read and written with Kibana's
 * internal user: analysts hold no privileges on them, and every route already requires a
 * privilege of our feature, which is the gate. Raw source events (a community's events, the
 * prevalence lookups) are read with the request's `asCurrentUser`, so an analyst only ever sees
 * raw events their own index privileges allow. The detection task reads source events with the
 * detection API key instead (plugin.ts).
 */
import { taskId } from '../../common/constants';
import type { DetectionAccess, Logger, SetupStatus, Stores } from '../ports';
import type { RouteContext } from '../routes/route_types';
import type { KibanaRequest, RequestHandlerContext, TaskManagerStart } from './contracts';
import { requestDetectionRun } from './run_now';
import { discoverForRequest } from './saved_search';

export interface RouteContextDeps {
  /** Stores on the plugin-index client and the source-event client. */
  storesFor(clients: { own: unknown; source: unknown }): Stores;
  /** The authenticated user's name (core.security.authc.getCurrentUser). */
  userName(request: KibanaRequest): Promise<string | undefined>;
  /** Task Manager's start contract once Kibana has started. */
  taskManager(): TaskManagerStart | undefined;
  /** Detection task instances: one per partition. */
  partitions: number;
  /** Detection access as seen by (and acting for) this request's user. */
  detectionAccess(request: KibanaRequest): DetectionAccess;
  setupStatus(): SetupStatus;
  logger: Logger;
}

export function routeContextFactory(
  deps: RouteContextDeps,
): (context: RequestHandlerContext, request: KibanaRequest) => Promise<RouteContext> {
  return async (context, request) => {
    const es = (await context.core).elasticsearch.client;
    const detectionAccess = deps.detectionAccess(request);
    return {
      stores: deps.storesFor({ own: es.asInternalUser, source: es.asCurrentUser }),
      user: (await deps.userName(request)) ?? 'unknown',
      logger: deps.logger,
      detectionAccess,
      setupStatus: deps.setupStatus,
      // Discover drill-down: saved objects on the request's own client, in the caller's space.
      discover: discoverForRequest(context),
      runDetection: async (range) => {
        // A run without access reads nothing: say so instead of queueing an empty run.
        const access = await detectionAccess.status();
        if (access.state !== 'enabled')
          return { started: false, statusCode: 409, message: access.reason ?? access.state };
        const tm = deps.taskManager();
        if (!tm) return { started: false, statusCode: 409, message: 'Kibana is still starting' };
        return requestDetectionRun(tm, { partitions: deps.partitions, range, logger: deps.logger });
      },
      nextRunAt: async () => {
        const tm = deps.taskManager();
        if (!tm) return undefined;
        const times = await Promise.all(
          Array.from({ length: deps.partitions }, (_, i) =>
            tm
              .get(taskId(i, deps.partitions))
              .then((t) => new Date(t.runAt).getTime())
              .catch(() => NaN),
          ),
        );
        const first = Math.min(...times.filter((t) => !Number.isNaN(t)));
        return Number.isFinite(first) ? new Date(first).toISOString() : undefined;
      },
    };
  };
}
