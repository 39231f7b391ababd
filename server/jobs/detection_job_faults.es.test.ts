/**
 * The detection job against a real Elasticsearch that misbehaves: slow, answering 429/503,
 * refusing some items of a bulk request, or stopped and restarted mid-run. Each run's
 * communities are compared, id by id and field by field, with those of a clean run of the same
 * job over the same events, so any loss, duplicate or half-written state shows up.
 *
 * Faults come from test/harness/fault_proxy.ts, a proxy in front of the real node; a node
 * stopped mid-run is this file's own, so the shared one is never disturbed.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { listCommunitiesQuery } from '../../common/schemas';
import type { ProcessEvent } from '../../common/types/process_event';
import type { EdgeScorer } from '../../common/types/scoring';
import { TfjsEdgeScorer } from '../lib/model/scorer';
import type { Logger, Partition, StoredCommunity } from '../ports';
import { createEsClient } from '../stores/elasticsearch/client';
import { EsStore } from '../stores/elasticsearch/es_store';
import { EsEventSource } from '../stores/elasticsearch/event_source';
import { ensureEventIndex, indexEvents } from '../stores/elasticsearch/event_writer';
import type { RetryPolicy } from '../stores/elasticsearch/retry';
import { startElasticsearch, type RunningElasticsearch } from '../../test/harness/elasticsearch';
import {
  startFaultProxy,
  type FaultProxy,
  type LoggedRequest,
  type RuleHandle,
} from '../../test/harness/fault_proxy';
import { runDetectionJob } from './detection_job';
import { jobFleetEvents } from './job_contract';

const MODEL_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../models/default',
);
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PREFIX = `pc-jobfault-${process.pid}`;
const EVENTS = `${PREFIX}-events`;
const partition: Partition = { index: 0, count: 1 };
/**
 * Short waits keep the file fast; the floor makes every retry measurably spaced, which full
 * jitter alone (0 .. cap) would not.
 */
const RETRY: Required<RetryPolicy> = {
  attempts: 5,
  baseDelayMs: 80,
  maxDelayMs: 400,
  minDelayMs: 60,
};
/** Small pages so a read spans several requests and a fault can land in its middle. */
const PAGE = 150;

type Snapshot = Map<string, Omit<StoredCommunity, 'runId' | 'version'>>;

describe('detection job on a misbehaving Elasticsearch', () => {
  let direct: Client;
  let proxy: FaultProxy;
  let viaProxy: Client;
  let model: EdgeScorer;
  let events: ProcessEvent[];
  /** A first scheduled run halfway through the day, and one after its end. */
  let t1: number;
  let t2: number;
  /** The clean result of the runs at t1 then t2. */
  let reference: Snapshot;
  /** Events the clean run at t2 read. */
  let referenceEventsRead = 0;
  /** A node of this file's own, to stop and restart; it boots while the other tests run. */
  let nodeStarting: Promise<RunningElasticsearch>;
  const created: EsStore[] = [];
  const scorer = async () => model;

  const storeOn = (client: Client, prefix: string) =>
    new EsStore({
      client,
      names: { communities: `${prefix}-communities`, state: `${prefix}-state` },
      settingsDefaults: { indices: EVENTS, lookback: '24h', threshold: 0.5 },
      eventPageSize: PAGE,
      retry: RETRY,
    });

  /** Indices of a new store, set up directly; `job` reaches them through `client`. */
  async function freshStore(client: Client): Promise<{ inspect: EsStore; job: EsStore }> {
    const prefix = `${PREFIX}-${created.length}`;
    const inspect = storeOn(direct, prefix);
    created.push(inspect);
    await inspect.setup();
    return { inspect, job: storeOn(client, prefix) };
  }

  const run = (store: EsStore, at: number) =>
    runDetectionJob(
      { stores: store.stores, scorer, logger: quiet, now: () => new Date(at) },
      { partition },
    );

  beforeAll(async () => {
    nodeStarting = startElasticsearch();
    nodeStarting.catch(() => undefined);
    direct = createEsClient({ node: inject('esUrl') });
    proxy = await startFaultProxy(inject('esUrl'));
    viaProxy = createEsClient({ node: proxy.url });
    model = await TfjsEdgeScorer.load({ modelDir: MODEL_DIR });
    events = jobFleetEvents();
    const day = Math.floor(Date.parse(events[0]!['@timestamp']) / DAY) * DAY;
    t1 = day + 12 * HOUR + 17 * 60_000;
    t2 = day + DAY + 17 * 60_000;
    await ensureEventIndex(direct, EVENTS);
    const indexed = await indexEvents(direct, EVENTS, events, { refresh: true });
    expect(indexed.failed).toEqual([]);

    const { inspect } = await freshStore(direct);
    expect((await run(inspect, t1)).status).toBe('succeeded');
    const clean = await run(inspect, t2);
    expect(clean.status).toBe('succeeded');
    referenceEventsRead = clean.eventsRead;
    reference = await snapshot(inspect);
    expect(reference.size).toBeGreaterThan(2);
  }, 240_000);

  afterAll(async () => {
    await (await nodeStarting.catch(() => undefined))?.stop();
    await viaProxy?.close();
    await proxy?.close();
    for (const st of created) await st.destroy();
    await direct?.indices.delete({ index: EVENTS, ignore_unavailable: true });
    await direct?.close();
  });

  it('a single run after the day equals the two scheduled runs', async () => {
    const { inspect } = await freshStore(direct);
    expect((await run(inspect, t2)).status).toBe('succeeded');
    expectSame(await snapshot(inspect), reference);
  });

  it('is only slower when every request is slow, even when an answer outlasts the timeout', async () => {
    // A bulk answer that arrives after the client gave up: the writes were applied, the client
    // sends them again and must neither fail on its own creates nor duplicate anything.
    const impatient = createEsClient({ node: proxy.url, requestTimeoutMs: 2_000 });
    try {
      const { inspect, job } = await freshStore(impatient);
      const slow = proxy.add({ name: 'slow', path: /./, fault: { kind: 'latency', ms: 30 } });
      const lost = proxy.add({
        name: 'lost bulk answer',
        method: 'POST',
        path: /^\/_bulk$/,
        times: 1,
        fault: { kind: 'latency', ms: 2_500, phase: 'response' },
      });
      const r1 = await run(job, t1);
      const r2 = await run(job, t2);
      proxy.clear();
      expect(r1.status, r1.errors.join('; ')).toBe('succeeded');
      expect(r2.status, r2.errors.join('; ')).toBe('succeeded');
      expect(slow.hits).toBeGreaterThan(20);
      expect(lost.hits).toBe(1);
      expectRetried(proxy.log, lost, 2_000);
      expectSame(await snapshot(inspect), reference);
    } finally {
      await impatient.close();
    }
  });

  it.each([429, 503] as const)(
    'retries %i bursts on every kind of request with backoff and ends with the clean result',
    async (status) => {
      const { inspect, job } = await freshStore(viaProxy);
      expect((await run(job, t1)).status).toBe('succeeded');
      const cp = await inspect.state.getCheckpoint(partition);

      const burst = (name: string, method: string, p: RegExp, times: number, skip = 0) =>
        proxy.add({
          name: `${status} ${name}`,
          method,
          path: p,
          times,
          skip,
          fault: { kind: 'status', status },
        });
      const rules = [
        burst('prevalence', 'POST', new RegExp(`^/${EVENTS}/_search$`), 2),
        burst('open pit', 'POST', new RegExp(`^/${EVENTS}/_pit$`), 3),
        // Past the first page: the read is under way when the cluster pushes back.
        burst('read page', 'POST', /^\/_search$/, 4, 2),
        burst('close pit', 'DELETE', /^\/_pit$/, 2),
        burst('read versions', 'POST', /-communities\/_mget$/, 2),
        burst('bulk', 'POST', /^\/_bulk$/, 4),
        burst('checkpoint', 'PUT', /-state\/_doc\/checkpoint/, 2),
      ];
      const t0 = Date.now();
      const r = await run(job, t2);
      const elapsed = Date.now() - t0;
      proxy.clear();

      expect(r.status, r.errors.join('; ')).toBe('succeeded');
      for (const rule of rules) {
        expect(rule.hits, rule.rule.name).toBe(rule.rule.times);
        expectRetried(proxy.log, rule, RETRY.minDelayMs);
      }
      // The faulted requests come one after another (each blocks the stage that sent it), so
      // their backoffs add up.
      const faults = rules.reduce((n, rule) => n + rule.hits, 0);
      expect(elapsed).toBeGreaterThanOrEqual(faults * RETRY.minDelayMs);
      expect((await inspect.state.getCheckpoint(partition))?.processedUntil).toBe(r.window!.end);
      expect(Date.parse(r.window!.start)).toBeLessThan(Date.parse(cp!.processedUntil));
      expectSame(await snapshot(inspect), reference);
    },
  );

  it('re-sends bulk items the cluster refused, and only those', async () => {
    const { inspect, job } = await freshStore(viaProxy);
    expect((await run(job, t1)).status).toBe('succeeded');
    // Communities of windows the first run saw still filling: the second run must delete them.
    const stale = [...(await snapshot(inspect)).keys()].filter((id) => !reference.has(id));
    expect(stale.length).toBeGreaterThan(0);
    // Every other write refused, twice over, and every delete twice: recoverable within the
    // store's tries.
    const writes = proxy.add({
      name: 'refuse half the writes',
      method: 'POST',
      path: /^\/_bulk$/,
      times: 2,
      fault: {
        kind: 'reject_bulk_items',
        select: (it) => it.action !== 'delete' && it.position % 2 === 0,
      },
    });
    const deletes = proxy.add({
      name: 'refuse the deletes',
      method: 'POST',
      path: /^\/_bulk$/,
      times: 2,
      fault: { kind: 'reject_bulk_items', select: (it) => it.action === 'delete' },
    });
    const from = proxy.log.length;
    const r = await run(job, t2);
    proxy.clear();
    expect(r.status, r.errors.join('; ')).toBe('succeeded');
    for (const rule of [writes, deletes]) {
      expect(rule.hits, rule.rule.name).toBe(2);
      expectSpacedAfter(proxy.log, rule, RETRY.minDelayMs);
    }
    expect(writes.itemsRefused).toBeGreaterThan(1);
    expect(deletes.itemsRefused).toBe(2 * stale.length);
    // Writes and deletes go in separate requests; after a refusal the next request of its kind
    // carries exactly the refused items: the accepted ones are not written a second time.
    const bulks = proxy.log.slice(from).filter((e) => e.path === '/_bulk');
    expect(bulks.map((e) => e.itemsRefused ?? 0).filter((n) => n > 0)).toHaveLength(4);
    for (let i = 0; i + 1 < bulks.length; i++) {
      const refused = bulks[i]!.itemsRefused ?? 0;
      if (refused > 0) expect(bulks[i + 1]!.bulkItems).toBe(refused);
    }
    expect((await inspect.state.getCheckpoint(partition))?.processedUntil).toBe(r.window!.end);
    expectSame(await snapshot(inspect), reference);
  });

  it('fails without moving the checkpoint when refused items run out of tries; the next run completes', async () => {
    const { inspect, job } = await freshStore(viaProxy);
    expect((await run(job, t1)).status).toBe('succeeded');
    const before = await inspect.state.getCheckpoint(partition);
    const stale = [...(await snapshot(inspect)).keys()].filter((id) => !reference.has(id));
    // One write and every stale delete refused as many times as the store tries.
    const writes = proxy.add({
      name: 'refuse the first write',
      method: 'POST',
      path: /^\/_bulk$/,
      times: RETRY.attempts,
      fault: {
        kind: 'reject_bulk_items',
        select: (it) => it.action !== 'delete' && it.position === 0,
      },
    });
    const deletes = proxy.add({
      name: 'refuse every delete',
      method: 'POST',
      path: /^\/_bulk$/,
      times: RETRY.attempts,
      fault: { kind: 'reject_bulk_items', select: (it) => it.action === 'delete' },
    });
    const failed = await run(job, t2);
    proxy.clear();
    expect(writes.hits).toBe(RETRY.attempts);
    expect(deletes.hits).toBe(RETRY.attempts);
    expect(failed.status).toBe('failed');
    expect(failed.errors.join('; ')).toMatch(
      new RegExp(
        `^${1 + stale.length} communities could not be written or removed .*es_rejected_execution_exception.*the checkpoint was not moved`,
      ),
    );
    expect(await inspect.state.getCheckpoint(partition)).toEqual(before);

    const next = await run(job, t2);
    expect(next.status, next.errors.join('; ')).toBe('succeeded');
    expect(next.window).toEqual(failed.window);
    expectSame(await snapshot(inspect), reference);
  });

  it('reads on in a new point in time when one is lost mid-read, repeating and skipping nothing', async () => {
    const window = {
      start: new Date(t2 - 2 * DAY).toISOString(),
      end: new Date(t2).toISOString(),
    };
    const clean: string[] = [];
    const cleanAccounting = { read: 0, normalised: 0, rejected: {}, skipped: {} };
    const reader = new EsEventSource({ client: direct, indices: () => EVENTS });
    for await (const e of reader.readEvents({ window }, cleanAccounting)) clean.push(e.event.id);
    // Enough pages that both losses below land well inside the read.
    expect(clean.length).toBeGreaterThan(PAGE * 12);

    const warnings: string[] = [];
    const src = new EsEventSource({
      client: viaProxy,
      indices: () => EVENTS,
      pageSize: PAGE,
      retry: RETRY,
      logger: {
        ...quiet,
        warn: (m: string) => {
          warnings.push(m);
        },
      },
    });
    const accounting = { read: 0, normalised: 0, rejected: {}, skipped: {} };
    const got: string[] = [];
    // What a restarted node does to a point in time, without the restart: it is gone.
    const losePit = async () => {
      const opened = proxy.log.filter((l) => l.method === 'POST' && l.path.endsWith('/_pit'));
      const id = (JSON.parse(opened[opened.length - 1]!.reply!) as { id: string }).id;
      expect((await direct.closePointInTime({ id })).succeeded).toBe(true);
    };
    for await (const e of src.readEvents({ window }, accounting)) {
      got.push(e.event.id);
      // Mid-page, twice, so the second new point in time starts where the first left off.
      if (got.length === Math.round(PAGE * 2.5) || got.length === Math.round(PAGE * 9.3))
        await losePit();
    }
    expect(
      warnings.filter((w) => w === 'point in time lost; reading on in a new one'),
    ).toHaveLength(2);
    expect(got).toEqual(clean);
    expect(accounting).toEqual(cleanAccounting);
  });

  describe('when the node stops mid-run and comes back', () => {
    let node: RunningElasticsearch;
    let client: Client;
    let nodeProxy: FaultProxy;
    let proxied: Client;

    beforeAll(async () => {
      node = await nodeStarting;
      client = createEsClient({ node: node.url, requestTimeoutMs: 5_000 });
      nodeProxy = await startFaultProxy(node.url);
      proxied = createEsClient({ node: nodeProxy.url, requestTimeoutMs: 5_000 });
      // Seeding is not under test: a patient client of its own, so a busy machine cannot time
      // the bulk out before the faults even start.
      const seeding = createEsClient({ node: node.url, requestTimeoutMs: 60_000 });
      try {
        await ensureEventIndex(seeding, EVENTS);
        const indexed = await indexEvents(seeding, EVENTS, events, { refresh: true });
        expect(indexed.failed).toEqual([]);
      } finally {
        await seeding.close();
      }
    }, 240_000);

    afterAll(async () => {
      await proxied?.close();
      await nodeProxy?.close();
      await client?.close();
    });

    // One stop and one restart serve three runs, as a node restart is the slow part: one
    // stopped mid-read and one mid-write, both with the default-like short retries (they must
    // fail, and the run after the restart must finish their work), and one mid-read whose
    // retries outlast the restart (it must carry on in a new point in time).
    it('fails runs cleanly, keeps their checkpoints, and finishes their work after the restart', async () => {
      const onNode = (c: Client, name: string, retry: RetryPolicy, logger: Logger = quiet) =>
        new EsStore({
          client: c,
          names: { communities: `${PREFIX}-${name}-communities`, state: `${PREFIX}-${name}-state` },
          settingsDefaults: { indices: EVENTS, lookback: '24h', threshold: 0.5 },
          eventPageSize: PAGE,
          retry,
          logger,
        });
      const warnings: string[] = [];
      const reading = onNode(client, 'read', RETRY);
      const writing = onNode(proxied, 'write', RETRY);
      const patient = onNode(
        client,
        'patient',
        { attempts: 400, baseDelayMs: 250, maxDelayMs: 500, minDelayMs: 250 },
        {
          ...quiet,
          warn: (m: string) => {
            warnings.push(m);
          },
        },
      );
      const all = [reading, writing, patient];
      await Promise.all(all.map((st) => st.setup()));
      const firsts = await Promise.all(all.map((st) => run(st, t1)));
      expect(firsts.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      const before = await Promise.all(all.map((st) => st.state.getCheckpoint(partition)));

      // The readers hold after their first scored batch, mid-read, until the node is down.
      let down!: () => void;
      const nodeDown = new Promise<void>((r) => (down = r));
      const holding = (reached: () => void) => async (): Promise<EdgeScorer> => {
        let first = true;
        return {
          modelName: model.modelName,
          score: async (batch: ProcessEvent[]) => {
            const s = await model.score(batch);
            if (first) {
              first = false;
              reached();
              await nodeDown;
            }
            return s;
          },
        };
      };
      let readerHolds!: () => void;
      let patientHolds!: () => void;
      const held = Promise.all([
        new Promise<void>((r) => (readerHolds = r)),
        new Promise<void>((r) => (patientHolds = r)),
      ]);
      // The writer's first bulk request reaches the node with half its items, then the node stops.
      const dies = nodeProxy.add({
        name: 'dies mid-bulk',
        method: 'POST',
        path: /^\/_bulk$/,
        times: 1,
        fault: {
          kind: 'die_mid_bulk',
          apply: (it) => it.position % 2 === 1,
          die: async () => {
            await held;
            await node.halt();
            down();
          },
        },
      });
      const job = (st: EsStore, score: () => Promise<EdgeScorer>) =>
        runDetectionJob(
          { stores: st.stores, scorer: score, logger: quiet, now: () => new Date(t2) },
          { partition, scoreBatch: 50 },
        );
      const readerRun = job(reading, holding(readerHolds));
      const patientRun = job(patient, holding(patientHolds));
      const writerRun = job(writing, scorer);

      const [readFailed, writeFailed] = await Promise.all([readerRun, writerRun]);
      expect(dies.hits).toBe(1);
      expect(dies.itemsRefused).toBeGreaterThan(0);
      expect(readFailed.status).toBe('failed');
      expect(readFailed.errors.join('; ')).toMatch(
        /^reading and scoring events failed: connect ECONNREFUSED .*checkpoint was not moved/,
      );
      // Not a short window: the read stopped part way through.
      expect(readFailed.eventsRead).toBeGreaterThan(0);
      expect(readFailed.eventsRead).toBeLessThan(referenceEventsRead);
      expect(writeFailed.status).toBe('failed');
      expect(writeFailed.errors.join('; ')).toMatch(/^writing communities failed: /);

      await node.restart();
      const carriedOn = await patientRun;
      expect(carriedOn.status, carriedOn.errors.join('; ')).toBe('succeeded');
      expect(warnings).toContain('point in time lost; reading on in a new one');
      // Events read again in the new point in time are not counted twice.
      expect(carriedOn.eventsRead).toBe(referenceEventsRead);

      const after = await Promise.all(all.map((st) => st.state.getCheckpoint(partition)));
      expect(after[0]).toEqual(before[0]);
      expect(after[1]).toEqual(before[1]);
      expect(after[2]?.processedUntil).toBe(carriedOn.window!.end);

      for (const [st, failed] of [
        [reading, readFailed],
        [writing, writeFailed],
      ] as const) {
        const next = await run(st, t2);
        expect(next.status, next.errors.join('; ')).toBe('succeeded');
        expect(next.window).toEqual(failed.window);
        expect(next.eventsRead).toBe(referenceEventsRead);
      }
      for (const st of all) expectSame(await snapshot(st), reference);
    });
  });
});

async function snapshot(store: EsStore): Promise<Snapshot> {
  const ids: string[] = [];
  for (let page = 1; ; page++) {
    const res = await store.communities.list(
      listCommunitiesQuery.parse({
        per_page: '100',
        page: String(page),
        include_unflagged: 'true',
      }),
    );
    ids.push(...res.items.map((c) => c.id));
    if (ids.length >= res.total || res.items.length === 0) break;
  }
  const out: Snapshot = new Map();
  for (const id of ids) {
    const c = await store.communities.get(id);
    expect(c, id).toBeDefined();
    // Which run wrote a community, and how often, depends on the faults; what it says must not.
    const { runId: _runId, version: _version, ...content } = c!;
    expect(out.has(id), `community ${id} listed twice`).toBe(false);
    out.set(id, content);
  }
  return out;
}

function expectSame(actual: Snapshot, expected: Snapshot): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [id, c] of expected) expect(actual.get(id), id).toEqual(c);
  // No event in two communities: a duplicate under another id would show here.
  const members = [...actual.values()].flatMap((c) => c.events.map((e) => e.event.event.id));
  expect(new Set(members).size).toBe(members.length);
}

/** Every request the rule faulted was sent again, no sooner than `minGapMs` later, and got through. */
function expectRetried(log: readonly LoggedRequest[], rule: RuleHandle, minGapMs: number): void {
  const faulted = log.filter((e) => e.faults.includes(rule.rule.name));
  expect(faulted.length, rule.rule.name).toBe(rule.hits);
  for (const f of faulted) {
    const retries = log.filter((e) => e.seq > f.seq && e.key === f.key);
    expect(retries.length, `${rule.rule.name}: request ${f.seq} never sent again`).toBeGreaterThan(
      0,
    );
    // Timers may fire up to a millisecond early against Date.now().
    expect(retries[0]!.at - f.at, rule.rule.name).toBeGreaterThanOrEqual(minGapMs - 2);
    expect(retries.some((e) => e.status === 200)).toBe(true);
  }
}

/** A refused bulk item comes back in a later, smaller request, after a backoff. */
function expectSpacedAfter(
  log: readonly LoggedRequest[],
  rule: RuleHandle,
  minGapMs: number,
): void {
  const faulted = log.filter((e) => e.faults.includes(rule.rule.name));
  for (const f of faulted) {
    const next = log.find((e) => e.seq > f.seq && e.path === f.path);
    expect(next, `${rule.rule.name}: no bulk request after ${f.seq}`).toBeDefined();
    expect(next!.at - f.at).toBeGreaterThanOrEqual(minGapMs - 2);
  }
}
