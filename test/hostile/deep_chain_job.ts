/**
 * The hostile hosts of deep_chain.ts through the detection job, as a suite each store runs
 * (embedded DuckDB: test/unit/hostile_deep_chain_job.test.ts; Elasticsearch:
 * test/integration/hostile_deep_chain_job.es.test.ts): the job's fleet with attacks, plus a
 * 100,000-deep chain, a 6 MB command line and bidi/escape names on hosts of their own. A run
 * over the day completes, every attacked fleet host has a flagged community with its attack,
 * and the hostile hosts are analysed (or, should a budget stop one, reported as a finding).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCommunitiesQuery } from '../../common/schemas';
import type { ProcessEvent } from '../../common/types/process_event';
import { generateSync } from '../../server/lib/generator/generate';
import { TfjsEdgeScorer } from '../../server/lib/model/scorer';
import { Normaliser } from '../../server/lib/normalise/normaliser';
import type { CommunitySummary, Stores } from '../../server/ports';
import { runDetectionJob } from '../../server/jobs/detection_job';
import type { StoreHarness } from '../../server/stores/store_contract';
import {
  DEEP_HOST,
  deepChain,
  LONG_HOST,
  longCommandLine,
  SPOOF_HOST,
  SPOOF_USER,
  spoofedChain,
} from './deep_chain';

const MODEL_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../models/default',
);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
export const DEPTH = 100_000;

/** The hostile records, normalised as any source's would be. */
export function hostileEvents(depth = DEPTH, longMib = 6): ProcessEvent[] {
  const n = new Normaliser();
  const out: ProcessEvent[] = [];
  let line = 0;
  const push = (r: Record<string, unknown>) => {
    const ref = {
      kind: 'file' as const,
      file: 'hostile.ndjson',
      line: ++line,
      format: 'sysmon_flat' as const,
    };
    for (const e of n.pushRecord(r, ref)) out.push(e);
  };
  for (const r of deepChain(depth)) push(r);
  push(longCommandLine(longMib));
  for (const r of spoofedChain()) push(r);
  for (const e of n.flush()) out.push(e);
  return out;
}

async function allCommunities(stores: Stores): Promise<CommunitySummary[]> {
  const out: CommunitySummary[] = [];
  for (let page = 1; ; page++) {
    const res = await stores.communities.list(
      listCommunitiesQuery.parse({ per_page: '100', page: String(page) }),
    );
    out.push(...res.items);
    if (out.length >= res.total || res.items.length === 0) return out;
  }
}

export function describeHostileJob(
  name: string,
  make: () => Promise<StoreHarness>,
  depth = DEPTH,
  longMib = 6,
): void {
  describe(`detection job with hostile hosts beside a fleet (a ${depth}-deep chain, a ${longMib} MiB command line) on ${name}`, () => {
    let h: StoreHarness;
    const malicious = new Map<string, string>();
    const fleetEvents: ProcessEvent[] = [];
    let hostile: ProcessEvent[] = [];

    beforeAll(async () => {
      h = await make();
      for (const r of generateSync({
        hosts: 4,
        days: 1,
        attacks: 4,
        seed: 11,
        eventsPerHostDay: 400,
      })) {
        fleetEvents.push(r.event);
        if (r.label.malicious) malicious.set(r.event.event.id, r.event.host.name.toLowerCase());
      }
      hostile = hostileEvents(depth, longMib);
      expect(hostile.length).toBe(depth + 3);
      await h.importEvents(fleetEvents);
      await h.importEvents(hostile);
    }, 300_000);

    afterAll(async () => {
      await h?.cleanup();
    });

    it('completes, flags every fleet attack and analyses the hostile hosts', async () => {
      const model = await TfjsEdgeScorer.load({ modelDir: MODEL_DIR });
      const run = await runDetectionJob(
        { stores: h.stores, scorer: async () => model, logger: quiet },
        {
          partition: { index: 0, count: 1 },
          range: { from: '2026-01-05T00:00:00.000Z', to: '2026-01-06T00:00:00.000Z' },
          graphWindow: '1d',
        },
      );
      expect(run.status, run.errors.join('; ')).toBe('succeeded');
      expect(run.eventsRead).toBe(fleetEvents.length + hostile.length);
      const stored = await allCommunities(h.stores);

      // Every attacked fleet host has a flagged community holding one of its attack events.
      const attacked = new Set(malicious.values());
      const found = new Set<string>();
      for (const c of stored) {
        if (!attacked.has(c.host.toLowerCase())) continue;
        const full = await h.stores.communities.get(c.id);
        if (full?.events.some((e) => malicious.has(e.event.event.id)))
          found.add(c.host.toLowerCase());
      }
      expect(found).toEqual(attacked);

      // The spoofed and the long-command-line hosts are flagged, their text stored exactly.
      const spoof = stored.find(
        (c) => c.host === SPOOF_HOST.toLowerCase() || c.host === SPOOF_HOST,
      );
      expect(spoof, stored.map((c) => c.host).join(', ')).toBeDefined();
      const spoofFull = await h.stores.communities.get(spoof!.id);
      expect(spoofFull?.users.join(' ')).toContain(SPOOF_USER);
      const long = stored.find((c) => c.host === LONG_HOST);
      expect(long).toBeDefined();
      const longFull = await h.stores.communities.get(long!.id);
      expect(longFull?.edges[0]?.commandLine?.length).toBeGreaterThan(longMib * 1024 * 1024);

      // The deep host was analysed: no error names it, or a finding on it reports its failure.
      const deepFailed = run.errors.some((e) => e.includes(DEEP_HOST));
      if (deepFailed) expect(stored.some((c) => c.host === DEEP_HOST)).toBe(true);
    }, 600_000);
  });
}
