import { describe, expect, it } from 'vitest';
import { BoundedMap, SecondSightingCache } from './bounded_map';

describe('BoundedMap', () => {
  it('keeps recently touched entries within its capacity', () => {
    const m = new BoundedMap<string, number>(4);
    for (const [i, k] of ['a', 'b', 'c'].entries()) m.set(k, i);
    expect(m.get('a')).toBe(0); // promoted from the old generation
    m.set('d', 3);
    m.set('e', 4);
    expect(m.size).toBeLessThanOrEqual(4);
    expect(m.get('a')).toBe(0);
    expect(m.get('b')).toBeUndefined();
  });
});

describe('SecondSightingCache', () => {
  it('admits a key only when it is offered a second time', () => {
    const c = new SecondSightingCache<number>(100);
    c.offer('k', 1);
    expect(c.get('k')).toBeUndefined();
    c.offer('k', 2);
    expect(c.get('k')).toBe(2);
    c.clear();
    expect(c.get('k')).toBeUndefined();
    c.offer('k', 3);
    expect(c.get('k')).toBeUndefined();
  });
});
