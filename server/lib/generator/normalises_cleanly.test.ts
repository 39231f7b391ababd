/**
 * The generator's output, as ECS and as raw Sysmon lines, goes through the real normaliser with
 * zero rejections and keeps every event, its host and its parent linkage.
 */
import { describe, expect, it } from 'vitest';
import type { NormaliseSummary, ProcessEvent } from '../../../common/types/process_event';
import { Normaliser } from '../normalise/normaliser';
import { generateSync } from './generate';

const OPTS = { hosts: 4, days: 1, attacks: 3, seed: 'clean', eventsPerHostDay: 300 } as const;

async function normalise(
  lines: string[],
): Promise<{ events: ProcessEvent[]; summary: NormaliseSummary }> {
  const events: ProcessEvent[] = [];
  const it = new Normaliser().runLines(lines, 'synthetic.events.ndjson');
  for (;;) {
    const r = await it.next();
    if (r.done) return { events, summary: r.value };
    events.push(r.value);
  }
}

describe('generator output through the normaliser', () => {
  for (const format of ['ecs', 'sysmon'] as const) {
    it(`${format} lines normalise with zero rejections`, async () => {
      const records = [...generateSync({ ...OPTS, format })];
      const lines = records.map((r) => JSON.stringify(format === 'ecs' ? r.event : r.sysmon));
      const { events, summary } = await normalise(lines);
      const s = summary;
      expect(s.rejected).toEqual({});
      expect(s.skipped).toEqual({});
      expect(s.records).toBe(records.length);
      expect(s.normalised).toBe(records.length);
      expect(events).toHaveLength(records.length);
      const hosts = new Set(records.map((r) => r.event.host.name.toLowerCase()));
      expect(new Set(events.map((e) => e.host.name))).toEqual(hosts);
      const entities = new Set(events.map((e) => e.process.entity_id));
      const linked = events.filter(
        (e) => e.process.parent.entity_id && entities.has(e.process.parent.entity_id),
      );
      // Every process whose parent the generator emitted is linked to it after normalisation.
      const generated = new Set(records.map((r) => r.event.process.entity_id));
      const expected = records.filter((r) => generated.has(r.event.process.parent.entity_id ?? ''));
      expect(expected.length).toBeGreaterThan(records.length * 0.9);
      expect(linked.length).toBe(expected.length);
    }, 60_000);
  }
});
