import { describe, expect, it } from 'vitest';
import { generateSync } from './generate';

describe('bounded memory', () => {
  it('streams 1M events with a flat heap', () => {
    const samples: number[] = [];
    let n = 0;
    let last = '';
    for (const rec of generateSync({
      hosts: 150,
      days: 14,
      attacks: 40,
      seed: 'mem',
      eventsPerHostDay: 600,
      maxEvents: 1_000_000,
    })) {
      n++;
      // Sortedness check doubles as a use of every record, so nothing is optimised away.
      if (rec.event['@timestamp'] < last) throw new Error('stream out of order');
      last = rec.event['@timestamp'];
      if (n % 100_000 === 0) samples.push(process.memoryUsage().heapUsed);
    }
    expect(n).toBe(1_000_000);
    const mb = samples.map((b) => Math.round(b / 1e6));
    // Everything in flight is per host; nothing accumulates with the stream length.
    expect(Math.max(...mb)).toBeLessThan(400);
    const early = Math.max(...mb.slice(0, 3));
    const late = Math.max(...mb.slice(-3));
    expect(late - early).toBeLessThan(120);
  }, 60_000);
});
