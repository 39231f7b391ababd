import { describe, expect, it } from 'vitest';
import { MinHeap } from './heap';
import { Rng, hash128 } from './rng';
import { splitArgs, encodePowerShell } from './text';

describe('Rng', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    const a = new Rng('seed-a');
    const b = new Rng('seed-a');
    const c = new Rng('seed-b');
    const sa = Array.from({ length: 50 }, () => a.nextU32());
    const sb = Array.from({ length: 50 }, () => b.nextU32());
    const sc = Array.from({ length: 50 }, () => c.nextU32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('derives independent streams from label paths', () => {
    expect(Rng.derive('s', 'host', 1).nextU32()).not.toBe(Rng.derive('s', 'host', 2).nextU32());
    expect(Rng.derive('s', 'host', 1).nextU32()).toBe(Rng.derive('s', 'host', 1).nextU32());
    expect(hash128('x')).toEqual(hash128('x'));
  });

  it('keeps int(), float() and pick() in range and roughly uniform', () => {
    const r = new Rng('range');
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) {
      const v = r.int(0, 3);
      counts[v] = (counts[v] ?? 0) + 1;
      const f = r.float(2, 3);
      expect(f >= 2 && f < 3).toBe(true);
    }
    for (const c of counts) expect(c).toBeGreaterThan(9000);
    expect(['a', 'b']).toContain(r.pick(['a', 'b']));
    expect(() => r.pick([])).toThrow();
  });

  it('formats GUIDs and hex', () => {
    const r = new Rng('g');
    expect(r.guid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(r.hex(64, true)).toMatch(/^[0-9A-F]{64}$/);
  });
});

describe('MinHeap', () => {
  it('pops in order and filters', () => {
    const h = new MinHeap<number>((a, b) => a < b);
    const r = new Rng('heap');
    const values = Array.from({ length: 500 }, () => r.int(0, 10_000));
    for (const v of values) h.push(v);
    h.filter((v) => v % 2 === 0);
    const out: number[] = [];
    while (h.size > 0) out.push(h.pop() as number);
    expect(out).toEqual(values.filter((v) => v % 2 === 0).sort((a, b) => a - b));
  });
});

describe('text helpers', () => {
  it('splits Windows command lines like CommandLineToArgvW', () => {
    expect(splitArgs('"C:\\Program Files\\x.exe" /n "a b.docx" /o ""')).toEqual([
      'C:\\Program Files\\x.exe',
      '/n',
      'a b.docx',
      '/o',
      '',
    ]);
    expect(splitArgs('cmd.exe /c "net group \\"Domain Admins\\" /domain"')).toEqual([
      'cmd.exe',
      '/c',
      'net group "Domain Admins" /domain',
    ]);
    expect(splitArgs('net  user')).toEqual(['net', 'user']);
  });

  it('encodes PowerShell -EncodedCommand as base64 UTF-16LE', () => {
    expect(Buffer.from(encodePowerShell('whoami'), 'base64').toString('utf16le')).toBe('whoami');
  });
});
