/**
 * The Elasticsearch event reader against a real cluster: point-in-time paging at volume, agent
 * document shapes, host partitions, aborts, and that no point in time is left open.
 */
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ProcessEvent } from '../../../common/types/process_event';
import { hostKey } from '../../lib/detection/names';
import { hostPartition } from '../../partition';
import type { ReadAccounting } from '../../ports';
import { smokeEvents } from '../../../test/integration/smoke_events';
import { createEsClient } from './client';
import { EsEventSource } from './event_source';
import { ensureEventIndex, indexEvents } from './event_writer';
import {
  COLLECTOR,
  createRawIndex,
  indexRaw,
  noiseDocs,
  rawDoc,
  rawSpecs,
} from './testing/raw_docs';

const PREFIX = `pc-evsrc-${process.pid}`;
const OWN = `${PREFIX}-own`;
const RAW = `${PREFIX}-raw`;
const N_OWN = 20_000;
const ALL = { start: '2000-01-01T00:00:00.000Z', end: '2100-01-01T00:00:00.000Z' };

function acc(): ReadAccounting {
  return { read: 0, normalised: 0, rejected: {}, skipped: {} };
}

async function collect(it: AsyncIterable<ProcessEvent>): Promise<ProcessEvent[]> {
  const out: ProcessEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

async function openContexts(client: Client): Promise<number> {
  const s = await client.nodes.stats({ metric: 'indices', index_metric: 'search' });
  return Object.values(s.nodes).reduce(
    (n, node) => n + (node.indices?.search?.open_contexts ?? 0),
    0,
  );
}

describe('EsEventSource', () => {
  let client: Client;
  const specs = rawSpecs(3_000, {
    hosts: 40,
    seed: 7,
    start: '2024-05-01T00:00:00.000Z',
    spanMs: 7_200_000,
    noHostEvery: 97,
  });

  beforeAll(async () => {
    client = createEsClient({ node: inject('esUrl') });
    await client.indices.delete({
      index: `${PREFIX}-*`,
      ignore_unavailable: true,
      allow_no_indices: true,
    });
    await ensureEventIndex(client, OWN, { shards: 2 });
    const r = await indexEvents(client, OWN, smokeEvents(N_OWN, 11), { refresh: true });
    expect(r.failed).toEqual([]);
    await createRawIndex(client, RAW, 3);
    await indexRaw(client, RAW, [
      ...specs.map((s) => ({ id: s.id, doc: rawDoc(s) })),
      ...noiseDocs('2024-05-01T00:30:00.000Z'),
    ]);
  });

  afterAll(async () => {
    await client.indices.delete({
      index: `${PREFIX}-*`,
      ignore_unavailable: true,
      allow_no_indices: true,
    });
    await client.close();
  });

  it(`pages ${N_OWN.toLocaleString('en-US')} events through a point in time, in order, each once`, async () => {
    const src = new EsEventSource({ client, indices: () => OWN, pageSize: 1_000 });
    const a = acc();
    const t0 = performance.now();
    const got = await collect(src.readEvents({ window: ALL }, a));
    const ms = performance.now() - t0;
    expect(got).toHaveLength(N_OWN);
    expect(new Set(got.map((e) => e.event.id)).size).toBe(N_OWN);
    for (let i = 1; i < got.length; i++) {
      expect(Date.parse(got[i]!['@timestamp'])).toBeGreaterThanOrEqual(
        Date.parse(got[i - 1]!['@timestamp']),
      );
    }
    expect(a).toEqual({ read: N_OWN, normalised: N_OWN, rejected: {}, skipped: {} });
    // Our own normalised documents come back exactly as stored.
    expect(got[123]).toEqual(smokeEvents(124, 11)[123]);
    expect(await openContexts(client)).toBe(0);
    console.log(
      `[es] read ${N_OWN} events in ${ms.toFixed(0)} ms (${Math.round((N_OWN / ms) * 1000)} events/s)`,
    );
  });

  it('closes the point in time when the consumer stops early or aborts', async () => {
    const src = new EsEventSource({ client, indices: () => OWN, pageSize: 500 });
    let n = 0;
    for await (const _e of src.readEvents({ window: ALL })) if (++n === 1_200) break;
    expect(await openContexts(client)).toBe(0);

    const ctl = new AbortController();
    let m = 0;
    const run = (async () => {
      for await (const _e of src.readEvents({ window: ALL, signal: ctl.signal }))
        if (++m === 700) ctl.abort(new Error('stop now'));
    })();
    await expect(run).rejects.toThrow('stop now');
    expect(m).toBe(700);
    expect(await openContexts(client)).toBe(0);
  });

  it('normalises agent documents and counts every rejection by reason', async () => {
    const src = new EsEventSource({ client, indices: () => RAW, pageSize: 400 });
    const a = acc();
    const got = await collect(src.readEvents({ window: ALL }, a));
    const noHost = specs.filter((s) => s.shape === 'no_host').length;
    // Non-creation documents are never fetched; hits the normaliser refuses are counted.
    expect(a.read).toBe(specs.length);
    expect(a.rejected).toEqual({ missing_host: noHost });
    expect(a.normalised).toBe(specs.length - noHost);
    expect(got).toHaveLength(specs.length - noHost);

    const byId = new Map(got.map((e) => [e.event.id, e]));
    for (const s of specs.slice(0, 200)) {
      if (s.shape === 'no_host') continue;
      const e = byId.get(s.id);
      expect(e, s.id).toBeDefined();
      // The endpoint, not the event collector, and lower-cased.
      expect(e!.host.name).toBe(s.host.toLowerCase());
      expect(e!.host.name).not.toBe(COLLECTOR);
      expect(e!.process.name.toLowerCase()).toBe(s.child.toLowerCase());
      expect(e!.process.command_line).toBe(s.cmd);
      expect(e!.problemchild.sources[0]).toMatchObject({ kind: 'es', index: RAW, id: s.id });
    }
  });

  it('splits hosts over partitions so that every event is read exactly once', async () => {
    const src = new EsEventSource({ client, indices: () => RAW, pageSize: 1_000 });
    const want = specs
      .filter((s) => s.shape !== 'no_host')
      .map((s) => s.id)
      .sort();
    const noHost = specs.length - want.length;
    for (const count of [1, 2, 3, 5]) {
      const ids: string[] = [];
      let rejected = 0;
      const owners = new Map<string, number>();
      for (let index = 0; index < count; index++) {
        const a = acc();
        for await (const e of src.readEvents({ window: ALL, partition: { index, count } }, a)) {
          expect(hostPartition(e.host.name, count)).toBe(index);
          const key = hostKey(e.host.name);
          expect(owners.get(key) ?? index).toBe(index);
          owners.set(key, index);
          ids.push(e.event.id);
        }
        rejected += a.rejected.missing_host ?? 0;
        expect(a.skipped).toEqual({});
      }
      expect(ids.sort()).toEqual(want);
      // Events without a usable host go to partition 0, so they are counted once, not per partition.
      expect(rejected).toBe(noHost);
      if (count > 1) expect(new Set(owners.values()).size).toBeGreaterThan(1);
    }
  });

  it('filters on the window and ignores missing indices', async () => {
    const window = { start: '2024-05-01T00:30:00.000Z', end: '2024-05-01T01:00:00.000Z' };
    const src = new EsEventSource({
      client,
      indices: () => `${PREFIX}-nope-*, ${PREFIX}-missing,${RAW}`,
    });
    const got = await collect(src.readEvents({ window }));
    const want = specs.filter(
      (s) => s.shape !== 'no_host' && s.time >= window.start && s.time < window.end,
    );
    expect(got.map((e) => e.event.id).sort()).toEqual(want.map((s) => s.id).sort());
    const none = new EsEventSource({ client, indices: () => `${PREFIX}-nope-*,${PREFIX}-missing` });
    expect(await collect(none.readEvents({ window: ALL }))).toEqual([]);
    expect(await none.eventsById(['x'])).toEqual([]);
  });

  it('finds agent events by event.id or document _id', async () => {
    const src = new EsEventSource({ client, indices: () => `${RAW},${OWN}` });
    const defend = specs.find((s) => s.shape === 'defend')!;
    const sysmon = specs.find((s) => s.shape === 'sysmon_wec')!;
    const got = await src.eventsById([sysmon.id, 'smoke-17', 'unknown', defend.id]);
    expect(got.map((e) => e.event.id)).toEqual([sysmon.id, 'smoke-17', defend.id]);
    expect(got[1]).toEqual(smokeEvents(18, 11)[17]);
  });
});
