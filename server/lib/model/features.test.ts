import { describe, expect, it } from 'vitest';
import {
  clearFeatureCaches,
  DENSE_FEATURES,
  FeatureSpace,
  eventTokenKeys,
  isoMillis,
  parentStartLookup,
  parseTime,
} from './features';
import type { ProcessEvent } from '../../../common/types/process_event';
import { attackWinwordPowershell, benignSvchost, makeEvent } from './testing/fixtures';

function corpus() {
  return [
    benignSvchost(),
    benignSvchost(),
    attackWinwordPowershell(),
    attackWinwordPowershell(),
    makeEvent({
      name: 'cmd.exe',
      cmd: 'cmd.exe /c whoami',
      parentName: 'powershell.exe',
      user: 'wardog',
      host: 'WS05',
    }),
    makeEvent({
      name: 'cmd.exe',
      cmd: 'cmd.exe /c dir',
      parentName: 'explorer.exe',
      user: 'alice',
      host: 'WS06',
    }),
  ];
}

function denseValue(space: FeatureSpace, v: Float32Array, name: string): number {
  return v[DENSE_FEATURES.indexOf(name)] as number;
}

describe('FeatureSpace', () => {
  it('is deterministic: same events in any order give the same vocabulary and vectors', () => {
    const events = corpus();
    const a = FeatureSpace.fit(events, { minDf: 1, minGroups: 1 });
    const b = FeatureSpace.fit([...events].reverse(), { minDf: 1, minGroups: 1 });
    expect(b.toJSON()).toEqual(a.toJSON());
    for (const e of events) expect(Array.from(b.extract(e))).toEqual(Array.from(a.extract(e)));
  });

  it('round-trips through features.json with identical vectors', () => {
    const events = corpus();
    const a = FeatureSpace.fit(events, { minDf: 1, minGroups: 1 });
    const b = FeatureSpace.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    for (const e of events) {
      const va = a.extract(e);
      const vb = b.extract(e);
      for (let i = 0; i < va.length; i++) expect(vb[i]).toBeCloseTo(va[i] as number, 5);
    }
  });

  it('applies minDf, minGroups and the vocabulary cap', () => {
    const events = corpus();
    const groups = FeatureSpace.fit(events, {
      minDf: 1,
      minGroups: 2,
      groupOf: (e) => e.host.name,
    });
    // Only tokens seen on two hosts survive: the per-host cmd.exe events each have one host.
    expect(groups.vocabulary).not.toContain('cmd:whoami');
    expect(groups.vocabulary).toContain('proc:cmd.exe');
    const capped = FeatureSpace.fit(events, { minDf: 1, minGroups: 1, maxVocab: 3 });
    expect(capped.vocabulary).toHaveLength(3);
    expect(() => FeatureSpace.fromJSON({ ...capped.toJSON(), normalisationVersion: 999 })).toThrow(
      /retrain/,
    );
  });

  it('never turns user, host or domain names into tokens', () => {
    const e = makeEvent({
      name: 'net.exe',
      cmd: 'net.exe use \\\\WS09\\c$ /user:THESHIRE\\wardog C:\\Users\\wardog\\x.txt',
      parentName: 'cmd.exe',
      user: 'wardog',
      host: 'ws09.theshire.local',
    });
    e.user.domain = 'THESHIRE';
    const keys = eventTokenKeys(e).join(' ');
    expect(keys).not.toMatch(/wardog|ws09|theshire/);
  });

  it("keeps other users' and machines' names out of the vocabulary", () => {
    const mk = (host: string, user: string, cmd: string) => {
      const e = makeEvent({ name: 'net.exe', cmd, parentName: 'cmd.exe', host, user });
      e.user.domain = 'LITWARE';
      return e;
    };
    const events = [
      mk('fin-ws01.litware.corp', 'william.allen', 'net.exe user jane.doe /domain'),
      mk(
        'fin-ws02.litware.corp',
        'jane.doe',
        'net.exe use \\\\fin-ws01\\c$ & ping fin-ws01 & copy william.allen.txt x',
      ),
      mk(
        'fin-ws03.litware.corp',
        'bob.smith',
        'net.exe user william.allen & ping fin-ws02 & nslookup litware.corp',
      ),
    ];
    const space = FeatureSpace.fit([...events, ...events], { minDf: 1, minGroups: 1 });
    const vocab = space.vocabulary.join(' ');
    expect(vocab).not.toMatch(/jane|william|fin-ws|litware/);
    expect(space.vocabulary).toContain('cmd:nslookup');
  });

  it('scores the encoded PowerShell event with the obfuscation features', () => {
    const space = FeatureSpace.fit(corpus(), { minDf: 1, minGroups: 1 });
    const v = space.extract(attackWinwordPowershell());
    expect(denseValue(space, v, 'cmd_b64')).toBe(1);
    expect(denseValue(space, v, 'cmd_enc_flag')).toBe(1);
    expect(denseValue(space, v, 'cmd_hidden')).toBe(1);
    expect(denseValue(space, v, 'name_mismatch')).toBe(0); // PowerShell.EXE vs powershell.exe
    expect(v[space.featureNames.indexOf('parent→child: winword.exe→powershell.exe')]).toBe(1);
    const b = space.extract(benignSvchost());
    expect(denseValue(space, b, 'service_account')).toBe(1);
    expect(denseValue(space, b, 'cmd_b64')).toBe(0);
  });

  it('flags a renamed binary and treats a missing original name separately', () => {
    const space = FeatureSpace.fit(corpus(), { minDf: 1, minGroups: 1 });
    const renamed = space.extract(makeEvent({ name: 'svch0st.exe', original: 'rundll32.exe' }));
    expect(denseValue(space, renamed, 'name_mismatch')).toBe(1);
    const missing = space.extract(makeEvent({ name: 'svch0st.exe' }));
    expect(denseValue(space, missing, 'name_mismatch')).toBe(0);
    expect(denseValue(space, missing, 'original_name_missing')).toBe(1);
  });

  it('takes the parent age from process.parent.start, else from the context lookup', () => {
    const space = FeatureSpace.fit(corpus(), { minDf: 1, minGroups: 1 });
    const withStart = makeEvent({
      name: 'a.exe',
      time: '2024-01-01T10:00:10Z',
      parentStart: '2024-01-01T10:00:00Z',
    });
    const v1 = space.extract(withStart);
    expect(denseValue(space, v1, 'parent_age_missing')).toBe(0);
    expect(denseValue(space, v1, 'parent_age_log')).toBeCloseTo(
      Math.log1p(10) / Math.log1p(7 * 86400),
      6,
    );

    const parent = makeEvent({ name: 'p.exe', time: '2024-01-01T09:00:00Z' });
    const child = makeEvent({ name: 'c.exe', time: '2024-01-01T10:00:00Z' });
    child.process.parent.entity_id = parent.process.entity_id;
    expect(denseValue(space, space.extract(child), 'parent_age_missing')).toBe(1);
    const v2 = space.extract(child, parentStartLookup([parent, child]));
    expect(denseValue(space, v2, 'parent_age_log')).toBeCloseTo(
      Math.log1p(3600) / Math.log1p(7 * 86400),
      6,
    );
  });

  it('can hide the parent age (training augmentation) without touching the cache', () => {
    const space = FeatureSpace.fit(corpus(), { minDf: 1, minGroups: 1 });
    const e = makeEvent({
      name: 'a.exe',
      time: '2024-01-01T10:00:10Z',
      parentStart: '2024-01-01T10:00:00Z',
    });
    const hidden = space.extractSparse(e, undefined, { hideParentAge: true });
    const missingIdx = DENSE_FEATURES.indexOf('parent_age_missing');
    expect(Array.from(hidden.indices)).toContain(missingIdx);
    expect(denseValue(space, space.extract(e), 'parent_age_missing')).toBe(0);
  });

  it('parses Sysmon-style UTC times without a zone designator', () => {
    expect(parseTime('2020-09-18 17:05:52.782')).toBe(Date.parse('2020-09-18T17:05:52.782Z'));
    expect(parseTime('garbage')).toBeUndefined();
  });
});

describe('one-off rows', () => {
  it('are handed out in reused buffers by staticRow, and copied by extractSparse', () => {
    const events = Array.from({ length: 6 }, (_, i) =>
      makeEvent({ name: 'cmd.exe', cmd: `cmd.exe /c type note-${i}.txt`, user: 'u', host: 'h' }),
    );
    const space = FeatureSpace.fit(events, { minDf: 1, minGroups: 1 });
    clearFeatureCaches();
    space.clearCache();
    const kept = events.map((e) => space.extractSparse(e));
    clearFeatureCaches();
    space.clearCache();
    const again = events.map((e) => {
      const r = space.extractSparse(e);
      return `${Array.from(r.indices)}|${Array.from(r.values)}`;
    });
    // Rows taken earlier still hold their own values after later extractions.
    expect(kept.map((r) => `${Array.from(r.indices)}|${Array.from(r.values)}`)).toEqual(again);
    clearFeatureCaches();
    space.clearCache();
    const first = space.staticRow(events[0] as ProcessEvent);
    const second = space.staticRow(events[1] as ProcessEvent);
    // Same length (same shape of command line): the same buffers, overwritten.
    expect(second.indices.length).toBe(first.indices.length);
    expect(second.indices).toBe(first.indices);
  });
});

describe('isoMillis', () => {
  const pad = (v: number, n: number): string => String(v).padStart(n, '0');
  it('reads normalised timestamps exactly as Date.parse does, month ends and leap years included', () => {
    let checked = 0;
    for (const y of [0, 1600, 1900, 1969, 1970, 2000, 2023, 2024, 2100, 9999])
      for (let m = 1; m <= 12; m++)
        for (let d = 1; d <= 31; d++)
          for (const [h, mi, sec, ms] of [
            [0, 0, 0, 0],
            [23, 59, 59, 999],
            [7, 5, 3, 21],
          ] as const) {
            const text = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(sec, 2)}.${pad(ms, 3)}Z`;
            // A day past the month's end rolls over there too (2023-02-31 is 3 March).
            expect(isoMillis(text)).toBe(Date.parse(text));
            checked++;
          }
    expect(checked).toBe(10 * 12 * 31 * 3);
  });

  it.each([
    '2024-13-01T00:00:00.000Z',
    '2024-01-32T00:00:00.000Z',
    '2024-01-01T24:00:00.000Z',
    '2024-01-01T23:60:00.000Z',
    '2024-01-01 00:00:00.000Z',
    '2024-01-01T00:00:00,000Z',
    '2024-0a-01T00:00:00.000Z',
    '2024-01-01T00:00:00.000',
  ])('leaves %s to Date.parse (NaN)', (text) => {
    expect(isoMillis(text)).toBeNaN();
    // parseTime still reads what Date.parse reads.
    const viaDate = Date.parse(text.endsWith('Z') ? text : `${text}Z`);
    expect(parseTime(text)).toBe(Number.isNaN(viaDate) ? parseTime(text) : viaDate);
  });
});

describe('row cache', () => {
  // Every field the row depends on, each changed alone: a warm cache must never hand one
  // event's row to an event that differs only in that field.
  const baseEvent = (): ProcessEvent =>
    makeEvent({
      name: 'powershell.exe',
      exe: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      // Names the event's own host and domain, which tokenising blanks.
      cmd: 'powershell -nop -w hidden -c iex(whoami) ws01 corp',
      parentName: 'winword.exe',
      parentExe: 'C:\\Program Files\\Microsoft Office\\winword.exe',
      user: 'alice',
      host: 'ws01',
      signed: true,
      integrity: 'Medium',
      original: 'PowerShell.EXE',
    });
  const base = (): ProcessEvent => {
    const e = baseEvent();
    e.user.domain = 'corp';
    return e;
  };
  const variants: Array<[string, (e: ProcessEvent) => void]> = [
    ['process.name', (e) => (e.process.name = 'pwsh.exe')],
    ['process.executable', (e) => (e.process.executable = 'C:\\Users\\alice\\Downloads\\ps.exe')],
    ['process.parent.name', (e) => (e.process.parent.name = 'excel.exe')],
    ['process.parent.executable', (e) => (e.process.parent.executable = 'C:\\Temp\\w.exe')],
    ['code_signature.exists', (e) => (e.process.code_signature = { exists: false })],
    [
      'code_signature.trusted',
      (e) => (e.process.code_signature = { exists: true, trusted: false }),
    ],
    ['token.elevation', (e) => (e.process.Ext = { token: { elevation: true } })],
    ['token.elevation_type', (e) => (e.process.Ext = { token: { elevation_type: '%%1937' } })],
    [
      'token.integrity_level_name',
      (e) => (e.process.Ext = { token: { integrity_level_name: 'System' } }),
    ],
    ['user.id', (e) => (e.user.id = 'S-1-5-18')],
    ['user.name', (e) => (e.user.name = 'SYSTEM')],
    ['user.domain', (e) => (e.user.domain = 'NT AUTHORITY')],
    ['pe.original_file_name', (e) => (e.process.pe = { original_file_name: 'calc.exe' })],
    ['command_line', (e) => (e.process.command_line = 'powershell -enc SQBFAFgA')],
    [
      'args',
      (e) => {
        e.process.command_line = undefined;
        e.process.args = ['powershell', '-enc', 'SQBFAFgA'];
      },
    ],
    ['host.name', (e) => (e.host = { name: 'alice' })],
  ];
  const space = (): FeatureSpace => {
    const events = [
      base(),
      ...variants.map(([, change]) => {
        const e = base();
        change(e);
        return e;
      }),
    ];
    return FeatureSpace.fit([...events, ...events], { minDf: 1, minGroups: 1 });
  };
  const warm = space();
  const fresh = space();
  const rowOf = (s: FeatureSpace, e: ProcessEvent): string => {
    const r = s.extractSparse(e);
    return `${Array.from(r.indices)}|${Array.from(r.values)}`;
  };

  it.each(variants)('keys on %s', (_field, change) => {
    const a = base();
    // Its command line's first sighting, then two offers of the row (admitted on the second):
    // from the fourth sighting on the row comes from the cache.
    for (let i = 0; i < 3; i++) rowOf(warm, a);
    warm.staticRow(a);
    expect(warm.lastRowCached).toBe(true);
    const b = base();
    change(b);
    fresh.clearCache();
    const expected = rowOf(fresh, b);
    expect(expected).not.toBe(rowOf(fresh, a));
    expect(rowOf(warm, b)).toBe(expected);
    expect(rowOf(warm, b)).toBe(expected);
    expect(rowOf(warm, b)).toBe(expected);
  });
});

describe('command lines that normalise alike', () => {
  // Browser renderers differ only in ids and handles: they share tokens and their TF-IDF part,
  // and every row must still be the one a cold extraction gives.
  const renderer = (id: number, handle: number, host: string): ProcessEvent =>
    makeEvent({
      name: 'chrome.exe',
      exe: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
      cmd: `"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --renderer-client-id=${id} --field-trial-handle=${handle},i,${id * 7919} --lang=en-US --user-data-dir="C:\\Users\\alice\\AppData\\Local\\Google\\Chrome\\User Data" --proxy-server=ws07:8080 /prefetch:1`,
      parentName: 'chrome.exe',
      user: 'alice',
      host,
    });
  const events = Array.from({ length: 12 }, (_, i) =>
    renderer(100 + i, 2000 + i, i % 3 === 2 ? 'ws07' : 'alice'),
  );
  const space = FeatureSpace.fit([...events, ...events], { minDf: 1, minGroups: 1 });
  const rowOf = (e: ProcessEvent): string => {
    const r = space.extractSparse(e);
    return `${Array.from(r.indices)}|${Array.from(r.values)}`;
  };

  it('give each event the row a cold extraction gives', () => {
    const cold = events.map((e) => {
      clearFeatureCaches();
      space.clearCache();
      return rowOf(e);
    });
    clearFeatureCaches();
    space.clearCache();
    for (let pass = 0; pass < 3; pass++) expect(events.map(rowOf)).toEqual(cold);
    // Same tokens apart from ids; on ws07 the proxy's name is the host's own, and is blanked.
    const cmdTokens = (e: ProcessEvent): string[] =>
      eventTokenKeys(e).filter((k) => k.startsWith('cmd:'));
    expect(cmdTokens(events[1] as ProcessEvent)).toEqual(cmdTokens(events[0] as ProcessEvent));
    expect(cmdTokens(events[2] as ProcessEvent)).not.toEqual(cmdTokens(events[0] as ProcessEvent));
  });
});

describe('command-line cache', () => {
  it('keeps the PowerShell reading of a command line apart from any other', () => {
    // "-e" is an encoded command only to PowerShell: the same text under another program must
    // not get PowerShell's facts from a warm cache, nor the other way round.
    const cmd = 'launcher.exe -e SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA';
    const ps = (): ProcessEvent =>
      makeEvent({ name: 'powershell.exe', cmd, parentName: 'cmd.exe' });
    const other = (): ProcessEvent =>
      makeEvent({ name: 'launcher.exe', cmd, parentName: 'cmd.exe' });
    const space = FeatureSpace.fit([ps(), other(), ps(), other()], { minDf: 1, minGroups: 1 });
    const enc = (e: ProcessEvent): number => denseValue(space, space.extract(e), 'cmd_enc_flag');
    clearFeatureCaches();
    space.clearCache();
    for (let i = 0; i < 4; i++) expect(enc(ps())).toBe(1);
    for (let i = 0; i < 4; i++) expect(enc(other())).toBe(0);
    clearFeatureCaches();
    space.clearCache();
    for (let i = 0; i < 4; i++) expect(enc(other())).toBe(0);
    for (let i = 0; i < 4; i++) expect(enc(ps())).toBe(1);
  });

  // One cache entry serves a command line on every host; each event's own names are still blanked.
  const cmd =
    'cmd /c net use \\\\fs01\\share /user:corp\\bob & ping ws01 & echo b^ob ws01.corp.local';
  const bob = (): ProcessEvent => {
    const e = makeEvent({ name: 'cmd.exe', cmd, user: 'bob', host: 'ws01.corp.local' });
    e.user.domain = 'corp';
    return e;
  };
  const alice = (): ProcessEvent => {
    const e = makeEvent({ name: 'cmd.exe', cmd, user: 'alice', host: 'ws02' });
    e.user.domain = 'other';
    return e;
  };

  it.each([
    ['bob after alice', bob, alice],
    ['alice after bob', alice, bob],
  ])('gives %s the tokens of a cold cache', (_label, subject, other) => {
    clearFeatureCaches();
    const cold = eventTokenKeys(subject());
    for (let i = 0; i < 3; i++) eventTokenKeys(other());
    expect(eventTokenKeys(subject())).toEqual(cold);
  });

  it("blanks the event's own names, and only those", () => {
    clearFeatureCaches();
    const own = eventTokenKeys(bob()).filter((k) => k.startsWith('cmd:'));
    const others = eventTokenKeys(alice()).filter((k) => k.startsWith('cmd:'));
    expect(own).not.toContain('cmd:ws01');
    expect(own).not.toContain('cmd:bob');
    expect(others).toContain('cmd:ws01');
    expect(others).toContain('cmd:bob');
    expect(own.length).toBe(others.length);
  });
});

describe('parentStartLookup', () => {
  const proc = (host: string, id: string, start: string, parent?: string): ProcessEvent => {
    const e = makeEvent({ name: 'x.exe', host, time: start });
    e.process.entity_id = id;
    e.process.parent.entity_id = parent;
    return e;
  };

  it("finds a parent's start on the child's own host, the first time the parent was seen", () => {
    const events = [
      proc('a', 'p1', '2024-01-01T00:00:00.000Z'),
      proc('b', 'p1', '2024-01-02T00:00:00.000Z'), // the same id on another host
      proc('a', 'p1', '2024-01-03T00:00:00.000Z'), // a later duplicate on host a
      proc('b', 'p1', '2024-01-04T00:00:00.000Z'),
    ];
    const lookup = parentStartLookup(events);
    const childOn = (host: string, parent?: string) =>
      lookup.parentStart?.(proc(host, 'c', '2024-01-05T00:00:00.000Z', parent));
    expect(childOn('a', 'p1')).toBe('2024-01-01T00:00:00.000Z');
    expect(childOn('b', 'p1')).toBe('2024-01-02T00:00:00.000Z');
    expect(childOn('c', 'p1')).toBeUndefined();
    expect(childOn('a', 'nope')).toBeUndefined();
    expect(childOn('a', undefined)).toBeUndefined();
  });
});
