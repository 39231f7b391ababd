/**
 * The detection job's guarantees, as a vitest suite every store runs (embedded and Elasticsearch):
 * overlapping runs never duplicate a community, an aborted run loses nothing once the next run
 * resumes from the checkpoint, and analyst triage survives re-detection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessEvent } from '../../common/types/process_event';
import type { EdgeScorer } from '../../common/types/scoring';
import { listCommunitiesQuery } from '../../common/schemas';
import { generateSync } from '../lib/generator/generate';
import { TfjsEdgeScorer } from '../lib/model/scorer';
import type { CommunitySummary, Stores } from '../ports';
import type { StoreHarness } from '../stores/store_contract';
import { runDetectionJob } from './detection_job';

const MODEL_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../models/default',
);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const HOUR = 3_600_000;

/** The generated fleet the job tests run on: 4 hosts, one day, 4 attacks, seed 11. */
export function jobFleetEvents(): ProcessEvent[] {
  return Array.from(
    generateSync({ hosts: 4, days: 1, attacks: 4, seed: 11, eventsPerHostDay: 400 }),
    (r) => r.event,
  );
}

async function allCommunities(stores: Stores): Promise<CommunitySummary[]> {
  const out: CommunitySummary[] = [];
  for (let page = 1; ; page++) {
    const res = await stores.communities.list(
      listCommunitiesQuery.parse({
        per_page: '100',
        page: String(page),
        sort: 'rank',
        direction: 'asc',
      }),
    );
    out.push(...res.items);
    if (out.length >= res.total || res.items.length === 0) return out;
  }
}

async function memberEventIds(stores: Stores, ids: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) {
    const c = await stores.communities.get(id);
    for (const e of c!.events) out.push(e.event.event.id);
  }
  return out;
}

export function describeJobContract(name: string, make: () => Promise<StoreHarness>): void {
  describe(`detection job on ${name}`, () => {
    let h: StoreHarness;
    let model: EdgeScorer;
    let dataStart = 0;
    const scorer = async () => model;

    beforeAll(async () => {
      h = await make();
      model = await TfjsEdgeScorer.load({ modelDir: MODEL_DIR });
      const events = jobFleetEvents();
      dataStart = Date.parse(events[0]!['@timestamp']);
      await h.importEvents(events);
      await h.stores.settings.update({ lookback: '2h', threshold: 0.5 });
    }, 180_000);

    afterAll(async () => {
      await h?.cleanup();
    });

    const partition = { index: 0, count: 1 };
    const at = (hours: number) => () => new Date(dataStart + hours * HOUR + 17 * 60_000);

    it('overlapping scheduled runs never duplicate a community, and match one full run', async () => {
      const stores = h.stores;
      const r1 = await runDetectionJob(
        { stores, scorer, logger: quiet, now: at(10) },
        { partition },
      );
      expect(r1.status).toBe('succeeded');
      const cp1 = await stores.state.getCheckpoint(partition);
      expect(cp1?.processedUntil).toBe(r1.window!.end);

      const r2 = await runDetectionJob(
        { stores, scorer, logger: quiet, now: at(11) },
        { partition },
      );
      expect(r2.status).toBe('succeeded');
      // The second run re-read the window the first one saw while it was still filling.
      expect(Date.parse(r2.window!.start)).toBeLessThan(Date.parse(r1.window!.end));

      const afterRuns = await allCommunities(stores);
      expect(afterRuns.length).toBeGreaterThan(0);
      const ids = afterRuns.map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
      const members = await memberEventIds(stores, ids);
      expect(new Set(members).size).toBe(members.length);

      // One explicit run over the whole span finds exactly what the two scheduled runs left.
      const full = await runDetectionJob(
        { stores, scorer, logger: quiet, now: at(11) },
        { partition, range: { from: r1.window!.start, to: r2.window!.end } },
      );
      expect(full.status).toBe('succeeded');
      const afterFull = await allCommunities(stores);
      expect(afterFull.map((c) => c.id).sort()).toEqual([...ids].sort());
    }, 180_000);

    it('an aborted run moves no checkpoint and the next run completes the work', async () => {
      const stores = h.stores;
      const before = await stores.state.getCheckpoint(partition);
      const controller = new AbortController();
      const aborting = async () => ({
        modelName: model.modelName,
        score: async (events: ProcessEvent[]) => {
          const s = await model.score(events);
          controller.abort();
          return s;
        },
      });
      const aborted = await runDetectionJob(
        { stores, scorer: aborting, logger: quiet, now: at(14) },
        { partition, scoreBatch: 50 },
        controller.signal,
      );
      expect(aborted.status).toBe('aborted');
      expect(await stores.state.getCheckpoint(partition)).toEqual(before);

      const resumed = await runDetectionJob(
        { stores, scorer, logger: quiet, now: at(14) },
        { partition },
      );
      expect(resumed.status, resumed.errors.join('; ')).toBe('succeeded');
      expect(resumed.window!.start).toBe(aborted.window!.start);
      const list = await allCommunities(stores);
      const members = await memberEventIds(
        stores,
        list.map((c) => c.id),
      );
      expect(new Set(members).size).toBe(members.length);
      const runs = await stores.state.recentRuns(10);
      expect(runs.map((r) => r.status)).toEqual(expect.arrayContaining(['aborted', 'succeeded']));
    }, 180_000);

    it('keeps analyst triage when the same windows are detected again', async () => {
      const stores = h.stores;
      const [first] = await allCommunities(stores);
      await stores.communities.triage(
        first!.id,
        { status: 'acknowledged', note: 'checked' },
        'analyst',
      );
      const cp = await stores.state.getCheckpoint(partition);
      const again = await runDetectionJob(
        { stores, scorer, logger: quiet, now: at(14) },
        { partition, range: { from: new Date(dataStart).toISOString(), to: cp!.processedUntil } },
      );
      expect(again.status).toBe('succeeded');
      const kept = await stores.communities.get(first!.id);
      expect(kept?.triage).toMatchObject({ status: 'acknowledged', note: 'checked' });
      const listed = await stores.communities.list(
        listCommunitiesQuery.parse({ status: 'acknowledged' }),
      );
      expect(listed.items.map((c) => c.id)).toContain(first!.id);
    }, 180_000);
  });
}
