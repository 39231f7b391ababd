import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { NormaliseSummary, ProcessEvent } from '../../../common/types/process_event';
import { Normaliser, imageKey, type NormaliseOptions } from './normaliser';
import { nxlog4688, nxlogSysmon, wlb64688, wlb6Sysmon } from './test_fixtures';

function ndjson(records: unknown[]): string {
  return records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
}

async function collect(
  input: string | Buffer,
  opts: NormaliseOptions = {},
): Promise<{ events: ProcessEvent[]; summary: NormaliseSummary }> {
  const n = new Normaliser(opts);
  const events: ProcessEvent[] = [];
  for await (const e of n.run(
    Readable.from([Buffer.isBuffer(input) ? input : Buffer.from(input)]),
    'mem.ndjson',
  )) {
    events.push(e);
  }
  return { events, summary: n.summary };
}

function accounted(s: NormaliseSummary): number {
  const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);
  return s.normalised + s.mergedTwins + sum(s.skipped) + sum(s.rejected);
}

/** A Sysmon/4688 pair for process `pid` starting at `utc` (4688 clock = local, UTC-4h, whole seconds). */
function pair(
  pid: number,
  utc: string,
  over: { image?: string; cmd?: string; ppid?: number; guid?: string } = {},
): [object, object] {
  const image = over.image ?? 'C:\\Windows\\System32\\cmd.exe';
  const cmd = over.cmd ?? `cmd.exe /c job${pid}`;
  const ppid = over.ppid ?? 1000;
  const t = new Date(Date.parse(utc.replace(' ', 'T') + 'Z') - 4 * 3600_000).toISOString();
  const local = t.slice(0, 10) + ' ' + t.slice(11, 19);
  return [
    nxlogSysmon({
      UtcTime: utc,
      ProcessId: String(pid),
      ProcessGuid: over.guid ?? `{AAAA0001-1111-2222-3333-${pid.toString(16).padStart(12, '0')}}`,
      Image: image,
      CommandLine: cmd,
      ParentProcessId: String(ppid),
    }),
    nxlog4688({
      EventTime: local,
      NewProcessId: '0x' + pid.toString(16),
      NewProcessName: image,
      CommandLine: cmd,
      ProcessId: '0x' + ppid.toString(16),
    }),
  ];
}

describe('Normaliser: twins', () => {
  it('merges a Sysmon EID 1 and its 4688 twin into one event with both sources', async () => {
    const { events, summary } = await collect(ndjson([nxlogSysmon(), nxlog4688()]));
    expect(events).toHaveLength(1);
    const e = events[0] as ProcessEvent;
    expect(e.problemchild.sources.map((s) => [s.format, s.kind === 'file' ? s.line : 0])).toEqual([
      ['sysmon_flat', 1],
      ['security_4688', 2],
    ]);
    // Sysmon's identity, time and hashes; 4688's elevation type and SID (same account).
    expect(e.process.entity_id).toBe('aaaa0001-1111-2222-3333-444455556666');
    expect(e['@timestamp']).toBe('2022-03-04T10:06:07.250Z');
    expect(e.process.hash?.sha256).toBe('ef56');
    expect(e.process.Ext?.token).toEqual({
      integrity_level_name: 'medium',
      elevation_type: 'limited',
      elevation: false,
    });
    expect(e.user).toEqual({ name: 'alice', domain: 'LAB', id: 'S-1-5-21-1-2-3-1001' });
    expect(summary).toMatchObject({ records: 2, normalised: 1, mergedTwins: 1 });
    expect(accounted(summary)).toBe(summary.records);
  });

  it('merges whichever arrives first, and fills what Sysmon lacks (missing ProcessId)', async () => {
    const s = nxlogSysmon();
    delete s.ProcessId;
    const { events, summary } = await collect(ndjson([nxlog4688(), s]));
    expect(events).toHaveLength(1);
    expect(events[0]?.process.pid).toBe(4242);
    expect(summary.mergedTwins).toBe(1);
  });

  it('learns the clock offset from twins and applies it to unmatched 4688 records', async () => {
    const recs: object[] = [];
    for (let i = 0; i < 5; i++) {
      recs.push(...pair(100 + i * 4, `2022-03-04 10:00:0${i}.300`));
    }
    // A 4688-only process later on: its local EventTime must be shifted by ~4 h.
    recs.push(
      nxlog4688({
        EventTime: '2022-03-04 06:00:30',
        NewProcessId: '0x999',
        NewProcessName: 'C:\\x\\lonely.exe',
        CommandLine: 'lonely.exe',
      }),
    );
    const { events, summary } = await collect(ndjson(recs));
    expect(summary.mergedTwins).toBe(5);
    const lonely = events.find((e) => e.process.name === 'lonely.exe') as ProcessEvent;
    expect(lonely.problemchild.sources).toHaveLength(1);
    expect(
      Date.parse(lonely['@timestamp']) - Date.UTC(2022, 2, 4, 10, 0, 30),
    ).toBeGreaterThanOrEqual(0);
    expect(Date.parse(lonely['@timestamp']) - Date.UTC(2022, 2, 4, 10, 0, 30)).toBeLessThan(1000);
    expect(lonely.problemchild.clock_offset_ms).toBeGreaterThan(4 * 3600_000 - 1000);
    expect(summary.clockOffsets?.[0]).toMatchObject({
      host: 'wks01.lab.example',
      clock: '4688:EventTime',
      samples: 5,
    });
  });

  it('corrects 4688 records that precede the first twin (held until an offset is known)', async () => {
    const early = nxlog4688({
      Hostname: 'DC1.lab.example',
      EventTime: '2022-03-04 05:58:00',
      NewProcessId: '0x10',
      NewProcessName: 'C:\\x\\early.exe',
    });
    const { events } = await collect(ndjson([early, ...pair(200, '2022-03-04 10:00:00.500')]));
    const e = events.find((x) => x.process.name === 'early.exe') as ProcessEvent;
    expect(e['@timestamp'].slice(0, 16)).toBe('2022-03-04T09:58');
  });

  it('does not merge a relaunch of the same command a minute apart (not a quarter-hour skew)', async () => {
    const [s1] = pair(300, '2022-03-04 10:00:00.100', { cmd: 'same.exe' });
    const [, f2] = pair(300, '2022-03-04 10:01:00.100', { cmd: 'same.exe' });
    const s1NoPid = { ...(s1 as Record<string, unknown>), ProcessId: undefined };
    const { summary } = await collect(ndjson([s1NoPid, f2]));
    expect(summary.mergedTwins).toBe(0);
    expect(summary.normalised).toBe(2);
  });

  it('picks the time-closest of two candidate twins', async () => {
    const [sA] = pair(400, '2022-03-04 10:00:49.017', {
      cmd: 'rb.exe',
      image: 'C:\\w\\rb.exe',
      guid: '{AAAA0001-1111-2222-3333-00000000000A}',
    });
    const [sB, f] = pair(400, '2022-03-04 10:00:50.139', {
      cmd: 'rb.exe',
      image: 'C:\\w\\rb.exe',
      guid: '{AAAA0001-1111-2222-3333-00000000000B}',
    });
    const noPid = (r: object): object => ({
      ...(r as Record<string, unknown>),
      ProcessId: undefined,
    });
    const { events } = await collect(ndjson([noPid(sA), noPid(sB), f]));
    const merged = events.find((e) => e.problemchild.sources.length === 2) as ProcessEvent;
    expect(merged.process.entity_id).toBe('aaaa0001-1111-2222-3333-00000000000b');
  });

  it('keeps twins apart when merging is off', async () => {
    const { events, summary } = await collect(ndjson([nxlogSysmon(), nxlog4688()]), {
      mergeTwins: false,
    });
    expect(events).toHaveLength(2);
    expect(summary.mergedTwins).toBe(0);
  });

  it('merges Winlogbeat 6 twins on computer_name', async () => {
    const { events } = await collect(ndjson([wlb6Sysmon(), wlb64688()]));
    expect(events).toHaveLength(1);
    expect(events[0]?.host.name).toBe('hr001.shire.example');
    expect(events[0]?.process.Ext?.token?.elevation_type).toBe('full');
  });

  it('does not merge across hosts or datasets', async () => {
    const [s, f] = pair(500, '2022-03-04 10:00:00.100');
    const other = { ...(f as Record<string, unknown>), Hostname: 'OTHER' };
    const otherDs = { ...(f as Record<string, unknown>), _dataset: 'b' };
    const { summary } = await collect(
      ndjson([{ ...(s as Record<string, unknown>), _dataset: 'a' }, other, otherDs]),
    );
    expect(summary.mergedTwins).toBe(0);
  });

  it('matches images across NT device paths and drive letters', () => {
    expect(imageKey('\\Device\\HarddiskVolume2\\Windows\\a.exe')).toBe(
      imageKey('C:\\Windows\\A.EXE'),
    );
    expect(imageKey('\\Device\\Mup\\VBoxSvr\\x\\a.exe')).toBe(imageKey('\\\\vboxsvr\\x\\a.exe'));
  });
});

describe('Normaliser: identity and parents', () => {
  it('gives two 4688 processes that reuse a PID distinct entity ids, and links children to the right one', async () => {
    const first = nxlog4688({
      EventTime: '2022-03-04 06:00:00',
      NewProcessId: '0x100',
      NewProcessName: 'C:\\a\\first.exe',
      CommandLine: 'first.exe',
      ProcessId: '0x4',
    });
    const childOfFirst = nxlog4688({
      EventTime: '2022-03-04 06:00:05',
      NewProcessId: '0x200',
      NewProcessName: 'C:\\a\\c1.exe',
      CommandLine: 'c1.exe',
      ProcessId: '0x100',
      ParentProcessName: 'C:\\a\\first.exe',
    });
    const second = nxlog4688({
      EventTime: '2022-03-04 06:10:00',
      NewProcessId: '0x100',
      NewProcessName: 'C:\\a\\second.exe',
      CommandLine: 'second.exe',
      ProcessId: '0x4',
    });
    const childOfSecond = nxlog4688({
      EventTime: '2022-03-04 06:10:05',
      NewProcessId: '0x300',
      NewProcessName: 'C:\\a\\c2.exe',
      CommandLine: 'c2.exe',
      ProcessId: '0x100',
      ParentProcessName: 'C:\\a\\second.exe',
    });
    const { events } = await collect(ndjson([first, childOfFirst, second, childOfSecond]));
    const by = (n: string): ProcessEvent =>
      events.find((e) => e.process.name === n) as ProcessEvent;
    expect(by('first.exe').process.entity_id).not.toBe(by('second.exe').process.entity_id);
    expect(by('c1.exe').process.parent.entity_id).toBe(by('first.exe').process.entity_id);
    expect(by('c2.exe').process.parent.entity_id).toBe(by('second.exe').process.entity_id);
    expect(by('c2.exe').process.parent.command_line).toBe('second.exe');
  });

  it('links a 4688 child to a merged parent by its Sysmon GUID', async () => {
    const [s, f] = pair(0x500, '2022-03-04 10:00:00.100', {
      image: 'C:\\w\\parent.exe',
      cmd: 'parent.exe',
    });
    const child = nxlog4688({
      EventTime: '2022-03-04 06:00:03',
      NewProcessId: '0x600',
      NewProcessName: 'C:\\w\\kid.exe',
      CommandLine: 'kid.exe',
      ProcessId: '0x500',
      ParentProcessName: 'C:\\w\\parent.exe',
    });
    const { events } = await collect(ndjson([s, f, child]));
    const kid = events.find((e) => e.process.name === 'kid.exe') as ProcessEvent;
    expect(kid.process.parent.entity_id).toBe('aaaa0001-1111-2222-3333-000000000500');
  });

  it('learns pid → GUID from Sysmon children for parents never logged themselves', async () => {
    const sysChild = nxlogSysmon({
      ParentProcessId: '777',
      ParentProcessGuid: '{AAAA0001-1111-2222-3333-000000000777}',
      ParentImage: 'C:\\p\\svc.exe',
    });
    const secChild = nxlog4688({
      EventTime: '2022-03-04 06:07:00',
      NewProcessId: '0x42',
      NewProcessName: 'C:\\w\\k2.exe',
      CommandLine: 'k2.exe',
      ProcessId: '0x309',
      ParentProcessName: 'C:\\p\\svc.exe',
    });
    // A twin pair first, so the 4688 clock's offset is known and times compare.
    const { events } = await collect(
      ndjson([...pair(0x50, '2022-03-04 10:00:00.100'), sysChild, secChild]),
    );
    const k2 = events.find((e) => e.process.name === 'k2.exe') as ProcessEvent;
    expect(k2.process.parent.entity_id).toBe('aaaa0001-1111-2222-3333-000000000777');
  });

  it('refuses a PID link whose image disagrees (PID reuse)', async () => {
    const p = nxlog4688({
      EventTime: '2022-03-04 06:00:00',
      NewProcessId: '0x100',
      NewProcessName: 'C:\\a\\one.exe',
      CommandLine: 'one.exe',
    });
    const c = nxlog4688({
      EventTime: '2022-03-04 06:00:01',
      NewProcessId: '0x101',
      NewProcessName: 'C:\\a\\c.exe',
      ProcessId: '0x100',
      ParentProcessName: 'C:\\a\\other.exe',
    });
    const { events } = await collect(ndjson([p, c]));
    expect(
      events.find((e) => e.process.name === 'c.exe')?.process.parent.entity_id,
    ).toBeUndefined();
  });
});

describe('Normaliser: input handling and accounting', () => {
  it('accounts for every line: bad JSON, unknown kinds, skips, rejects; blank lines are not records', async () => {
    const text = ndjson([
      nxlogSysmon(),
      '{not json',
      '',
      '   ',
      nxlogSysmon({ EventID: 3 }),
      nxlog4688({ EventID: 4624 }),
      { hello: 'world' },
      nxlogSysmon({ Hostname: undefined }),
      '[1,2]',
      'null',
    ]);
    const { events, summary } = await collect(text);
    expect(events).toHaveLength(1);
    expect(summary.records).toBe(8);
    expect(summary.skipped).toEqual({ 'sysmon:3': 1, 'security:4624': 1 });
    expect(summary.rejected).toEqual({
      invalid_json: 1,
      unknown_kind: 1,
      missing_host: 1,
      not_an_object: 2,
    });
    expect(summary.rejections.map((r) => r.line)).toEqual([2, 7, 8, 9, 10]);
    expect(summary.rejections[0]?.file).toBe('mem.ndjson');
    expect(accounted(summary)).toBe(summary.records);
  });

  it('reads gzip by magic bytes, CRLF line ends and a BOM', async () => {
    const text = '\ufeff' + ndjson([nxlogSysmon(), evtx()]).replace(/\n/g, '\r\n');
    const plain = await collect(text);
    const gz = await collect(gzipSync(Buffer.from(text)));
    expect(plain.events).toHaveLength(2);
    expect(gz.events.map((e) => e.event.id)).toEqual(plain.events.map((e) => e.event.id));
  });

  it('counts a truncated gzip stream instead of throwing', async () => {
    const gz = gzipSync(
      Buffer.from(
        ndjson(Array.from({ length: 200 }, (_, i) => nxlogSysmon({ ProcessId: String(i) }))),
      ),
    );
    const { summary } = await collect(gz.subarray(0, gz.length - 40));
    expect(summary.rejected.corrupt_input).toBe(1);
    expect(accounted(summary)).toBe(summary.records);
  });

  it('rejects over-long lines and goes on', async () => {
    const n = new Normaliser({ maxLineLength: 3000 });
    const text = ndjson([nxlogSysmon({ CommandLine: 'x'.repeat(5000) }), nxlogSysmon()]);
    const out: ProcessEvent[] = [];
    for await (const e of n.run(
      Readable.from([Buffer.from(text.slice(0, 3000)), Buffer.from(text.slice(3000))]),
      'f',
    )) {
      out.push(e);
    }
    expect(out).toHaveLength(1);
    expect(n.summary.rejected).toEqual({ line_too_long: 1 });
    expect(n.summary.rejections[0]?.line).toBe(1);
  });

  it('keeps at most maxRejectionDetails details but counts all', async () => {
    const { summary } = await collect('oops\n'.repeat(250));
    expect(summary.rejected.invalid_json).toBe(250);
    expect(summary.rejections).toHaveLength(100);
  });

  it('offers a line API over any iterable of strings', async () => {
    const n = new Normaliser();
    const out: ProcessEvent[] = [];
    for await (const e of n.runLines(
      [JSON.stringify(nxlogSysmon()), JSON.stringify(nxlog4688())],
      'sock',
    )) {
      out.push(e);
    }
    expect(out).toHaveLength(1);
    expect(n.summary).toMatchObject({ records: 2, normalised: 1, mergedTwins: 1 });
  });

  it('returns the summary as the generator’s return value', async () => {
    const gen = new Normaliser().run(Readable.from([Buffer.from(ndjson([nxlogSysmon()]))]));
    let r = await gen.next();
    while (r.done !== true) {
      r = await gen.next();
    }
    expect(r.value.normalised).toBe(1);
  });

  it('emits records that waited out the twin window before the end of input', () => {
    const n = new Normaliser({ twinWindowMs: 1000 });
    const early = n.pushLine(JSON.stringify(nxlogSysmon()), 'f', 1);
    expect(early).toHaveLength(0);
    const later = n.pushLine(
      JSON.stringify(
        nxlogSysmon({
          UtcTime: '2022-03-04 10:07:07.250',
          ProcessGuid: '{AAAA0001-1111-2222-3333-000000000099}',
        }),
      ),
      'f',
      2,
    );
    expect(later.map((e) => e.event.id)).toEqual(['f:1']);
  });

  it('keeps the pending buffer bounded', () => {
    const n = new Normaliser({ maxPending: 10, sysmonOnlyAfter: 1e9 });
    let emitted = 0;
    for (let i = 0; i < 100; i++) {
      emitted += n.pushLine(
        JSON.stringify(
          nxlogSysmon({
            ProcessId: String(i),
            ProcessGuid: `{AAAA0001-1111-2222-3333-${String(i).padStart(12, '0')}}`,
          }),
        ),
        'f',
        i + 1,
      ).length;
    }
    expect(emitted).toBeGreaterThanOrEqual(89);
    expect(emitted + n.flush().length).toBe(100);
  });
});

function evtx(): object {
  return {
    EventID: 1,
    Provider: 'Microsoft-Windows-Sysmon',
    Computer: 'E1',
    UtcTime: '2020-01-01 00:00:00.000',
    Image: 'C:\\e.exe',
    ProcessGuid: '{00000001-0000-0000-0000-0000000000E1}',
  };
}

describe('Normaliser: Sysmon-only streams', () => {
  it('stops waiting for twins once a dataset shows no Security log, releasing earlier records in order', () => {
    const n = new Normaliser({ sysmonOnlyAfter: 5, twinWindowMs: 1000 });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const t = new Date(Date.UTC(2022, 0, 1, 0, 0, i * 2)).toISOString();
      const rec = nxlogSysmon({
        UtcTime: t.slice(0, 10) + ' ' + t.slice(11, 23),
        ProcessGuid: `{AAAA0001-1111-2222-3333-${String(i).padStart(12, '0')}}`,
      });
      ids.push(...n.pushLine(JSON.stringify(rec), 'f', i + 1).map((e) => e.event.id));
    }
    // Everything but the last pending record is out before the end, in input order.
    expect(ids.length).toBeGreaterThanOrEqual(19);
    ids.push(...n.flush().map((e) => e.event.id));
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => `f:${i + 1}`));
  });
});
