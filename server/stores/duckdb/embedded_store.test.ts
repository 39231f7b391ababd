import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLD } from '../../../common/constants';
import { listCommunitiesQuery } from '../../../common/schemas';
import type { ProcessEvent } from '../../../common/types/process_event';
import type { PairPrevalence } from '../../../common/types/community';
import { commandLineTemplate } from '../../lib/detection/command_line_template';
import { InMemoryPrevalence } from '../../lib/detection/prevalence';
import { fnv1a32, hostPartition } from '../../partition';
import { fixtureCommunity } from '../testing/fixtures';
import { volumeEvents, volumeLines } from '../testing/volume';
import { Database } from './database';
import { type EmbeddedStore, openEmbeddedStore } from './embedded_store';
import { type ImportReport } from './event_store';
import { SCHEMA_VERSION } from './schema';

let dir: string;
let store: EmbeddedStore | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pc-duck-'));
});
afterEach(async () => {
  await store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function open(name = 'store.duckdb', opts = {}): Promise<EmbeddedStore> {
  store = await openEmbeddedStore(join(dir, name), { threads: 2, ...opts });
  return store;
}

async function count(s: EmbeddedStore): Promise<number> {
  return s.events.count();
}

function sum(m: Record<string, number>): number {
  return Object.values(m).reduce((a, b) => a + b, 0);
}

function expectBalanced(r: ImportReport): void {
  expect(r.records).toBe(r.normalised + r.mergedTwins + sum(r.skipped) + sum(r.rejected));
  expect(r.normalised).toBe(r.inserted + r.duplicates + sum(r.invalid));
}

describe('partition hash', () => {
  it('is 32-bit FNV-1a of the lower-cased UTF-8 host key', () => {
    // Reference values of FNV-1a 32.
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    expect(fnv1a32('é')).toBe(fnv1a32('\u00e9'));
    expect(hostPartition('WKS01.Corp', 7)).toBe(hostPartition(' wks01.corp ', 7));
    expect(() => hostPartition('x', 0)).toThrow(RangeError);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[hostPartition(`wks${i}.corp.example.com`, 4)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });
});

describe('importEvents', () => {
  function sampleFile(): { lines: string[]; events: number } {
    const lines = [...volumeLines({ count: 2_500, hosts: 40 })];
    const extra = [
      '',
      '{"not json',
      JSON.stringify({
        '@timestamp': '2024-03-01T01:00:00Z',
        event: { category: ['network'], type: ['connection'] },
        host: { name: 'x' },
      }),
      JSON.stringify({
        '@timestamp': '2024-03-01T01:00:00Z',
        event: { category: ['process'], type: ['start'], id: 'nohost' },
        process: { name: 'cmd.exe' },
      }),
      lines[10] as string, // the same record twice: one event id
      // A Sysmon EID 1 and its Security 4688 twin: two records, one event.
      JSON.stringify({
        Hostname: 'WS01.corp',
        EventID: 1,
        SourceName: 'Microsoft-Windows-Sysmon',
        Channel: 'Microsoft-Windows-Sysmon/Operational',
        UtcTime: '2024-03-01 10:00:00.123',
        ProcessGuid: '{11111111-2222-3333-4444-555555555555}',
        ProcessId: '4242',
        Image: 'C:\\Windows\\System32\\whoami.exe',
        CommandLine: 'whoami /all',
        ParentImage: 'C:\\Windows\\System32\\cmd.exe',
        ParentProcessId: '1000',
        RecordNumber: 1,
      }),
      JSON.stringify({
        Hostname: 'WS01.corp',
        EventID: 4688,
        SourceName: 'Microsoft-Windows-Security-Auditing',
        Channel: 'Security',
        TimeCreated: '2024-03-01T10:00:00.130Z',
        NewProcessId: '0x1092',
        NewProcessName: 'C:\\Windows\\System32\\whoami.exe',
        CommandLine: 'whoami /all',
        ProcessId: '0x3e8',
        ParentProcessName: 'C:\\Windows\\System32\\cmd.exe',
        RecordNumber: 2,
      }),
    ];
    return {
      lines: [...lines.slice(0, 1_000), ...extra, ...lines.slice(1_000)],
      events: lines.length,
    };
  }

  it('normalises, stores and accounts for every record; re-import adds nothing', async () => {
    const s = await open();
    const { lines, events } = sampleFile();
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, lines.join('\n') + '\n');
    const batches: number[] = [];
    const r1 = await s.importEvents(file, {
      batchSize: 700,
      onBatch: (p) => batches.push(p.batches),
    });
    expectBalanced(r1);
    expect(r1.records).toBe(events + 6);
    expect(r1.mergedTwins).toBe(1);
    expect(r1.inserted).toBe(events + 1);
    expect(r1.duplicates).toBe(1);
    expect(r1.rejected).toMatchObject({ invalid_json: 1, missing_host: 1 });
    expect(sum(r1.skipped)).toBe(1);
    expect(r1.sources).toHaveLength(1);
    expect(r1.sources[0]!.source).toBe(file);
    expect(batches.at(-1)).toBe(r1.batches);
    expect(await count(s)).toBe(events + 1);

    // The same data again: as the same file, gzipped under the same name (gzip is detected by
    // its magic bytes), and partly as a stream. Every event is a duplicate. Records without an
    // id of their own (the twins here) get one from file name + line in the normaliser, so the
    // gzip copy must keep the name to be recognised.
    const gz = join(dir, 'events.ndjson.gz');
    writeFileSync(gz, gzipSync(lines.join('\n')));
    const r2 = await s.importEvents([
      file,
      { name: file, stream: createReadStream(gz) },
      { name: 'stream', stream: Readable.from([lines.slice(0, 50).join('\n')]) },
    ]);
    expectBalanced(r2);
    expect(r2.inserted).toBe(0);
    expect(r2.duplicates).toBe(2 * (events + 2) + 50);
    expect(r2.sources.map((x) => x.inserted)).toEqual([0, 0, 0]);
    expect(await count(s)).toBe(events + 1);

    // Stored events read back as the normaliser produced them.
    const got = await s.events.eventsById(['vol-0', 'vol-2499']);
    expect(got.map((e) => e.event.id)).toEqual(['vol-0', 'vol-2499']);
    expect(got[0]!.process.name).toBe(
      volumeEvents({ count: 1, hosts: 40 }).next().value!.process.name,
    );
    expect(got[0]!.problemchild.sources[0]).toMatchObject({ kind: 'file', file, format: 'ecs' });
  });

  it('counts events that cannot be stored instead of dropping them', async () => {
    const s = await open();
    const good = [...volumeEvents({ count: 3 })];
    const bad = [
      { ...good[0]!, event: { ...good[0]!.event, id: '' } },
      { ...good[1]!, '@timestamp': 'yesterday', event: { ...good[1]!.event, id: 'x1' } },
    ] as ProcessEvent[];
    const r = await s.insertEvents([...good, ...bad, good[2]!]);
    expect(r).toMatchObject({
      inserted: 3,
      duplicates: 1,
      invalid: { missing_id: 1, missing_time: 1 },
    });
  });

  it('stops at a batch boundary when aborted', async () => {
    const s = await open();
    const ctl = new AbortController();
    const p = s.insertEvents(volumeEvents({ count: 5_000 }), {
      batchSize: 1_000,
      signal: ctl.signal,
      onBatch: (x) => x.batches === 2 && ctl.abort(),
    });
    await expect(p).rejects.toThrow();
    // The batch already committing when the signal fired still lands, whole.
    const n = await count(s);
    expect(n % 1_000).toBe(0);
    expect(n).toBeGreaterThanOrEqual(2_000);
    expect(n).toBeLessThan(5_000);
    expect((await s.integrity()).ok).toBe(true);
  });
});

describe('events', () => {
  it('streams a large window in bounded chunks, stops early, and partitions by stored hash', async () => {
    const s = await open();
    const all = [...volumeEvents({ count: 20_000, hosts: 300 })];
    await s.insertEvents(all);
    const window = { start: '2024-03-01T00:00:00.000Z', end: '2024-03-02T00:00:00.000Z' };
    let n = 0;
    let last = '';
    for await (const e of s.events.readEvents({ window })) {
      expect(e['@timestamp'] >= last).toBe(true);
      last = e['@timestamp'];
      n++;
    }
    expect(n).toBe(all.length);
    // Stopping early releases the stream; the store stays usable.
    let k = 0;
    for await (const _e of s.events.readEvents({ window })) if (++k === 10) break;
    expect(await count(s)).toBe(all.length);
    const parts = await Promise.all(
      [0, 1, 2, 3].map(async (index) => {
        let c = 0;
        for await (const e of s.events.readEvents({ window, partition: { index, count: 4 } })) {
          expect(hostPartition(e.host.name, 4)).toBe(index);
          c++;
        }
        return c;
      }),
    );
    expect(parts.reduce((a, b) => a + b, 0)).toBe(all.length);
    await expect(async () => {
      for await (const _e of s.events.readEvents({ window, partition: { index: 4, count: 4 } }))
        break;
    }).rejects.toThrow(RangeError);
  });
});

describe('prevalence', () => {
  /**
   * Stores `all`, then compares the store's prevalence over `window` with InMemoryPrevalence over
   * the events inside it; returns the store's pair answers for further checks.
   */
  async function expectLikeInMemory(
    all: ProcessEvent[],
    window: { start: string; end: string },
    lookbackDays: number,
  ): Promise<PairPrevalence[]> {
    const s = await open();
    await s.insertEvents(all);
    const inside = all.filter(
      (e) => e['@timestamp'] >= window.start && e['@timestamp'] < window.end,
    );
    const ref = await InMemoryPrevalence.fromEvents(inside, { lookbackDays });
    const svc = await s.prevalence.forWindow(window);
    const pk = inside.map((e) => ({
      parentName: e.process.parent.executable!,
      childName: e.process.name,
    }));
    const pairs = await svc.childGivenParent(pk);
    expect(pairs).toEqual(await ref.childGivenParent(pk));
    const ck = inside.map((e) => ({
      processName: e.process.executable!,
      template: commandLineTemplate(e.process.command_line),
    }));
    expect(await svc.cmdlineGivenProcess(ck)).toEqual(await ref.cmdlineGivenProcess(ck));
    expect(await svc.environment()).toEqual(await ref.environment());
    return pairs;
  }

  it('equals InMemoryPrevalence on a generated volume (≤ 32 hosts per key)', async () => {
    await expectLikeInMemory(
      [...volumeEvents({ count: 20_000, hosts: 30, spanMs: 3 * 86_400_000 })],
      { start: '2024-03-01T12:00:00.000Z', end: '2024-03-03T12:00:00.000Z' },
      2,
    );
  });

  it('counts names with lone surrogates, which DuckDB stores as U+FFFD', async () => {
    const all = [...volumeEvents({ count: 400, hosts: 4, spanMs: 86_400_000 })].map((e, i) => {
      if (i % 3 !== 0) return e;
      const name = i % 2 ? 'ev\uD800il.exe' : 'b\uDC00ad.exe';
      return {
        ...e,
        process: {
          ...e.process,
          name,
          executable: `C:\\x\\${name}`,
          parent: {
            ...e.process.parent,
            name: 'pa\uD83Dr.exe',
            executable: `C:\\p\\pa\uD83Dr.exe`,
          },
        },
      };
    });
    const pairs = await expectLikeInMemory(
      all,
      { start: '2024-03-01T00:00:00.000Z', end: '2024-03-02T00:00:00.000Z' },
      1,
    );
    expect(pairs.some((p) => p.childName === 'ev\uD800il.exe' && p.pairCount > 0)).toBe(true);
  });
});

describe('schema and derived columns', () => {
  it('records its version, keeps data across reopen and refuses newer files', async () => {
    let s = await open();
    await s.insertEvents(volumeEvents({ count: 100 }));
    expect(s.info.schema).toEqual({ from: 0, to: SCHEMA_VERSION });
    await s.close();
    s = await open();
    expect(s.info.schema).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    expect(await count(s)).toBe(100);
    await s.close();
    store = undefined;

    const db = await Database.open(join(dir, 'store.duckdb'));
    await db.run('INSERT INTO schema_version VALUES ($1, $2, $3)', [
      SCHEMA_VERSION + 1,
      'future',
      new Date(),
    ]);
    await db.close();
    await expect(openEmbeddedStore(join(dir, 'store.duckdb'))).rejects.toThrow(
      /newer than this build/,
    );
  });

  it('recomputes names and templates when the engine rules changed', async () => {
    let s = await open();
    await s.insertEvents(volumeEvents({ count: 500 }));
    const window = { start: '2024-03-01T00:00:00.000Z', end: '2024-03-02T00:00:00.000Z' };
    const before = await (
      await s.prevalence.forWindow(window)
    ).cmdlineGivenProcess([
      {
        processName: 'svchost.exe',
        template: commandLineTemplate('C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s BITS'),
      },
    ]);
    expect(before[0]!.templateCount).toBeGreaterThan(0);
    await s.close();
    store = undefined;
    // Simulate a file written by a build with other rules: stale derived columns, other fingerprint.
    const db = await Database.open(join(dir, 'store.duckdb'));
    await db.run(
      "UPDATE events SET template = 'stale', child_name = upper(child_name), host = 'x', host_hash = 0",
    );
    await db.run("UPDATE meta SET value = 'old' WHERE key = 'derivation_fingerprint'");
    await db.close();
    s = await open();
    expect(s.info.derivedRefreshed).toBe(true);
    const after = await (
      await s.prevalence.forWindow(window)
    ).cmdlineGivenProcess([
      {
        processName: 'svchost.exe',
        template: commandLineTemplate('C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s BITS'),
      },
    ]);
    expect(after).toEqual(before);
    expect((await (await s.prevalence.forWindow(window)).environment()).hosts).toBeGreaterThan(1);
    await s.close();
    s = await open();
    expect(s.info.derivedRefreshed).toBe(false);
  });

  it('refuses to open one file twice in a process', async () => {
    await open();
    await expect(openEmbeddedStore(join(dir, 'store.duckdb'))).rejects.toThrow(/already open/);
  });
});

describe('communities and settings edge cases', () => {
  it('treats hostile filter text as data', async () => {
    const s = await open();
    const c = fixtureCommunity();
    await s.communities.writeCommunities([c], {
      runId: 'r',
      detectedAt: '2024-03-01T11:00:00.000Z',
      replaced: [],
    });
    for (const q of ["'; DROP TABLE communities; --", '$1', '\\', "whoami' OR '1'='1"]) {
      const page = await s.communities.list(listCommunitiesQuery.parse({ q, host: q }));
      expect(page.total).toBe(0);
    }
    expect((await s.communities.list(listCommunitiesQuery.parse({}))).total).toBe(1);
  });

  it('validates triage patches and settings at the store boundary', async () => {
    const s = await open();
    const c = fixtureCommunity();
    await s.communities.writeCommunities([c], {
      runId: 'r',
      detectedAt: '2024-03-01T11:00:00.000Z',
      replaced: [],
    });
    await expect(s.communities.triage(c.id, { status: 'done' as never }, 'a')).rejects.toThrow(
      TypeError,
    );
    await expect(s.settings.update({ threshold: 2 })).rejects.toThrow(TypeError);
    await expect(s.settings.update({ interval: 'soon' })).rejects.toThrow(TypeError);
    await expect(s.settings.update({ nope: 1 } as never)).rejects.toThrow(TypeError);
    expect((await s.settings.get()).threshold).toBe(DEFAULT_THRESHOLD);
  });

  it('keeps triage and settings across reopen', async () => {
    let s = await open();
    const c = fixtureCommunity();
    await s.communities.writeCommunities([c], {
      runId: 'r',
      detectedAt: '2024-03-01T11:00:00.000Z',
      replaced: [],
    });
    await s.communities.triage(c.id, { note: 'persist me' }, 'a');
    await s.settings.update({ lookback: '2h' });
    await s.close();
    s = await open();
    expect((await s.communities.get(c.id))!.triage.note).toBe('persist me');
    expect((await s.settings.get()).lookback).toBe('2h');
  });
});
