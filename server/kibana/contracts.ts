/**
 * The slices of Kibana's plugin contracts this plugin touches, written out structurally because
 * no @kbn/* package is published. Shapes follow Kibana 9.x (see the notes cited in README):
 * routes via `router.versioned`, Task Manager `registerTaskDefinitions` / `ensureScheduled` /
 * `runSoon`, features `registerKibanaFeature`. Only files in this folder, plugin.ts, index.ts and
 * config.ts use them.
 */

export interface KibanaLogger {
  debug(m: string, meta?: unknown): void;
  info(m: string, meta?: unknown): void;
  warn(m: string, meta?: unknown): void;
  error(m: string | Error, meta?: unknown): void;
  get(...path: string[]): KibanaLogger;
}

export interface PluginInitializerContext<C> {
  logger: { get(...path: string[]): KibanaLogger };
  config: { get(): C };
}

/** `(data, {ok, badRequest})` validators are accepted by Kibana's router since 7.x. */
export type RouteValidationFunction<T> = (
  data: unknown,
  validationResult: {
    ok(value: T): { value: T; error?: undefined };
    badRequest(error: Error | string, path?: string[]): { value?: undefined; error: Error };
  },
) => { value: T; error?: undefined } | { value?: undefined; error: Error };

export interface KibanaRequest {
  params: unknown;
  query: unknown;
  body: unknown;
  auth?: { isAuthenticated: boolean };
}

export interface KibanaResponse {
  status: number;
  payload?: unknown;
}

export interface KibanaResponseFactory {
  ok(opts: { body: unknown }): KibanaResponse;
  /** Any status; Kibana's `customError` throws (and the client gets a 500) below 400. */
  custom(opts: { statusCode: number; body: unknown }): KibanaResponse;
  customError(opts: {
    statusCode: number;
    body: { message: string; attributes?: unknown };
  }): KibanaResponse;
}

export interface ScopedEsClient {
  asCurrentUser: unknown;
  asInternalUser: unknown;
}

export interface RequestHandlerContext {
  core: Promise<{ elasticsearch: { client: ScopedEsClient } }>;
}

export type RequestHandler = (
  context: RequestHandlerContext,
  request: KibanaRequest,
  response: KibanaResponseFactory,
) => Promise<KibanaResponse>;

export interface VersionedRouteConfig {
  path: string;
  access: 'internal' | 'public';
  security: {
    authz: { requiredPrivileges: string[] } | { enabled: false; reason: string };
  };
}

export interface VersionedRoute {
  addVersion(
    options: {
      version: string;
      validate: {
        request: {
          params?: RouteValidationFunction<unknown>;
          query?: RouteValidationFunction<unknown>;
          body?: RouteValidationFunction<unknown>;
        };
      };
    },
    handler: RequestHandler,
  ): VersionedRoute;
}

export interface VersionedRouter {
  get(config: VersionedRouteConfig): VersionedRoute;
  post(config: VersionedRouteConfig): VersionedRoute;
  put(config: VersionedRouteConfig): VersionedRoute;
  delete(config: VersionedRouteConfig): VersionedRoute;
}

export interface IRouter {
  versioned: VersionedRouter;
}

export interface TaskInstance {
  id?: string;
  params: Record<string, unknown>;
  state: Record<string, unknown>;
}

export interface TaskRunner {
  run(): Promise<{ state: Record<string, unknown> } | void>;
  cancel?(): Promise<void>;
}

export interface TaskDefinition {
  title: string;
  description?: string;
  timeout?: string;
  maxAttempts?: number;
  maxConcurrency?: number;
  createTaskRunner(context: { taskInstance: TaskInstance; signal?: AbortSignal }): TaskRunner;
}

export interface TaskManagerSetup {
  registerTaskDefinitions(defs: Record<string, TaskDefinition>): void;
}

export interface TaskManagerStart {
  ensureScheduled(task: {
    id: string;
    taskType: string;
    schedule: { interval: string };
    params: Record<string, unknown>;
    state: Record<string, unknown>;
    scope?: string[];
  }): Promise<unknown>;
  runSoon(id: string): Promise<unknown>;
  get(id: string): Promise<{ runAt: Date | string; status?: string }>;
}

export interface KibanaFeatureConfig {
  id: string;
  name: string;
  category: { id: string; label: string };
  app: string[];
  privileges: {
    all: {
      app: string[];
      api: string[];
      ui: string[];
      savedObject: { all: string[]; read: string[] };
    };
    read: {
      app: string[];
      api: string[];
      ui: string[];
      savedObject: { all: string[]; read: string[] };
    };
  };
}

export interface FeaturesSetup {
  registerKibanaFeature(feature: KibanaFeatureConfig): void;
}

export interface CoreSetup<TStart = unknown> {
  http: { createRouter(): IRouter };
  getStartServices(): Promise<[{ elasticsearch: { client: ScopedEsClient } }, TStart, unknown]>;
}

export interface CoreStart {
  elasticsearch: { client: ScopedEsClient };
}
