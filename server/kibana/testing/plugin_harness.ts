/**
 * The real ProblemChildPlugin set up and started against the fakes of fake_kibana.ts and the
 * secured cluster of fake_cluster.ts, with Kibana's request pipeline as far as routes see it:
 *
 *  - authorization first: a route's `security.authz.requiredPrivileges` must all be API
 *    privileges the user's role grants through our feature (features plugin: the feature's
 *    privileges.{all,read}.api), else 403 before validation and handler
 *    (src/core/packages/http/router-server-internal/src/route.ts, security plugin authz);
 *  - then the route's validators, a 400 naming the field;
 *  - then the handler, whose `context.core.elasticsearch.client` is scoped to the request
 *    (core's request handler context: asScoped(request));
 *  - `customError` refuses statuses below 400 as Kibana's response factory does.
 */
import { configSchema, type ProblemChildConfig } from '../../config';
import { ProblemChildPlugin } from '../../plugin';
import type {
  CoreSetup,
  CoreStart,
  KibanaFeatureConfig,
  KibanaResponse,
  KibanaResponseFactory,
  RequestHandler,
  RouteValidationFunction,
  VersionedRouteConfig,
} from '../contracts';
import { FakeSecuredCluster, type IndexGrants } from './fake_cluster';
import {
  FakeCoreSecurity,
  FakeEncryptedSavedObjects,
  FakeSavedObjects,
  FakeTaskManager,
} from './fake_kibana';
import type { StartDeps } from '../../plugin';

export interface HarnessUser {
  name: string;
  /** The role's privilege on our feature, if any. */
  feature: 'all' | 'read' | null;
  indices: IndexGrants;
}

interface Route {
  method: string;
  config: VersionedRouteConfig;
  validate: Partial<Record<'params' | 'query' | 'body', RouteValidationFunction<unknown>>>;
  handler: RequestHandler;
}

export const responseFactory: KibanaResponseFactory = {
  ok: ({ body }) => ({ status: 200, payload: body }),
  custom: ({ statusCode, body }) => ({ status: statusCode, payload: body }),
  customError: ({ statusCode, body }) => {
    if (statusCode < 400 || statusCode >= 600)
      throw new Error(
        `Unexpected Http status code. Expected from 400 to 599, but given: ${statusCode}`,
      );
    return { status: statusCode, payload: body };
  },
};

const validationResult = {
  ok: (value: unknown) => ({ value }),
  badRequest: (error: Error | string) => ({
    error: error instanceof Error ? error : new Error(error),
  }),
};

export const quietLog = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  get: () => quietLog,
};

export interface HarnessOptions {
  config?: Record<string, unknown>;
  /** xpack.encryptedSavedObjects.encryptionKey set (default true). */
  canEncrypt?: boolean;
  /** The encryptedSavedObjects plugin present at all (default true). */
  eso?: boolean;
  log?: typeof quietLog;
}

export class KibanaHarness {
  readonly cluster = new FakeSecuredCluster();
  readonly security = new FakeCoreSecurity(this.cluster);
  readonly eso: FakeEncryptedSavedObjects;
  readonly savedObjects: FakeSavedObjects;
  readonly taskManager = new FakeTaskManager();
  readonly features: KibanaFeatureConfig[] = [];
  readonly routes: Route[] = [];
  readonly handled: string[] = [];
  readonly config: ProblemChildConfig;
  readonly plugin: ProblemChildPlugin;
  readonly coreStart: CoreStart;
  private readonly users = new Map<string, HarnessUser>();
  private readonly withEso: boolean;

  constructor(
    opts: HarnessOptions & {
      setupRetry?: { attempts: number; baseDelayMs: number; maxDelayMs: number };
    } = {},
  ) {
    this.config = configSchema.validate({ indices: 'logs-*', graphWindow: '1h', ...opts.config });
    this.eso = new FakeEncryptedSavedObjects(opts.canEncrypt ?? true);
    this.savedObjects = new FakeSavedObjects(this.eso);
    this.withEso = opts.eso ?? true;
    const log = opts.log ?? quietLog;
    this.plugin = new ProblemChildPlugin(
      { logger: { get: () => log }, config: { get: () => this.config } },
      undefined,
      opts.setupRetry ?? { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    );
    this.coreStart = {
      elasticsearch: { client: this.security.clusterClient() },
      savedObjects: this.savedObjects.startContract,
      security: this.security.startContract,
    };
  }

  addUser(user: HarnessUser): HarnessUser {
    this.users.set(user.name, user);
    this.cluster.addUser(user.name, user.indices);
    return user;
  }

  setup(): void {
    const versioned = Object.fromEntries(
      ['get', 'post', 'put', 'delete'].map((method) => [
        method,
        (routeConfig: VersionedRouteConfig) => {
          const route = {
            addVersion: (
              opts: { validate: { request: Route['validate'] } },
              handler: RequestHandler,
            ) => {
              this.routes.push({
                method,
                config: routeConfig,
                validate: opts.validate.request,
                handler,
              });
              return route;
            },
          };
          return route;
        },
      ]),
    );
    const startDeps: StartDeps = {
      taskManager: this.taskManager,
      ...(this.withEso ? { encryptedSavedObjects: this.eso.startContract } : {}),
    };
    // Registered in real Kibana by the data views and saved search plugins (the Discover
    // drill-down creates them with the request's own saved objects client).
    this.savedObjects.registerType({
      name: 'index-pattern',
      hidden: false,
      namespaceType: 'multiple',
      mappings: { dynamic: false, properties: {} },
    });
    this.savedObjects.registerType({
      name: 'search',
      hidden: false,
      namespaceType: 'multiple-isolated',
      mappings: { dynamic: false, properties: {} },
    });
    const core: CoreSetup<StartDeps> = {
      http: { createRouter: () => ({ versioned }) as never },
      savedObjects: { registerType: (t) => this.savedObjects.registerType(t) },
      getStartServices: async () => [this.coreStart, startDeps, {}],
    };
    this.plugin.setup(core, {
      taskManager: this.taskManager,
      features: { registerKibanaFeature: (f) => this.features.push(f) },
      ...(this.withEso ? { encryptedSavedObjects: this.eso.setupContract } : {}),
    });
  }

  /** Kibana's start call, as plugins_system.ts makes it; answers what start returned. */
  startPlugin(): unknown {
    return this.plugin.start(this.coreStart, {
      taskManager: this.taskManager,
      ...(this.withEso ? { encryptedSavedObjects: this.eso.startContract } : {}),
    });
  }

  /** setup + start; resolves once background set-up has finished. */
  async start(): Promise<void> {
    this.setup();
    this.startPlugin();
    const status = await this.plugin.whenSetUp();
    if (status.state !== 'ready') throw new Error(`set-up ${status.state}: ${status.reason}`);
  }

  /** The API privileges a role with `feature` on our feature grants. */
  privilegesOf(user: HarnessUser): Set<string> {
    const feature = this.features[0]!;
    return new Set(user.feature ? feature.privileges[user.feature].api : []);
  }

  /** One request through Kibana's pipeline: authorization, validation, handler, response. */
  async request(
    user: HarnessUser,
    method: string,
    path: string,
    opts: { query?: Record<string, string>; body?: unknown } = {},
  ): Promise<KibanaResponse> {
    const match = this.match(method, path);
    if (!match) return { status: 404, payload: { message: 'Not Found' } };
    const { route, params } = match;
    const authz = route.config.security.authz;
    if ('requiredPrivileges' in authz) {
      const granted = this.privilegesOf(user);
      const missing = authz.requiredPrivileges.filter((p) => !granted.has(p));
      if (missing.length > 0)
        return {
          status: 403,
          payload: {
            statusCode: 403,
            error: 'Forbidden',
            message: `API [${method.toUpperCase()} ${path}] is unauthorized for user, this action is granted by the Kibana privileges [${missing.join(',')}]`,
          },
        };
    }
    const input: Record<'params' | 'query' | 'body', unknown> = {
      params,
      query: opts.query ?? {},
      body: opts.body,
    };
    const request = this.security.request(user.name);
    for (const where of ['params', 'query', 'body'] as const) {
      const validate = route.validate[where];
      if (!validate) continue;
      const r = validate(input[where], validationResult);
      if (r.error) return { status: 400, payload: { statusCode: 400, message: r.error.message } };
      request[where] = r.value;
    }
    this.handled.push(`${method} ${route.config.path}`);
    // core's request handler context: the scoped cluster client and saved objects client.
    const context = {
      core: Promise.resolve({
        elasticsearch: { client: this.coreStart.elasticsearch.client.asScoped(request) },
        savedObjects: { client: this.savedObjects.startContract.getScopedClient(request, {}) },
      }),
    };
    try {
      return await route.handler(context, request, responseFactory);
    } catch {
      return { status: 500, payload: { message: 'An internal server error occurred.' } };
    }
  }

  match(
    method: string,
    path: string,
  ): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const names: string[] = [];
      const re = new RegExp(
        `^${route.config.path.replace(/\{(\w+)\}/g, (_m, n: string) => {
          names.push(n);
          return '([^/]+)';
        })}$`,
      );
      const m = re.exec(path);
      if (m)
        return {
          route,
          params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])),
        };
    }
    return undefined;
  }
}
