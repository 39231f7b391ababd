/**
 * Who may use the plugin's routes inside Kibana, and with which Elasticsearch identity each
 * request reaches the cluster, checked end to end through the real plugin (setup/start, the
 * real Elasticsearch store and client) against the fakes of testing/ (Kibana's router and
 * authorization, core's scoped clients, and a cluster with its security layer).
 *
 * Proven: every route declares a privilege of our feature (read for reads; all for triage,
 * settings, suppressions, run-now and enabling/disabling detection); users without the feature
 * get 403 everywhere and reach no handler; readers read but cannot write; the plugin's own
 * `.kibana-problem-child-*` indices are used as Kibana's internal user (kibana_system may manage
 * `.kibana*`; analysts need no privileges on them), while raw source events are read as the
 * requesting user, never as the internal user.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { KIBANA_INDEX_NAMES } from '../../common/constants';
import type { EsCall } from './testing/fake_cluster';
import { type HarnessUser, KibanaHarness } from './testing/plugin_harness';

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
  { method: 'get', path: `${API}/communities/_stats`, write: false },
  { method: 'get', path: `${API}/communities/c-1`, write: false },
  { method: 'get', path: `${API}/communities/c-1/events`, write: false },
  { method: 'get', path: `${API}/detection/status`, write: false },
  { method: 'get', path: `${API}/detection/quarantine`, write: false },
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
  { method: 'post', path: `${API}/detection/_enable`, body: {}, write: true },
  { method: 'post', path: `${API}/detection/_disable`, body: {}, write: true },
  { method: 'put', path: `${API}/settings`, body: { threshold: 0.8 }, write: true },
  { method: 'delete', path: `${API}/suppressions/s-1`, write: true },
  // Creates Discover saved objects with the user's own saved objects client, whose Kibana
  // privileges decide; our feature's read privilege is enough to ask.
  { method: 'post', path: `${API}/discover/_saved_search`, write: false },
  // Webhook notifications: the standalone host's; in Kibana reads answer `available: false`
  // and writes 404 (the alerting rule type notifies there).
  { method: 'get', path: `${API}/notifications/settings`, write: false },
  { method: 'get', path: `${API}/notifications/deliveries`, write: false },
  { method: 'put', path: `${API}/notifications/settings`, body: { urls: [] }, write: true },
  { method: 'post', path: `${API}/notifications/_test`, body: {}, write: true },
  { method: 'post', path: `${API}/notifications/deliveries/d-1/_retry`, body: {}, write: true },
  {
    method: 'post',
    path: `${API}/detection/quarantine/_retry`,
    body: { id: 'q-1' },
    write: true,
  },
  {
    method: 'post',
    path: `${API}/detection/quarantine/_dismiss`,
    body: { id: 'q-1' },
    write: true,
  },
];

const READS_LOGS = { read: ['logs-*'], write: [] };
const NO_INDICES = { read: [], write: [] };

const NOBODY: HarnessUser = { name: 'nobody', feature: null, indices: READS_LOGS };
const READER: HarnessUser = { name: 'reader', feature: 'read', indices: READS_LOGS };
const ANALYST: HarnessUser = { name: 'analyst', feature: 'all', indices: READS_LOGS };
const READER_NO_INDICES: HarnessUser = {
  name: 'reader-no-indices',
  feature: 'read',
  indices: NO_INDICES,
};
const ANALYST_NO_INDICES: HarnessUser = {
  name: 'analyst-no-indices',
  feature: 'all',
  indices: NO_INDICES,
};

const isDocWrite = (c: EsCall) =>
  c.method !== 'GET' &&
  c.method !== 'HEAD' &&
  /\/(_doc|_create|_update|_bulk|_delete_by_query|_update_by_query)(\/|$)/.test(c.path);
const ownIndex = (name: string) => name.startsWith('.kibana-problem-child-');

describe('Kibana access control', () => {
  let kibana: KibanaHarness;

  beforeEach(async () => {
    kibana = new KibanaHarness();
    for (const u of [NOBODY, READER, ANALYST, READER_NO_INDICES, ANALYST_NO_INDICES])
      kibana.addUser(u);
    await kibana.start();
    kibana.cluster.calls.length = 0;
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
      for (const p of required) expect(allApi.has(p), `${what} needs ${p}`).toBe(true);
      const call = CALLS.find(
        (c) => c.method === route.method && kibana.match(c.method, c.path)?.route === route,
      )!;
      if (call.write)
        expect(
          required.some((p) => !readApi.has(p)),
          `${what} is a write`,
        ).toBe(true);
      else
        expect(
          required.every((p) => readApi.has(p)),
          `${what} is a read`,
        ).toBe(true);
    }
  });

  it('answers 403 to a user without the feature on every route, before any handler runs', async () => {
    for (const c of CALLS) {
      const res = await kibana.request(NOBODY, c.method, c.path, c);
      expect(res.status, `${c.method} ${c.path}`).toBe(403);
    }
    expect(kibana.handled).toEqual([]);
    expect(kibana.cluster.calls).toEqual([]);
    expect(kibana.taskManager.runSoonCalls).toEqual([]);
    expect(kibana.security.grants).toEqual([]);
  });

  it('lets a reader read, and refuses every write to them', async () => {
    for (const c of CALLS) {
      const res = await kibana.request(READER, c.method, c.path, c);
      const what = `${c.method} ${c.path}: ${JSON.stringify(res.payload)}`;
      if (c.write) expect(res.status, what).toBe(403);
      else expect([200, 404], what).toContain(res.status);
    }
    const writes = new Set(
      CALLS.filter((c) => c.write).map(
        (c) => `${c.method} ${kibana.match(c.method, c.path)!.route.config.path}`,
      ),
    );
    expect(kibana.handled.filter((h) => writes.has(h))).toEqual([]);
    expect(kibana.taskManager.runSoonCalls).toEqual([]);
    expect(kibana.cluster.calls.filter(isDocWrite)).toEqual([]);
  });

  it('lets an analyst with the all privilege read, triage, change settings, enable and run detection', async () => {
    for (const c of CALLS) {
      const res = await kibana.request(ANALYST, c.method, c.path, c);
      const what = `${c.method} ${c.path}: ${JSON.stringify(res.payload)}`;
      // Run-now before detection is enabled is a 409 that says so (see detection_access.test).
      expect([200, 202, 404, 409], what).toContain(res.status);
    }
    expect(
      (await kibana.request(ANALYST, 'post', `${API}/detection/_enable`, { body: {} })).status,
    ).toBe(200);
    const run = await kibana.request(ANALYST, 'post', `${API}/detection/_run`);
    expect(run.status, JSON.stringify(run.payload)).toBe(202);
    expect(kibana.taskManager.runSoonCalls.length).toBeGreaterThan(0);
  });

  it('uses the internal user for the plugin indices and the requesting user for raw events', async () => {
    for (const user of [READER, READER_NO_INDICES, ANALYST_NO_INDICES]) {
      kibana.cluster.calls.length = 0;
      for (const c of CALLS.filter((x) => !x.write))
        await kibana.request(user, c.method, c.path, c);
      const calls = kibana.cluster.calls;
      expect(calls.length).toBeGreaterThan(0);
      for (const c of calls) {
        const own = c.indices.length > 0 && c.indices.every(ownIndex);
        if (own) expect(c.identity, `${c.method} ${c.path}`).toBe('kibana_system');
      }
      // The prevalence lookup reads the source indices, as the user.
      const source = calls.filter((c) => c.indices.includes('logs-*'));
      expect(source.length, JSON.stringify(calls)).toBeGreaterThan(0);
      expect(new Set(source.map((c) => c.identity))).toEqual(new Set([user.name]));
    }
  });

  it('lets the all privilege triage without index privileges: the feature is the gate', async () => {
    for (const c of CALLS.filter(
      (x) => x.write && !x.path.includes('/detection/') && x.method !== 'delete',
    )) {
      const res = await kibana.request(ANALYST_NO_INDICES, c.method, c.path, c);
      const what = `${c.method} ${c.path}: ${JSON.stringify(res.payload)}`;
      expect([200, 404], what).toContain(res.status);
    }
    expect(kibana.cluster.calls.filter((c) => c.status === 403)).toEqual([]);
    const writes = kibana.cluster.calls.filter(isDocWrite);
    expect(writes.length).toBeGreaterThan(0);
    expect(new Set(writes.map((c) => c.identity))).toEqual(new Set(['kibana_system']));
    expect(
      writes.every((c) =>
        c.indices.every(
          (i) => i === KIBANA_INDEX_NAMES.state || i.startsWith(KIBANA_INDEX_NAMES.communities),
        ),
      ),
    ).toBe(true);
  });

  it('runs nothing in the background task until detection is enabled', async () => {
    const [id] = [...kibana.taskManager.tasks.keys()];
    expect(await kibana.taskManager.run(id!)).toMatchObject({
      state: { runs: 1, lastStatus: 'not_enabled' },
    });
    expect(kibana.cluster.calls).toEqual([]);
  });
});
