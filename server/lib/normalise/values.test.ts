import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  basename,
  hash64,
  isoTime,
  normaliseEntityId,
  normaliseHost,
  parsePid,
  parseTimeMs,
  splitUser,
  text,
} from './values';

describe('parsePid', () => {
  it('reads Security-log hex and Sysmon decimal', () => {
    expect(parsePid('0x1948')).toBe(0x1948);
    expect(parsePid('0X00000278')).toBe(0x278);
    expect(parsePid('0x0000000000000278')).toBe(0x278);
    expect(parsePid('2164')).toBe(2164);
    expect(parsePid(' 2164 ')).toBe(2164);
    expect(parsePid(3412)).toBe(3412);
    expect(parsePid(0)).toBe(0);
  });

  it('rejects what is not a PID', () => {
    for (const v of [
      undefined,
      null,
      '',
      '-',
      'abc',
      '0x',
      '12a',
      -1,
      1.5,
      NaN,
      2 ** 40,
      '99999999999',
      { pid: 1 },
      [1],
      true,
    ]) {
      expect(parsePid(v)).toBeUndefined();
    }
    expect(parsePid('0x1ffffffff')).toBeUndefined();
  });
});

describe('parseTimeMs / isoTime', () => {
  it('reads every layout the sources use', () => {
    expect(parseTimeMs('2021-06-12 01:07:15.633')).toBe(Date.UTC(2021, 5, 12, 1, 7, 15, 633));
    expect(parseTimeMs('2019-04-27 15:57:53.368864')).toBe(Date.UTC(2019, 3, 27, 15, 57, 53, 368));
    expect(parseTimeMs('2025-12-06T21:11:02.649150Z')).toBe(Date.UTC(2025, 11, 6, 21, 11, 2, 649));
    expect(parseTimeMs('2020-10-13 00:26:28')).toBe(Date.UTC(2020, 9, 13, 0, 26, 28));
    expect(parseTimeMs('2020-10-13T02:26:28+02:00')).toBe(Date.UTC(2020, 9, 13, 0, 26, 28));
    expect(parseTimeMs('2020-10-13T02:26:28.5-0130')).toBe(Date.UTC(2020, 9, 13, 3, 56, 28, 500));
    expect(parseTimeMs(1_600_000_000_000)).toBe(1_600_000_000_000);
  });

  it('rejects garbage', () => {
    for (const v of [
      '',
      'now',
      '2020-13-01 00:00:00',
      '2020-01-01 25:00:00',
      '2020-01-01',
      {},
      [],
      NaN,
      Infinity,
      'x'.repeat(1000),
    ]) {
      expect(parseTimeMs(v)).toBeUndefined();
    }
  });

  it('formats exactly like Date#toISOString, fast path included', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31) }), (ms) => {
        const iso = new Date(ms).toISOString();
        const sysmon = iso.slice(0, 10) + ' ' + iso.slice(11, 23);
        expect(parseTimeMs(sysmon)).toBe(ms);
        expect(isoTime(ms, sysmon)).toBe(iso);
        expect(isoTime(ms)).toBe(iso);
      }),
    );
    // Calendar overflow must not take the string-rewriting path.
    const feb30 = parseTimeMs('2021-02-30 00:00:00.000') as number;
    expect(isoTime(feb30, '2021-02-30 00:00:00.000')).toBe('2021-03-02T00:00:00.000Z');
  });
});

describe('host, ids, paths, users', () => {
  it('lower-cases hosts and keeps the domain (label convention)', () => {
    expect(normaliseHost('WORKSTATION5.theshire.local')).toBe('workstation5.theshire.local');
    expect(normaliseHost(' Pedro01. ')).toBe('pedro01');
    expect(normaliseHost('')).toBeUndefined();
    expect(normaliseHost({})).toBeUndefined();
  });

  it('canonicalises GUIDs and keeps opaque ids', () => {
    expect(normaliseEntityId('{E2C04BB9-08C3-60C4-1C17-400100000000}')).toBe(
      'e2c04bb9-08c3-60c4-1c17-400100000000',
    );
    expect(normaliseEntityId('0197231E-9BE6-6934-5301-000000000B00')).toBe(
      '0197231e-9be6-6934-5301-000000000b00',
    );
    expect(normaliseEntityId('{00000000-0000-0000-0000-000000000000}')).toBeUndefined();
    expect(normaliseEntityId('YWJj')).toBe('YWJj');
    expect(normaliseEntityId('{not-a-guid}')).toBe('{not-a-guid}');
  });

  it('takes the basename of Windows and POSIX paths', () => {
    expect(basename('C:\\Windows\\System32\\PING.EXE')).toBe('PING.EXE');
    expect(basename('/usr/bin/x')).toBe('x');
    expect(basename('C:\\dir\\')).toBe('dir');
    expect(basename('plain.exe')).toBe('plain.exe');
  });

  it('splits DOMAIN\\user', () => {
    expect(splitUser('NT AUTHORITY\\SYSTEM')).toEqual({ domain: 'NT AUTHORITY', name: 'SYSTEM' });
    expect(splitUser('alice')).toEqual({ name: 'alice' });
    expect(splitUser('\\bob')).toEqual({ name: 'bob' });
  });

  it('treats "-" and empty strings as absent', () => {
    expect(text('-')).toBeUndefined();
    expect(text('')).toBeUndefined();
    expect(text(5)).toBe('5');
    expect(text({})).toBeUndefined();
  });

  it('hashes stably to 16 hex chars', () => {
    expect(hash64('abc')).toMatch(/^[0-9a-f]{16}$/);
    expect(hash64('abc')).toBe(hash64('abc'));
    expect(hash64('abc')).not.toBe(hash64('abd'));
    expect(hash64('\ud800')).toMatch(/^[0-9a-f]{16}$/);
  });
});
