/**
 * Detection on a real three-node cluster while nodes die where it hurts:
 *  1. the node holding the communities index's primary shard is SIGKILLed while the run's bulk
 *     write is in flight (then restarted on its data);
 *  2. the elected master is SIGKILLed while the run reads events through a point in time (the
 *     recovery run then works with the remaining two nodes).
 * Each faulted run must complete or fail cleanly (a report, never a hang or a throw), and the run
 * after it must leave exactly the communities of an undisturbed run: same ids and scores, none
 * lost, none duplicated, the analyst's triage untouched.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeScorer } from '../../common/types/scoring';
import { runDetectionJob } from '../../server/jobs/detection_job';
import { generate } from '../../server/lib/generator/generate';
import { TfjsEdgeScorer } from '../../server/lib/model/scorer';
import type { Logger, RunReport } from '../../server/ports';
import { EsStore } from '../../server/stores/elasticsearch/es_store';
import { ensureEventIndex, indexEvents } from '../../server/stores/elasticsearch/event_writer';
import { startElasticsearchCluster, type RunningCluster } from '../harness/es_cluster';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EVENTS = 'pc-cluster-events';
const NAMES = { communities: 'pc-cluster-communities', state: 'pc-cluster-state' };
const START = '2026-01-05T00:00:00.000Z';
const RANGE = { from: START, to: '2026-01-06T00:00:00.000Z' };
const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

interface Snapshot {
  scores: Map<string, number>;
  docs: number;
  triage: Map<string, unknown>;
}

describe('detection on a three-node cluster under node failures', () => {
  let cluster: RunningCluster;
  let client: Client;
  let store: EsStore;
  let scorer: EdgeScorer;

  beforeAll(async () => {
    cluster = await startElasticsearchCluster();
    console.log(`[cluster] 3 nodes of Elasticsearch ${cluster.version} up in ${cluster.bootMs} ms`);
    // Every node is a way in: a dead node's requests are retried on the others.
    client = new Client({ nodes: cluster.urls, requestTimeout: 30_000, maxRetries: 5 });
    store = new EsStore({
      client,
      names: NAMES,
      settingsDefaults: { indices: EVENTS },
      eventPageSize: 200,
      logger: quiet,
    });
    await store.setup();
    // The product's indices with a replica each, as a production cluster would have them.
    await client.indices.putSettings({
      index: `${NAMES.communities}*,${NAMES.state}`,
      settings: { index: { auto_expand_replicas: 'false', number_of_replicas: 1 } },
    });
    await ensureEventIndex(client, EVENTS);
    await client.indices.putSettings({
      index: EVENTS,
      settings: { index: { auto_expand_replicas: 'false', number_of_replicas: 1 } },
    });
    async function* events() {
      for await (const r of generate({
        hosts: 12,
        days: 1,
        attacks: 24,
        seed: 11,
        start: START,
        eventsPerHostDay: 200,
      }))
        yield r.event;
    }
    const indexed = await indexEvents(client, EVENTS, events(), { refresh: true });
    expect(indexed.failed).toEqual([]);
    await client.cluster.health({ wait_for_status: 'green', timeout: '120s' });
    scorer = await TfjsEdgeScorer.load({
      modelDir: path.join(ROOT, 'models', 'default'),
      mode: (await store.settings.get()).score_source,
    });
  });

  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
  });

  const run = (): Promise<RunReport> =>
    runDetectionJob(
      { stores: store.stores, scorer: async () => scorer, logger: quiet },
      { partition: { index: 0, count: 1 }, range: RANGE },
    );

  async function snapshot(): Promise<Snapshot> {
    await client.indices.refresh({ index: NAMES.communities });
    const res = await client.search<{ id: string; score: number; triage?: unknown }>({
      index: NAMES.communities,
      size: 10_000,
      query: { match_all: {} },
    });
    const scores = new Map<string, number>();
    const triage = new Map<string, unknown>();
    for (const h of res.hits.hits) {
      scores.set(h._id!, h._source!.score);
      triage.set(h._id!, h._source!.triage);
    }
    return { scores, docs: res.hits.hits.length, triage };
  }

  /** Removes every untriaged community, so the next run has to write them all again. */
  async function clearUntriaged(keep: readonly string[]): Promise<void> {
    // By id: the integ-test distribution has no reindex module, so no _delete_by_query.
    const ids = [...(await snapshot()).scores.keys()].filter((id) => !keep.includes(id));
    const r = await client.bulk({
      index: NAMES.communities,
      refresh: true,
      operations: ids.map((id) => ({ delete: { _id: id } })),
    });
    expect(r.errors).toBe(false);
  }

  async function primaryNodeOf(index: string): Promise<string> {
    const rows = await client.cat.shards({ index, format: 'json', h: ['prirep', 'node', 'state'] });
    const primary = (rows as { prirep?: string; node?: string; state?: string }[]).find(
      (r) => r.prirep === 'p' && r.state === 'STARTED',
    );
    if (!primary?.node) throw new Error(`no started primary of ${index}: ${JSON.stringify(rows)}`);
    return primary.node;
  }

  async function masterNode(): Promise<string> {
    const rows = (await client.cat.master({ format: 'json' })) as { node?: string }[];
    if (!rows[0]?.node) throw new Error('no elected master');
    return rows[0].node;
  }

  /** Kills `node` the first time `when` matches a request of the store's client. */
  function killOn(
    node: string,
    when: (method: string, p: string) => boolean,
  ): { fired: () => boolean; dead: Promise<void> } {
    let fired = false;
    let resolveDead!: () => void;
    const dead = new Promise<void>((r) => (resolveDead = r));
    const listener = (_err: unknown, result: unknown) => {
      const params = (
        result as { meta?: { request?: { params?: { method: string; path: string } } } }
      )?.meta?.request?.params;
      if (fired || !params || !when(params.method, params.path)) return;
      fired = true;
      client.diagnostic.off('request', listener);
      // The request is on its way as the node dies: the kill lands while it is in flight.
      void cluster.kill(node).then(resolveDead);
    };
    client.diagnostic.on('request', listener);
    return { fired: () => fired, dead };
  }

  function compare(base: Snapshot, now: Snapshot) {
    const lost = [...base.scores.keys()].filter((id) => !now.scores.has(id));
    const extra = [...now.scores.keys()].filter((id) => !base.scores.has(id));
    const duplicated = now.docs - now.scores.size + extra.length;
    const changed = [...base.scores].filter(
      ([id, s]) => now.scores.has(id) && Math.abs(now.scores.get(id)! - s) > 1e-9,
    );
    return { lost: lost.length, duplicated, changed: changed.length };
  }

  it('loses and duplicates nothing when the primary holder and the master die', async () => {
    const t0 = Date.now();
    const baselineRun = await run();
    expect(baselineRun.status, baselineRun.errors.join('; ')).toBe('succeeded');
    const afterBaseline = await snapshot();
    expect(afterBaseline.scores.size).toBeGreaterThanOrEqual(20);

    // The analyst's work before the faults: it must come through untouched.
    const triaged = [...afterBaseline.scores.keys()].sort().slice(0, 3);
    for (const [i, id] of triaged.entries()) {
      await store.communities.triage(
        id,
        { status: 'acknowledged', note: `checked before the faults (${i})`, assignee: 'ana' },
        'analyst',
      );
    }
    const baseline = await snapshot();
    let faults = 0;

    // Fault 1: the node with the communities primary dies while the run's bulk write is in flight.
    await clearUntriaged(triaged);
    const victim = await primaryNodeOf(NAMES.communities);
    const kill1 = killOn(victim, (m, p) => m === 'POST' && p.endsWith('/_bulk'));
    const faulted1 = await run();
    expect(kill1.fired()).toBe(true);
    await kill1.dead;
    faults++;
    console.log(
      `[cluster] fault 1: killed ${victim} (communities primary) during the bulk write; run ${faulted1.status}${faulted1.errors.length ? ` (${faulted1.errors.join('; ').slice(0, 300)})` : ''}`,
    );
    expect(['succeeded', 'failed']).toContain(faulted1.status);
    await client.cluster.health({ wait_for_status: 'yellow', timeout: '60s' });
    const recovered1 = await run();
    expect(recovered1.status, recovered1.errors.join('; ')).toBe('succeeded');
    const after1 = await snapshot();
    expect(compare(baseline, after1)).toEqual({ lost: 0, duplicated: 0, changed: 0 });
    for (const id of triaged) expect(after1.triage.get(id)).toEqual(baseline.triage.get(id));

    // The killed node comes back on its data; wait until every copy is assigned again.
    await cluster.restart(victim);
    await client.cluster.health({ wait_for_status: 'green', timeout: '120s' });

    // Fault 2: the elected master dies while the run reads events through a point in time.
    await clearUntriaged(triaged);
    const master = await masterNode();
    let pitOpen = false;
    const kill2 = killOn(master, (m, p) => {
      if (m === 'POST' && p.endsWith('/_pit')) pitOpen = true;
      return pitOpen && p.endsWith('/_search');
    });
    const faulted2 = await run();
    expect(kill2.fired()).toBe(true);
    await kill2.dead;
    faults++;
    console.log(
      `[cluster] fault 2: killed ${master} (elected master) during the PIT read; run ${faulted2.status}${faulted2.errors.length ? ` (${faulted2.errors.join('; ').slice(0, 300)})` : ''}`,
    );
    expect(['succeeded', 'failed']).toContain(faulted2.status);
    // The remaining two nodes elect a master and serve every primary.
    await client.cluster.health({ wait_for_status: 'yellow', wait_for_nodes: '2', timeout: '90s' });
    const recovered2 = await run();
    expect(recovered2.status, recovered2.errors.join('; ')).toBe('succeeded');
    const after2 = await snapshot();
    const outcome = compare(baseline, after2);
    expect(outcome).toEqual({ lost: 0, duplicated: 0, changed: 0 });
    for (const id of triaged) expect(after2.triage.get(id)).toEqual(baseline.triage.get(id));

    console.log(
      `[cluster] ${faults} faults, ${outcome.lost} lost, ${outcome.duplicated} duplicated ` +
        `(${baseline.scores.size} communities, ${triaged.length} triaged, ${Math.round((Date.now() - t0) / 1000)} s)`,
    );
  });
});
