/**
 * The hostile corpus as raw agent documents in a real Elasticsearch, read back through the
 * event reader and the detection job. Three places a document can end, and each is counted:
 *  - Elasticsearch refuses it at index time (bad JSON, a type that contradicts the mapping,
 *    nesting past the mapping depth): the writer reports it by id with the server's reason;
 *  - it is stored but is not a process creation by the reader's query: it is never read (the
 *    flat NXLog layouts, and ECS documents without any event kind);
 *  - it is read: then it becomes an event, or is skipped or rejected by the normaliser, and the
 *    reader's accounting and the job's report say so by reason.
 * Each family of layouts has an index of its own, as each agent writes to its own indices;
 * sharing one would let the first document's field types decide the rest.
 */
import type { Client } from '@elastic/elasticsearch';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ProcessEvent } from '../../common/types/process_event';
import { runDetectionJob } from '../../server/jobs/detection_job';
import { TfjsEdgeScorer } from '../../server/lib/model/scorer';
import type { ReadAccounting, RunReport } from '../../server/ports';
import { createEsClient } from '../../server/stores/elasticsearch/client';
import { EsStore } from '../../server/stores/elasticsearch/es_store';
import { processStartQuery, timeRange } from '../../server/stores/elasticsearch/event_query';
import { EsEventSource } from '../../server/stores/elasticsearch/event_source';
import { createRawIndex } from '../../server/stores/elasticsearch/testing/raw_docs';
import {
  CORPUS_DAY,
  type Family,
  type HostileRecord,
  hostileCorpus,
} from '../hostile/hostile_corpus';

const MODEL_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../models/default',
);
const PREFIX = `pc-hostile-${process.pid}`;
const FAMILIES: Family[] = ['ecs', 'winlogbeat6', 'flat', 'none'];
const RAW = `${PREFIX}-raw-*`;
/** Every time the reader's date format can name. */
const WIDE = { start: '0000-01-01T00:00:00.000Z', end: '9999-12-31T23:59:59.999Z' };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface Refusal {
  /** 1-based corpus line, also the document `_id`. */
  line: number;
  type: string;
  reason: string;
}

interface Written {
  accepted: Set<number>;
  refused: Refusal[];
}

/**
 * Sends the records' bytes as they are (no client-side JSON round trip could carry a truncated
 * or mis-encoded document) in bulk requests, and reports every item: stored or refused.
 */
async function writeRaw(url: string, records: readonly HostileRecord[]): Promise<Written> {
  const out: Written = { accepted: new Set(), refused: [] };
  let body: Buffer[] = [];
  let lines: number[] = [];
  let bytes = 0;
  const flush = async (): Promise<void> => {
    if (lines.length === 0) return;
    const res = await fetch(
      `${url}/_bulk?filter_path=items.*.status,items.*.error.type,items.*.error.reason`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: Buffer.concat(body),
      },
    );
    const json = (await res.json()) as {
      items?: Array<Record<string, { status: number; error?: { type: string; reason?: string } }>>;
    };
    if (res.status !== 200 || json.items?.length !== lines.length) {
      throw new Error(
        `bulk request failed as a whole: ${res.status} ${JSON.stringify(json).slice(0, 500)}`,
      );
    }
    json.items.forEach((item, k) => {
      const r = Object.values(item)[0];
      const line = lines[k] as number;
      if (r?.error) out.refused.push({ line, type: r.error.type, reason: r.error.reason ?? '' });
      else out.accepted.add(line);
    });
    body = [];
    lines = [];
    bytes = 0;
  };
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as HostileRecord;
    if (r.expect.kind === 'blank') continue;
    const action = { index: { _index: `${PREFIX}-raw-${r.family}`, _id: String(i + 1) } };
    body.push(Buffer.from(`${JSON.stringify(action)}\n`), r.bytes, Buffer.from('\n'));
    lines.push(i + 1);
    bytes += r.bytes.length;
    if (bytes > 8_000_000 || lines.length >= 1_000) await flush();
  }
  await flush();
  return out;
}

/** Ids of the documents the reader's query selects in a window. */
async function selected(client: Client, window: { start: string; end: string }): Promise<number[]> {
  const res = await client.search({
    index: RAW,
    size: 10_000,
    _source: false,
    query: { bool: { filter: [processStartQuery(), timeRange(window)] } },
  });
  return res.hits.hits.map((h) => Number(h._id));
}

interface Expected {
  events: number;
  skipped: number;
  rejected: Record<string, number>;
}

/** What the normaliser must make of these documents, from the corpus (one document, one event: no twins). */
function expectedOf(corpus: readonly HostileRecord[], lines: readonly number[]): Expected {
  const e: Expected = { events: 0, skipped: 0, rejected: {} };
  for (const line of lines) {
    const x = (corpus[line - 1] as HostileRecord).expect;
    if (x.kind === 'event' || x.kind === 'merged') e.events++;
    else if (x.kind === 'skipped') e.skipped++;
    else if (x.kind === 'rejected') e.rejected[x.reason] = (e.rejected[x.reason] ?? 0) + 1;
    else throw new Error(`line ${line} (${corpus[line - 1]?.label}) was read but is blank`);
  }
  return e;
}

const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);

describe('hostile documents in Elasticsearch', () => {
  let client: Client;
  let corpus: HostileRecord[];
  let written: Written;
  let store: EsStore;

  beforeAll(async () => {
    client = createEsClient({ node: inject('esUrl') });
    await client.indices.delete({
      index: `${PREFIX}-*`,
      ignore_unavailable: true,
      allow_no_indices: true,
    });
    for (const f of FAMILIES) await createRawIndex(client, `${PREFIX}-raw-${f}`);
    corpus = hostileCorpus({ children: 1_000, megabyteRecords: 6 });
    written = await writeRaw(inject('esUrl'), corpus);
    await client.indices.refresh({ index: RAW });
    store = new EsStore({
      client,
      names: { communities: `${PREFIX}-communities`, state: `${PREFIX}-state` },
      settingsDefaults: { indices: RAW },
    });
    await store.setup();
  }, 240_000);

  afterAll(async () => {
    await store?.destroy();
    await client.indices.delete({
      index: `${PREFIX}-*`,
      ignore_unavailable: true,
      allow_no_indices: true,
    });
    await client.close();
  });

  it('has every document refused at index time reported by id and reason', async () => {
    const sent = corpus.filter((r) => r.expect.kind !== 'blank').length;
    expect(written.accepted.size + written.refused.length).toBe(sent);
    // Stored means stored: the indices hold exactly the accepted documents.
    expect((await client.count({ index: RAW })).count).toBe(written.accepted.size);
    const refused = new Map(written.refused.map((r) => [r.line, r]));
    for (const r of written.refused) {
      expect(r.type.length, `line ${r.line}`).toBeGreaterThan(0);
      expect(r.reason.length, `line ${r.line}`).toBeGreaterThan(0);
    }
    corpus.forEach((r, i) => {
      // Broken JSON, non-objects and nesting past the mapping depth never get in.
      if (/truncated|not an object|nested \d+ deep|unterminated|trailing garbage/.test(r.label))
        expect(refused.has(i + 1), `line ${i + 1}: ${r.label}`).toBe(true);
    });
    console.log(
      `[hostile] Elasticsearch stored ${written.accepted.size} of ${sent} hostile documents and refused ${written.refused.length}`,
    );
  });

  it('reads back every stored process creation, counting each one the normaliser refuses', async () => {
    const src = new EsEventSource({ client, indices: () => RAW, pageSize: 300 });
    const acc: ReadAccounting = { read: 0, normalised: 0, rejected: {}, skipped: {} };
    const events: ProcessEvent[] = [];
    for await (const e of src.readEvents({ window: WIDE }, acc)) events.push(e);

    const lines = await selected(client, WIDE);
    const want = expectedOf(corpus, lines);
    expect(acc.read).toBe(lines.length);
    expect(acc.read).toBe(acc.normalised + sum(acc.rejected) + sum(acc.skipped));
    expect(acc.normalised).toBe(want.events);
    expect(acc.rejected).toEqual(want.rejected);
    expect(sum(acc.skipped)).toBe(want.skipped);
    expect(events).toHaveLength(acc.normalised);
    // Each event names its document, one that was stored and was expected to make an event.
    const ids = events.map((e) => {
      const src0 = e.problemchild.sources[0];
      return src0?.kind === 'es' ? Number(src0.id) : NaN;
    });
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(written.accepted.has(id), `document ${id}`).toBe(true);
      expect(['event', 'merged']).toContain(corpus[id - 1]?.expect.kind);
    }
    console.log(
      `[hostile] read ${acc.read} hostile documents: ${acc.normalised} events, ` +
        `rejected ${JSON.stringify(acc.rejected)}, skipped ${JSON.stringify(acc.skipped)}; ` +
        `${written.accepted.size - lines.length} stored documents are not process creations by the query`,
    );
  }, 120_000);

  it('runs the detection job over them, reporting every rejection and skip', async () => {
    const model = await TfjsEdgeScorer.load({ modelDir: MODEL_DIR });
    const lines = await selected(client, CORPUS_DAY);
    const want = expectedOf(corpus, lines);
    expect(sum(want.rejected)).toBeGreaterThan(0);
    const job = (index: number, count: number): Promise<RunReport> =>
      runDetectionJob(
        { stores: store.stores, scorer: async () => model, logger: quiet },
        {
          partition: { index, count },
          range: { from: CORPUS_DAY.start, to: CORPUS_DAY.end },
          graphWindow: '1d',
        },
      );

    const whole = await job(0, 1);
    expect(whole.status, whole.errors.join('; ')).toBe('succeeded');
    expect(whole.eventsRead).toBe(lines.length);
    expect(whole.eventsRejected).toBe(sum(want.rejected));
    const said = whole.errors.join('\n');
    for (const [reason, n] of Object.entries(want.rejected))
      expect(said).toContain(`${reason} ${n}`);
    if (want.skipped > 0) expect(said).toContain(`skipped ${want.skipped} of ${lines.length}`);
    console.log(
      `[hostile] detection job over ${lines.length} hostile documents of the day: ${whole.durationMs} ms, ${whole.flagged} flagged`,
    );

    const parts = [await job(0, 3), await job(1, 3), await job(2, 3)];
    for (const p of parts) expect(p.status, p.errors.join('; ')).toBe('succeeded');
  }, 240_000);

  it('splits the documents over partitions so that each is analysed once', async () => {
    const src = new EsEventSource({ client, indices: () => RAW, pageSize: 300 });
    const ids = async (partition?: { index: number; count: number }, acc?: ReadAccounting) => {
      const out: number[] = [];
      for await (const e of src.readEvents({ window: WIDE, partition }, acc)) {
        const s0 = e.problemchild.sources[0];
        out.push(s0?.kind === 'es' ? Number(s0.id) : NaN);
      }
      return out;
    };
    const whole = new Set(await ids());
    const seen = new Map<number, number>();
    let read = 0;
    for (let index = 0; index < 3; index++) {
      const acc: ReadAccounting = { read: 0, normalised: 0, rejected: {}, skipped: {} };
      for (const id of await ids({ index, count: 3 }, acc)) seen.set(id, (seen.get(id) ?? 0) + 1);
      read += acc.read;
    }
    // Host fields Elasticsearch indexes differently from how the normaliser reads them (a
    // boolean, several values) can list a document under another partition's host than the
    // one its event belongs to; the reader then skips it there as `other_partition`, and the
    // job report says so. Every other document is analysed exactly once.
    const irregular = new Set(
      corpus.flatMap((r, i) =>
        /(host\.name|host\.hostname|computer_name) = (bool|mixedArray)$/.test(r.label)
          ? [i + 1]
          : [],
      ),
    );
    for (const [id, n] of seen) expect(n, `document ${id}: ${corpus[id - 1]?.label}`).toBe(1);
    for (const id of whole)
      if (!irregular.has(id))
        expect(seen.has(id), `document ${id}: ${corpus[id - 1]?.label}`).toBe(true);
    const selectedIrregular = (await selected(client, WIDE)).filter((id) => irregular.has(id));
    expect(read).toBeLessThanOrEqual(
      (await selected(client, WIDE)).length + selectedIrregular.length,
    );
  }, 120_000);
});
