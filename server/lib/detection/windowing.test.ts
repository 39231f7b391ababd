import { describe, expect, it } from 'vitest';
import type { ScoredEvent } from '../../../common/types/scoring';
import { groupByHostWindow, parseWindow, streamHostWindows } from './windowing';
import { scoredEvent } from './testing/events';

describe('parseWindow', () => {
  it('parses durations and "all"', () => {
    expect(parseWindow('15m')).toBe(900_000);
    expect(parseWindow('1h')).toBe(3_600_000);
    expect(parseWindow('1.5h')).toBe(5_400_000);
    expect(parseWindow('1d')).toBe(86_400_000);
    expect(parseWindow('all')).toBe(0);
    expect(parseWindow(undefined)).toBe(0);
    expect(parseWindow(5000)).toBe(5000);
  });
  it('names the bad value', () => {
    expect(() => parseWindow('1 fortnight')).toThrow(/"1 fortnight"/);
    expect(() => parseWindow('0h')).toThrow(/longer than zero/);
    expect(() => parseWindow(-1)).toThrow(/-1/);
  });
});

const H = 3_600_000;
function evs(): ScoredEvent[] {
  return [
    scoredEvent({ id: 'a1', entity: 'a1', name: 'x.exe', host: 'A', t: 10 }),
    scoredEvent({ id: 'b1', entity: 'b1', name: 'x.exe', host: 'b', t: 20 }),
    scoredEvent({ id: 'a2', entity: 'a2', name: 'x.exe', host: 'a', t: H + 5 }),
    scoredEvent({ id: 'a3', entity: 'a3', name: 'x.exe', host: 'A', t: 30 }),
  ];
}

describe('groupByHostWindow', () => {
  it('groups by host (case-insensitive) and epoch-aligned window', () => {
    const g = groupByHostWindow(evs(), { windowMs: H });
    expect(g.map((x) => [x.host, x.window.start, x.events.map((e) => e.event.event.id)])).toEqual([
      ['a', '2024-01-01T00:00:00.000Z', ['a1', 'a3']],
      ['b', '2024-01-01T00:00:00.000Z', ['b1']],
      ['a', '2024-01-01T01:00:00.000Z', ['a2']],
    ]);
    expect(g[0]?.window.end).toBe('2024-01-01T01:00:00.000Z');
  });

  it('splits a group that reaches the cap into parts', () => {
    const g = groupByHostWindow(evs(), { windowMs: 0, maxEventsPerGroup: 2 });
    const a = g.filter((x) => x.host === 'a');
    expect(a.map((x) => [x.part, x.events.length])).toEqual([
      [0, 2],
      [1, 1],
    ]);
  });
});

describe('streamHostWindows', () => {
  it('emits a window once the stream is past it, and everything at the end', async () => {
    async function* src() {
      yield* evs().slice(0, 2);
      yield scoredEvent({ id: 'late', entity: 'l', name: 'x.exe', host: 'a', t: 3 * H });
      yield scoredEvent({ id: 'b2', entity: 'b2', name: 'x.exe', host: 'b', t: 3 * H + 1 });
    }
    const seen: string[] = [];
    for await (const g of streamHostWindows(src(), { windowMs: H, allowedLatenessMs: 0 })) {
      seen.push(
        `${g.host}@${g.window.start.slice(11, 13)}:${g.events.map((e) => e.event.event.id).join(',')}`,
      );
    }
    expect(seen).toEqual(['a@00:a1', 'b@00:b1', 'a@03:late', 'b@03:b2']);
  });

  it('holds at most the cap per host-window', async () => {
    let maxHeld = 0;
    const many = Array.from({ length: 100 }, (_, i) =>
      scoredEvent({ id: `e${i}`, entity: `e${i}`, name: 'x.exe', host: 'a', t: i }),
    );
    for await (const g of streamHostWindows(many, { windowMs: H, maxEventsPerGroup: 30 }))
      maxHeld = Math.max(maxHeld, g.events.length);
    expect(maxHeld).toBe(30);
  });
});
