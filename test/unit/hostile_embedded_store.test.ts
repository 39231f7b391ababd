/**
 * The embedded store's file import (what the standalone host stores events with) on the hostile
 * corpus: every record of every source is accounted for, every normalised event is stored or
 * named a duplicate, the store stays consistent, and what was stored reads back and runs
 * through the detection job.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessEvent } from '../../common/types/process_event';
import { runDetectionJob } from '../../server/jobs/detection_job';
import { TfjsEdgeScorer } from '../../server/lib/model/scorer';
import type { ReadAccounting } from '../../server/ports';
import { type EmbeddedStore, openEmbeddedStore } from '../../server/stores/duckdb/embedded_store';
import type { ImportReport } from '../../server/stores/duckdb/event_store';
import {
  CORPUS_DAY,
  type CorpusFiles,
  type HostileRecord,
  hostileCorpus,
  tally,
  type Tally,
  writeCorpusFiles,
} from '../hostile/hostile_corpus';

const MODEL_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../models/default',
);
/** Every time a Date can hold. */
const ALL_TIME = { start: '-271821-04-20T00:00:00.000Z', end: '+275760-09-13T00:00:00.000Z' };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let tmp: string;
let corpus: HostileRecord[];
let want: Tally;
let files: CorpusFiles;
let store: EmbeddedStore;
let report: ImportReport;

const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-hostile-store-'));
  corpus = hostileCorpus({ children: 2_000 });
  want = tally(corpus);
  files = writeCorpusFiles(tmp, corpus);
  store = await openEmbeddedStore(path.join(tmp, 'events.duckdb'), { batchSize: 1_000 });
});

afterAll(async () => {
  await store?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function readAll(window: { start: string; end: string }): Promise<{
  events: ProcessEvent[];
  accounting: ReadAccounting;
}> {
  const accounting: ReadAccounting = { read: 0, normalised: 0, rejected: {}, skipped: {} };
  const events: ProcessEvent[] = [];
  for await (const e of store.events.readEvents({ window }, accounting)) events.push(e);
  return { events, accounting };
}

describe('embedded store import of hostile input', () => {
  it('accounts for every record of plain, gzip, truncated gzip and bomb sources', async () => {
    const t0 = performance.now();
    report = await store.importEvents([files.plain, files.gz, files.truncatedGz, files.bomb]);
    const ms = performance.now() - t0;
    console.log(`[hostile] embedded import of 4 hostile sources: ${(ms / 1000).toFixed(1)} s`);
    expect(ms).toBeLessThan(120_000);

    const [plain, gz, truncated, bomb] = report.sources;
    for (const s of report.sources) {
      const n = s.normalise;
      expect(n.records, s.source).toBe(
        n.normalised + n.mergedTwins + sum(n.skipped) + sum(n.rejected),
      );
      // The normaliser never hands the store an event it cannot store.
      expect(s.invalid, s.source).toEqual({});
      expect(s.inserted + s.duplicates, s.source).toBe(n.normalised);
    }
    for (const s of [plain, gz]) {
      expect(s?.normalise).toMatchObject({
        records: want.records,
        normalised: want.events,
        mergedTwins: want.merged,
      });
      expect(s?.normalise.rejected).toEqual(want.rejected);
      expect(sum(s?.normalise.skipped ?? {})).toBe(want.skipped);
    }
    // Ids a source gives (`_rid`, `event.id`) are trusted, and the store is idempotent by id: the
    // record repeating `_rid` and the second of two different records both claiming id "1.5"
    // (a numeric `_rid` and a numeric `event.id`) are counted as duplicates, not stored twice.
    expect(plain?.duplicates).toBe(2);
    expect(truncated?.normalise.rejected.corrupt_input).toBe(1);
    expect(truncated?.normalise.records).toBeLessThan(want.records);
    expect(bomb?.normalise).toMatchObject({
      records: 1,
      normalised: 0,
      rejected: { line_too_long: 1 },
    });
    expect(bomb?.normalise.rejections[0]).toMatchObject({ file: files.bomb, line: 1 });

    // Rejection details name file and line; the first ones of the plain file are checked.
    for (const r of plain?.normalise.rejections ?? []) {
      expect(r.file).toBe(files.plain);
      const rec = corpus[r.line - 1];
      const reason = rec?.expect.kind === 'rejected' ? rec.expect.reason : `not rejected`;
      expect(r.reason.startsWith(`${reason}: `), `line ${r.line} ${rec?.label}: ${r.reason}`).toBe(
        true,
      );
    }

    expect(report.records).toBe(report.sources.reduce((n, s) => n + s.normalise.records, 0));
    expect(report.inserted).toBe(await store.events.count());
    const integrity = await store.integrity();
    expect(integrity.ok, JSON.stringify(integrity)).toBe(true);
    expect(integrity.unfinishedImports).toBe(0);
  }, 180_000);

  it('reads every stored event back, whatever its time', async () => {
    const { events, accounting } = await readAll(ALL_TIME);
    expect(events.length).toBe(report.inserted);
    expect(accounting).toEqual({
      read: report.inserted,
      normalised: report.inserted,
      rejected: {},
      skipped: {},
    });
    expect(new Set(events.map((e) => e.event.id)).size).toBe(events.length);
    const times = events.map((e) => e['@timestamp']);
    expect(times).toContain('+275760-09-12T23:59:59.999Z');
    expect(times).toContain('-271821-04-20T00:00:00.001Z');
    expect(times).toContain('0099-06-01T00:00:00.000Z');
    // The 1 MiB command lines are stored whole.
    expect(
      Math.max(...events.map((e) => e.process.command_line?.length ?? 0)),
    ).toBeGreaterThanOrEqual(1 << 20);
  }, 60_000);

  it('runs the detection job over the stored hostile events', async () => {
    const model = await TfjsEdgeScorer.load({ modelDir: MODEL_DIR });
    const day = await readAll(CORPUS_DAY);
    const t0 = performance.now();
    const run = await runDetectionJob(
      { stores: store.stores, scorer: async () => model, logger: quiet },
      {
        partition: { index: 0, count: 1 },
        range: { from: CORPUS_DAY.start, to: CORPUS_DAY.end },
        graphWindow: '1d',
      },
    );
    console.log(
      `[hostile] detection job over ${day.events.length} stored hostile events: ${run.durationMs} ms, ${run.flagged} flagged`,
    );
    expect(run.status, run.errors.join('; ')).toBe('succeeded');
    expect(run.eventsRead).toBe(day.events.length);
    expect(run.eventsRejected).toBe(0);
    expect(performance.now() - t0).toBeLessThan(120_000);
    expect((await store.integrity()).ok).toBe(true);
  }, 180_000);
});
