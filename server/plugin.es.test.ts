/**
 * The Kibana server plugin against structural fakes of Kibana's contracts and a real
 * Elasticsearch: what setup registers, what start creates and schedules, and that a registered
 * route and the registered task really work end to end.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { API_PRIVILEGE_ALL, API_PRIVILEGE_READ, FEATURE_ID, TASK_TYPE } from '../common/constants';
import { createEsClient } from './stores/elasticsearch/client';
import { EsStore } from './stores/elasticsearch/es_store';
import type {
  KibanaFeatureConfig,
  RequestHandler,
  TaskDefinition,
  TaskManagerStart,
  VersionedRouteConfig,
} from './kibana/contracts';
import { ProblemChildPlugin } from './plugin';
import { configSchema, type ProblemChildConfig } from './config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The shipped defaults, with the settings this test needs.
const config: ProblemChildConfig = configSchema.validate({
  indices: 'pc-plugin-events-*',
  graphWindow: '1h',
  partitions: 2,
});
const log = { debug() {}, info() {}, warn() {}, error() {}, get: () => log };

describe('ProblemChild Kibana plugin', () => {
  const client = createEsClient({ node: inject('esUrl') });
  afterAll(async () => {
    await new EsStore({ client }).destroy();
    await client.close();
  });

  it('registers, starts, serves a route and runs its task', async () => {
    const routes: { method: string; config: VersionedRouteConfig; handler: RequestHandler }[] = [];
    const versioned = Object.fromEntries(
      ['get', 'post', 'put', 'delete'].map((m) => [
        m,
        (cfg: VersionedRouteConfig) => {
          const r = {
            addVersion: (_o: unknown, handler: RequestHandler) => {
              routes.push({ method: m, config: cfg, handler });
              return r;
            },
          };
          return r;
        },
      ]),
    );
    const features: KibanaFeatureConfig[] = [];
    const tasks: Record<string, TaskDefinition> = {};
    const scheduled: string[] = [];
    const esClients = { asCurrentUser: client, asInternalUser: client };
    const plugin = new ProblemChildPlugin(
      { logger: { get: () => log }, config: { get: () => config } },
      path.join(root, 'models', 'default'),
    );
    plugin.setup(
      {
        http: { createRouter: () => ({ versioned }) as never },
        getStartServices: async () => [{ elasticsearch: { client: esClients } }, {} as never, {}],
      },
      {
        taskManager: { registerTaskDefinitions: (d) => Object.assign(tasks, d) },
        features: { registerKibanaFeature: (f) => features.push(f) },
      },
    );
    expect(features.map((f) => f.id)).toEqual([FEATURE_ID]);
    expect(features[0]!.privileges.read.api).toEqual([API_PRIVILEGE_READ]);
    expect(features[0]!.privileges.all.api).toEqual([API_PRIVILEGE_READ, API_PRIVILEGE_ALL]);
    expect(Object.keys(tasks)).toEqual([TASK_TYPE]);
    expect(routes.length).toBeGreaterThan(10);

    const runSoon: string[] = [];
    const tm: TaskManagerStart = {
      ensureScheduled: async (t) => scheduled.push(`${t.id}@${t.schedule.interval}`),
      runSoon: async (id) => runSoon.push(id),
      get: async () => ({ runAt: '2026-01-01T00:15:00.000Z' }),
    };
    await plugin.start({ elasticsearch: { client: esClients } }, { taskManager: tm });
    expect(scheduled).toEqual([
      'problem_child:detection:1-of-2@15m',
      'problem_child:detection:2-of-2@15m',
    ]);
    const aliases = await client.indices.getAlias({ name: 'problem-child-*' }).catch(() => ({}));
    expect(Object.keys(aliases).length).toBeGreaterThan(0);

    // Kibana's customError refuses statuses below 400 (the client then gets a 500).
    const response = {
      ok: ({ body }: { body: unknown }) => ({ status: 200, payload: body }),
      custom: ({ statusCode, body }: { statusCode: number; body: unknown }) => ({
        status: statusCode,
        payload: body,
      }),
      customError: ({ statusCode, body }: { statusCode: number; body: unknown }) => {
        if (statusCode < 400 || statusCode >= 600)
          throw new Error(`Unexpected status ${statusCode}`);
        return { status: statusCode, payload: body };
      },
    };
    const context = { core: Promise.resolve({ elasticsearch: { client: esClients } }) };
    const list = routes.find((r) => r.method === 'get' && r.config.path.endsWith('/communities'))!;
    const res = await list.handler(
      context,
      {
        params: {},
        query: { page: 1, per_page: 20, sort: 'max_score', direction: 'desc' },
        body: undefined,
      },
      response,
    );
    expect(res).toMatchObject({ status: 200, payload: { total: 0, items: [] } });
    const run = routes.find((r) => r.config.path.endsWith('/detection/_run'))!;
    const runRes = await run.handler(context, { params: {}, query: {}, body: undefined }, response);
    expect(runRes.status).toBe(202);
    expect(runSoon).toEqual(['problem_child:detection:1-of-2', 'problem_child:detection:2-of-2']);

    const runner = tasks[TASK_TYPE]!.createTaskRunner({
      taskInstance: { params: { partition: 0, partitions: 2 }, state: {} },
    });
    const out = await runner.run();
    expect(out).toMatchObject({ state: { runs: 1, lastStatus: 'nothing_to_do' } });
  });
});
