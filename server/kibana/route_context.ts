/**
 * [Kibana glue] What a route handler gets for one request. Its stores are built on the
 * request-scoped Elasticsearch client (`asCurrentUser`), so the analyst's own index privileges
 * decide what they may read and change, reads and triage alike, and Elasticsearch's audit log
 * names them. Only the background detection task runs as the internal user (register_tasks).
 */
import type { Logger, Stores } from '../ports';
import type { RouteContext } from '../routes/route_types';
import type { KibanaRequest, RequestHandlerContext, TaskManagerStart } from './contracts';

export interface RouteContextDeps {
  /** Stores on the given Elasticsearch client. */
  storesFor(client: unknown): Stores;
  /** The authenticated user's name, when the security plugin is there to say. */
  userName(request: KibanaRequest): string | undefined;
  /** Task Manager's start contract once Kibana has started. */
  taskManager(): TaskManagerStart | undefined;
  /** The detection task instances, one per partition. */
  taskIds(): string[];
  logger: Logger;
}

export function routeContextFactory(
  deps: RouteContextDeps,
): (context: RequestHandlerContext, request: KibanaRequest) => Promise<RouteContext> {
  return async (context, request) => {
    const es = (await context.core).elasticsearch.client;
    return {
      stores: deps.storesFor(es.asCurrentUser),
      user: deps.userName(request) ?? 'unknown',
      logger: deps.logger,
      // Run-now asks Task Manager to run the task sooner; the run itself is the internal user's.
      runDetection: async () => {
        const tm = deps.taskManager();
        if (!tm) return { started: false, message: 'Task Manager is not started yet' };
        const ids = deps.taskIds();
        await Promise.all(ids.map((id) => tm.runSoon(id)));
        return { started: true, message: `detection run requested for ${ids.length} partition(s)` };
      },
      nextRunAt: async () => {
        const tm = deps.taskManager();
        const first = deps.taskIds()[0];
        if (!tm || first === undefined) return undefined;
        const task = await tm.get(first).catch(() => undefined);
        return task ? new Date(task.runAt).toISOString() : undefined;
      },
    };
  };
}
