import { describe, expect, it } from 'vitest';
import { generateSync } from './generate';

describe('bounded memory', () => {
  it('streams 600k events with a flat heap', () => {
    const total = 600_000;
    const samples: number[] = [];
    let n = 0;
    let last = '';
    const opts = {
      hosts: 150,
      days: 14,
      attacks: 40,
      seed: 'mem',
      eventsPerHostDay: 600,
      maxEvents: total,
    };
    for (const rec of generateSync(opts)) {
      n++;
      // Sortedness check doubles as a use of every record, so nothing is optimised away.
      if (rec.event['@timestamp'] < last) throw new Error('stream out of order');
      last = rec.event['@timestamp'];
      if (n % 50_000 === 0) samples.push(Math.round(process.memoryUsage().heapUsed / 1e6));
    }
    expect(n).toBe(total);
    // Everything in flight is per host; nothing accumulates with the stream length, so the
    // heap late in the run stays close to the heap early on (GC timing adds noise).
    const early = Math.max(...samples.slice(0, 4));
    const late = Math.max(...samples.slice(-4));
    expect(Math.max(...samples), `heap MB samples ${samples.join(',')}`).toBeLessThan(400);
    expect(late - early, `heap MB samples ${samples.join(',')}`).toBeLessThan(100);
  }, 150_000);
});
