import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostSpill } from './host_spill';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-spill-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Item {
  i: number;
  text: string;
}

// Strings JSON must carry through a file intact: newlines, quotes, NULs, non-ASCII, lone surrogates.
const AWKWARD = ['plain', 'two\nlines', 'q"uo\\te', 'nul\u0000x', 'é中🙂', 'lone \ud800 high', ''];

describe('HostSpill', () => {
  it('returns each host its items in order, whether they stayed in memory or went to disk', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'a-'));
    const spill = new HostSpill<Item>({ memoryChars: 500, tmpDir: dir });
    const expected = new Map<string, Item[]>();
    for (let i = 0; i < 2_000; i++) {
      const host = `host-${(i * 7) % 13}`;
      const item = { i, text: `${AWKWARD[i % AWKWARD.length]}-${i}` };
      spill.add(host, item);
      const l = expected.get(host);
      if (l) l.push(item);
      else expected.set(host, [item]);
    }
    expect(spill.size).toBe(2_000);
    expect(spill.spilledBytes).toBeGreaterThan(10_000);
    expect(spill.hostKeys()).toEqual([...expected.keys()]);
    for (const [host, items] of expected) {
      expect(spill.count(host)).toBe(items.length);
      expect(spill.read(host)).toEqual(items);
    }
    expect(spill.read('unknown')).toEqual([]);
    spill.drop('host-0');
    expect(spill.read('host-0')).toEqual([]);
    spill.close();
    spill.close();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('keeps a small run in memory without creating a file', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'b-'));
    const spill = new HostSpill<Item>({ tmpDir: dir });
    for (let i = 0; i < 100; i++) spill.add('h', { i, text: 'x' });
    expect(spill.read('h')).toHaveLength(100);
    expect(spill.spilledBytes).toBe(0);
    expect(fs.readdirSync(dir)).toEqual([]);
    spill.close();
  });

  it('names the folder it cannot write to', () => {
    const spill = new HostSpill<Item>({ memoryChars: 1, tmpDir: path.join(tmp, 'missing') });
    expect(() => spill.add('h', { i: 1, text: 'x' })).toThrow(
      /cannot create a temporary file for the run's events in .*missing \(set TMPDIR/,
    );
  });
});
