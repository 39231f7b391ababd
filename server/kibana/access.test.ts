/**
 * Who may use the plugin's routes inside Kibana, checked end to end through the real plugin
 * (ProblemChildPlugin.setup/start, the real Elasticsearch store and client) against structural
 * fakes of what Kibana and Elasticsearch enforce:
 *
 * - Kibana's router: a route's `security.authz.requiredPrivileges` are checked against the API
 *   privileges the user's role grants through our feature (`registerKibanaFeature`), before
 *   validation and before the handler, exactly as Kibana does; and its response factory refuses
 *   `customError` below 400 as Kibana's does.
 * - Elasticsearch's security layer: a transport that answers each identity per its index
 *   privileges, with the real `security_exception` 403 for a user who has none, and empty
 *   indices for one who has them.
 *
 * Proven: every route declares a privilege of our feature (read for reads; all for triage,
 * settings, suppressions and run-now); users without the feature get 403 everywhere and reach
 * no handler; readers read but cannot write; route handlers run on the user's own client, so a
 * user without index privileges gets 403 rather than data, and the internal user is never used
 * on their behalf.
 */
import { BaseConnection, Client } from '@elastic/elasticsearch';
import type {
  ConnectionRequestOptions,
  ConnectionRequestOptionsAsStream,
  ConnectionRequestParams,
  ConnectionRequestResponse,
  ConnectionRequestResponseAsStream,
} from '@elastic/elasticsearch';
import { beforeEach, describe, expect, it } from 'vitest';
import { configSchema, type ProblemChildConfig } from '../config';
import { ProblemChildPlugin } from '../plugin';
import type {
  KibanaFeatureConfig,
  KibanaRequest,
  KibanaResponse,
  KibanaResponseFactory,
  RequestHandler,
  RouteValidationFunction,
  TaskDefinition,
  TaskManagerStart,
  VersionedRouteConfig,
} from './contracts';

// ---------------------------------------------------------------------------------------------
// Elasticsearch, as seen through its security layer

type IndexGrant = 'all-indices' | 'no-indices';

interface EsCall {
  identity: string;
  method: string;
  path: string;
}

/** Document writes, as opposed to searches, gets, field caps and point-in-time handling. */
const isWrite = (c: EsCall) =>
  c.method !== 'GET' &&
  c.method !== 'HEAD' &&
  /\/(_doc|_create|_update|_bulk|_delete_by_query|_update_by_query)(\/|$)/.test(c.path);

/** Every request reaching the cluster, by identity. */
const esCalls: EsCall[] = [];

/** A document write's 201 answer. */
function created(index: string | undefined, id: string | undefined): ConnectionRequestResponse {
  return esJson(201, {
    _index: index,
    _id: id,
    _version: 1,
    result: 'created',
    _seq_no: 0,
    _primary_term: 1,
    _shards: { total: 1, successful: 1, failed: 0 },
  });
}

function esJson(statusCode: number, body: unknown): ConnectionRequestResponse {
  return {
    statusCode,
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' },
  };
}

type AggSpec = Record<string, Record<string, unknown>>;

/** The aggregation results Elasticsearch gives over no documents, for any requested tree. */
function emptyAggregations(spec: AggSpec): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(spec).map(([name, agg]) => {
      const sub = (agg.aggs ?? agg.aggregations) as AggSpec | undefined;
      if ('filter' in agg || 'filters' in agg || 'global' in agg || 'missing' in agg)
        return [name, { doc_count: 0, ...(sub ? emptyAggregations(sub) : {}) }];
      if ('composite' in agg || 'terms' in agg || 'date_histogram' in agg || 'histogram' in agg)
        return [name, { buckets: [] }];
      return [name, { value: null }];
    }),
  );
}

/** What an Elasticsearch with empty indices answers: nothing found, writes accepted. */
function emptyCluster(method: string, path: string, body: string): ConnectionRequestResponse {
  const [, index = '', op = '', id = ''] = path.split('/');
  if (op === '_search' || index === '_search') {
    const req = (body ? JSON.parse(body) : {}) as { aggs?: AggSpec; aggregations?: AggSpec };
    const aggs = req.aggs ?? req.aggregations;
    return esJson(200, {
      took: 1,
      timed_out: false,
      _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      hits: { total: { value: 0, relation: 'eq' }, max_score: null, hits: [] },
      ...(aggs ? { aggregations: emptyAggregations(aggs) } : {}),
    });
  }
  if (op === '_field_caps' || index === '_field_caps')
    return esJson(200, { indices: [], fields: {} });
  if (op === '_pit') return esJson(200, { id: 'pit-1' });
  if (index === '_pit') return esJson(200, { succeeded: true, num_freed: 1 });
  if (op === '_doc' && method === 'GET')
    return esJson(404, { _index: index, _id: id, found: false });
  if (op === '_doc' && method === 'DELETE')
    return esJson(404, { _index: index, _id: id, result: 'not_found', _version: 1 });
  if (op === '_doc' || op === '_create') return created(index, id);
  const upsert = op === '_update' && /"(doc_as_upsert|upsert)"/.test(body);
  if (op === '_update' && upsert) return created(index, id);
  if (op === '_update')
    return esJson(404, {
      error: { type: 'document_missing_exception', reason: `[${id}]: document missing` },
      status: 404,
    });
  if (op === '_bulk' || index === '_bulk') {
    const actions = body
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Record<string, { _id?: string }>)
      .filter((l) => ['index', 'create', 'update', 'delete'].includes(Object.keys(l)[0]!));
    return esJson(200, {
      took: 1,
      errors: false,
      items: actions.map((a) => {
        const [kind] = Object.keys(a) as [string];
        return { [kind]: { _id: a[kind]!._id, status: kind === 'delete' ? 200 : 201 } };
      }),
    });
  }
  return esJson(200, { acknowledged: true });
}

/** A real client whose wire is the fake cluster above, as `identity` with `grant`. */
function esClientAs(identity: string, grant: IndexGrant): Client {
  class SecuredConnection extends BaseConnection {
    override request(
      params: ConnectionRequestParams,
      options: ConnectionRequestOptions,
    ): Promise<ConnectionRequestResponse>;
    override request(
      params: ConnectionRequestParams,
      options: ConnectionRequestOptionsAsStream,
    ): Promise<ConnectionRequestResponseAsStream>;
    // The client never asks this fake for a stream: whole bodies only.
    override async request(
      params: ConnectionRequestParams,
    ): Promise<ConnectionRequestResponse | ConnectionRequestResponseAsStream> {
      esCalls.push({ identity, method: params.method, path: params.path });
      if (grant === 'no-indices') {
        const action = isWrite({ identity, method: params.method, path: params.path })
          ? 'indices:data/write/update'
          : 'indices:data/read/search';
        const reason = `action [${action}] is unauthorized for user [${identity}] with effective roles [] on indices [problem-child-communities], this action is granted by the index privileges [read,all]`;
        return esJson(403, {
          error: {
            root_cause: [{ type: 'security_exception', reason }],
            type: 'security_exception',
            reason,
          },
          status: 403,
        });
      }
      const body = typeof params.body === 'string' ? params.body : (params.body?.toString() ?? '');
      return emptyCluster(params.method, params.path, body);
    }
  }
  return new Client({
    node: 'http://elasticsearch.invalid:9200',
    Connection: SecuredConnection as unknown as typeof BaseConnection,
    maxRetries: 0,
  });
}

// ---------------------------------------------------------------------------------------------
// Kibana's router and authorization

interface User {
  name: string;
  /** The role's privilege on our feature, if any. */
  feature: 'all' | 'read' | null;
  indices: IndexGrant;
}

interface Route {
  method: string;
  config: VersionedRouteConfig;
  validate: Partial<Record<'params' | 'query' | 'body', RouteValidationFunction<unknown>>>;
  handler: RequestHandler;
}

/** Kibana's rule: customError is for 4xx and 5xx only; below that it throws (a 500 to the client). */
const responseFactory: KibanaResponseFactory = {
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

// The shipped defaults, with the settings this test needs.
const config: ProblemChildConfig = configSchema.validate({ indices: 'logs-*', graphWindow: '1h' });
const log = { debug() {}, info() {}, warn() {}, error() {}, get: () => log };

class FakeKibana {
  readonly routes: Route[] = [];
  readonly features: KibanaFeatureConfig[] = [];
  readonly runSoon: string[] = [];
  readonly handled: string[] = [];
  readonly tasks: Record<string, TaskDefinition> = {};
  private readonly users = new WeakMap<object, User>();
  readonly internal = esClientAs('kibana_system', 'all-indices');

  async start(): Promise<void> {
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
    const esClients = { asCurrentUser: this.internal, asInternalUser: this.internal };
    const plugin = new ProblemChildPlugin({
      logger: { get: () => log },
      config: { get: () => config },
    });
    plugin.setup(
      {
        http: { createRouter: () => ({ versioned }) as never },
        getStartServices: async () => [{ elasticsearch: { client: esClients } }, {} as never, {}],
      },
      {
        taskManager: { registerTaskDefinitions: (defs) => Object.assign(this.tasks, defs) },
        features: { registerKibanaFeature: (f) => this.features.push(f) },
        security: {
          authc: { getCurrentUser: (req) => ({ username: this.users.get(req as object)!.name }) },
        },
      },
    );
    const tm: TaskManagerStart = {
      ensureScheduled: async () => undefined,
      runSoon: async (id) => this.runSoon.push(id),
      get: async () => ({ runAt: '2026-01-01T00:15:00.000Z' }),
    };
    await plugin.start({ elasticsearch: { client: esClients } }, { taskManager: tm });
  }

  /** The API privileges a role with `feature` on our feature grants, from what the plugin registered. */
  privilegesOf(user: User): Set<string> {
    const feature = this.features[0]!;
    return new Set(user.feature ? feature.privileges[user.feature].api : []);
  }

  /** One request through Kibana's pipeline: authorization, validation, handler, response. */
  async request(
    user: User,
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
    const request: KibanaRequest = {
      params: {},
      query: {},
      body: undefined,
      auth: { isAuthenticated: true },
    };
    for (const where of ['params', 'query', 'body'] as const) {
      const validate = route.validate[where];
      if (!validate) continue;
      const r = validate(input[where], validationResult);
      if (r.error) return { status: 400, payload: { statusCode: 400, message: r.error.message } };
      request[where] = r.value;
    }
    this.users.set(request, user);
    this.handled.push(`${method} ${route.config.path}`);
    const userClient = esClientAs(user.name, user.indices);
    const context = {
      core: Promise.resolve({
        elasticsearch: { client: { asCurrentUser: userClient, asInternalUser: this.internal } },
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

// ---------------------------------------------------------------------------------------------

const API = '/internal/problem_child';

/** A valid request for every route; ids that do not exist are fine (a 404 still means "reached"). */
const CALLS: {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  write: boolean;
}[] = [
  { method: 'get', path: `${API}/communities`, write: false },
  { method: 'get', path: `${API}/communities/c-1`, write: false },
  { method: 'get', path: `${API}/communities/c-1/events`, write: false },
  { method: 'get', path: `${API}/detection/status`, write: false },
  {
    method: 'get',
    path: `${API}/prevalence`,
    query: { parent: 'winword.exe', child: 'powershell.exe', command_line: 'powershell -enc AAAA' },
    write: false,
  },
  { method: 'get', path: `${API}/settings`, write: false },
  { method: 'get', path: `${API}/suppressions`, write: false },
  {
    method: 'post',
    path: `${API}/communities/c-1/triage`,
    body: { status: 'closed' },
    write: true,
  },
  {
    method: 'post',
    path: `${API}/communities/_bulk_triage`,
    body: { ids: ['c-1', 'c-2'], status: 'acknowledged' },
    write: true,
  },
  { method: 'post', path: `${API}/detection/_run`, body: undefined, write: true },
  { method: 'put', path: `${API}/settings`, body: { threshold: 0.8 }, write: true },
  { method: 'delete', path: `${API}/suppressions/s-1`, write: true },
];

const NOBODY: User = { name: 'nobody', feature: null, indices: 'all-indices' };
const READER: User = { name: 'reader', feature: 'read', indices: 'all-indices' };
const ANALYST: User = { name: 'analyst', feature: 'all', indices: 'all-indices' };
const READER_NO_INDICES: User = {
  name: 'reader-no-indices',
  feature: 'read',
  indices: 'no-indices',
};
const ANALYST_NO_INDICES: User = {
  name: 'analyst-no-indices',
  feature: 'all',
  indices: 'no-indices',
};

describe('Kibana access control', () => {
  let kibana: FakeKibana;

  beforeEach(async () => {
    kibana = new FakeKibana();
    await kibana.start();
    esCalls.length = 0;
  });

  it('covers every registered route in these tests', () => {
    const registered = kibana.routes.map((r) => `${r.method} ${r.config.path}`).sort();
    const called = [
      ...new Set(
        CALLS.map((c) => `${c.method} ${kibana.match(c.method, c.path)!.route.config.path}`),
      ),
    ].sort();
    expect(called).toEqual(registered);
  });

  it('gates every route on a privilege of our feature: read for reads, all for writes', () => {
    const feature = kibana.features[0]!;
    const readApi = new Set(feature.privileges.read.api);
    const allApi = new Set(feature.privileges.all.api);
    for (const route of kibana.routes) {
      const what = `${route.method} ${route.config.path}`;
      const authz = route.config.security.authz;
      expect('requiredPrivileges' in authz, what).toBe(true);
      const required = (authz as { requiredPrivileges: string[] }).requiredPrivileges;
      expect(required.length, what).toBeGreaterThan(0);
      // Whoever holds `all` can do everything...
      for (const p of required) expect(allApi.has(p), `${what} needs ${p}`).toBe(true);
      const call = CALLS.find(
        (c) => c.method === route.method && kibana.match(c.method, c.path)?.route === route,
      )!;
      if (call.write) {
        // ...while `read` must not be enough for triage, settings, suppressions or run-now.
        expect(
          required.some((p) => !readApi.has(p)),
          `${what} is a write`,
        ).toBe(true);
      } else {
        expect(
          required.every((p) => readApi.has(p)),
          `${what} is a read`,
        ).toBe(true);
      }
    }
  });

  it('answers 403 to a user without the feature on every route, before any handler runs', async () => {
    for (const c of CALLS) {
      const res = await kibana.request(NOBODY, c.method, c.path, c);
      expect(res.status, `${c.method} ${c.path}`).toBe(403);
    }
    expect(kibana.handled).toEqual([]);
    expect(esCalls).toEqual([]);
    expect(kibana.runSoon).toEqual([]);
  });

  it('lets a reader read, and refuses every write to them', async () => {
    for (const c of CALLS) {
      const res = await kibana.request(READER, c.method, c.path, c);
      const what = `${c.method} ${c.path}: ${JSON.stringify(res.payload)}`;
      if (c.write) expect(res.status, what).toBe(403);
      else expect([200, 404], what).toContain(res.status);
    }
    expect((await kibana.request(READER, 'get', `${API}/communities`)).status).toBe(200);
    expect((await kibana.request(READER, 'get', `${API}/settings`)).status).toBe(200);
    expect(kibana.handled.every((h) => h.startsWith('get '))).toBe(true);
    expect(kibana.runSoon).toEqual([]);
    // Nothing the reader did wrote to the cluster.
    expect(esCalls.filter(isWrite)).toEqual([]);
  });

  it('lets an analyst with the all privilege read, triage, change settings and run detection', async () => {
    for (const c of CALLS) {
      const res = await kibana.request(ANALYST, c.method, c.path, c);
      const what = `${c.method} ${c.path}: ${JSON.stringify(res.payload)}`;
      expect([200, 202, 404], what).toContain(res.status);
    }
    expect(
      (await kibana.request(ANALYST, 'put', `${API}/settings`, { body: { threshold: 0.9 } }))
        .status,
    ).toBe(200);
    const run = await kibana.request(ANALYST, 'post', `${API}/detection/_run`);
    expect(run.status).toBe(202);
    expect(kibana.runSoon.length).toBeGreaterThan(0);
  });

  it('reads as the user: without index privileges a reader gets 403, never data, and the internal user is not used', async () => {
    for (const c of CALLS.filter((x) => !x.write)) {
      const res = await kibana.request(READER_NO_INDICES, c.method, c.path, c);
      const what = `${c.method} ${c.path}: ${JSON.stringify(res.payload)}`;
      expect(res.status, what).toBe(403);
      // The cluster's wording (user, roles, index names) is not passed on.
      expect(JSON.stringify(res.payload), what).not.toMatch(
        /security_exception|problem-child-|effective roles/,
      );
    }
    expect(esCalls.length).toBeGreaterThan(0);
    expect(esCalls.filter((c) => c.identity !== READER_NO_INDICES.name)).toEqual([]);
  });

  it('runs the background detection task, and only it, as the internal user', async () => {
    const [type] = Object.keys(kibana.tasks);
    const runner = kibana.tasks[type!]!.createTaskRunner({
      taskInstance: { params: { partition: 0, partitions: 1 }, state: {} },
    });
    expect(await runner.run()).toMatchObject({ state: { runs: 1, lastStatus: 'nothing_to_do' } });
    expect(esCalls.length).toBeGreaterThan(0);
    expect(new Set(esCalls.map((c) => c.identity))).toEqual(new Set(['kibana_system']));
  });

  it('writes as the user too: the all privilege without index privileges changes nothing', async () => {
    for (const c of CALLS.filter((x) => x.write && x.path !== `${API}/detection/_run`)) {
      const res = await kibana.request(ANALYST_NO_INDICES, c.method, c.path, c);
      const what = `${c.method} ${c.path}: ${JSON.stringify(res.payload)}`;
      if (c.path.endsWith('/_bulk_triage')) {
        // Each id fails on its own; none is reported as updated.
        expect(res.status, what).toBe(200);
        expect((res.payload as { updated: string[] }).updated, what).toEqual([]);
      } else {
        expect(res.status, what).toBe(403);
      }
    }
    expect(esCalls.filter((c) => c.identity !== ANALYST_NO_INDICES.name)).toEqual([]);
  });
});
