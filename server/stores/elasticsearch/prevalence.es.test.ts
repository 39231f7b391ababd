/**
 * Prevalence from aggregations must give the numbers the engine would count itself: checked
 * against counts computed independently from the generated specs, and against
 * InMemoryPrevalence fed the same window's events as the reader returns them.
 */
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TimeWindow } from '../../../common/types/community';
import type { ProcessEvent } from '../../../common/types/process_event';
import { commandLineTemplate } from '../../lib/detection/command_line_template';
import { InMemoryPrevalence } from '../../lib/detection/prevalence';
import type { Logger } from '../../ports';
import { createEsClient } from './client';
import { EsEventSource } from './event_source';
import { EsPrevalence, EsPrevalenceProvider } from './prevalence';
import {
  type RawSpec,
  createRawIndex,
  indexRaw,
  noiseDocs,
  rawDoc,
  rawSpecs,
} from './testing/raw_docs';

const INDEX = `pc-prev-${process.pid}`;
const WINDOW: TimeWindow = { start: '2024-05-01T00:20:00.000Z', end: '2024-05-01T01:40:00.000Z' };

interface Count {
  n: number;
  hosts: Set<string>;
  first: number;
  last: number;
}

function count(specs: readonly RawSpec[]) {
  const pairs = new Map<string, Count>();
  const parents = new Map<string, number>();
  const tpls = new Map<string, Count>();
  const procs = new Map<string, number>();
  const hosts = new Set<string>();
  const add = (m: Map<string, Count>, k: string, h: string, t: number) => {
    const c = m.get(k) ?? { n: 0, hosts: new Set<string>(), first: t, last: t };
    c.n++;
    c.hosts.add(h);
    c.first = Math.min(c.first, t);
    c.last = Math.max(c.last, t);
    m.set(k, c);
  };
  for (const s of specs) {
    const p = s.parent.toLowerCase();
    const c = s.child.toLowerCase();
    const h = s.host.toLowerCase();
    const t = Date.parse(s.time);
    hosts.add(h);
    add(pairs, `${p}\u0000${c}`, h, t);
    add(tpls, `${c}\u0000${commandLineTemplate(s.cmd)}`, h, t);
    parents.set(p, (parents.get(p) ?? 0) + 1);
    procs.set(c, (procs.get(c) ?? 0) + 1);
  }
  return { pairs, parents, tpls, procs, hosts };
}

function split(k: string): [string, string] {
  return k.split('\u0000') as [string, string];
}

describe('EsPrevalenceProvider', () => {
  let client: Client;
  // 30 endpoints: at most 32 hosts per key, where InMemoryPrevalence is still exact.
  const specs = rawSpecs(4_000, {
    hosts: 30,
    seed: 99,
    start: '2024-05-01T00:00:00.000Z',
    spanMs: 7_200_000,
    noHostEvery: 53,
  });
  const inWindow = specs.filter(
    (s) => s.shape !== 'no_host' && s.time >= WINDOW.start && s.time < WINDOW.end,
  );

  beforeAll(async () => {
    client = createEsClient({ node: inject('esUrl') });
    await client.indices.delete({ index: INDEX, ignore_unavailable: true });
    await createRawIndex(client, INDEX, 2);
    await indexRaw(client, INDEX, [
      ...specs.map((s) => ({ id: s.id, doc: rawDoc(s) })),
      ...noiseDocs('2024-05-01T00:30:00.000Z'),
    ]);
  });

  afterAll(async () => {
    await client.indices.delete({ index: INDEX, ignore_unavailable: true });
    await client.close();
  });

  it('equals counts computed independently, for every pair and command-line shape', async () => {
    const provider = new EsPrevalenceProvider({ client, indices: () => INDEX, pageSize: 50 });
    const svc = (await provider.forWindow(WINDOW)) as EsPrevalence;
    const want = count(inWindow);

    const pairKeys = [...want.pairs.keys()]
      .map(split)
      .map(([parentName, childName]) => ({ parentName, childName }));
    const pairs = await svc.childGivenParent(pairKeys);
    pairKeys.forEach((k, i) => {
      const c = want.pairs.get(`${k.parentName}\u0000${k.childName}`)!;
      const total = want.parents.get(k.parentName)!;
      expect(pairs[i]).toEqual({
        ...k,
        pairCount: c.n,
        parentTotal: total,
        distinctHosts: c.hosts.size,
        firstSeen: new Date(c.first).toISOString(),
        lastSeen: new Date(c.last).toISOString(),
        probability: c.n / total,
      });
    });

    const tplKeys = [...want.tpls.keys()]
      .map(split)
      .map(([processName, template]) => ({ processName, template }));
    expect(tplKeys.length).toBeGreaterThan(5);
    const tpls = await svc.cmdlineGivenProcess(tplKeys);
    tplKeys.forEach((k, i) => {
      const c = want.tpls.get(`${k.processName}\u0000${k.template}`)!;
      const total = want.procs.get(k.processName)!;
      expect(tpls[i]).toEqual({
        ...k,
        templateCount: c.n,
        processTotal: total,
        distinctHosts: c.hosts.size,
        firstSeen: new Date(c.first).toISOString(),
        lastSeen: new Date(c.last).toISOString(),
        probability: c.n / total,
      });
    });

    const env = await svc.environment();
    const times = inWindow.map((s) => s.time).sort();
    expect(env).toEqual({
      hosts: want.hosts.size,
      events: inWindow.length,
      from: times[0],
      to: times.at(-1),
      lookbackDays: (Date.parse(WINDOW.end) - Date.parse(WINDOW.start)) / 86_400_000,
    });
    // Many raw command lines, far fewer shapes: the table was built from aggregations alone.
    expect(svc.stats.commandLineBuckets).toBeGreaterThan(tplKeys.length);
    expect(svc.stats.truncated).toBe(false);
    expect(svc.stats.requests).toBeLessThan(100);
  });

  it('equals InMemoryPrevalence over the events the reader returns', async () => {
    const events: ProcessEvent[] = [];
    for await (const e of new EsEventSource({ client, indices: () => INDEX }).readEvents({
      window: WINDOW,
    }))
      events.push(e);
    expect(events).toHaveLength(inWindow.length);
    const days = (Date.parse(WINDOW.end) - Date.parse(WINDOW.start)) / 86_400_000;
    const ref = await InMemoryPrevalence.fromEvents(events, { lookbackDays: days });
    const svc = await new EsPrevalenceProvider({ client, indices: () => INDEX }).forWindow(WINDOW);

    const pk = events.map((e) => ({
      parentName: e.process.parent.name ?? e.process.parent.executable ?? '',
      childName: e.process.name,
    }));
    expect(await svc.childGivenParent(pk)).toEqual(await ref.childGivenParent(pk));
    const ck = events.map((e) => ({
      processName: e.process.name,
      template: commandLineTemplate(e.process.command_line),
    }));
    expect(await svc.cmdlineGivenProcess(ck)).toEqual(await ref.cmdlineGivenProcess(ck));
    expect(await svc.environment()).toEqual(await ref.environment());
  });

  it('agrees with InMemoryPrevalence on awkward names: no parent, "-" names, paths only', async () => {
    const index = `${INDEX}-odd`;
    await createRawIndex(client, index, 1);
    try {
      const t = (i: number) => new Date(Date.parse(WINDOW.start) + i * 60_000).toISOString();
      const ev = (i: number, process: Record<string, unknown>) => ({
        id: `odd-${i}`,
        doc: {
          '@timestamp': t(i),
          event: { category: ['process'], type: ['start'], id: `odd-${i}` },
          host: { name: i % 2 ? 'Odd01' : 'odd02' },
          process,
        },
      });
      await indexRaw(client, index, [
        ev(1, { name: 'cmd.exe', command_line: 'cmd /c ver' }),
        ev(2, { name: 'CMD.exe', command_line: '-' }),
        ev(3, { name: '-', executable: 'C:\\Windows\\System32\\cmd.exe', parent: { name: '-' } }),
        ev(4, { executable: 'C:\\Tools\\unknown', parent: { executable: 'D:\\x\\Explorer.EXE' } }),
        ev(5, { name: 'whoami.exe', parent: { name: 'cmd.exe' } }),
        ev(6, { name: 'whoami.exe', parent: { executable: 'C:\\Windows\\System32\\CMD.EXE' } }),
      ]);
      const events: ProcessEvent[] = [];
      for await (const e of new EsEventSource({ client, indices: () => index }).readEvents({
        window: WINDOW,
      }))
        events.push(e);
      expect(events).toHaveLength(6);
      const days = (Date.parse(WINDOW.end) - Date.parse(WINDOW.start)) / 86_400_000;
      const ref = await InMemoryPrevalence.fromEvents(events, { lookbackDays: days });
      const svc = await new EsPrevalenceProvider({ client, indices: () => index }).forWindow(
        WINDOW,
      );
      const pk = [
        ...events.map((e) => ({
          parentName: e.process.parent.name ?? e.process.parent.executable ?? '',
          childName: e.process.name,
        })),
        { parentName: 'unknown', childName: 'cmd.exe' },
        { parentName: 'explorer.exe', childName: 'unknown' },
      ];
      expect(await svc.childGivenParent(pk)).toEqual(await ref.childGivenParent(pk));
      expect(
        (await svc.childGivenParent([{ parentName: 'unknown', childName: 'cmd.exe' }]))[0]!
          .pairCount,
      ).toBe(3);
      const ck = [
        ...events.map((e) => ({
          processName: e.process.name,
          template: commandLineTemplate(e.process.command_line),
        })),
        { processName: 'unknown', template: '' },
      ];
      expect(await svc.cmdlineGivenProcess(ck)).toEqual(await ref.cmdlineGivenProcess(ck));
      expect(await svc.environment()).toEqual(await ref.environment());
    } finally {
      await client.indices.delete({ index, ignore_unavailable: true });
    }
  });

  it('halves the page size when the cluster refuses a page as too large', async () => {
    const warnings: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      error() {},
      warn: (m) => void warnings.push(m),
    };
    const want = count(inWindow);
    await client.cluster.putSettings({ persistent: { 'search.max_buckets': 1_000 } });
    try {
      const svc = await new EsPrevalenceProvider({
        client,
        indices: () => INDEX,
        pageSize: 20_000,
        logger,
      }).forWindow(WINDOW);
      const keys = [...want.tpls.keys()]
        .map(split)
        .map(([processName, template]) => ({ processName, template }));
      const got = await svc.cmdlineGivenProcess(keys);
      got.forEach((g, i) =>
        expect(g.templateCount).toBe(
          want.tpls.get(`${keys[i]!.processName}\u0000${keys[i]!.template}`)!.n,
        ),
      );
      expect(warnings.some((w) => w.includes('too large'))).toBe(true);
    } finally {
      await client.cluster.putSettings({ persistent: { 'search.max_buckets': null } });
    }
  });

  it('caps the command-line table with a warning instead of growing without bound', async () => {
    const warnings: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      error() {},
      warn: (m) => void warnings.push(m),
    };
    const provider = new EsPrevalenceProvider({
      client,
      indices: () => INDEX,
      maxCommandLineBuckets: 10,
      logger,
    });
    const svc = (await provider.forWindow(WINDOW)) as EsPrevalence;
    const want = count(inWindow);
    const keys = [...want.tpls.keys()]
      .map(split)
      .map(([processName, template]) => ({ processName, template }));
    const got = await svc.cmdlineGivenProcess(keys);
    expect(svc.stats.truncated).toBe(true);
    expect(svc.stats.commandLineBuckets).toBe(10);
    expect(warnings.some((w) => w.includes('stopped at 10 buckets'))).toBe(true);
    // Truncation can only make shapes look rarer, never more common.
    got.forEach((g, i) =>
      expect(g.templateCount).toBeLessThanOrEqual(
        want.tpls.get(`${keys[i]!.processName}\u0000${keys[i]!.template}`)!.n,
      ),
    );
    // The pair table is unaffected.
    const [p] = await svc.childGivenParent([
      { parentName: 'services.exe', childName: 'svchost.exe' },
    ]);
    expect(p!.pairCount).toBe(want.pairs.get('services.exe\u0000svchost.exe')!.n);
  });

  it('computes a window once and answers repeated calls from memory', async () => {
    const provider = new EsPrevalenceProvider({ client, indices: () => INDEX });
    const a = (await provider.forWindow(WINDOW)) as EsPrevalence;
    const [first] = await a.childGivenParent([{ parentName: 'cmd.exe', childName: 'net.exe' }]);
    const requests = a.stats.requests;
    // Everything about a parent loads at once: its other children and repeats cost nothing.
    const [again, sibling] = await a.childGivenParent([
      { parentName: 'CMD.EXE', childName: 'net.exe' },
      { parentName: 'cmd.exe', childName: 'whoami.exe' },
    ]);
    expect(again).toEqual(first);
    expect(sibling!.pairCount).toBeGreaterThan(0);
    expect(a.stats.requests).toBe(requests);
    // A new parent is one more small load, not a reload of everything.
    await a.childGivenParent([{ parentName: 'explorer.exe', childName: 'cmd.exe' }]);
    expect(a.stats.requests).toBeGreaterThan(requests);
    expect(a.stats.requests).toBeLessThan(requests + 5);
    expect(await provider.forWindow(WINDOW)).toBe(a);
    const other = await provider.forWindow({
      start: WINDOW.start,
      end: '2024-05-01T01:00:00.000Z',
    });
    expect(other).not.toBe(a);
  });

  it('honours an aborted signal', async () => {
    const ctl = new AbortController();
    ctl.abort(new Error('cancelled'));
    await expect(
      new EsPrevalenceProvider({ client, indices: () => INDEX }).forWindow(WINDOW, ctl.signal),
    ).rejects.toThrow('cancelled');
  });
});
