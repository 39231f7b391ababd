/**
 * Adversarial input: whatever arrives, nothing throws, every record is accounted for, and every
 * emitted event is well formed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NormaliseSummary, ProcessEvent } from '../../../common/types/process_event';
import { Normaliser } from './normaliser';
import {
  defendStart,
  evtxSysmon,
  nxlog4688,
  nxlogSysmon,
  wlb64688,
  wlb6Sysmon,
  wlb7Sysmon,
} from './test_fixtures';

const TEMPLATES = [
  nxlogSysmon,
  nxlog4688,
  wlb6Sysmon,
  wlb64688,
  evtxSysmon,
  defendStart,
  wlb7Sysmon,
];

/** Values of the wrong type or hostile content for any field. */
const nasty = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '\ud800',
    'a\udfffb',
    '\u0000',
    '-',
    '',
    '0x',
    '0xFFFFFFFFFFFF',
    '{}',
    '&gt;&#xD800;&#0;',
    'ÿ\u202e\ufeff',
  ),
  fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
);

/** A template record with some fields replaced, removed or added. */
const mutatedRecord = fc
  .tuple(
    fc.integer({ min: 0, max: TEMPLATES.length - 1 }),
    fc.array(
      fc.tuple(
        fc.constantFrom('replace', 'delete', 'add'),
        fc.nat(),
        nasty,
        fc.string({ maxLength: 12 }),
      ),
      { maxLength: 6 },
    ),
  )
  .map(([t, edits]) => {
    const rec = (TEMPLATES[t] as () => Record<string, unknown>)();
    // Mutate both top-level and nested event data / process objects.
    const targets: Record<string, unknown>[] = [rec];
    for (const k of ['event_data', 'process', 'event', 'winlog', 'host']) {
      const v = rec[k];
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        targets.push(v as Record<string, unknown>);
      }
    }
    for (const [op, n, value, name] of edits) {
      const target = targets[n % targets.length] as Record<string, unknown>;
      const keys = Object.keys(target);
      const key = keys.length === 0 ? name : (keys[n % keys.length] as string);
      if (op === 'delete') {
        delete target[key];
      } else if (op === 'replace') {
        target[key] = value;
      } else {
        target[name] = value;
      }
    }
    return JSON.stringify(rec);
  });

const line = fc.oneof(
  mutatedRecord,
  mutatedRecord.chain((s) =>
    fc.nat({ max: Math.max(0, s.length - 1) }).map((cut) => s.slice(0, cut)),
  ), // truncated JSON
  fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => s.replace(/\n/g, ' ')),
);

function accounted(s: NormaliseSummary): number {
  const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);
  return s.normalised + s.mergedTwins + sum(s.skipped) + sum(s.rejected);
}

function wellFormed(e: ProcessEvent): void {
  expect(typeof e.host.name).toBe('string');
  expect(e.host.name.length).toBeGreaterThan(0);
  expect(Number.isNaN(Date.parse(e['@timestamp']))).toBe(false);
  expect(e.event.category).toEqual(['process']);
  expect(e.event.type).toEqual(['start']);
  expect(typeof e.event.id).toBe('string');
  expect(typeof e.process.entity_id).toBe('string');
  expect(e.process.entity_id.length).toBeGreaterThan(0);
  expect(typeof e.process.name).toBe('string');
  if (e.process.pid !== undefined) {
    expect(Number.isInteger(e.process.pid)).toBe(true);
  }
  if (e.process.args !== undefined) {
    expect(e.process.args.every((a) => typeof a === 'string')).toBe(true);
  }
  expect(e.problemchild.sources.length === 1 || e.problemchild.sources.length === 2).toBe(true);
  // Serialisable for NDJSON / Elasticsearch.
  expect(() => JSON.stringify(e)).not.toThrow();
}

function runLines(
  lines: string[],
  opts = {},
): { events: ProcessEvent[]; summary: NormaliseSummary } {
  const n = new Normaliser(opts);
  const events: ProcessEvent[] = [];
  lines.forEach((l, i) => events.push(...n.pushLine(l, 'prop.ndjson', i + 1)));
  events.push(...n.flush());
  return { events, summary: n.summary };
}

describe('property: adversarial records', () => {
  it('never throws, accounts for every record, emits only well-formed events', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), fc.boolean(), (lines, merge) => {
        const { events, summary } = runLines(lines, { mergeTwins: merge });
        // Blank means JSON whitespace only; a line of other spaces (NBSP, VT) is a bad record.
        const nonBlank = lines.filter((l) => !/^[ \t\r\n]*$/.test(l)).length;
        expect(summary.records).toBe(nonBlank);
        expect(accounted(summary)).toBe(summary.records);
        expect(events).toHaveLength(summary.normalised);
        for (const e of events) {
          wellFormed(e);
        }
        // The mapper's internal-error guard must never fire.
        expect(summary.rejections.filter((r) => r.reason.includes('internal error'))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('handles PID reuse and clock jumps without losing or duplicating processes', () => {
    const step = fc.record({
      pid: fc.constantFrom(4, 8, 12),
      jumpMs: fc.oneof(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: -86_400_000, max: 86_400_000 }),
      ),
      kind: fc.constantFrom('sysmon', 'sec', 'both'),
      skewH: fc.constantFrom(0, 4, -7, 19),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        let t = Date.UTC(2022, 0, 1);
        const lines: string[] = [];
        steps.forEach((s, i) => {
          t += s.jumpMs;
          const iso = new Date(t).toISOString();
          const local = new Date(t - s.skewH * 3600_000).toISOString();
          const guid = `{AAAA0001-1111-2222-3333-${String(i).padStart(12, '0')}}`;
          if (s.kind !== 'sec') {
            lines.push(
              JSON.stringify(
                nxlogSysmon({
                  UtcTime: iso.slice(0, 10) + ' ' + iso.slice(11, 23),
                  ProcessId: String(s.pid),
                  ProcessGuid: guid,
                }),
              ),
            );
          }
          if (s.kind !== 'sysmon') {
            lines.push(
              JSON.stringify(
                nxlog4688({
                  EventTime: local.slice(0, 10) + ' ' + local.slice(11, 19),
                  NewProcessId: '0x' + s.pid.toString(16),
                }),
              ),
            );
          }
        });
        const { events, summary } = runLines(lines);
        expect(accounted(summary)).toBe(lines.length);
        const sysmonLines = steps.filter((s) => s.kind !== 'sec').length;
        // Each Sysmon record yields exactly one event (merged or not), never two.
        expect(events.filter((e) => e.event.code === '1')).toHaveLength(sysmonLines);
        const ids = events.filter((e) => e.event.code === '1').map((e) => e.process.entity_id);
        expect(new Set(ids).size).toBe(ids.length);
        // 4688-only processes: one entity id never spans two start times (PID reuse).
        const starts = new Map<string, Set<string>>();
        for (const e of events.filter((x) => x.event.code === '4688')) {
          const src = e.problemchild.sources[0];
          const raw =
            src?.kind === 'file'
              ? (JSON.parse(lines[src.line - 1] as string) as { EventTime: string })
              : undefined;
          const set = starts.get(e.process.entity_id) ?? new Set<string>();
          set.add(`${e.process.pid}@${raw?.EventTime}`);
          starts.set(e.process.entity_id, set);
        }
        for (const set of starts.values()) {
          expect(set.size).toBe(1);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps a 1 MB command line intact and processes it in linear time', () => {
    const cmd =
      'powershell.exe -enc ' + 'QQBBAEEA'.repeat(131_072) + ' "' + '\\'.repeat(50_000) + '"';
    const t0 = performance.now();
    const { events } = runLines([
      JSON.stringify(nxlogSysmon({ CommandLine: cmd })),
      JSON.stringify(nxlog4688({ CommandLine: cmd + '&gt;' })),
    ]);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(events).toHaveLength(1);
    expect(events[0]?.process.command_line).toBe(cmd);
  });

  it('stays bounded in pending records whatever the timestamps', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 50, maxLength: 200 }),
        (times) => {
          const n = new Normaliser({ maxPending: 16, sysmonOnlyAfter: 1e9 });
          let out = 0;
          times.forEach((ms, i) => {
            const iso = new Date(ms).toISOString();
            out += n.pushLine(
              JSON.stringify(
                nxlogSysmon({
                  UtcTime: iso.slice(0, 10) + ' ' + iso.slice(11, 23),
                  ProcessGuid: `{AAAA0001-1111-2222-3333-${String(i).padStart(12, '0')}}`,
                }),
              ),
              'f',
              i + 1,
            ).length;
            expect(i + 1 - out).toBeLessThanOrEqual(17);
          });
          expect(out + n.flush().length).toBe(times.length);
        },
      ),
      { numRuns: 50 },
    );
  });
});
