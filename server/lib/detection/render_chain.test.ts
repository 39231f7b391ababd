/**
 * renderChain is iterative and keeps only the first `maxLength` characters of each subtree's
 * text: checked against the recursive rendering it replaced (kept here as the reference), and
 * on a chain 100,000 processes deep, which overflowed the stack of the recursive version.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderChain } from './find_bad_communities';

interface E {
  parentKey: string;
  childKey: string;
  parentName: string;
  childName: string;
}

/** The recursive renderChain this replaced, verbatim but for formatting. */
function reference(edges: readonly E[], maxLength = 300): string {
  const names = new Map<string, string>();
  const kids = new Map<string, string[]>();
  const isChild = new Set<string>();
  for (const e of edges) {
    names.set(e.parentKey, e.parentName);
    names.set(e.childKey, e.childName);
    if (e.parentKey === e.childKey) continue;
    const l = kids.get(e.parentKey);
    if (l) {
      if (!l.includes(e.childKey)) l.push(e.childKey);
    } else kids.set(e.parentKey, [e.childKey]);
    isChild.add(e.childKey);
  }
  const seen = new Set<string>();
  const render = (n: string): string => {
    if (seen.has(n)) return names.get(n) ?? '?';
    seen.add(n);
    const name = names.get(n) ?? '?';
    const ks = kids.get(n) ?? [];
    if (ks.length === 0) return name;
    const parts = ks.map(render);
    const counts = new Map<string, number>();
    for (const p of parts) counts.set(p, (counts.get(p) ?? 0) + 1);
    const uniq = [...counts.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([p, c]) => (c > 1 ? `${p} ×${c}` : p));
    return `${name} → ${uniq.length === 1 ? uniq[0] : `{${uniq.join(', ')}}`}`;
  };
  const parts: string[] = [];
  for (const e of edges)
    if (!isChild.has(e.parentKey) && !seen.has(e.parentKey)) parts.push(render(e.parentKey));
  for (const e of edges) if (!seen.has(e.parentKey)) parts.push(render(e.parentKey));
  const text = parts.join('; ');
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

const NAMES = ['cmd.exe', 'net.exe', 'whoami.exe', 'a.exe', 'ab.exe', 'b', 'powershell.exe'];

/** Random process forests (and loops, from reused ids) with names that share prefixes. */
const edgesArb = fc
  .array(
    fc.record({
      p: fc.integer({ min: 0, max: 14 }),
      c: fc.integer({ min: 0, max: 14 }),
      pn: fc.constantFrom(...NAMES),
      cn: fc.constantFrom(...NAMES),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((l) =>
    l.map((x) => ({
      parentKey: `k${x.p}`,
      childKey: `k${x.c}`,
      parentName: x.pn,
      childName: x.cn,
    })),
  );

describe('renderChain', () => {
  it('renders what the recursive version rendered, whole and cut', () => {
    fc.assert(
      fc.property(edgesArb, fc.integer({ min: 1, max: 120 }), (edges, cut) => {
        expect(renderChain(edges, 1_000_000)).toBe(reference(edges, 1_000_000));
        expect(renderChain(edges)).toBe(reference(edges));
        expect(renderChain(edges, cut)).toBe(reference(edges, cut));
      }),
      { numRuns: 2_000 },
    );
  });

  it('orders and counts siblings whose texts agree past the cut as the whole texts say', () => {
    // Two long subtrees identical for 400 characters, then different; and their duplicates.
    const long = (root: string, tail: string): E[] => {
      const out: E[] = [];
      for (let i = 0; i < 60; i++)
        out.push({
          parentKey: `${root}${i}`,
          childKey: `${root}${i + 1}`,
          parentName: 'cmd.exe',
          childName: 'cmd.exe',
        });
      out.push({
        parentKey: `${root}60`,
        childKey: `${root}t`,
        parentName: 'cmd.exe',
        childName: tail,
      });
      return out;
    };
    const edges: E[] = [];
    for (const [root, tail] of [
      ['x', 'b.exe'],
      ['y', 'a.exe'],
      ['z', 'b.exe'],
    ] as const) {
      edges.push({
        parentKey: 'top',
        childKey: `${root}0`,
        parentName: 'w.exe',
        childName: 'cmd.exe',
      });
      edges.push(...long(root, tail));
    }
    for (const max of [50, 300, 500, 10_000])
      expect(renderChain(edges, max)).toBe(reference(edges, max));
  });

  it('renders a chain 100,000 processes deep, quickly', () => {
    const edges: E[] = [];
    const names = ['cmd.exe', 'powershell.exe', 'rundll32.exe'];
    for (let i = 0; i < 100_000; i++)
      edges.push({
        parentKey: `p${i}`,
        childKey: `p${i + 1}`,
        parentName: names[i % 3] as string,
        childName: names[(i + 1) % 3] as string,
      });
    const t0 = performance.now();
    const text = renderChain(edges);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(text).toHaveLength(300);
    expect(text.startsWith('cmd.exe → powershell.exe → rundll32.exe → cmd.exe')).toBe(true);
    expect(text.endsWith('…')).toBe(true);
    // A fan-out at the end of the chain is still counted.
    const tail = renderChain(
      edges.slice(99_990).concat([
        { parentKey: 'p100000', childKey: 'q1', parentName: 'x', childName: 'net.exe' },
        { parentKey: 'p100000', childKey: 'q2', parentName: 'x', childName: 'net.exe' },
      ]),
    );
    expect(tail.endsWith('→ {net.exe ×2}') || tail.endsWith('→ net.exe ×2')).toBe(true);
  });
});
