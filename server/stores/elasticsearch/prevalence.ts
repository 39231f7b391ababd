/**
 * Environment prevalence from composite aggregations over the lookback window (all hosts): no
 * per-event queries. Like the embedded store, the tables are filled on demand for the names a
 * caller asks about (a detection run asks once per table with all its candidate edges, so it
 * costs one batch of aggregations per table; the single-pair prevalence route a small one), then
 * answered from memory. Asking for a name loads all of that name's keys, since the totals
 * (parentTotal, processTotal) need them. A first pass per name field lists the raw spellings
 * (keyword terms are case-sensitive, names are compared lower-cased basenames).
 *
 * Same semantics as InMemoryPrevalence fed the normalised events of the window:
 *  - names are `processName(name ?? executable)`, lower-cased client-side, so "CMD.EXE",
 *    "cmd.exe" and "C:\…\cmd.exe" buckets merge into one key;
 *  - templates are `commandLineTemplate(command_line)`, computed client-side (no scripts on the
 *    cluster), so the command-line table aggregates raw (process.name, process.command_line,
 *    host) buckets and sums them per template. Its cost is the number of DISTINCT RAW COMMAND
 *    LINES (times the hosts each runs on) of the asked processes in the window, which approaches
 *    their event count where command lines carry unique ids; it is capped (`maxCommandLineBuckets`) with a warning in the
 *    log and `stats.truncated`, and shapes past the cap read as never seen or seen less often
 *    (rarer, never hidden);
 *  - distinct hosts: the host is one more source of each composite aggregation (a terms
 *    sub-aggregation per bucket measured 4x slower), so every (key, host) pair is a bucket and
 *    the lower-cased host sets are unioned client-side: exact, like InMemoryPrevalence up to 32
 *    hosts per key (above that it estimates, and this store stays exact up to 4,096);
 *  - the endpoint is `winlog.computer_name` when present, else `host.name`, as the normaliser
 *    decides it.
 *
 * Documents the aggregations cannot see like the normaliser does, and so count differently:
 * events whose process fields exist only under `winlog.event_data` / Winlogbeat 6 `event_data`,
 * events with only `host.hostname`, and command lines longer than the field's `ignore_above`
 * (they count under the empty template).
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import { DEFAULT_EVENT_INDICES } from '../../../common/constants';
import type {
  CmdlineKey,
  CmdlinePrevalence,
  PairKey,
  PairPrevalence,
  PrevalenceEnvironment,
  TimeWindow,
} from '../../../common/types/community';
import { commandLineTemplate } from '../../lib/detection/command_line_template';
import { hostKey, processName } from '../../lib/detection/names';
import {
  cmdlinePrevalence,
  pairPrevalence,
  type PrevalenceService,
} from '../../lib/detection/prevalence';
import { basename, normaliseHost } from '../../lib/normalise/values';
import type { Logger, PrevalenceProvider } from '../../ports';
import { LENIENT, listHosts, parseIndices, processStartQuery, timeRange } from './event_query';
import { type RetryPolicy, requestOptions, throwIfAborted, withRetry } from './retry';

type Query = estypes.QueryDslQueryContainer;

const DAY_MS = 86_400_000;
/**
 * Hosts remembered per key; past it the count stops growing (a lower bound: the number only
 * feeds a "how common" judgement, where thousands of hosts already means routine).
 */
const MAX_HOSTS_PER_KEY = 4_096;

export interface EsPrevalenceOptions {
  client: Client;
  indices?: () => Promise<string> | string;
  logger?: Logger;
  /**
   * Composite buckets per request (default 20,000). Every page rescans all matching documents,
   * so fewer, larger pages are faster: at 1M events 20,000 measured ~1.4x faster than 5,000.
   */
  pageSize?: number;
  /** Distinct raw (process, command line, host) buckets read at most (default 2,000,000). */
  maxCommandLineBuckets?: number;
  /** Recent windows kept (default 4) and for how long (default 10 minutes). */
  cacheSize?: number;
  cacheTtlMs?: number;
  retry?: RetryPolicy;
}

export interface PrevalenceStats {
  requests: number;
  pairBuckets: number;
  commandLineBuckets: number;
  /** True when the command-line table stopped at `maxCommandLineBuckets`. */
  truncated: boolean;
  ms: { environment: number; pairs: number; commandLines: number };
}

// ---------------------------------------------------------------------------------------------
// Accumulators

class HostAcc {
  private readonly names = new Set<string>();

  add(host: string | undefined): void {
    if (host !== undefined && this.names.size < MAX_HOSTS_PER_KEY) this.names.add(host);
  }

  count(): number {
    return this.names.size;
  }
}

interface KeyAcc {
  count: number;
  hosts: HostAcc;
  first: number;
  last: number;
}

interface Group {
  total: number;
  keys: Map<string, KeyAcc>;
}

interface BucketInfo {
  count: number;
  /** hostKey of the endpoint, undefined when the bucket's host fields are unusable. */
  host: string | undefined;
  first: number;
  last: number;
}

function addTo(groups: Map<string, Group>, group: string, key: string, b: BucketInfo): void {
  let g = groups.get(group);
  if (!g) groups.set(group, (g = { total: 0, keys: new Map() }));
  g.total += b.count;
  let k = g.keys.get(key);
  if (!k) g.keys.set(key, (k = { count: 0, hosts: new HostAcc(), first: b.first, last: b.last }));
  k.count += b.count;
  k.hosts.add(b.host);
  if (b.first < k.first || !Number.isFinite(k.first)) k.first = b.first;
  if (b.last > k.last || !Number.isFinite(k.last)) k.last = b.last;
}

function iso(t: number | undefined): string | undefined {
  return t !== undefined && Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

/** The normaliser's `text()`: empty and "-" mean absent. */
function present(v: string | null | undefined): string | undefined {
  return v === null || v === undefined || v === '' || v === '-' ? undefined : v;
}

// ---------------------------------------------------------------------------------------------
// Query pieces

function presentQ(field: string): Query {
  return { bool: { filter: { exists: { field } }, must_not: { terms: { [field]: ['', '-'] } } } };
}

function anyOf(...qs: Query[]): Query {
  return { bool: { minimum_should_match: 1, should: qs } };
}

interface HostFields {
  computer: boolean;
}

type NameField =
  'process.name' | 'process.executable' | 'process.parent.name' | 'process.parent.executable';

/** For an executable field, the name field whose absence makes the normaliser read it. */
const NAME_OF: Record<NameField, NameField | undefined> = {
  'process.name': undefined,
  'process.parent.name': undefined,
  'process.executable': 'process.name',
  'process.parent.executable': 'process.parent.name',
};

/** Elasticsearch's default index.max_terms_count. */
const MAX_TERMS = 65_536;

function termsAny(field: string, values: readonly string[]): Query {
  const uniq = [...new Set(values)];
  const chunks: Query[] = [];
  for (let i = 0; i < uniq.length; i += MAX_TERMS)
    chunks.push({ terms: { [field]: uniq.slice(i, i + MAX_TERMS) } });
  return chunks.length === 1 ? (chunks[0] as Query) : anyOf(...chunks);
}

const TIME_AGGS: Record<string, estypes.AggregationsAggregationContainer> = {
  f: { min: { field: '@timestamp' } },
  l: { max: { field: '@timestamp' } },
};

/** The endpoint's fields as extra composite sources (see the file header). */
function hostSources(
  f: HostFields,
): Record<string, estypes.AggregationsCompositeAggregationSource>[] {
  const name = { hn: { terms: { field: 'host.name', missing_bucket: true } } };
  return f.computer
    ? [{ wc: { terms: { field: 'winlog.computer_name', missing_bucket: true } } }, name]
    : [name];
}

type RawBucket = {
  key: Record<string, string | null>;
  doc_count: number;
  f?: { value: number | null };
  l?: { value: number | null };
};

function bucketInfo(b: RawBucket): BucketInfo {
  const h = normaliseHost(b.key.wc) ?? normaliseHost(b.key.hn);
  return {
    count: b.doc_count,
    host: h === undefined ? undefined : hostKey(h),
    first: b.f?.value ?? NaN,
    last: b.l?.value ?? NaN,
  };
}

// ---------------------------------------------------------------------------------------------
// The service

interface Ctx {
  client: Client;
  index: string[];
  logger?: Logger;
  pageSize: number;
  maxCommandLineBuckets: number;
  signal?: AbortSignal;
  retry?: RetryPolicy;
}

export class EsPrevalence implements PrevalenceService {
  readonly stats: PrevalenceStats = {
    requests: 0,
    pairBuckets: 0,
    commandLineBuckets: 0,
    truncated: false,
    ms: { environment: 0, pairs: 0, commandLines: 0 },
  };
  /** Set when a load failed: the provider does not hand this instance out again. */
  broken = false;

  /** Bound to the run that created it: once that run is aborted its lazy loads would fail too. */
  get usable(): boolean {
    return !this.broken && !this.ctx.signal?.aborted;
  }
  private env: Promise<PrevalenceEnvironment> | undefined;
  private fields: Promise<HostFields> | undefined;
  private readonly dicts = new Map<NameField, Promise<Map<string, string[]>>>();
  /** Parent name → its children; filled per parent on demand. */
  private readonly pairs = new Map<string, Group>();
  private readonly pairLoads = new Map<string, Promise<void>>();
  /** Process name → its command-line shapes; filled per process on demand. */
  private readonly templates = new Map<string, Group>();
  private readonly templateLoads = new Map<string, Promise<void>>();
  private readonly base: Query[];

  constructor(
    private readonly ctx: Ctx,
    private readonly window: TimeWindow,
  ) {
    this.base = [
      processStartQuery(),
      timeRange(window),
      anyOf({ exists: { field: 'winlog.computer_name' } }, { exists: { field: 'host.name' } }),
    ];
  }

  private guard<T>(p: Promise<T>): Promise<T> {
    p.catch(() => {
      this.broken = true;
    });
    return p;
  }

  environment(): Promise<PrevalenceEnvironment> {
    this.env ??= this.guard(this.loadEnvironment());
    return this.env;
  }

  async childGivenParent(pairs: readonly PairKey[]): Promise<PairPrevalence[]> {
    const keys = pairs.map((p) => ({
      parent: processName(p.parentName),
      child: processName(p.childName),
    }));
    await this.ensure(
      keys.map((k) => k.parent),
      this.pairLoads,
      (names) => this.loadPairs(names),
    );
    return keys.map(({ parent, child }) => {
      const g = this.pairs.get(parent);
      const s = g?.keys.get(child);
      const parentTotal = g?.total ?? 0;
      return pairPrevalence(
        parent,
        child,
        s && { count: s.count, hosts: s.hosts.count(), first: iso(s.first), last: iso(s.last) },
        parentTotal,
      );
    });
  }

  async cmdlineGivenProcess(items: readonly CmdlineKey[]): Promise<CmdlinePrevalence[]> {
    const keys = items.map((c) => ({ proc: processName(c.processName), template: c.template }));
    await this.ensure(
      keys.map((k) => k.proc),
      this.templateLoads,
      (names) => this.loadTemplates(names),
    );
    return keys.map(({ proc, template }) => {
      const g = this.templates.get(proc);
      const s = g?.keys.get(template);
      const processTotal = g?.total ?? 0;
      return cmdlinePrevalence(
        proc,
        template,
        s && { count: s.count, hosts: s.hosts.count(), first: iso(s.first), last: iso(s.last) },
        processTotal,
      );
    });
  }

  /**
   * Loads, in one batch, every name asked for and not loaded yet (concurrent callers share the
   * batch in flight): a run costs one aggregation per table, a single-pair lookup a small one.
   */
  private async ensure(
    names: readonly string[],
    loads: Map<string, Promise<void>>,
    load: (names: string[]) => Promise<void>,
  ): Promise<void> {
    const wanted = [...new Set(names)];
    const missing = wanted.filter((n) => !loads.has(n));
    if (missing.length > 0) {
      const p = this.guard(load(missing));
      for (const n of missing) loads.set(n, p);
    }
    await Promise.all(wanted.map((n) => loads.get(n)));
  }

  /** Whether any index maps winlog.computer_name; if none does, it is not a composite source. */
  private hostFields(): Promise<HostFields> {
    this.fields ??= (async () => {
      const caps = await withRetry(
        () =>
          this.ctx.client.fieldCaps(
            { index: this.ctx.index, fields: ['winlog.computer_name'], ...LENIENT },
            requestOptions(this.ctx.signal),
          ),
        {
          ...this.ctx.retry,
          signal: this.ctx.signal,
          logger: this.ctx.logger,
          what: 'prevalence field caps',
        },
      );
      this.stats.requests++;
      return { computer: caps.fields['winlog.computer_name'] !== undefined };
    })();
    return this.fields;
  }

  /**
   * Raw values of a name field by the engine's name for them ("CMD.EXE" and "cmd.exe" under
   * cmd.exe; executables only where the name field is absent, as the normaliser reads them).
   * Keyword terms are case-sensitive, so asking for "cmd.exe" means asking for every spelling.
   */
  private dict(field: NameField): Promise<Map<string, string[]>> {
    let d = this.dicts.get(field);
    if (!d) {
      d = (async () => {
        const out = new Map<string, string[]>();
        const nameField = NAME_OF[field];
        const query: Query = nameField
          ? { bool: { filter: [...this.base, presentQ(field)], must_not: presentQ(nameField) } }
          : { bool: { filter: [...this.base, presentQ(field)] } };
        await this.composite(query, [{ v: { terms: { field } } }], undefined, (key) => {
          const raw = key.v;
          if (raw === null || raw === undefined) return;
          const name = nameField ? nameOf(null, raw) : processName(raw);
          const list = out.get(name);
          if (list) list.push(raw);
          else out.set(name, [raw]);
        });
        return out;
      })();
      this.dicts.set(field, d);
    }
    return d;
  }

  private async loadEnvironment(): Promise<PrevalenceEnvironment> {
    const t0 = performance.now();
    const imagePresent = anyOf(presentQ('process.name'), presentQ('process.executable'));
    const listing = await listHosts(
      this.ctx.client,
      this.ctx.index,
      { bool: { filter: [...this.base, imagePresent] } },
      { signal: this.ctx.signal, logger: this.ctx.logger, retry: this.ctx.retry },
    );
    const hosts = new Set<string>();
    for (const e of listing.entries) if (e.key !== undefined) hosts.add(e.key);
    this.stats.requests++;
    this.stats.ms.environment = performance.now() - t0;
    return {
      hosts: hosts.size,
      events: listing.events,
      from: iso(listing.first),
      to: iso(listing.last),
      lookbackDays: (Date.parse(this.window.end) - Date.parse(this.window.start)) / DAY_MS,
    };
  }

  /** Every child of the given parents (their totals need all of them). */
  private async loadPairs(parents: string[]): Promise<void> {
    const t0 = performance.now();
    const [fields, byName, byExe] = await Promise.all([
      this.hostFields(),
      this.dict('process.parent.name'),
      this.dict('process.parent.executable'),
    ]);
    const groups = new Map<string, Group>(parents.map((p) => [p, { total: 0, keys: new Map() }]));
    const names = parents.flatMap((p) => byName.get(p) ?? []);
    const exes = parents.flatMap((p) => byExe.get(p) ?? []);
    const both = [presentQ('process.parent.name'), presentQ('process.name')];
    // Most events name both processes: group on the names directly.
    if (names.length > 0) {
      await this.composite(
        { bool: { filter: [...this.base, ...both, termsAny('process.parent.name', names)] } },
        [
          { p: { terms: { field: 'process.parent.name' } } },
          { c: { terms: { field: 'process.name' } } },
        ],
        fields,
        (key, b) => {
          this.stats.pairBuckets++;
          addTo(groups, processName(key.p), processName(key.c), b);
        },
      );
    }
    // The rest fall back to executables, as the normaliser does.
    const parentIs: Query[] = [];
    if (names.length > 0) {
      parentIs.push({
        bool: { filter: [presentQ('process.parent.name'), termsAny('process.parent.name', names)] },
      });
    }
    if (exes.length > 0) {
      parentIs.push({
        bool: {
          filter: termsAny('process.parent.executable', exes),
          must_not: presentQ('process.parent.name'),
        },
      });
    }
    if (parents.includes(processName(undefined))) {
      // Events that name no parent at all count under "unknown".
      parentIs.push({
        bool: {
          must_not: [presentQ('process.parent.name'), presentQ('process.parent.executable')],
        },
      });
    }
    if (parentIs.length > 0) {
      await this.composite(
        {
          bool: {
            filter: [
              ...this.base,
              anyOf(presentQ('process.name'), presentQ('process.executable')),
              anyOf(...parentIs),
            ],
            must_not: { bool: { filter: both } },
          },
        },
        [
          { pn: { terms: { field: 'process.parent.name', missing_bucket: true } } },
          { pe: { terms: { field: 'process.parent.executable', missing_bucket: true } } },
          { cn: { terms: { field: 'process.name', missing_bucket: true } } },
          { ce: { terms: { field: 'process.executable', missing_bucket: true } } },
        ],
        fields,
        (key, b) => {
          this.stats.pairBuckets++;
          addTo(groups, nameOf(key.pn, key.pe), nameOf(key.cn, key.ce), b);
        },
      );
    }
    for (const [k, g] of groups) this.pairs.set(k, g);
    this.stats.ms.pairs += performance.now() - t0;
  }

  /** Every command-line shape of the given processes (their totals need all of them). */
  private async loadTemplates(procs: string[]): Promise<void> {
    const t0 = performance.now();
    const [fields, byName, byExe] = await Promise.all([
      this.hostFields(),
      this.dict('process.name'),
      this.dict('process.executable'),
    ]);
    const groups = new Map<string, Group>(procs.map((p) => [p, { total: 0, keys: new Map() }]));
    const names = procs.flatMap((p) => byName.get(p) ?? []);
    const exes = procs.flatMap((p) => byExe.get(p) ?? []);
    const cap = this.ctx.maxCommandLineBuckets;
    const onBucket = (proc: string, cmd: string | null, b: BucketInfo): boolean => {
      this.stats.commandLineBuckets++;
      addTo(groups, proc, commandLineTemplate(present(cmd)), b);
      return this.stats.commandLineBuckets < cap;
    };
    let complete = this.stats.commandLineBuckets < cap;
    if (complete && names.length > 0) {
      complete = await this.composite(
        {
          bool: {
            filter: [...this.base, presentQ('process.name'), termsAny('process.name', names)],
          },
        },
        [
          { c: { terms: { field: 'process.name' } } },
          { cl: { terms: { field: 'process.command_line', missing_bucket: true } } },
        ],
        fields,
        (key, b) => onBucket(processName(key.c), key.cl ?? null, b),
      );
    }
    if (complete && exes.length > 0) {
      complete = await this.composite(
        {
          bool: {
            filter: [...this.base, termsAny('process.executable', exes)],
            must_not: presentQ('process.name'),
          },
        },
        [
          { ce: { terms: { field: 'process.executable' } } },
          { cl: { terms: { field: 'process.command_line', missing_bucket: true } } },
        ],
        fields,
        (key, b) => onBucket(nameOf(null, key.ce), key.cl ?? null, b),
      );
    }
    if (!complete && !this.stats.truncated) {
      this.stats.truncated = true;
      this.ctx.logger?.warn(
        `prevalence: the command-line table stopped at ${cap} buckets (maxCommandLineBuckets) ` +
          `of distinct raw (process, command line, host) for ${this.window.start} .. ` +
          `${this.window.end}; shapes not reached read as never seen or seen less often, ` +
          'which can only make edges look rarer',
        { cap, window: this.window },
      );
    }
    for (const [k, g] of groups) this.templates.set(k, g);
    this.stats.ms.commandLines += performance.now() - t0;
  }

  /** Pages a composite aggregation; returns false when `onBucket` asked to stop early. */
  private async composite(
    query: Query,
    sources: Record<string, estypes.AggregationsCompositeAggregationSource>[],
    fields: HostFields | undefined,
    onBucket: (key: Record<string, string | null>, b: BucketInfo) => boolean | void,
  ): Promise<boolean> {
    const { client, index, signal, logger, retry } = this.ctx;
    let pageSize = this.ctx.pageSize;
    let after: Record<string, string | null> | undefined;
    for (;;) {
      throwIfAborted(signal);
      const request = () =>
        withRetry(
          () =>
            client.search(
              {
                index,
                ...LENIENT,
                size: 0,
                track_total_hits: false,
                query,
                aggs: {
                  k: {
                    composite: {
                      size: pageSize,
                      sources: fields ? [...sources, ...hostSources(fields)] : sources,
                      ...(after ? { after } : {}),
                    },
                    ...(fields ? { aggs: TIME_AGGS } : {}),
                  },
                },
              },
              requestOptions(signal),
            ),
          { ...retry, signal, logger, what: 'prevalence aggregation' },
        );
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request();
      } catch (err) {
        // Each page rescans every matching document, so pages are large; a page of very long
        // command lines can still trip a memory breaker or the bucket limit: halve it and go on.
        if (!isTooLarge(err) || pageSize <= MIN_PAGE) throw err;
        pageSize = Math.max(MIN_PAGE, Math.floor(pageSize / 2));
        logger?.warn(`prevalence: aggregation page too large, retrying with ${pageSize} buckets`, {
          error: err instanceof Error ? err.message : String(err),
        });
        continue;
      }
      this.stats.requests++;
      const agg = res.aggregations?.k as
        { buckets: RawBucket[]; after_key?: Record<string, string | null> } | undefined;
      const buckets = agg?.buckets ?? [];
      for (const b of buckets) {
        if (onBucket(b.key, bucketInfo(b)) === false) return false;
      }
      if (!agg?.after_key || buckets.length < pageSize) return true;
      after = agg.after_key;
    }
  }
}

const MIN_PAGE = 500;

interface EsErrorBody {
  type?: string;
  caused_by?: EsErrorBody;
  root_cause?: EsErrorBody[];
}

function isTooLarge(err: unknown): boolean {
  const e = (err as { body?: { error?: EsErrorBody } }).body?.error;
  const types = [e?.type, e?.caused_by?.type, ...(e?.root_cause ?? []).map((r) => r.type)];
  return types.some(
    (t) => t === 'circuit_breaking_exception' || t === 'too_many_buckets_exception',
  );
}

function nameOf(name: string | null | undefined, executable: string | null | undefined): string {
  const n = present(name);
  if (n !== undefined) return processName(n);
  const e = present(executable);
  return processName(e === undefined ? undefined : basename(e));
}

// ---------------------------------------------------------------------------------------------
// The provider

export class EsPrevalenceProvider implements PrevalenceProvider {
  private readonly cache = new Map<string, { at: number; service: EsPrevalence }>();
  private readonly indices: () => Promise<string> | string;

  constructor(private readonly opts: EsPrevalenceOptions) {
    this.indices = opts.indices ?? (() => DEFAULT_EVENT_INDICES);
  }

  async forWindow(lookback: TimeWindow, signal?: AbortSignal): Promise<PrevalenceService> {
    throwIfAborted(signal);
    if (!(Date.parse(lookback.start) <= Date.parse(lookback.end))) {
      throw new Error(`invalid prevalence window ${lookback.start} .. ${lookback.end}`);
    }
    const index = parseIndices(await this.indices());
    const key = `${index.join(',')}|${lookback.start}|${lookback.end}`;
    const now = Date.now();
    const ttl = this.opts.cacheTtlMs ?? 600_000;
    const hit = this.cache.get(key);
    if (hit && hit.service.usable && now - hit.at < ttl) return hit.service;

    const service = new EsPrevalence(
      {
        client: this.opts.client,
        index,
        logger: this.opts.logger,
        pageSize: this.opts.pageSize ?? 20_000,
        maxCommandLineBuckets: this.opts.maxCommandLineBuckets ?? 2_000_000,
        signal,
        retry: this.opts.retry,
      },
      lookback,
    );
    // The environment is always needed and cheap; the tables load on first use, so a run with no
    // candidate community never pays for them.
    await service.environment();
    this.cache.delete(key);
    this.cache.set(key, { at: now, service });
    const max = this.opts.cacheSize ?? 4;
    for (const k of this.cache.keys()) {
      if (this.cache.size <= max) break;
      this.cache.delete(k);
    }
    return service;
  }
}
