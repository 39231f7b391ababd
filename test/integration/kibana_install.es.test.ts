/**
 * The plugin installed the way Kibana installs and loads it, outside the repository:
 *
 * 1. `buildKibanaPlugin` (what `npm run build:kibana` runs) builds the zip into a temporary folder;
 * 2. the zip is extracted as `kibana-plugin install` does into `<tmp>/kibana/plugins/<id>`;
 *    `<tmp>/kibana/node_modules/@kbn/config-schema` is our fake compiled with the plugin's Babel
 *    transform (Kibana's node_modules provides the real one) and is the only thing the plugin
 *    can reach besides its own node_modules; nothing of the repository's node_modules is on the
 *    plugin's resolution path;
 * 3. a fresh `node` (no tsx, no --import/--loader, NODE_OPTIONS and NODE_PATH unset, cwd in the
 *    temporary folder) runs kibana_install_scenario.cjs through the fake host
 *    test/fakes/kibana_server_host.cjs: config validation under the prefix derived from the built
 *    kibana.json, setup → start (also against a closed port) → enable detection → the registered
 *    task once against this run's Elasticsearch, on generated Winlogbeat-index events → stop.
 *
 * Anything needing ESM, tsx or a dev dependency fails in step 3. The zip is the one
 * `npm run build:kibana` makes, browser bundle included (its own test loads it in Chromium).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KIBANA_INDEX_NAMES } from '../../common/constants';
import { ALERT_INDEX } from '../../server/alerts/ecs_alert';
import { generateSync } from '../../server/lib/generator/generate';
import { createEsClient } from '../../server/stores/elasticsearch/client';
import { ensureEventIndex, indexEvents } from '../../server/stores/elasticsearch/event_writer';
import { compileToCommonJs } from '../../scripts/build_kibana_babel';
import {
  buildKibanaPlugin,
  KIBANA_TARGET_VERSION,
  type BuildResult,
} from '../../scripts/build_kibana';
import kibanaSystem from './kibana_install_kibana_system.json';
import {
  clusterCovered,
  copyPackages,
  indexCovered,
  installZip,
  readmeRole,
  writeKbnPackage,
  zipEntries,
  type RoleDescriptor,
} from './kibana_install_support';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCE_INDEX = `winlogbeat-pcinstall-${process.pid}`;

/**
 * The Elasticsearch privilege each client API needs, from the Elasticsearch security-privileges
 * reference (docs/reference/elasticsearch/security-privileges.md in elastic/elasticsearch: `read`
 * covers search, count, get, point-in-time open/close; `view_index_metadata` covers field caps,
 * mappings, aliases and index existence; `write` covers index/create/update/bulk/delete of
 * documents; `create_index`, `delete_index` and `manage` (mappings, settings, aliases) are index
 * administration; `maintenance` covers refresh; cluster `manage_index_templates` covers index and
 * component templates, cluster `monitor` covers health and info; `_has_privileges` about oneself
needs none). An API missing here fails the
 * test: add it with its privilege rather than skip it.
 */
const API_PRIVILEGES: Record<string, { index?: string; cluster?: string }> = {
  search: { index: 'read' },
  count: { index: 'read' },
  get: { index: 'read' },
  mget: { index: 'read' },
  msearch: { index: 'read' },
  openPointInTime: { index: 'read' },
  closePointInTime: { index: 'read' },
  fieldCaps: { index: 'view_index_metadata' },
  'indices.getMapping': { index: 'view_index_metadata' },
  'indices.get': { index: 'view_index_metadata' },
  'indices.exists': { index: 'view_index_metadata' },
  'indices.existsAlias': { index: 'view_index_metadata' },
  'indices.getAlias': { index: 'view_index_metadata' },
  'indices.getSettings': { index: 'view_index_metadata' },
  index: { index: 'write' },
  create: { index: 'write' },
  update: { index: 'write' },
  delete: { index: 'delete' },
  // Bulk of `index` operations, the only kind the plugin sends other than as kibana_system (the
  // alert sink, server/alerts/ecs_alert_sink.ts): IndexPrivilege.java's `index` covers
  // indices:data/write/bulk* and index*; a bulk with deletes would need `delete` as well.
  bulk: { index: 'index' },
  deleteByQuery: { index: 'delete' },
  updateByQuery: { index: 'write' },
  'indices.create': { index: 'create_index' },
  'indices.delete': { index: 'delete_index' },
  'indices.putMapping': { index: 'manage' },
  'indices.putSettings': { index: 'manage' },
  'indices.updateAliases': { index: 'manage' },
  'indices.putAlias': { index: 'manage' },
  'indices.rollover': { index: 'manage' },
  'indices.refresh': { index: 'maintenance' },
  'indices.putIndexTemplate': { cluster: 'manage_index_templates' },
  'indices.putComponentTemplate': { cluster: 'manage_index_templates' },
  'indices.existsIndexTemplate': { cluster: 'manage_index_templates' },
  'indices.getIndexTemplate': { cluster: 'manage_index_templates' },
  'indices.getDataStream': { index: 'view_index_metadata' },
  'cluster.health': { cluster: 'monitor' },
  info: { cluster: 'monitor' },
  // Any user may ask which privileges it has itself (the enable route asks with the new key).
  'security.hasPrivileges': {},
};

interface RecordedCall {
  client: 'internal' | 'api-key' | 'current-user';
  api: string;
  indices: string[];
  phase?: string;
}

interface ScenarioResult {
  ok: boolean;
  error?: string;
  prefix: string;
  config: Record<string, unknown>;
  unknownKeyError: string | null;
  steps: { name: string; ms: number }[];
  routes: string[];
  features: { id: string; scope?: string[] }[];
  taskTypes: string[];
  setup?: { state: string; reason?: string };
  scheduledTasks: string[];
  enable: { status: number; payload: unknown };
  grantedKeys: {
    id: string;
    user: string;
    params: { role_descriptors: Record<string, RoleDescriptor> };
  }[];
  disable: { status: number };
  invalidatedKeys: string[];
  accessAfter?: { state: string; enabledBy?: string };
  accessDisabled?: { state: string };
  taskRun: { ms: number; result: { state: Record<string, unknown> } };
  communities: { status: number; total: number; hosts: string[] };
  lastRun: { status?: string; flagged?: number } | null;
  calls: RecordedCall[];
  warnings: { message: string }[];
}

/** Why a call is not covered by `role`, or undefined when it is. */
function uncovered(call: RecordedCall, role: RoleDescriptor): string | undefined {
  const need = API_PRIVILEGES[call.api];
  if (!need) return `${call.api}: not in API_PRIVILEGES`;
  if (need.cluster && !clusterCovered(role, need.cluster)) {
    return `${call.api} needs cluster privilege ${need.cluster}`;
  }
  if (need.index) {
    if (call.indices.length === 0) return `${call.api} named no index`;
    const missing = call.indices.filter((i) => !indexCovered(role, i, need.index!));
    if (missing.length) return `${call.api} needs ${need.index} on ${missing.join(', ')}`;
  }
  return undefined;
}

/** Runs the scenario in a clean `node`: no loader, no NODE_OPTIONS/NODE_PATH, cwd `dir`. */
function runNode(dir: string, args: string[]): Promise<{ code: number; output: string }> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: os.tmpdir(),
    LANG: 'C.UTF-8',
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}

describe('ProblemChild installed the way Kibana installs it', () => {
  const client = createEsClient({ node: inject('esUrl') });
  let tmp = '';
  let build: BuildResult;
  let installed: Awaited<ReturnType<typeof installZip>>;
  let result: ScenarioResult;
  let childOutput = '';
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const t0 = performance.now();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'pc-kibana-install-'));
    // Outside the repository, with no node_modules on the way up from it.
    expect(path.relative(REPO, tmp).startsWith('..')).toBe(true);
    for (let dir = path.dirname(tmp); ; dir = path.dirname(dir)) {
      expect(existsSync(path.join(dir, 'node_modules')), `${dir}/node_modules`).toBe(false);
      if (dir === path.dirname(dir)) break;
    }
    build = await buildKibanaPlugin({ outDir: path.join(tmp, 'build'), log: () => {} });
    timings.buildMs = Math.round(performance.now() - t0);

    const kibanaDir = path.join(tmp, 'kibana');
    installed = await installZip(build.zipFile!, path.join(kibanaDir, 'plugins'));
    await writeKbnPackage(
      kibanaDir,
      '@kbn/config-schema',
      await compileToCommonJs(path.join(REPO, 'test/fakes/kbn_config_schema.ts')),
    );
    // The host is Kibana's side: its files and its Elasticsearch client live beside the Kibana
    // folder, not above the plugin, so the plugin cannot resolve them.
    const hostDir = path.join(tmp, 'host');
    await copyPackages(REPO, ['@elastic/elasticsearch'], hostDir);
    await cp(
      path.join(REPO, 'test/fakes/kibana_server_host.cjs'),
      path.join(hostDir, 'kibana_server_host.cjs'),
    );
    await cp(
      path.join(REPO, 'test/integration/kibana_install_scenario.cjs'),
      path.join(hostDir, 'kibana_install_scenario.cjs'),
    );

    // A small generated fleet with attacks, as Winlogbeat would index it.
    const events = Array.from(
      generateSync({ hosts: 4, days: 1, attacks: 4, seed: 11, eventsPerHostDay: 400 }),
      (r) => r.event,
    );
    await ensureEventIndex(client, SOURCE_INDEX);
    const indexed = await indexEvents(client, SOURCE_INDEX, events, { refresh: true });
    expect(indexed.failed).toEqual([]);
    const times = events.map((e) => Date.parse(e['@timestamp']));
    const range = {
      from: new Date(Math.min(...times)).toISOString(),
      to: new Date(Math.max(...times) + 1).toISOString(),
    };

    await cleanPluginIndices();
    const input = {
      pluginDir: installed.dir,
      esUrl: inject('esUrl'),
      // Nothing listens on port 1: connections are refused at once.
      deadEsUrl: 'http://127.0.0.1:1',
      esClientModule: path.join(hostDir, 'node_modules/@elastic/elasticsearch'),
      kibanaYml: {
        problemChild: { indices: `${SOURCE_INDEX}*`, graphWindow: '1h', partitions: '1' },
        elasticsearch: { hosts: [inject('esUrl')] },
      },
      kibanaYmlWithUnknownKey: { problemChild: { indices: SOURCE_INDEX, inteval: '5m' } },
      sourceIndices: `${SOURCE_INDEX}*`,
      range,
    };
    const inputFile = path.join(hostDir, 'input.json');
    const outputFile = path.join(hostDir, 'output.json');
    await writeFile(inputFile, JSON.stringify(input));
    const t1 = performance.now();
    const child = await runNode(tmp, [
      path.join(hostDir, 'kibana_install_scenario.cjs'),
      inputFile,
      outputFile,
    ]);
    timings.scenarioMs = Math.round(performance.now() - t1);
    childOutput = child.output;
    result = JSON.parse(
      await readFile(outputFile, 'utf8').catch(() => '{"ok":false}'),
    ) as ScenarioResult;
    if (!result.ok) {
      throw new Error(
        `the scenario failed (exit ${child.code}):\n${result.error ?? ''}\n${childOutput}`,
      );
    }
    console.log(`[kibana install] build ${timings.buildMs} ms, scenario ${timings.scenarioMs} ms`);
  }, 300_000);

  async function cleanPluginIndices(): Promise<void> {
    await client.indices
      .delete({ index: '.kibana-problem-child-*', expand_wildcards: 'all' })
      .catch(() => {});
    await client.indices.deleteIndexTemplate({ name: '.kibana-problem-child-*' }).catch(() => {});
    await client.indices.delete({ index: ALERT_INDEX, ignore_unavailable: true }).catch(() => {});
  }

  afterAll(async () => {
    await cleanPluginIndices();
    await client.indices.delete({ index: SOURCE_INDEX, ignore_unavailable: true }).catch(() => {});
    await client.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('is a kibana/<id>/ zip with the exact Kibana version, CommonJS and production dependencies only', async () => {
    const entries = await zipEntries(build.zipFile!);
    expect(entries.every((e) => e.startsWith('kibana/problemChild/'))).toBe(true);
    expect(path.basename(build.zipFile!)).toBe(`problemChild-${KIBANA_TARGET_VERSION}.zip`);
    expect(installed.kibanaVersion).toBe(KIBANA_TARGET_VERSION);

    const source = JSON.parse(await readFile(path.join(REPO, 'kibana.json'), 'utf8'));
    const built = JSON.parse(await readFile(path.join(installed.dir, 'kibana.json'), 'utf8'));
    expect(built).toEqual({ ...source, kibanaVersion: KIBANA_TARGET_VERSION });

    const pkg = JSON.parse(await readFile(path.join(installed.dir, 'package.json'), 'utf8'));
    expect(pkg.type).toBeUndefined();
    expect(pkg.devDependencies).toBeUndefined();
    const ours = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8'));
    for (const [name, version] of Object.entries(pkg.dependencies as Record<string, string>)) {
      expect(ours.dependencies[name], `${name} is a production dependency`).toBe(version);
    }

    const modules = await readdir(path.join(installed.dir, 'node_modules'));
    for (const unwanted of [
      '@duckdb',
      'fastify',
      '@fastify',
      'tsx',
      'react',
      'react-dom',
      '@elastic',
      'vite',
      'vitest',
      '@babel',
      'esbuild',
      'typescript',
    ]) {
      expect(modules, `${unwanted} must not ship`).not.toContain(unwanted);
    }
    expect(
      entries.some(
        (e) => /\/(testing|test_support|__tests__)\//.test(e) && !e.includes('/node_modules/'),
      ),
    ).toBe(false);
    expect(entries.some((e) => /\.test\.js$/.test(e) && !e.includes('/node_modules/'))).toBe(false);
    expect(entries).toContain('kibana/problemChild/server/index.js');
    expect(entries).toContain('kibana/problemChild/models/default/model.json');
    if (existsSync(path.join(REPO, 'scripts/build_kibana_public.ts'))) {
      expect(build.browser).toBe('built');
      expect(entries).toContain('kibana/problemChild/target/public/problemChild.plugin.js');
    }
    expect(entries.some((e) => e.endsWith('.ts') && !e.includes('/node_modules/'))).toBe(false);
    const size = (await stat(build.zipFile!)).size;
    console.log(
      `[kibana install] zip ${(size / 1e6).toFixed(1)} MB, ${entries.length} entries, ${build.lockedPackages} packages: ${Object.keys(build.dependencies).join(', ')}`,
    );
  });

  it('reads kibana.yml under the prefix Kibana derives from the built kibana.json', () => {
    // configPath when set, else snakeCase(id) (plugin_manifest_parser.ts).
    expect(result.prefix).toBe('problemChild');
    expect(result.config).toMatchObject({
      enabled: true,
      indices: `${SOURCE_INDEX}*`,
      graphWindow: '1h',
      partitions: 1,
    });
    expect(result.unknownKeyError).toMatch(/\[problemChild\.inteval\]/);
  });

  it('returns from start within 1 s, also when Elasticsearch is unreachable', () => {
    for (const s of result.steps) expect(s.ms, s.name).toBeLessThan(1_000);
    expect(result.steps.map((s) => s.name)).toEqual([
      'start with Elasticsearch unreachable',
      'start',
    ]);
  });

  it('registers its feature, task and routes, and finishes set-up in the background', () => {
    expect(result.features.map((f) => f.id)).toEqual(['problemChild']);
    expect(result.features[0]!.scope).toEqual(expect.arrayContaining(['security', 'spaces']));
    expect(result.taskTypes).toEqual(['problem_child:detection']);
    expect(result.routes.length).toBeGreaterThan(10);
    expect(result.setup).toMatchObject({ state: 'ready' });
    expect(result.scheduledTasks).toEqual(['problem_child:detection:1-of-1']);
  });

  it('runs its task on the source events and writes flagged communities', () => {
    expect(result.enable.status).toBe(200);
    expect(result.taskRun.result.state).toMatchObject({ runs: 1, lastStatus: 'succeeded' });
    expect(result.communities.status).toBe(200);
    expect(result.communities.total).toBeGreaterThan(0);
    expect(result.lastRun?.flagged).toBeGreaterThan(0);
  });

  it('reads with a key granted for the enabling administrator and invalidates it on disable', () => {
    expect(result.grantedKeys.map((k) => k.user)).toEqual(['pc-admin']);
    expect(result.accessAfter).toMatchObject({ state: 'enabled', enabledBy: 'pc-admin' });
    expect(result.disable.status).toBe(200);
    expect(result.invalidatedKeys).toEqual([result.grantedKeys[0]!.id]);
    expect(result.accessDisabled).toMatchObject({ state: 'not_enabled' });
  });

  it("makes only calls kibana_system's role or the enabling administrator's key allow", async () => {
    const admin = readmeRole(await readFile(path.join(REPO, 'README.md'), 'utf8'));
    expect(admin, 'README.md needs a ```json problemchild-admin-role block').toBeDefined();
    // The key is limited to what the administrator may do and to what the plugin asked for.
    const keyRole: RoleDescriptor = { cluster: [], indices: admin!.indices };
    const granted = Object.values(result.grantedKeys[0]!.params.role_descriptors);
    expect(granted.length).toBe(1);
    const problems: string[] = [];
    for (const call of result.calls) {
      if (call.client === 'internal') {
        const why = uncovered(call, kibanaSystem);
        if (why) problems.push(`internal (${call.phase}): ${why}`);
      } else if (call.client === 'api-key') {
        for (const [name, role] of [
          ['README role', keyRole],
          ['granted role_descriptors', granted[0]!],
        ] as const) {
          const why = uncovered(call, role);
          if (why) problems.push(`api-key (${call.phase}) vs ${name}: ${why}`);
        }
      }
    }
    expect(problems).toEqual([]);
    const taskCalls = result.calls.filter((c) => c.phase === 'task');
    // Source events are read with the key, never as kibana_system.
    expect(
      taskCalls.some(
        (c) => c.client === 'api-key' && c.indices.some((i) => i.startsWith(SOURCE_INDEX)),
      ),
    ).toBe(true);
    expect(
      taskCalls.filter(
        (c) => c.client === 'internal' && c.indices.some((i) => i.startsWith('winlogbeat-')),
      ),
    ).toEqual([]);
    // The plugin's own indices are the ones kibana_system may manage.
    expect(
      taskCalls.some(
        (c) =>
          c.client === 'internal' &&
          c.indices.some((i) => i.startsWith(KIBANA_INDEX_NAMES.communities)),
      ),
    ).toBe(true);
    // Findings are published for Elastic Security with the key, never as kibana_system (which
    // may not write logs-*): the checks above hold those writes to the key's alert-index grant.
    expect(
      taskCalls.some(
        (c) => c.client === 'api-key' && c.api === 'bulk' && c.indices.includes(ALERT_INDEX),
      ),
    ).toBe(true);
    expect(
      result.calls.filter((c) => c.client === 'internal' && c.indices.includes(ALERT_INDEX)),
    ).toEqual([]);
    const summary = [
      ...new Set(result.calls.map((c) => `${c.client} ${c.api} ${c.indices.join(',')}`)),
    ].sort();
    console.log(`[kibana install] Elasticsearch calls:\n  ${summary.join('\n  ')}`);
  });
});
