/**
 * Fault isolation of the detection job, as a vitest suite every store runs (embedded and
 * Elasticsearch): a hostile host beside a fleet with attacks leaves the fleet's communities
 * flagged, is itself reported as a high-severity finding with a degraded analysis, the checkpoint
 * moves, and later runs retry it a bounded number of times. The failure is genuine: a 40,000-deep
 * process chain takes over a second to analyse, against a 500 ms budget every fleet host-window
 * (tens of events) stays far below.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessEvent } from '../../common/types/process_event';
import type { EdgeScorer } from '../../common/types/scoring';
import { failureCommunityId } from '../lib/detection/degraded_analysis';
import { TfjsEdgeScorer } from '../lib/model/scorer';
import type { Stores } from '../ports';
import type { StoreHarness } from '../stores/store_contract';
import { runDetectionJob } from './detection_job';
import { jobFleetEvents } from './job_contract';

const MODEL_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../models/default',
);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const HOUR = 3_600_000;
export const HOSTILE_HOST = 'evil-host';

/** A parent→child chain `depth` deep on one host, inside one graph window. */
export function hostileChain(template: ProcessEvent, start: number, depth: number): ProcessEvent[] {
  const out: ProcessEvent[] = [];
  for (let i = 0; i < depth; i++) {
    const e = structuredClone(template);
    e.host.name = HOSTILE_HOST;
    e['@timestamp'] = new Date(start + i * 10).toISOString();
    e.event.id = `hostile-${i}`;
    e.process.entity_id = `hostile-p${i}`;
    e.process.pid = 10_000 + i;
    e.process.parent.entity_id = i ? `hostile-p${i - 1}` : 'hostile-root';
    e.process.parent.pid = i ? 10_000 + i - 1 : 4;
    out.push(e);
  }
  return out;
}

async function flaggedIds(stores: Stores): Promise<Map<string, { host: string; chain: string }>> {
  const out = new Map<string, { host: string; chain: string }>();
  for (let page = 1; ; page++) {
    const { listCommunitiesQuery } = await import('../../common/schemas');
    const res = await stores.communities.list(
      listCommunitiesQuery.parse({ per_page: '100', page: String(page) }),
    );
    for (const c of res.items) out.set(c.id, { host: c.host, chain: c.chain });
    if (out.size >= res.total || res.items.length === 0) return out;
  }
}

export function describeJobIsolationContract(
  name: string,
  make: () => Promise<StoreHarness>,
): void {
  describe(`detection job fault isolation on ${name}`, () => {
    let h: StoreHarness;
    let model: EdgeScorer;
    let dataStart = 0;
    let hostileStart = 0;
    const scorer = async () => model;
    const partition = { index: 0, count: 1 };
    const budget = { timeMs: 500, maxAttempts: 2 };

    beforeAll(async () => {
      h = await make();
      model = await TfjsEdgeScorer.load({ modelDir: MODEL_DIR });
      const events = jobFleetEvents();
      dataStart = Date.parse(events[0]!['@timestamp']);
      await h.importEvents(events);
      await h.stores.settings.update({ lookback: '30h', threshold: 0.5 });
    }, 180_000);

    afterAll(async () => {
      await h?.cleanup();
    });

    it('a hostile host is a finding, not the end of the run; retried a bounded number of times', async () => {
      const stores = h.stores;
      const end = new Date(dataStart + 24 * HOUR).toISOString();
      // What the fleet alone gives (an explicit range leaves the checkpoint alone).
      const base = await runDetectionJob(
        { stores, scorer, logger: quiet, now: () => new Date(end) },
        { partition, range: { from: new Date(dataStart).toISOString(), to: end }, budget },
      );
      expect(base.status, base.errors.join('; ')).toBe('succeeded');
      const fleet = await flaggedIds(stores);
      expect(fleet.size).toBeGreaterThan(0);

      hostileStart = Math.floor((dataStart + 5 * HOUR) / (4 * HOUR)) * 4 * HOUR + 60_000;
      // Deep enough that its analysis takes several times the budget on any machine (a 40,000
      // chain took about 0.5 s once chain rendering stopped recursing), while fleet windows
      // take a few tens of milliseconds: the budget, not the clock's luck, decides.
      await h.importEvents(hostileChain(jobFleetEvents()[0]!, hostileStart, 160_000));

      const at = (t: number) => () => new Date(t);
      const first = await runDetectionJob(
        { stores, scorer, logger: quiet, now: at(dataStart + 24 * HOUR + 17 * 60_000) },
        { partition, budget },
      );
      expect(first.status, first.errors.join('; ')).toBe('succeeded');
      expect((await stores.state.getCheckpoint(partition))?.processedUntil).toBe(first.window!.end);
      expect(first.errors.join('\n')).toMatch(/analysis failed on host evil-host .*time budget/);

      const after = await flaggedIds(stores);
      for (const id of fleet.keys()) expect(after.has(id), `fleet community ${id}`).toBe(true);
      const [q] = await stores.state.listQuarantine();
      expect(q).toMatchObject({ host: HOSTILE_HOST, attempts: 1, status: 'pending' });
      expect(q!.communityId).toBe(failureCommunityId(HOSTILE_HOST, q!.window));
      const finding = await stores.communities.get(q!.communityId);
      expect(finding?.score).toBe(1);
      expect(finding?.chain).toMatch(
        /^analysis failed on this host: time budget: BudgetExceededError: analysis took \d+ ms.*\[chain truncated\]$/,
      );
      expect(finding!.edges.length).toBeGreaterThan(0);
      expect(finding!.edges.length).toBeLessThanOrEqual(25);

      // Later runs (their span no longer covers the window) retry it, until attempts run out.
      const second = await runDetectionJob(
        { stores, scorer, logger: quiet, now: at(dataStart + 30 * HOUR) },
        { partition, budget: { ...budget } },
      );
      expect(second.errors.join('\n')).toMatch(/analysis failed on host evil-host/);
      expect((await stores.state.listQuarantine())[0]).toMatchObject({
        attempts: 2,
        status: 'exhausted',
      });
      await stores.settings.update({ lookback: '1h' });
      const third = await runDetectionJob(
        { stores, scorer, logger: quiet, now: at(dataStart + 36 * HOUR) },
        { partition, budget },
      );
      expect(third.errors.join('\n')).not.toMatch(/evil-host/);
      expect((await stores.state.listQuarantine())[0]).toMatchObject({ attempts: 2 });

      // Retried by an analyst with room to finish: it recovers, the failure finding is replaced.
      await stores.state.saveQuarantine({ ...q!, attempts: 0, status: 'pending' });
      const fourth = await runDetectionJob(
        { stores, scorer, logger: quiet, now: at(dataStart + 37 * HOUR) },
        { partition, budget: { timeMs: 120_000 } },
      );
      expect(fourth.status, fourth.errors.join('; ')).toBe('succeeded');
      expect(await stores.state.listQuarantine()).toEqual([]);
      expect(await stores.communities.get(q!.communityId)).toBeUndefined();
    }, 300_000);
  });
}
