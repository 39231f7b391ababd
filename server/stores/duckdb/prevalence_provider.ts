/**
 * Environment prevalence from the events table: GROUP BY aggregations over the lookback window,
 * all hosts. The service is lazy and batched: each call aggregates, in one query, every name it
 * was asked about and not seen before (all children of the asked parents, all templates of the
 * asked processes — the totals need them anyway), then answers from memory. A whole detection run
 * therefore costs one query per method, and the single-pair prevalence route costs one small one,
 * instead of loading every key of the environment each time.
 *
 * Semantics match InMemoryPrevalence fed with the window's events: names are the stored
 * `processName` values, templates the stored `commandLineTemplate` values; distinct hosts are
 * exact (InMemoryPrevalence switches to an estimate above 32 hosts per key).
 */
import type {
  CmdlineKey,
  CmdlinePrevalence,
  PairKey,
  PairPrevalence,
  PrevalenceEnvironment,
  TimeWindow,
} from '../../../common/types/community';
import { processName } from '../../lib/detection/names';
import {
  cmdlinePrevalence,
  pairPrevalence,
  type PrevalenceService,
} from '../../lib/detection/prevalence';
import type { PrevalenceProvider } from '../../ports';
import { type Database, isoOf, num, parseIso } from './database';

const DAY_MS = 86_400_000;

interface KeyAgg {
  count: number;
  hosts: number;
  first?: string;
  last?: string;
}

interface Group {
  total: number;
  keys: Map<string, KeyAgg>;
}

export class DuckPrevalenceProvider implements PrevalenceProvider {
  constructor(private readonly db: Database) {}

  async forWindow(lookback: TimeWindow, signal?: AbortSignal): Promise<PrevalenceService> {
    signal?.throwIfAborted();
    const start = parseIso(lookback.start, 'lookback.start');
    const end = parseIso(lookback.end, 'lookback.end');
    const service = new DuckPrevalence(this.db, start, end, signal);
    // Environment first: it is always needed and tells an empty window apart cheaply.
    await service.environment();
    return service;
  }
}

export class DuckPrevalence implements PrevalenceService {
  private readonly parents = new Map<string, Group>();
  private readonly processes = new Map<string, Group>();
  private env: Promise<PrevalenceEnvironment> | undefined;

  constructor(
    private readonly db: Database,
    private readonly start: Date,
    private readonly end: Date,
    private readonly signal?: AbortSignal,
  ) {}

  async childGivenParent(pairs: readonly PairKey[]): Promise<PairPrevalence[]> {
    const keys = pairs.map((p) => ({
      parent: processName(p.parentName),
      child: processName(p.childName),
    }));
    await this.load(
      this.parents,
      'parent_name',
      'child_name',
      keys.map((k) => k.parent),
    );
    return keys.map(({ parent, child }) => {
      const g = this.parents.get(parent);
      const s = g?.keys.get(wellFormed(child));
      const parentTotal = g?.total ?? 0;
      return pairPrevalence(parent, child, s, parentTotal);
    });
  }

  async cmdlineGivenProcess(items: readonly CmdlineKey[]): Promise<CmdlinePrevalence[]> {
    const keys = items.map((c) => ({ proc: processName(c.processName), template: c.template }));
    await this.load(
      this.processes,
      'child_name',
      'template',
      keys.map((k) => k.proc),
    );
    return keys.map(({ proc, template }) => {
      const g = this.processes.get(proc);
      const s = g?.keys.get(wellFormed(template));
      const processTotal = g?.total ?? 0;
      return cmdlinePrevalence(proc, template, s, processTotal);
    });
  }

  environment(): Promise<PrevalenceEnvironment> {
    this.env ??= (async () => {
      const rows = await this.db.all(
        `SELECT count(*) AS n, count(DISTINCT host) AS hosts, epoch_ms(min(ts)) AS f, epoch_ms(max(ts)) AS l
           FROM events WHERE ts >= $1 AND ts < $2`,
        [this.start, this.end],
      );
      const r = rows[0] ?? {};
      return {
        hosts: num(r.hosts),
        events: num(r.n),
        from: isoOf(r.f),
        to: isoOf(r.l),
        lookbackDays: (this.end.getTime() - this.start.getTime()) / DAY_MS,
      };
    })();
    return this.env;
  }

  /** Aggregates (group, key) for the groups not loaded yet, in one query. */
  private async load(
    cache: Map<string, Group>,
    groupCol: 'parent_name' | 'child_name',
    keyCol: 'child_name' | 'template',
    names: readonly string[],
  ): Promise<void> {
    const missing = [...new Set(names)].filter((n) => !cache.has(n));
    if (missing.length === 0) return;
    this.signal?.throwIfAborted();
    // Column names are fixed literals chosen by the two callers above; names are bound.
    const rows = await this.db.all(
      `SELECT ${groupCol} AS g, ${keyCol} AS k, count(*) AS n, count(DISTINCT host) AS hosts,
              epoch_ms(min(ts)) AS f, epoch_ms(max(ts)) AS l
         FROM events
        WHERE ts >= $1 AND ts < $2 AND ${groupCol} IN (SELECT unnest($3))
        GROUP BY ALL`,
      [this.start, this.end, missing],
    );
    // DuckDB holds text as UTF-8, so a name with a lone surrogate (hostile or broken input) comes
    // back with U+FFFD in its place: rows are matched to the names asked for through that form.
    const asked = new Map<string, string[]>();
    for (const n of missing) {
      cache.set(n, { total: 0, keys: new Map() });
      const stored = wellFormed(n);
      const same = asked.get(stored);
      if (same) same.push(n);
      else asked.set(stored, [n]);
    }
    for (const r of rows) {
      const count = num(r.n);
      const key = { count, hosts: num(r.hosts), first: isoOf(r.f), last: isoOf(r.l) };
      for (const name of asked.get(r.g as string) ?? []) {
        const g = cache.get(name) as Group;
        g.total += count;
        g.keys.set(r.k as string, key);
      }
    }
  }
}

/** `text` as UTF-8 round-trips it: each lone surrogate becomes U+FFFD (String#toWellFormed). */
function wellFormed(text: string): string {
  if (!SURROGATE_RE.test(text)) return text;
  return text.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  );
}
const SURROGATE_RE = /[\uD800-\uDFFF]/;
