/**
 * Checks the Kibana glue against structural fakes of Kibana's router: what it registers
 * (paths, access, privileges, versions) and how validation and errors reach the response.
 */
import { describe, expect, it } from 'vitest';
import { API_PRIVILEGE_ALL, API_PRIVILEGE_READ, API_VERSION } from '../../common/constants';
import { ROUTES } from '../routes';
import type { RouteContext } from '../routes/route_types';
import { NotFoundError } from '../ports';
import type {
  IRouter,
  KibanaResponseFactory,
  RequestHandler,
  RouteValidationFunction,
  VersionedRouteConfig,
} from './contracts';
import { registerKibanaRoutes } from './register_routes';

interface Registered {
  method: string;
  config: VersionedRouteConfig;
  version: string;
  validate: Record<string, RouteValidationFunction<unknown>>;
  handler: RequestHandler;
}

function fakeRouter(): { router: IRouter; registered: Registered[] } {
  const registered: Registered[] = [];
  const method = (m: string) => (config: VersionedRouteConfig) => {
    const route = {
      addVersion(
        opts: {
          version: string;
          validate: { request: Record<string, RouteValidationFunction<unknown>> };
        },
        handler: RequestHandler,
      ) {
        registered.push({
          method: m,
          config,
          version: opts.version,
          validate: opts.validate.request,
          handler,
        });
        return route;
      },
    };
    return route;
  };
  return {
    router: {
      versioned: {
        get: method('get'),
        post: method('post'),
        put: method('put'),
        delete: method('delete'),
      },
    },
    registered,
  };
}

// Kibana's customError refuses statuses below 400 (the client then gets a 500).
const response: KibanaResponseFactory = {
  ok: ({ body }) => ({ status: 200, payload: body }),
  custom: ({ statusCode, body }) => ({ status: statusCode, payload: body }),
  customError: ({ statusCode, body }) => {
    if (statusCode < 400 || statusCode >= 600) throw new Error(`Unexpected status ${statusCode}`);
    return { status: statusCode, payload: body };
  },
};
const validationResult = {
  ok: (value: unknown) => ({ value }),
  badRequest: (error: Error | string) => ({
    error: error instanceof Error ? error : new Error(error),
  }),
};
const logger = { debug() {}, info() {}, warn() {}, error() {}, get: () => logger };

describe('registerKibanaRoutes', () => {
  it('registers every route as internal, versioned, with the privilege it declares', () => {
    const { router, registered } = fakeRouter();
    registerKibanaRoutes(router, ROUTES, async () => ({}) as RouteContext, logger);
    expect(registered).toHaveLength(ROUTES.length);
    for (const [i, r] of registered.entries()) {
      const def = ROUTES[i]!;
      expect(r.method).toBe(def.method);
      expect(r.config.path).toBe(def.path);
      expect(r.config.path.startsWith('/internal/problem_child/')).toBe(true);
      expect(r.config.access).toBe('internal');
      expect(r.version).toBe(API_VERSION);
      expect(r.config.security.authz).toEqual({
        requiredPrivileges: [def.privilege === 'all' ? API_PRIVILEGE_ALL : API_PRIVILEGE_READ],
      });
    }
    // Anything that writes needs the `all` privilege. The Discover saved search is the
    // exception: it is written with the user's own saved objects client, whose Discover
    // privileges decide, so reading communities is all our feature asks for.
    for (const r of registered.filter(
      (x) => x.method !== 'get' && !x.config.path.endsWith('/discover/_saved_search'),
    )) {
      expect(r.config.security.authz).toEqual({ requiredPrivileges: [API_PRIVILEGE_ALL] });
    }
  });

  it('turns zod failures into badRequest with the field named', () => {
    const { router, registered } = fakeRouter();
    registerKibanaRoutes(router, ROUTES, async () => ({}) as RouteContext, logger);
    const list = registered.find(
      (r) => r.method === 'get' && r.config.path.endsWith('/communities'),
    )!;
    const bad = list.validate.query!({ per_page: '5000' }, validationResult);
    expect(bad.error?.message).toMatch(/query\.per_page/);
    const good = list.validate.query!({ per_page: '5' }, validationResult);
    expect(good.value).toMatchObject({ per_page: 5, page: 1 });
  });

  it('maps handler results and store errors to Kibana responses', async () => {
    const { router, registered } = fakeRouter();
    const ctx = {
      stores: {
        communities: {
          get: async (id: string) => (id === 'known' ? { id } : undefined),
          triage: async () => {
            throw new NotFoundError('community gone not found');
          },
        },
      },
      user: 'elastic',
      logger,
    } as unknown as RouteContext;
    registerKibanaRoutes(router, ROUTES, async () => ctx, logger);
    const get = registered.find(
      (r) => r.method === 'get' && r.config.path.endsWith('/communities/{id}'),
    )!;
    const core = {
      core: Promise.resolve({
        elasticsearch: { client: { asCurrentUser: {}, asInternalUser: {} } },
      }),
    };
    expect(
      await get.handler(core, { params: { id: 'known' }, query: {}, body: undefined }, response),
    ).toEqual({
      status: 200,
      payload: { id: 'known' },
    });
    expect(
      (await get.handler(core, { params: { id: 'nope' }, query: {}, body: undefined }, response))
        .status,
    ).toBe(404);
    const triage = registered.find((r) => r.config.path.endsWith('/triage'))!;
    const res = await triage.handler(
      core,
      { params: { id: 'gone' }, query: {}, body: { status: 'closed' } },
      response,
    );
    expect(res.status).toBe(404);
  });
});
