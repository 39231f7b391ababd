import { describe, expect, it } from 'vitest';
import { StringInterner } from './intern';

describe('StringInterner', () => {
  it('hands out one shared copy of equal strings and leaves values equal', () => {
    const interner = new StringInterner();
    const a = JSON.parse('{"p":{"name":"cmd.exe","args":["cmd.exe","/c"]},"n":3,"t":null}');
    const b = JSON.parse('{"p":{"name":"cmd.exe","args":["cmd.exe","/c"]},"n":3,"t":null}');
    const copyA = structuredClone(a);
    interner.deep(a);
    interner.deep(b);
    expect(a).toEqual(copyA);
    expect(b).toEqual(copyA);
    // Same content, same string: a Set of the objects' identities would tell them apart, so
    // check through the table instead: interning b's name again returns a's string.
    expect(interner.string(b.p.name as string)).toBe(a.p.name);
    expect(interner.string(`${'cmd'}.exe`)).toBe(a.p.args[0]);
  });

  it('skips long strings and forgets the least recently used beyond its bound', () => {
    const interner = new StringInterner(2);
    const long = 'x'.repeat(2000);
    expect(interner.string(long)).toBe(long);
    interner.string('a');
    interner.string('b');
    interner.string('c');
    interner.string('d'); // two generations of one: "a" is gone
    const freshA = ['a'].join('');
    expect(interner.string(freshA)).toBe(freshA);
  });

  it('stops at a bounded depth on cyclic input', () => {
    const cyclic: Record<string, unknown> = { s: 'v' };
    cyclic.self = cyclic;
    expect(() => new StringInterner().deep(cyclic)).not.toThrow();
  });
});
