/**
 * Streaming normaliser: raw records in, ProcessEvents out, with
 *  - Sysmon EID 1 / Security 4688 twins merged into one event (both sources kept): same
 *    dataset and host, same image, equal PIDs / parent PIDs where both know them, start times
 *    within a tolerance once the Security clock's offset is applied;
 *  - Security clocks aligned to Sysmon's UtcTime: the offset per (dataset, host, clock field)
 *    is the median of recent twin pairs, falling back to the dataset's; pairs made before any
 *    offset is known need a strong identity and a quarter-hour-like skew (time zones);
 *  - process identity from the Sysmon GUID, else a hash of host + pid + start time;
 *  - parent linkage by GUID, else by parent PID + time (latest process with that PID on the
 *    host that started before the child);
 *  - a summary that accounts for every input record.
 * Memory is bounded: records wait for a twin in a time window (with a hard count cap),
 * Security records whose clock has no offset yet wait in a second capped queue, and PID, host
 * and clock state live in bounded maps. Input only needs to be roughly time ordered (as files
 * and time-sorted queries are); twins far apart in the input are not merged.
 */
import type {
  NormaliseSummary,
  ProcessEvent,
  SourceRef,
} from '../../../common/types/process_event';
import { BoundedMap } from './bounded_map';
import { OffsetGroup } from './clock_offsets';
import { LineSplitter, readTextChunks, type LineInput, type LineItem } from './line_reader';
import {
  DEFAULT_MAX_ARGS,
  finishToken,
  toCandidate,
  type Candidate,
  type RejectReason,
} from './normalise_record';

export interface NormaliseOptions {
  /** Merge Sysmon EID 1 and Security 4688 records of the same process (default true). */
  mergeTwins?: boolean;
  /**
   * How long (ms, in the record's corrected clock) a record waits for its twin (default 10 s;
   * twins in the public datasets are at most ~1 s apart once the clock offset is applied).
   */
  twinWindowMs?: number;
  /** Largest start-time difference between twins once the clock offset is applied (default 2 s). */
  twinToleranceMs?: number;
  /** Largest clock skew believed possible between Sysmon and a Security log (default 36 h). */
  maxClockSkewMs?: number;
  /** Hard cap on records waiting for a twin, whatever their age (default 20,000). */
  maxPending?: number;
  /** Cap on remembered (dataset, host, pid) → process entries for parent linkage (default 100,000). */
  pidMapSize?: number;
  /**
   * Sysmon records a dataset may show without any Security 4688 before it is taken to have no
   * Security log, and its records stop waiting for twins (default 1,000). Kept small on
   * purpose: holding many records early makes V8 pretenure the event allocation sites, which
   * then roughly halves throughput for the rest of the stream.
   */
  sysmonOnlyAfter?: number;
  /** Cap on remembered (dataset, host) pairs (default 50,000). */
  maxHosts?: number;
  /** Cap on clock-offset groups (dataset × host × clock field) (default 10,000). */
  maxClockGroups?: number;
  /** Twin samples per clock-offset median (default 31). */
  offsetWindow?: number;
  /** Rejection details kept in the summary; all rejections are counted (default 100). */
  maxRejectionDetails?: number;
  /** Cap on `process.args` entries (default 1024). */
  maxArgs?: number;
  /** Longest accepted input line in characters (default 64 Mi). */
  maxLineLength?: number;
}

const DEFAULTS = {
  mergeTwins: true,
  twinWindowMs: 10_000,
  twinToleranceMs: 2_000,
  maxClockSkewMs: 36 * 3600_000,
  maxPending: 20_000,
  pidMapSize: 100_000,
  maxHosts: 50_000,
  sysmonOnlyAfter: 1_000,
  maxClockGroups: 10_000,
  offsetWindow: 31,
  maxRejectionDetails: 100,
  maxArgs: DEFAULT_MAX_ARGS,
  maxLineLength: 64 * 1024 * 1024,
} satisfies Required<NormaliseOptions>;

/** A process as remembered for parent linkage by PID. */
interface Proc {
  /** The process that had this PID before (a short chain, to see through quick PID reuse). */
  prev: Proc | undefined;
  entityId: string;
  /** Start time: trusted UTC, or raw in the clock of `group`. */
  ms: number;
  group: ClockRef | undefined;
  executable: string | undefined;
  commandLine: string | undefined;
}

/** The two offset groups a Security clock falls back through: this host's, then the dataset's. */
interface ClockRef {
  host: OffsetGroup;
  scope: OffsetGroup;
}

interface Pending {
  c: Candidate;
  h: HostState;
  imageKey: string;
  clock: ClockRef | undefined;
  proc: Proc;
  done: boolean;
}

/**
 * Twins need both logs. A dataset that has shown `sysmonOnlyAfter` Sysmon records and not one
 * Security 4688 is treated as Sysmon-only: its Sysmon records are emitted at once instead of
 * waiting for a twin that cannot come, and those naming their parent by GUID keep no PID state
 * (only a 4688 child would need it). This is the hot path of the most common input. A Security
 * record arriving later ends the mode from then on; processes started before it are then not
 * found by PID.
 */
interface ScopeState {
  sysmonSeen: number;
  securitySeen: boolean;
}

interface HostState {
  /** Small integer naming this (dataset, host) in numeric PID-map keys. */
  id: number;
  scope: ScopeState;
  sysmon: Map<string, Pending[]>;
  security: Map<string, Pending[]>;
  /** Latest trusted (Sysmon/ECS) start time seen on this host. */
  watermark: number;
}

const NO_EVENTS: readonly ProcessEvent[] = Object.freeze([]);
/** PID entries remembered per (dataset, host, pid): enough to see through quick PID reuse. */
const PROCS_PER_PID = 4;
/** Longest command line remembered for filling a child's parent.command_line. */
const MAX_REMEMBERED_CMD = 8192;
const QUARTER_HOUR_MS = 15 * 60_000;
/** Largest |ms| a Date can hold (±275,760 years). */
const MAX_DATE_MS = 8.64e15;

export class Normaliser {
  private readonly o: Required<NormaliseOptions>;
  private readonly counts = {
    records: 0,
    normalised: 0,
    mergedTwins: 0,
    skipped: new Map<string, number>(),
    rejected: new Map<string, number>(),
  };
  private readonly rejections: NormaliseSummary['rejections'] = [];

  private readonly hosts: BoundedMap<string, HostState>;
  private readonly scopes: BoundedMap<string, ScopeState>;
  /** (host id, pid) → latest process with that pid (older ones via `prev`); key = id * 2^32 + pid. */
  private readonly pids: BoundedMap<number, Proc>;
  private nextHostId = 0;
  private lastScopeName: string | undefined;
  private lastScope: ScopeState | undefined;
  private readonly clocks: BoundedMap<string, OffsetGroup>;
  private queue: Pending[] = [];
  private head = 0;
  /**
   * Security records past the twin window whose clock has no offset estimate yet: held (up to
   * maxPending) so that one learnt a little later still corrects them, instead of emitting
   * them hours off.
   */
  private held: Pending[] = [];
  private heldHead = 0;
  private out: ProcessEvent[] = [];

  constructor(options: NormaliseOptions = {}) {
    const o = { ...DEFAULTS };
    for (const [k, v] of Object.entries(options)) {
      if (v !== undefined) {
        (o as Record<string, unknown>)[k] = v;
      }
    }
    this.o = o;
    this.hosts = new BoundedMap(Math.max(2, o.maxHosts));
    this.scopes = new BoundedMap(Math.max(2, o.maxHosts));
    this.pids = new BoundedMap(Math.max(2, o.pidMapSize));
    this.clocks = new BoundedMap(Math.max(2, o.maxClockGroups));
  }

  /** Accounting so far (a copy). After `flush()` or the end of `run()` it covers every record. */
  get summary(): NormaliseSummary {
    const clockOffsets: NonNullable<NormaliseSummary['clockOffsets']> = [];
    for (const g of this.clocks.values()) {
      const est = g.estimate();
      if (g.host !== '*' && est !== undefined) {
        clockOffsets.push({
          scope: g.scope,
          host: g.host,
          clock: g.clock,
          offset_ms: est,
          samples: g.count,
        });
      }
    }
    return {
      records: this.counts.records,
      normalised: this.counts.normalised,
      mergedTwins: this.counts.mergedTwins,
      skipped: Object.fromEntries(this.counts.skipped),
      rejected: Object.fromEntries(this.counts.rejected),
      rejections: this.rejections.map((r) => ({ ...r })),
      clockOffsets,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Push API (synchronous; events come back as soon as they are final)

  /**
   * One NDJSON line. `line` is 1-based. Blank lines are not records and are ignored. Returns
   * the events that became final (possibly none, possibly older ones leaving the twin window).
   */
  pushLine(text: string, file: string, line: number): readonly ProcessEvent[] {
    this.ingestLine(text, file, line);
    return this.take();
  }

  /**
   * One already-parsed record (e.g. an Elasticsearch hit's `_source`). The ref's `format` is
   * replaced by the detected one.
   */
  pushRecord(record: unknown, ref: SourceRef): readonly ProcessEvent[] {
    this.ingestRecord(record, ref);
    return this.take();
  }

  /** Like pushLine, but leaves ready events queued for the next `take()` (no array per line). */
  private ingestLine(text: string, file: string, line: number): void {
    if (isBlank(text)) {
      return;
    }
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (e) {
      this.counts.records++;
      this.reject('invalid_json', (e as Error).message, file, line);
      return;
    }
    this.ingestRecord(record, { kind: 'file', file, line, format: 'sysmon_flat' });
  }

  private ingestRecord(record: unknown, ref: SourceRef): void {
    this.counts.records++;
    let outcome;
    try {
      outcome = toCandidate(record, ref, this.o.maxArgs);
    } catch (e) {
      // The mapper is written not to throw on any JSON value; this guards the stream if a
      // case was missed, and the test suite treats any such rejection as a bug.
      outcome = {
        status: 'rejected' as const,
        reason: 'unknown_kind' as const,
        detail: `internal error: ${(e as Error).message}`,
      };
    }
    if (outcome.status === 'skipped') {
      this.counts.skipped.set(outcome.kind, (this.counts.skipped.get(outcome.kind) ?? 0) + 1);
      return;
    }
    if (outcome.status === 'rejected') {
      if (ref.kind === 'file') {
        this.reject(outcome.reason, outcome.detail, ref.file, ref.line);
      } else {
        this.reject(outcome.reason, outcome.detail, ref.index, 0, ref.id);
      }
      return;
    }
    this.accept(outcome.candidate);
  }

  /** Counts a line the reader could not deliver (too long, corrupt compressed input). */
  pushProblem(
    reason: 'line_too_long' | 'corrupt_input',
    detail: string,
    file: string,
    line: number,
  ): void {
    this.counts.records++;
    this.reject(reason, detail, file, line);
  }

  /** Emits everything still waiting for a twin. Call at the end of the input. */
  flush(): readonly ProcessEvent[] {
    // Held records first: they are the oldest.
    for (const [list, start] of [
      [this.held, this.heldHead],
      [this.queue, this.head],
    ] as const) {
      for (let i = start; i < list.length; i++) {
        const p = list[i] as Pending;
        if (!p.done) {
          this.finishUnmatched(p);
        }
      }
    }
    this.queue = [];
    this.head = 0;
    this.held = [];
    this.heldHead = 0;
    return this.take();
  }

  // -------------------------------------------------------------------------------------------
  // Streaming API

  /**
   * Normalises a file path (gzip or plain NDJSON) or byte/string stream. `name` labels the
   * source references (defaults to the path). The generator's return value is the summary.
   */
  async *run(input: LineInput, name?: string): AsyncGenerator<ProcessEvent, NormaliseSummary> {
    for await (const batch of this.batches(input, name)) {
      yield* batch;
    }
    return this.summary;
  }

  /**
   * Like `run`, but yields the events of each input chunk as one array: the fastest way to
   * consume a large file (one await per chunk instead of one per event).
   */
  async *batches(
    input: LineInput,
    name?: string,
  ): AsyncGenerator<ProcessEvent[], NormaliseSummary> {
    const file = name ?? (typeof input === 'string' ? input : '<stream>');
    const splitter = new LineSplitter(this.o.maxLineLength);
    let lineNo = 0;
    const onLine = (item: LineItem): void => {
      lineNo++;
      if (typeof item === 'string') {
        this.ingestLine(item, file, lineNo);
      } else {
        this.pushProblem(item.problem, item.detail, file, lineNo);
      }
    };
    for await (const chunk of readTextChunks(input)) {
      if (typeof chunk === 'string') {
        splitter.push(chunk, onLine);
      } else {
        splitter.end(onLine);
        onLine(chunk);
      }
      if (this.out.length > 0) {
        yield this.take() as ProcessEvent[];
      }
    }
    splitter.end(onLine);
    const rest = this.flush();
    if (rest.length > 0) {
      yield rest as ProcessEvent[];
    }
    return this.summary;
  }

  /** Normalises lines from any (async) iterable of strings, e.g. a socket split upstream. */
  async *runLines(
    lines: AsyncIterable<string> | Iterable<string>,
    file = '<lines>',
  ): AsyncGenerator<ProcessEvent, NormaliseSummary> {
    let lineNo = 0;
    for await (const text of lines) {
      lineNo++;
      yield* this.pushLine(text, file, lineNo);
    }
    yield* this.flush();
    return this.summary;
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  private take(): readonly ProcessEvent[] {
    if (this.out.length === 0) {
      return NO_EVENTS;
    }
    const ready = this.out;
    this.out = [];
    return ready;
  }

  private reject(
    reason: RejectReason,
    detail: string,
    file: string,
    line: number,
    id?: string,
  ): void {
    this.counts.rejected.set(reason, (this.counts.rejected.get(reason) ?? 0) + 1);
    if (this.rejections.length < this.o.maxRejectionDetails) {
      const entry: NormaliseSummary['rejections'][number] = {
        file,
        line,
        reason: `${reason}: ${detail.slice(0, 300)}`,
      };
      if (id !== undefined) {
        entry.id = id;
      }
      this.rejections.push(entry);
    }
  }

  private clockRef(c: Candidate): ClockRef | undefined {
    if (c.trusted) {
      return undefined;
    }
    const host = c.event.host.name;
    return { host: this.group(c.scope, host, c.clock), scope: this.group(c.scope, '*', c.clock) };
  }

  private group(scope: string, host: string, clock: string): OffsetGroup {
    const key = `${scope}\u0000${host}\u0000${clock}`;
    let g = this.clocks.get(key);
    if (g === undefined) {
      g = new OffsetGroup(scope, host, clock, this.o.offsetWindow);
      this.clocks.set(key, g);
    }
    return g;
  }

  private static estimate(ref: ClockRef | undefined): number | undefined {
    if (ref === undefined) {
      return 0;
    }
    return ref.host.estimate() ?? ref.scope.estimate();
  }

  /** Corrected start time of a remembered process (raw when no offset is known yet). */
  private static startOf(p: Proc): number {
    return p.group === undefined ? p.ms : p.ms + (Normaliser.estimate(p.group) ?? 0);
  }

  private hostState(sc: ScopeState, scope: string, host: string): HostState {
    const key = `${scope}\u0000${host}`;
    let h = this.hosts.get(key);
    if (h === undefined) {
      // Ids wrap after 2^21 hosts so id * 2^32 + pid stays an exact double; a wrapped id can
      // only meet a long-forgotten host's PID entries, which the bounded map has dropped.
      h = {
        id: this.nextHostId,
        scope: sc,
        sysmon: new Map(),
        security: new Map(),
        watermark: -Infinity,
      };
      this.nextHostId = (this.nextHostId + 1) % 2_097_152;
      this.hosts.set(key, h);
    }
    return h;
  }

  private scopeState(scope: string): ScopeState {
    if (scope === this.lastScopeName && this.lastScope !== undefined) {
      return this.lastScope;
    }
    let sc = this.scopes.get(scope);
    if (sc === undefined) {
      sc = { sysmonSeen: 0, securitySeen: false };
      this.scopes.set(scope, sc);
    }
    this.lastScopeName = scope;
    this.lastScope = sc;
    return sc;
  }

  private accept(c: Candidate): void {
    const e = c.event;
    const sc = this.scopeState(c.scope);
    if (c.role === 'sysmon') {
      sc.sysmonSeen++;
      // Sysmon-only stream (see ScopeState): no twin can come, and a child that names its
      // parent by GUID needs no PID bookkeeping, so skip all state. This is the hot path for
      // the most common input and keeps it free of long-lived allocations.
      if (
        !sc.securitySeen &&
        sc.sysmonSeen > this.o.sysmonOnlyAfter &&
        e.process.parent.entity_id !== undefined
      ) {
        if (this.head < this.queue.length || this.heldHead < this.held.length) {
          // Records from before the switch still wait: keep their clock moving so they leave
          // (in order, ahead of this one) once their window has passed.
          const h = this.hostState(sc, c.scope, e.host.name);
          if (c.rawMs > h.watermark) {
            h.watermark = c.rawMs;
          }
          this.evict();
        }
        this.counts.normalised++;
        this.out.push(e);
        return;
      }
    } else if (c.role === 'security') {
      sc.securitySeen = true;
    }
    const h = this.hostState(sc, c.scope, e.host.name);
    const clock = this.clockRef(c);
    const proc = this.remember(c, h, clock);
    this.learnParent(c, h);

    if (!this.o.mergeTwins || c.role === 'none') {
      this.emit(c, h, clock);
      return;
    }
    if (clock === undefined) {
      if (c.rawMs > h.watermark) {
        h.watermark = c.rawMs;
      }
      if (!sc.securitySeen && sc.sysmonSeen > this.o.sysmonOnlyAfter) {
        this.emit(c, h, clock);
        this.evict();
        return;
      }
    } else if (c.rawMs > clock.scope.maxRaw) {
      clock.scope.maxRaw = c.rawMs;
    }
    const exe = e.process.executable ?? e.process.name;
    const p: Pending = { c, h, imageKey: imageKey(exe), clock, proc, done: false };
    const twin = this.findTwin(p);
    if (twin !== undefined) {
      this.merge(p, twin);
    } else {
      const index = c.role === 'sysmon' ? h.sysmon : h.security;
      const list = index.get(p.imageKey);
      if (list === undefined) {
        index.set(p.imageKey, [p]);
      } else {
        list.push(p);
      }
      this.queue.push(p);
    }
    this.evict();
  }

  /** Registers the process under its PID for later children that only know the parent PID. */
  private remember(c: Candidate, h: HostState, clock: ClockRef | undefined): Proc {
    const e = c.event;
    const cmd = e.process.command_line;
    const proc: Proc = {
      prev: undefined,
      entityId: e.process.entity_id,
      ms: c.rawMs,
      group: clock,
      executable: e.process.executable,
      commandLine: cmd !== undefined && cmd.length <= MAX_REMEMBERED_CMD ? cmd : undefined,
    };
    if (e.process.pid !== undefined) {
      this.addProc(pidKey(h, e.process.pid), proc);
    }
    return proc;
  }

  private addProc(key: number, proc: Proc): void {
    const latest = this.pids.get(key);
    if (latest !== undefined) {
      // Keep at most PROCS_PER_PID per pid: cut the chain below the new head's tail.
      let tail = latest;
      for (let depth = 2; depth < PROCS_PER_PID && tail.prev !== undefined; depth++) {
        tail = tail.prev;
      }
      tail.prev = undefined;
      proc.prev = latest;
    }
    this.pids.set(key, proc);
  }

  /**
   * A Sysmon child names its parent by GUID and PID: remember that pairing (as alive at the
   * child's start) so 4688 children of a parent whose own creation was not logged still link.
   */
  private learnParent(c: Candidate, h: HostState): void {
    const parent = c.event.process.parent;
    if (!c.trusted || parent.entity_id === undefined || parent.pid === undefined) {
      return;
    }
    const key = pidKey(h, parent.pid);
    for (let p = this.pids.get(key); p !== undefined; p = p.prev) {
      if (p.entityId === parent.entity_id) {
        return;
      }
    }
    const cmd = parent.command_line;
    this.addProc(key, {
      prev: undefined,
      entityId: parent.entity_id,
      ms: c.rawMs,
      group: undefined,
      executable: parent.executable,
      commandLine: cmd !== undefined && cmd.length <= MAX_REMEMBERED_CMD ? cmd : undefined,
    });
  }

  /**
   * The pending record of the other kind that logs the same process: same dataset and host,
   * same image, equal PIDs and parent PIDs where both sides know them, and start times within
   * the tolerance once the Security clock's offset is applied. Before an offset is known (or
   * after a clock jump), only a strong identity match (PID or parent PID plus the command line)
   * may pair records across any plausible skew; those pairs are what teach the offset.
   */
  private findTwin(p: Pending): Pending | undefined {
    const h = p.h;
    const others = (p.c.role === 'sysmon' ? h.security : h.sysmon).get(p.imageKey);
    if (others === undefined || others.length === 0) {
      return undefined;
    }
    let best: Pending | undefined;
    let bestScore = -Infinity;
    for (let i = others.length - 1; i >= 0; i--) {
      const q = others[i] as Pending;
      if (q.done) {
        continue;
      }
      const s = p.c.role === 'sysmon' ? p : q;
      const f = p.c.role === 'sysmon' ? q : p;
      const sp = s.c.event.process;
      const fp = f.c.event.process;
      if (sp.pid !== undefined && fp.pid !== undefined && sp.pid !== fp.pid) {
        continue;
      }
      const ppidKnown = sp.parent.pid !== undefined && fp.parent.pid !== undefined;
      if (ppidKnown && sp.parent.pid !== fp.parent.pid) {
        continue;
      }
      const pidEq = sp.pid !== undefined && fp.pid !== undefined;
      const cmdEq =
        sp.command_line !== undefined &&
        fp.command_line !== undefined &&
        sameCommand(sp.command_line, fp.command_line);
      const delta = s.c.rawMs - f.c.rawMs;
      const est = Normaliser.estimate(f.clock);
      const residual = Math.abs(delta - (est ?? Normaliser.guessOffset(delta, f.c.rawMs)));
      const timely = est !== undefined && residual <= this.o.twinToleranceMs;
      if (!timely && !this.plausibleSkew(delta, pidEq, cmdEq, ppidKnown)) {
        continue;
      }
      // Prefer time agreement, then identity evidence, then the closest in time.
      const score =
        (timely ? 8 : 0) +
        (pidEq ? 4 : 0) +
        (cmdEq ? 2 : 0) +
        (ppidKnown ? 1 : 0) -
        residual / (this.o.maxClockSkewMs + 1);
      if (score > bestScore) {
        bestScore = score;
        best = q;
      }
    }
    return best;
  }

  /**
   * Before any offset is learnt, candidates are ranked against the nearest quarter-hour skew.
   * A clock with whole-second resolution (NXLog's EventTime) truncates, so its twin lies on
   * average half a second later.
   */
  private static guessOffset(delta: number, rawMs: number): number {
    const truncation = rawMs % 1000 === 0 ? 500 : 0;
    return Math.round((delta - truncation) / QUARTER_HOUR_MS) * QUARTER_HOUR_MS + truncation;
  }

  /**
   * Whether an untimely pair may still be twins, i.e. teach a new clock offset. Real skews are
   * time-zone mistakes (whole quarter hours) plus a little drift, so without the full identity
   * (PID, parent PID and command line all equal) the skew must be near a multiple of 15 min:
   * otherwise a process relaunched with the same command line a minute earlier would pass.
   */
  private plausibleSkew(
    delta: number,
    pidEq: boolean,
    cmdEq: boolean,
    ppidKnown: boolean,
  ): boolean {
    if (Math.abs(delta) > this.o.maxClockSkewMs) {
      return false;
    }
    if (pidEq && cmdEq && ppidKnown) {
      return true;
    }
    const strong = (pidEq && (cmdEq || ppidKnown)) || (ppidKnown && cmdEq);
    if (!strong) {
      return false;
    }
    const r = ((delta % QUARTER_HOUR_MS) + QUARTER_HOUR_MS) % QUARTER_HOUR_MS;
    return Math.min(r, QUARTER_HOUR_MS - r) <= this.o.twinToleranceMs;
  }

  private unindex(p: Pending): void {
    const h = p.h;
    const index = p.c.role === 'sysmon' ? h.sysmon : h.security;
    const list = index.get(p.imageKey);
    if (list === undefined) {
      return;
    }
    const i = list.indexOf(p);
    if (i >= 0) {
      list.splice(i, 1);
    }
    if (list.length === 0) {
      index.delete(p.imageKey);
    }
  }

  /** One event from a twin pair: Sysmon's fields first (GUIDs, hashes, UtcTime), gaps filled from 4688. */
  private merge(a: Pending, b: Pending): void {
    const h = a.h;
    const s = a.c.role === 'sysmon' ? a : b;
    const f = a.c.role === 'sysmon' ? b : a;
    a.done = true;
    b.done = true;
    this.unindex(a);
    this.unindex(b);

    if (f.clock !== undefined) {
      const sample = s.c.rawMs - f.c.rawMs;
      f.clock.host.add(sample);
      f.clock.scope.add(sample);
    }
    const e = s.c.event;
    const x = f.c.event;
    const ep = e.process;
    const xp = x.process;
    const sysmonHadPid = ep.pid !== undefined;
    ep.pid ??= xp.pid;
    if (ep.command_line === undefined && xp.command_line !== undefined) {
      ep.command_line = xp.command_line;
      ep.args = xp.args;
    }
    ep.parent.pid ??= xp.parent.pid;
    ep.parent.executable ??= xp.parent.executable;
    ep.parent.name ??= xp.parent.name;
    const xt = xp.Ext?.token;
    if (xt !== undefined) {
      const et = ((ep.Ext ??= {}).token ??= {});
      if (et.elevation_type === undefined && xt.elevation_type !== undefined) {
        et.elevation_type = xt.elevation_type;
        // Re-derive: the elevation type says more than Sysmon's integrity level alone.
        delete et.elevation;
      }
      et.integrity_level_name ??= xt.integrity_level_name;
      finishToken(e);
    }
    if (e.user.name === undefined) {
      e.user = { ...x.user };
    } else if (
      e.user.id === undefined &&
      x.user.id !== undefined &&
      x.user.name !== undefined &&
      x.user.name.toLowerCase() === e.user.name.toLowerCase()
    ) {
      // The 4688 SID is the same account's only when the names agree (the creator may differ).
      e.user.id = x.user.id;
    }
    e.problemchild.sources = [
      s.c.event.problemchild.sources[0] as SourceRef,
      x.problemchild.sources[0] as SourceRef,
    ];

    // Children that find this process by PID must get the merged identity and trusted time.
    if (sysmonHadPid) {
      // Both sides sit under the same PID; the Sysmon entry already says it all, so the
      // 4688 entry is unlinked from the chain.
      s.proc.commandLine ??= f.proc.commandLine;
      const key = pidKey(h, ep.pid as number);
      const head = this.pids.get(key);
      if (head === f.proc) {
        if (f.proc.prev === undefined) {
          this.pids.delete(key);
        } else {
          this.pids.set(key, f.proc.prev);
        }
      } else {
        for (let p = head; p !== undefined; p = p.prev) {
          if (p.prev === f.proc) {
            p.prev = f.proc.prev;
            break;
          }
        }
      }
    } else {
      f.proc.entityId = ep.entity_id;
      f.proc.ms = s.c.rawMs;
      f.proc.group = undefined;
      f.proc.commandLine ??= s.proc.commandLine;
    }
    this.counts.mergedTwins++;
    if (s.c.rawMs > h.watermark) {
      h.watermark = s.c.rawMs;
    }
    this.emit(s.c, h, undefined);
  }

  private isStale(p: Pending): boolean {
    const h = p.h;
    if (p.clock === undefined) {
      return h.watermark - p.c.rawMs > this.o.twinWindowMs;
    }
    if (p.clock.scope.maxRaw - p.c.rawMs > this.o.twinWindowMs) {
      return true;
    }
    const est = Normaliser.estimate(p.clock);
    return est !== undefined && h.watermark - (p.c.rawMs + est) > this.o.twinWindowMs;
  }

  private evict(): void {
    const q = this.queue;
    while (this.head < q.length) {
      const p = q[this.head] as Pending;
      if (p.done) {
        this.head++;
        continue;
      }
      if (q.length - this.head > this.o.maxPending || this.isStale(p)) {
        this.head++;
        if (p.clock !== undefined && Normaliser.estimate(p.clock) === undefined) {
          this.held.push(p);
        } else {
          this.finishUnmatched(p);
        }
        continue;
      }
      break;
    }
    if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
    const held = this.held;
    while (this.heldHead < held.length) {
      const p = held[this.heldHead] as Pending;
      if (p.done) {
        this.heldHead++;
        continue;
      }
      if (
        held.length - this.heldHead > this.o.maxPending ||
        Normaliser.estimate(p.clock) !== undefined
      ) {
        this.heldHead++;
        this.finishUnmatched(p);
        continue;
      }
      break;
    }
    if (this.heldHead > 1024 && this.heldHead * 2 > held.length) {
      this.held = held.slice(this.heldHead);
      this.heldHead = 0;
    }
  }

  /** Last chance to pair (an offset may have been learnt since it arrived), else emit alone. */
  private finishUnmatched(p: Pending): void {
    this.unindex(p);
    const twin = this.findTwin(p);
    if (twin !== undefined) {
      this.merge(p, twin);
      return;
    }
    p.done = true;
    this.emit(p.c, p.h, p.clock);
  }

  /** Final touches that depend on state at emission time: corrected time, parent by PID. */
  private emit(c: Candidate, h: HostState, clock: ClockRef | undefined): void {
    const e = c.event;
    let startMs = c.rawMs;
    if (clock !== undefined && e.problemchild.sources.length === 1) {
      const est = Normaliser.estimate(clock);
      // A raw time at the edge of the Date range (a broken or forged clock) may have no
      // corrected time at all: it keeps its raw one rather than stopping the stream.
      if (est !== undefined && est !== 0 && Math.abs(c.rawMs + est) <= MAX_DATE_MS) {
        startMs = c.rawMs + est;
        const ts = new Date(startMs).toISOString();
        e['@timestamp'] = ts;
        e.process.start = ts;
        e.problemchild.clock_offset_ms = Math.round(est);
      }
    }
    const parent = e.process.parent;
    if (
      parent.pid !== undefined &&
      (parent.entity_id === undefined || parent.command_line === undefined)
    ) {
      const p = this.parentByPid(
        h,
        parent.pid,
        startMs,
        e.process.entity_id,
        parent.executable,
        parent.entity_id,
      );
      if (p !== undefined) {
        parent.entity_id ??= p.entityId;
        parent.executable ??= p.executable;
        if (parent.name === undefined && p.executable !== undefined) {
          parent.name = baseOf(p.executable);
        }
        parent.command_line ??= p.commandLine;
      }
    }
    this.counts.normalised++;
    this.out.push(e);
  }

  /**
   * The latest process with this PID on the host that started before the child (within the
   * twin tolerance, since corrected clocks are only that precise). A known parent image or GUID
   * that disagrees means PID reuse, not a parent.
   */
  private parentByPid(
    h: HostState,
    ppid: number,
    childMs: number,
    childEntity: string,
    parentExe: string | undefined,
    parentEntity: string | undefined,
  ): Proc | undefined {
    let best: Proc | undefined;
    let bestStart = -Infinity;
    for (let p = this.pids.get(pidKey(h, ppid)); p !== undefined; p = p.prev) {
      if (p.entityId === childEntity) {
        continue;
      }
      const start = Normaliser.startOf(p);
      if (start > childMs + this.o.twinToleranceMs || start < bestStart) {
        continue;
      }
      best = p;
      bestStart = start;
    }
    if (best === undefined) {
      return undefined;
    }
    if (parentEntity !== undefined && best.entityId !== parentEntity) {
      return undefined;
    }
    if (
      parentExe !== undefined &&
      best.executable !== undefined &&
      parentExe.toLowerCase() !== best.executable.toLowerCase()
    ) {
      return undefined;
    }
    return best;
  }
}

function pidKey(h: HostState, pid: number): number {
  return h.id * 4294967296 + pid;
}

function isBlank(s: string): boolean {
  if (s.length > 0 && s.charCodeAt(0) === 123 /* { */) {
    return false;
  }
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) {
      return false;
    }
  }
  return true;
}

function baseOf(path: string): string {
  const i = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
  return path.slice(i + 1);
}

/**
 * Twin-matching key for an image path. The Security log may name a file by its NT device
 * path (`\Device\HarddiskVolume2\…`, `\Device\Mup\server\share\…`) where Sysmon uses the
 * drive letter or UNC form, so the key drops the volume part and the case.
 */
export function imageKey(path: string): string {
  let p = path.toLowerCase();
  if (p.startsWith('\\??\\')) {
    p = p.slice(4);
  }
  if (p.startsWith('\\device\\mup\\')) {
    return '\\\\' + p.slice(12);
  }
  if (p.startsWith('\\device\\')) {
    const i = p.indexOf('\\', 8);
    return i < 0 ? p : p.slice(i);
  }
  if (p.length > 2 && p.charCodeAt(1) === 58 /* : */) {
    return p.slice(2);
  }
  return p;
}

/** 4688 and Sysmon render the same command line with different trailing blanks. */
function sameCommand(a: string, b: string): boolean {
  return a === b || a.trim() === b.trim();
}

/** Convenience: normalise one file or stream; the generator's return value is the summary. */
export function normaliseFile(
  input: LineInput,
  options: NormaliseOptions = {},
  name?: string,
): AsyncGenerator<ProcessEvent, NormaliseSummary> {
  return new Normaliser(options).run(input, name);
}
