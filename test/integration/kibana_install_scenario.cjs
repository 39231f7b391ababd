/**
 * Runs in a fresh `node` (no tsx, no loader, cwd and NODE_PATH outside the repository) from a
 * temporary folder that holds the installed plugin and this file: the plugin's life in Kibana,
 * driven through the fake host in kibana_server_host.cjs (copied beside it). Reads its inputs
 * from the JSON file named by argv[2] and writes what happened to argv[3]; the vitest side
 * (kibana_install.es.test.ts) asserts on that.
 */
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS on purpose: it runs where Kibana runs plugins, with no loader */

const fs = require('node:fs');
const { createKibanaServerHost } = require('./kibana_server_host.cjs');

const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
// The host's client (Kibana brings its own): resolved from the host's folder, never the plugin's.
const { Client } = require(input.esClientModule);

const API = '/internal/problem_child';
const ADMIN = { 'x-test-user': 'pc-admin' };
const out = { steps: [] };
const step = (name, data) => out.steps.push({ name, ...data });

function hostFor(node) {
  return createKibanaServerHost({
    pluginDir: input.pluginDir,
    createClient: (extra = {}) =>
      new Client({ node, maxRetries: 0, requestTimeout: 30_000, ...extra }),
  });
}

async function timed(f) {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: Math.round(performance.now() - t0) };
}

async function main() {
  // --- configuration, as core validates kibana.yml under the plugin's prefix
  const host = hostFor(input.esUrl);
  out.prefix = host.prefix;
  out.config = host.validateConfig(input.kibanaYml);
  try {
    host.validateConfig(input.kibanaYmlWithUnknownKey);
    out.unknownKeyError = null;
  } catch (e) {
    out.unknownKeyError = e.message;
  }

  // --- start with Elasticsearch unreachable: start must return at once
  const deadHost = hostFor(input.deadEsUrl);
  const dead = await deadHost.instantiate(
    deadHost.trackClient(
      new Client({ node: input.deadEsUrl, maxRetries: 0, requestTimeout: 2_000 }),
    ),
    out.config,
  );
  dead.setup();
  const deadStart = await timed(() => dead.start());
  step('start with Elasticsearch unreachable', { ms: deadStart.ms });
  await dead.stop();
  await deadHost.close();

  // --- the real run
  const internal = host.trackClient(
    new Client({ node: input.esUrl, maxRetries: 0, requestTimeout: 30_000 }),
  );
  const live = await host.instantiate(internal, out.config);
  host.phase = 'setup';
  live.setup();
  out.routes = host.routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
  out.features = host.features.map((f) => ({ id: f.id, scope: f.scope }));
  out.taskTypes = Object.keys(host.taskDefinitions);
  out.savedObjectTypes = [...host.savedObjectTypes.values()].map((t) => ({
    name: t.name,
    hidden: t.hidden,
    namespaceType: t.namespaceType,
  }));
  host.phase = 'start';
  const liveStart = await timed(() => live.start());
  step('start', { ms: liveStart.ms });

  // Background set-up (indices, task scheduling) is visible in the detection status route.
  let status;
  const deadline = Date.now() + 90_000;
  for (;;) {
    status = await host.callRoute(live.services, 'get', `${API}/detection/status`, {
      headers: ADMIN,
    });
    const state = status.payload && status.payload.setup && status.payload.setup.state;
    if (state === 'ready' || state === 'failed' || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  out.setup = status.payload && status.payload.setup;
  out.scheduledTasks = [...host.scheduledTasks.keys()];
  out.accessBefore = status.payload && status.payload.access;

  host.phase = 'enable';
  const enabled = await host.callRoute(live.services, 'post', `${API}/detection/_enable`, {
    headers: ADMIN,
    body: { indices: input.sourceIndices },
  });
  out.enable = { status: enabled.status, payload: enabled.payload };
  out.grantedKeys = host.grantedKeys.map((k) => ({ id: k.id, user: k.user, params: k.params }));

  // --- one run of the registered task, as Task Manager 9.3 calls it (RunContext with an
  // abortController; `signal` came later)
  host.phase = 'task';
  const taskType = out.taskTypes[0];
  const runner = host.taskDefinitions[taskType].createTaskRunner({
    taskInstance: {
      id: `${taskType}:install-test`,
      taskType,
      params: { partition: 0, partitions: 1, range: input.range },
      state: {},
      attempts: 1,
      status: 'running',
      runAt: new Date(),
      scheduledAt: new Date(),
      startedAt: new Date(),
      retryAt: null,
      ownerId: 'kibana-install-test',
    },
    abortController: new AbortController(),
  });
  const run = await timed(() => runner.run());
  out.taskRun = { ms: run.ms, result: run.value };

  host.phase = 'read';
  const list = await host.callRoute(live.services, 'get', `${API}/communities`, {
    headers: ADMIN,
    query: { per_page: '100', sort: 'max_score', direction: 'desc' },
  });
  out.communities = {
    status: list.status,
    total: list.payload && list.payload.total,
    hosts: [...new Set(((list.payload && list.payload.items) || []).map((c) => c.host))],
  };
  const after = await host.callRoute(live.services, 'get', `${API}/detection/status`, {
    headers: ADMIN,
  });
  out.lastRun = after.payload && after.payload.lastRun;
  out.accessAfter = after.payload && after.payload.access;

  // Disabling invalidates the key and forgets it.
  host.phase = 'disable';
  const disabled = await host.callRoute(live.services, 'post', `${API}/detection/_disable`, {
    headers: ADMIN,
  });
  out.disable = { status: disabled.status };
  out.invalidatedKeys = [...host.invalidatedKeys];
  const final = await host.callRoute(live.services, 'get', `${API}/detection/status`, {
    headers: ADMIN,
  });
  out.accessDisabled = final.payload && final.payload.access;

  host.phase = 'stop';
  await live.stop();
  out.calls = host.calls;
  out.warnings = host.logs.filter((l) => l.level === 'warn' || l.level === 'error');
  await host.close();
}

main()
  .then(() => {
    out.ok = true;
  })
  .catch((e) => {
    out.ok = false;
    out.error = e && e.stack ? e.stack : String(e);
  })
  .finally(() => {
    fs.writeFileSync(process.argv[3], JSON.stringify(out, null, 2));
    // Nothing may keep the process alive: a lingering timer or socket is a bug of its own.
    setTimeout(() => process.exit(out.ok ? 0 : 1), 200).unref();
  });
