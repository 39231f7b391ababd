/**
 * The slices of Kibana's server contracts this plugin touches, written out structurally because
 * no @kbn/* package is published. Only files in this folder, plugin.ts, index.ts and config.ts
 * use them. Each interface names the elastic/kibana file it mirrors and the commit read (the
 * search index holds one commit per file, not the v9.3.2 tag; where the 9.3 line differs from
 * that commit it is said). Fakes of these contracts in tests must follow the same sources.
 */

/** src/platform/packages/shared/kbn-logging/src/logger.ts Logger (`get` for child loggers). */
export interface KibanaLogger {
  debug(m: string, meta?: unknown): void;
  info(m: string, meta?: unknown): void;
  warn(m: string, meta?: unknown): void;
  error(m: string | Error, meta?: unknown): void;
  get(...path: string[]): KibanaLogger;
}

/** src/core/packages/plugins/server/src/types.ts PluginInitializerContext (logger, config.get). */
export interface PluginInitializerContext<C> {
  logger: { get(...path: string[]): KibanaLogger };
  config: { get(): C };
}

/**
 * src/core/packages/http/server/src/router/route_validator.ts: `(data, {ok, badRequest})`
 * function validators, accepted by Kibana's router since 7.x.
 */
export type RouteValidationFunction<T> = (
  data: unknown,
  validationResult: {
    ok(value: T): { value: T; error?: undefined };
    badRequest(error: Error | string, path?: string[]): { value?: undefined; error: Error };
  },
) => { value: T; error?: undefined } | { value?: undefined; error: Error };

/**
 * src/core/packages/http/server/src/router/request.ts KibanaRequest: the validated params,
 * query and body; the object itself is what core.security and asScoped take.
 */
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

/** src/core/packages/http/server/src/router/response_factory.ts (the parts used). */
export interface KibanaResponseFactory {
  ok(opts: { body: unknown }): KibanaResponse;
  /** Any status; Kibana's `customError` throws (and the client gets a 500) below 400. */
  custom(opts: { statusCode: number; body: unknown }): KibanaResponse;
  customError(opts: {
    statusCode: number;
    body: { message: string; attributes?: unknown };
  }): KibanaResponse;
}

/**
 * src/core/packages/elasticsearch/server/src/client/scopeable_request.ts: `asScoped` takes a
 * KibanaRequest or a FakeRequest `{ headers }` whose `authorization` header authenticates the
 * calls (how the detection task uses its API key).
 */
export interface FakeRequest {
  headers: Record<string, string>;
}

/** src/core/packages/elasticsearch/server/src/client/scoped_cluster_client.ts. */
export interface ScopedEsClient {
  asCurrentUser: unknown;
  asInternalUser: unknown;
}

/** src/core/packages/elasticsearch/server/src/client/cluster_client.ts IClusterClient. */
export interface ClusterClient {
  asInternalUser: unknown;
  asScoped(request: KibanaRequest | FakeRequest): ScopedEsClient;
}

export interface RequestHandlerContext {
  core: Promise<{ elasticsearch: { client: ScopedEsClient } }>;
}

export type RequestHandler = (
  context: RequestHandlerContext,
  request: KibanaRequest,
  response: KibanaResponseFactory,
) => Promise<KibanaResponse>;

/**
 * src/core/packages/http/server/src/versioning/types.ts; `security.authz` is required on every
 * route (src/core/packages/http/router-server-internal/src/security_route_config_validator.ts).
 */
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

/**
 * x-pack/platform/plugins/shared/task_manager/server/task.ts TaskInstance /
 * ConcreteTaskInstance (@020a42515d7dc778e79812d30bfceed86a4a3b30): `status` is one of idle,
 * claiming, running, failed, should_delete, unrecognized, dead_letter.
 */
export interface TaskInstance {
  id?: string;
  taskType?: string;
  params: Record<string, unknown>;
  state: Record<string, unknown>;
  status?: string;
  runAt?: Date | string;
}

/** task.ts RunResult: the state handed to the next run. */
export interface TaskRunner {
  run(): Promise<{ state: Record<string, unknown> } | void>;
  cancel?(): Promise<void>;
}

/**
 * task.ts RunContext. What aborts a run differs by version: 8.x passes neither
 * (@ba562bc342256b6be9c47ddb9f5294d68380412e: `{ taskInstance }` only, cancel() on timeout);
 * 9.x from 2025-08 (9.3 included) passes `abortController`; main passes `signal`
 * (@020a42515d7dc778e79812d30bfceed86a4a3b30). The runner accepts all three.
 */
export interface TaskRunContext {
  taskInstance: TaskInstance;
  signal?: AbortSignal;
  abortController?: AbortController;
}

/** task.ts TaskDefinition (taskDefinitionSchema plus createTaskRunner). */
export interface TaskDefinition {
  title: string;
  description?: string;
  timeout?: string;
  maxAttempts?: number;
  maxConcurrency?: number;
  createTaskRunner(context: TaskRunContext): TaskRunner;
}

/** task_manager/server/plugin.ts TaskManagerSetupContract (@07670c19e9215cedc2074b34e68cb15c7c7bb443). */
export interface TaskManagerSetup {
  registerTaskDefinitions(defs: Record<string, TaskDefinition>): void;
}

/**
 * task_manager/server/plugin.ts TaskManagerStartContract (@07670c19e…): TaskScheduling's
 * schedule / runSoon / ensureScheduled (task_scheduling.ts @0086c4b627f24a254edaa731e7439c87f1d4c164)
 * and TaskStore's fetch / get / removeIfExists (task_store.ts @0098ca24d0be64e46c0fba5094394487fe0f46a1,
 * lib/remove_if_exists.ts @1892a8d751518a6e8e8d50fcc8c81b2c44102f9a).
 *
 * runSoon throws TaskAlreadyRunningError ("Failed to run task "<id>" as it is currently running",
 * lib/errors/task_already_running_error.ts @76136a3e34f08b90fd90ff81adbd6cb507a7b860; a plain
 * Error with the same words on 8.x) while the task is claiming or running, and the saved-objects
 * not-found error (a Boom error, `output.statusCode` 404) for an unknown id. `schedule` with an id
 * that exists fails with a saved-objects conflict (409). The classes are Kibana's: callers
 * classify by message and status, never with instanceof.
 */
export interface TaskManagerStart {
  ensureScheduled(task: {
    id: string;
    taskType: string;
    schedule: { interval: string };
    params: Record<string, unknown>;
    state: Record<string, unknown>;
    scope?: string[];
  }): Promise<unknown>;
  schedule(task: {
    id?: string;
    taskType: string;
    params: Record<string, unknown>;
    state: Record<string, unknown>;
    scope?: string[];
  }): Promise<unknown>;
  runSoon(id: string): Promise<unknown>;
  get(id: string): Promise<{ id?: string; runAt: Date | string; status?: string }>;
  /** SearchOpts: `query` over the task index (`task.taskType`, …) and `size`. */
  fetch(opts: {
    query?: Record<string, unknown>;
    size?: number;
  }): Promise<{ docs: { id: string; taskType?: string; status?: string }[] }>;
  removeIfExists(id: string): Promise<void>;
}

/**
 * x-pack/platform/plugins/shared/features/common/kibana_feature.ts KibanaFeatureConfig
 * (@25d6d3ae082575be4497ed0858c815e9a8b9fb0f). KibanaFeatureScope is an enum with the string
 * values 'security' (role privileges) and 'spaces' (the Spaces feature visibility toggles);
 * without `scope` a feature is security-only.
 */
export interface KibanaFeatureConfig {
  id: string;
  name: string;
  category: { id: string; label: string };
  scope?: readonly ('security' | 'spaces')[];
  app: string[];
  /** Rule types the feature grants access to (features/common/kibana_feature.ts `alerting`). */
  alerting?: AlertingKibanaPrivilege;
  privileges: {
    all: {
      app: string[];
      api: string[];
      ui: string[];
      savedObject: { all: string[]; read: string[] };
      alerting?: FeatureAlertingPrivileges;
    };
    read: {
      app: string[];
      api: string[];
      ui: string[];
      savedObject: { all: string[]; read: string[] };
      alerting?: FeatureAlertingPrivileges;
    };
  };
}

/**
 * x-pack/platform/plugins/shared/features/common/alerting_kibana_privilege.ts
 * AlertingKibanaPrivilege: rule type ids with the consumers a privilege covers.
 */
export type AlertingKibanaPrivilege = ReadonlyArray<{
  ruleTypeId: string;
  consumers: readonly string[];
}>;

/**
 * x-pack/platform/plugins/shared/features/common/feature_kibana_privileges.ts
 * (@9e98c9d426b3d3e6f4e1bdeea72275c9d1b94cca) FeatureKibanaPrivileges.alerting.
 */
export interface FeatureAlertingPrivileges {
  rule?: { all?: AlertingKibanaPrivilege; read?: AlertingKibanaPrivilege };
  alert?: { all?: AlertingKibanaPrivilege; read?: AlertingKibanaPrivilege };
}

export interface FeaturesSetup {
  registerKibanaFeature(feature: KibanaFeatureConfig): void;
}

/**
 * src/core/packages/saved-objects/server/src/saved_objects_type.ts SavedObjectsType (the fields
 * used); registration is checked by base-server-internal/src/saved_objects_type_registry.ts
 * (@0f49911453b27b624c0ee2842d1d3497ef2cf09e).
 */
export interface SavedObjectsType {
  name: string;
  hidden: boolean;
  namespaceType: 'agnostic' | 'single' | 'multiple' | 'multiple-isolated';
  mappings: { dynamic: false | 'strict'; properties: Record<string, unknown> };
  management?: { importableAndExportable: boolean };
}

/** A saved object as the repository returns it. */
export interface SavedObject<A> {
  id: string;
  type: string;
  attributes: A;
}

/**
 * src/core/packages/saved-objects/api-server/src/saved_objects_client.ts (the methods used).
 * Errors are Boom errors: `output.statusCode` 404 for a missing object.
 */
export interface SavedObjectsClientContract {
  create<A>(
    type: string,
    attributes: A,
    options: { id: string; overwrite: boolean },
  ): Promise<SavedObject<A>>;
  get<A>(type: string, id: string): Promise<SavedObject<A>>;
  update<A>(type: string, id: string, attributes: Partial<A>): Promise<unknown>;
  delete(type: string, id: string): Promise<unknown>;
}

/**
 * src/core/packages/saved-objects/server-internal/src/saved_objects_service.ts
 * (@00dc6f5ffa263670d2bcd1bcb14a9d76305ba472). `getScopedClient(request, { excludedExtensions:
 * ['security'] })` (SECURITY_EXTENSION_ID = 'security') writes as Kibana's internal user with
 * the encryption extension applied, the way alerting, actions and fleet store API keys;
 * `createInternalRepository` has no extensions: it reads and updates non-secret attributes.
 */
export interface SavedObjectsServiceStart {
  getScopedClient(
    request: KibanaRequest,
    options: { includedHiddenTypes?: string[]; excludedExtensions?: string[] },
  ): SavedObjectsClientContract;
  createInternalRepository(includedHiddenTypes?: string[]): SavedObjectsClientContract;
}

/**
 * src/core/packages/security/server/src/authentication/api_keys/api_keys.ts
 * (@0b22416ad53d8a6445c90313c7a755c6437f59cc): grantAsInternalUser grants a key for the user of
 * the request (limited to the intersection of that user's rights and `role_descriptors`) and
 * answers null when API keys are disabled; invalidateAsInternalUser({ ids }).
 */
export interface ApiKeysService {
  grantAsInternalUser(
    request: KibanaRequest,
    params: {
      name: string;
      role_descriptors: Record<string, unknown>;
      metadata?: Record<string, unknown>;
      expiration?: string;
    },
  ): Promise<{ id: string; name: string; api_key: string } | null>;
  invalidateAsInternalUser(params: { ids: string[] }): Promise<{
    invalidated_api_keys: string[];
    previously_invalidated_api_keys: string[];
    error_count: number;
  } | null>;
}

/**
 * src/core/packages/security/server/src/authc.ts CoreAuthenticationService
 * (@0f3736063368c8a7bde4b4b56516d6f35caa254c): the current user comes from core, not from the
 * security plugin's deprecated authc.
 */
export interface CoreSecurityStart {
  authc: {
    getCurrentUser(request: KibanaRequest): { username: string } | null;
    apiKeys: ApiKeysService;
  };
}

/**
 * x-pack/platform/plugins/shared/encrypted_saved_objects/server/plugin.ts
 * (@1dffeba6124f4c40243fbccc304b16f08d900173): `canEncrypt` is false unless
 * `xpack.encryptedSavedObjects.encryptionKey` is set; registerType takes the attributes to
 * encrypt (crypto/encrypted_saved_objects_service.ts). No attribute is in the AAD unless listed
 * in `attributesToIncludeInAAD` (9.x), so non-secret attributes may be updated on their own.
 */
export interface EncryptedSavedObjectsSetup {
  canEncrypt: boolean;
  registerType(registration: {
    type: string;
    attributesToEncrypt: ReadonlySet<string>;
    attributesToIncludeInAAD?: ReadonlySet<string>;
  }): void;
}

/**
 * encrypted_saved_objects/server/saved_objects/index.ts (@3825a338b2e8a00a67aa6c2ddc30160e8237a2ba):
 * getClient({ includedHiddenTypes }).getDecryptedAsInternalUser(type, id).
 */
export interface EncryptedSavedObjectsStart {
  getClient(options?: { includedHiddenTypes?: string[] }): {
    getDecryptedAsInternalUser<A>(type: string, id: string): Promise<SavedObject<A>>;
  };
}

/** src/core/packages/lifecycle/server/src/core_setup.ts CoreSetup (the services used). */
export interface CoreSetup<TStart = unknown> {
  /** basePath.publicBaseUrl: server.publicBaseUrl (http/base_path_service), when configured. */
  http: { createRouter(): IRouter; basePath?: { publicBaseUrl?: string } };
  savedObjects: { registerType(type: SavedObjectsType): void };
  getStartServices(): Promise<[CoreStart, TStart, unknown]>;
}

/**
 * src/core/packages/lifecycle/server/src/core_start.ts (@e2971c753e843a4efb6e0d48f12e1283aa933c62)
 * CoreStart (the services used); `security` is core's own service in 9.x.
 */
export interface CoreStart {
  elasticsearch: { client: ClusterClient };
  savedObjects: SavedObjectsServiceStart;
  security: CoreSecurityStart;
}

// ---------------------------------------------------------------------------------------------
// Alerting (optional plugin `alerting`): the slices of its contracts the rule type uses.
// x-pack/platform/plugins/shared/alerting/server/types.ts (@03e79409d866616c68b231c63c1f25daa6060fdd)
// RuleType, RuleExecutorOptions, RuleExecutorServices; alerts_client/types.ts
// (@023dbe9a5732a251d589a468e6e35f1802afa8b7) PublicAlertsClient.report / ReportedAlert;
// alert/alert.ts Alert.scheduleActions; plugin.ts AlertingServerSetup.registerType.

export type AlertContext = Record<string, unknown>;

/** alerts_client/types.ts PublicAlertsClient (the part used). */
export interface PublicAlertsClient {
  report(alert: {
    id: string;
    actionGroup: string;
    state?: Record<string, unknown>;
    context?: AlertContext;
    payload?: Record<string, unknown>;
  }): { uuid: string; start: string | null };
}

/** alert/create_alert_factory.ts PublicAlertFactory (deprecated path, used when no alertsClient). */
export interface PublicAlertFactory {
  create(id: string): { scheduleActions(actionGroup: string, context?: AlertContext): unknown };
}

export interface RuleExecutorOptions<P, S> {
  executionId: string;
  params: P;
  state: S;
  startedAt: Date;
  previousStartedAt: Date | null;
  spaceId: string;
  rule: { id: string; name: string; tags?: string[] };
  services: {
    /** Only when the rule type registers `alerts` with shouldWrite (we do). */
    alertsClient: PublicAlertsClient | null;
    alertFactory: PublicAlertFactory;
    shouldStopExecution(): boolean;
  };
}

export interface ActionVariable {
  name: string;
  description: string;
  usesPublicBaseUrl?: boolean;
}

/** types.ts RuleType (the fields this plugin sets; 9.x requires category and solution). */
export interface RuleType<P, S> {
  id: string;
  name: string;
  validate: { params: { validate(object: unknown): P } };
  actionGroups: { id: string; name: string }[];
  defaultActionGroupId: string;
  executor(options: RuleExecutorOptions<P, S>): Promise<{ state: S }>;
  category: string;
  producer: string;
  solution: 'stack' | 'security' | 'observability';
  actionVariables?: {
    context?: ActionVariable[];
    state?: ActionVariable[];
    params?: ActionVariable[];
  };
  minimumLicenseRequired: 'basic' | 'standard' | 'gold' | 'platinum' | 'enterprise' | 'trial';
  isExportable: boolean;
  defaultScheduleInterval?: string;
  doesSetRecoveryContext?: boolean;
  /** IRuleTypeAlerts: alerts-as-data index context; shouldWrite gives the executor alertsClient. */
  alerts?: {
    context: string;
    mappings: { fieldMap: Record<string, unknown> };
    shouldWrite?: boolean;
    useEcs?: boolean;
  };
}

/** plugin.ts AlertingServerSetup (the part used). */
export interface AlertingSetup {
  registerType<P, S>(ruleType: RuleType<P, S>): void;
}
