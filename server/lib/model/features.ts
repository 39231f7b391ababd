/**
 * Deterministic feature extraction for one parent→child process-creation event.
 *
 * Layout of a feature vector: [dense features (fixed list, DENSE_FEATURES) | TF-IDF tokens (vocabulary)].
 *
 * Vocabulary, not hashing: the vocabulary is fitted at training time and stored in features.json.
 * We chose it over the hashing trick because explanations must name real tokens to an analyst
 * ("cmdline token: -enc"), hashing collisions would make those names ambiguous, and a capped
 * vocabulary keeps the model small. The cost is that unseen tokens are dropped; the *_oov
 * features keep a coarse signal for them.
 *
 * What is deliberately NOT a feature (label leaks or source artefacts): Sysmon RuleName, host
 * names, user names (blanked inside command lines too), dataset names, record ids, event.action /
 * event.code (they only say whether the record is Sysmon or 4688), and Elastic's own score.
 */
import type { ProcessEvent } from '../../../common/types/process_event';
import { BoundedMap, SecondSightingCache } from '../normalise/bounded_map';
import { fixedLayoutUtcMs } from '../normalise/values';
import {
  NORMALISATION_VERSION,
  type NormaliseContext,
  PATH_CLASSES,
  type PathClass,
  baseName,
  commandLineSignals,
  dirOf,
  normaliseCommandLine,
  normaliseName,
  normalisePath,
  pathClass,
  shannonEntropy,
  type SpecialCharCounts,
  tokeniseCommandLine,
  mentionsBlankedName,
} from './text_normalise';

export const FEATURES_FORMAT_VERSION = 1;

/** Caller-provided context, e.g. the detection stage knows every event of a host. */
export interface FeatureContext {
  /** Start time of the event's parent when process.parent.start is absent (ISO-8601 or epoch ms). */
  parentStart?: (event: ProcessEvent) => string | number | undefined;
}

export const TOKEN_GROUPS = ['proc', 'parent', 'pair', 'dir', 'pdir', 'cmd'] as const;
export type TokenGroup = (typeof TOKEN_GROUPS)[number];
const CMD_GROUP = TOKEN_GROUPS.indexOf('cmd');

const INTEGRITY_CLASSES = ['system', 'high', 'medium', 'low', 'unknown'] as const;
type Integrity = (typeof INTEGRITY_CLASSES)[number];

/** Dense feature names, in vector order, with the phrase used in explanations. */
const DENSE_DEFS: Array<[string, string]> = [
  ['parent_age_log', 'time since parent start'],
  ['parent_age_missing', 'parent start time unknown'],
  ['signed_yes', 'signed'],
  ['signed_no', 'not signed'],
  ['signed_unknown', 'signature unknown'],
  ['trusted_yes', 'signer trusted'],
  ['trusted_no', 'signer not trusted'],
  ['trusted_unknown', 'signer trust unknown'],
  ['elevated_yes', 'elevated token'],
  ['elevated_no', 'limited token'],
  ['elevated_unknown', 'elevation unknown'],
  ['service_account', 'runs as SYSTEM/LocalService/NetworkService'],
  ['user_unknown', 'user unknown'],
  ['name_mismatch', 'name differs from PE original file name'],
  ['original_name_missing', 'PE original file name missing'],
  ['name_not_exe', 'process name does not end in .exe'],
  ['parent_missing', 'parent name unknown'],
  ...PATH_CLASSES.map((c): [string, string] => [
    `path_class_${c}`,
    `executable folder: ${c.replace(/_/g, ' ')}`,
  ]),
  ...PATH_CLASSES.map((c): [string, string] => [
    `parent_path_class_${c}`,
    `parent folder: ${c.replace(/_/g, ' ')}`,
  ]),
  ...INTEGRITY_CLASSES.map((c): [string, string] => [`integrity_${c}`, `integrity level: ${c}`]),
  ['cmd_missing', 'command line missing'],
  ['cmd_len_log', 'command line length'],
  ['cmd_entropy', 'command line entropy'],
  ['cmd_b64', 'command line has base64 blob'],
  ['cmd_enc_flag', 'PowerShell -EncodedCommand flag'],
  ['cmd_url', 'command line has URL'],
  ['cmd_ip', 'command line has IP address'],
  ['cmd_hidden', 'hidden window flag'],
  ['cmd_caret', 'carets (^) in command line'],
  ['cmd_backtick', 'backticks (`) in command line'],
  ['cmd_quote', "single quotes (') in command line"],
  ['cmd_plus', 'plus signs (+) in command line'],
  ['cmd_percent', 'percent signs (%) in command line'],
  ['cmd_special_ratio', 'share of obfuscation characters'],
  ['cmd_tokens_log', 'number of command-line tokens'],
  ['proc_oov', 'process name unseen in training'],
  ['parent_oov', 'parent name unseen in training'],
  ['pair_oov', 'parent→child pair unseen in training'],
  ['cmd_oov_frac', 'share of command-line tokens unseen in training'],
];
export const DENSE_FEATURES: readonly string[] = DENSE_DEFS.map(([n]) => n);
const DENSE_INDEX = new Map(DENSE_FEATURES.map((n, i) => [n, i]));
const DENSE_LABEL = new Map(DENSE_DEFS);
const PARENT_AGE_SLOT = DENSE_INDEX.get('parent_age_log') as number;
const PARENT_AGE_MISSING_SLOT = DENSE_INDEX.get('parent_age_missing') as number;
function slot(name: string): number {
  const i = DENSE_INDEX.get(name);
  if (i === undefined) throw new Error(`unknown dense feature ${name}`);
  return i;
}
/** Positions of the tri-state flags: yes, no, unknown. */
const SIGNED_SLOTS = [slot('signed_yes'), slot('signed_no'), slot('signed_unknown')] as const;
const TRUSTED_SLOTS = [slot('trusted_yes'), slot('trusted_no'), slot('trusted_unknown')] as const;
const ELEVATED_SLOTS = [
  slot('elevated_yes'),
  slot('elevated_no'),
  slot('elevated_unknown'),
] as const;
const SERVICE_ACCOUNT_SLOT = slot('service_account');
const USER_UNKNOWN_SLOT = slot('user_unknown');
const ORIGINAL_NAME_MISSING_SLOT = slot('original_name_missing');
const NAME_MISMATCH_SLOT = slot('name_mismatch');
const NAME_NOT_EXE_SLOT = slot('name_not_exe');
const PARENT_MISSING_SLOT = slot('parent_missing');
const slotsOf = (prefix: string, names: readonly string[]): Map<string, number> =>
  new Map(names.map((c) => [c, DENSE_INDEX.get(`${prefix}${c}`) as number]));
const PATH_CLASS_SLOT = slotsOf('path_class_', PATH_CLASSES);
const PARENT_PATH_CLASS_SLOT = slotsOf('parent_path_class_', PATH_CLASSES);
const INTEGRITY_SLOT = slotsOf('integrity_', INTEGRITY_CLASSES);
/** Dense position of each token group's out-of-vocabulary rate (TOKEN_GROUPS order; dirs have none). */
const OOV_SLOT: Array<number | undefined> = TOKEN_GROUPS.map((g) =>
  DENSE_INDEX.get(
    (
      { proc: 'proc_oov', parent: 'parent_oov', pair: 'pair_oov', cmd: 'cmd_oov_frac' } as Record<
        string,
        string
      >
    )[g] ?? '',
  ),
);

/** Tokens of one event per group, before vocabulary lookup. */
export type EventTokens = Record<TokenGroup, string[]>;

/** Per-event facts that are independent of the fitted vocabulary. */
interface EventFacts {
  tokens: EventTokens;
  dense: Float32Array;
}

export interface SparseRow {
  /** Ascending feature indices. */
  indices: Int32Array;
  values: Float32Array;
}

export interface FeatureSpaceConfig {
  /** Maximum vocabulary size (the most frequent tokens win). */
  maxVocab: number;
  /** Minimum number of training events containing a token. */
  minDf: number;
  /**
   * Minimum number of distinct groups (dataset files / synthetic hosts) containing a token, so
   * identifiers that only one lab capture uses cannot become features.
   */
  minGroups: number;
}

export const DEFAULT_FEATURE_CONFIG: FeatureSpaceConfig = {
  maxVocab: 1500,
  minDf: 3,
  minGroups: 2,
};

/** Serialised form stored as features.json next to the model. */
export interface FeatureSpaceJson {
  formatVersion: number;
  normalisationVersion: number;
  config: FeatureSpaceConfig;
  documentCount: number;
  denseFeatures: string[];
  vocabulary: string[];
  idf: number[];
  /** Human-readable names of every vector position (dense then vocabulary). */
  featureNames: string[];
}

const POWERSHELL_NAME = /^(?:powershell|pwsh|powershell_ise)(?:\.exe)?$/;
const SERVICE_SIDS = new Set(['s-1-5-18', 's-1-5-19', 's-1-5-20']);
const SERVICE_NAMES = new Set([
  'system',
  'local service',
  'network service',
  'localservice',
  'networkservice',
  'local system',
]);
const MAX_PARENT_AGE_S = 7 * 24 * 3600;

/**
 * Epoch ms of "YYYY-MM-DDTHH:MM:SS.mmmZ", as Date.parse gives it; NaN when the text is not that
 * shape or a field is out of range (Date.parse refuses a 60th second), and the caller then asks
 * Date.parse.
 */
export function isoMillis(s: string): number {
  if (s.length !== 24 || s.charCodeAt(23) !== 90) return NaN;
  return fixedLayoutUtcMs(s, 84, 59) ?? NaN;
}

/** Parses ISO-8601 or Sysmon-style 'YYYY-MM-DD hh:mm:ss.sss' (UTC without designator) or epoch ms. */
export function parseTime(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  // The normalised form, 2024-01-02T03:04:05.678Z, needs none of the repairs below, and is read
  // directly (Date.parse is a large share of scoring a cached row).
  if (value.length === 24 && value.charCodeAt(10) === 84 && value.charCodeAt(23) === 90) {
    const t = isoMillis(value);
    if (!Number.isNaN(t)) return t;
  }
  let s = value.trim();
  if (!s) return undefined;
  if (/^\d{4}-\d{2}-\d{2} \d/.test(s)) s = s.replace(' ', 'T');
  if (!/(?:z|[+-]\d{2}:?\d{2})$/i.test(s)) s += 'Z';
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** Sets the one slot of a tri-state flag that applies (yes, no or unknown). */
function setTri(
  dense: Float32Array,
  slots: readonly [number, number, number],
  v: boolean | undefined,
): void {
  dense[v === undefined ? slots[2] : v ? slots[0] : slots[1]] = 1;
}

function integrityOf(raw: string | undefined): Integrity {
  if (!raw) return 'unknown';
  const v = raw.trim().toLowerCase();
  if (v === 'system' || v === 's-1-16-16384' || v === 'protected' || v === 's-1-16-20480')
    return 'system';
  if (v === 'high' || v === 's-1-16-12288') return 'high';
  if (v === 'medium' || v === 'medium plus' || v === 's-1-16-8192' || v === 's-1-16-8448')
    return 'medium';
  if (
    v === 'low' ||
    v === 'untrusted' ||
    v === 'appcontainer' ||
    v === 's-1-16-4096' ||
    v === 's-1-16-0'
  )
    return 'low';
  return 'unknown';
}

function elevationOf(event: ProcessEvent): boolean | undefined {
  const token = event.process.Ext?.token;
  if (token?.elevation !== undefined) return token.elevation;
  const t = token?.elevation_type?.trim().toLowerCase();
  if (!t) return undefined;
  // 4688 renders TokenElevationType as %%1936 (default), %%1937 (full), %%1938 (limited).
  // Elastic treated the mere presence of the field as "elevated"; we read its meaning.
  if (t === 'full' || t === '%%1937' || t.includes('type 2')) return true;
  if (t === 'limited' || t === '%%1938' || t.includes('type 3')) return false;
  return undefined;
}

function isServiceAccount(event: ProcessEvent): boolean | undefined {
  const id = event.user.id?.trim().toLowerCase();
  const rawName = event.user.name?.trim().toLowerCase();
  if (!id && !rawName) return undefined;
  if (id && SERVICE_SIDS.has(id)) return true;
  if (!rawName) return false;
  const name = rawName.includes('\\') ? rawName.slice(rawName.lastIndexOf('\\') + 1) : rawName;
  // A computer account (HOST$) acting as creator means the SYSTEM context.
  return SERVICE_NAMES.has(name) || name.endsWith('$');
}

function stripMui(name: string): string {
  return name.endsWith('.mui') ? name.slice(0, -4) : name;
}

function logScaled(x: number, cap: number): number {
  return Math.min(1, Math.log1p(Math.max(0, x)) / Math.log1p(cap));
}

function processNameOf(event: ProcessEvent): string {
  return event.process.name || (event.process.executable ? baseName(event.process.executable) : '');
}

function parentNameOf(event: ProcessEvent): string {
  const p = event.process.parent;
  return p.name || (p.executable ? baseName(p.executable) : '');
}

/** Dense features and tokens derived from one command line in the context of one event. */
interface CommandLineFacts {
  /** Dense positions and values of the non-zero command-line facts (plain arrays: they are tiny). */
  denseIndex: number[];
  denseValue: number[];
  tokens: string[];
}

/**
 * Normalising and tokenising text is most of the extraction cost, and process activity repeats:
 * the same few hundred names, folders and command lines make up most of a host's events. Bounded
 * caches keyed by the exact input keep repeats cheap; lookups return the same value the
 * computation would, so results never depend on what was cached. Long command lines are rarely
 * repeated and would crowd out the rest, so they are not cached.
 */
const nameCache = new BoundedMap<string, string>(20_000);
const pathCache = new BoundedMap<string, string>(20_000);
// Keys are at most MAX_CACHED_COMMAND_LINE long, so 25,000 entries stay within ~125 MB. One-off
// command lines (temp names, random ids) are the norm, hence admission on a second sighting.
// Keyed by the command line alone (not its user or host), so the same command line on every
// host of a fleet is one entry; the event's own names are applied afterwards (commandLineFacts).
// Command lines read in a PowerShell context (a PowerShell process, or one that mentions it) have
// their own cache.
const commandLineCache = new SecondSightingCache<CommandLineBase>(20_000);
const psCommandLineCache = new SecondSightingCache<CommandLineBase>(5_000);
const MAX_CACHED_COMMAND_LINE = 4096;
// One-off command lines mostly differ only in what normalisation replaces (a browser renderer's
// client id and handles, a temp file's name, a GUID), so their tokens repeat: keyed by the
// normalised text, and shared, so a row's TF-IDF part can be looked up by the list itself.
const tokensByText = new SecondSightingCache<string[]>(20_000);
/** Token lists that cached facts hand out again (worth keeping their TF-IDF part for). */
let sharedTokenLists = new WeakSet<readonly string[]>();

/** Empties the text caches (benchmarks measure cold starts; tests compare against fresh work). */
export function clearFeatureCaches(): void {
  nameCache.clear();
  pathCache.clear();
  pathFactsCache.clear();
  pairCache.clear();
  commandLineCache.clear();
  psCommandLineCache.clear();
  tokensByText.clear();
  sharedTokenLists = new WeakSet();
}

/** Tokens of normalised command-line text, shared between command lines that normalise alike. */
function cachedTokens(normalised: string): string[] {
  if (normalised.length > MAX_CACHED_COMMAND_LINE || !tokensByText.sighted(normalised))
    return tokeniseCommandLine(normalised);
  let tokens = tokensByText.get(normalised);
  if (!tokens) {
    tokensByText.admit(normalised, (tokens = tokeniseCommandLine(normalised)));
    sharedTokenLists.add(tokens);
  }
  return tokens;
}

function cachedName(raw: string): string {
  let v = nameCache.get(raw);
  if (v === undefined) nameCache.set(raw, (v = normaliseName(raw)));
  return v;
}

// Keyed by the normalised paths and names cachedPath and cachedName hand out (the same string
// objects, hashed once), so a one-off event builds no folder or pair token string of its own.
const pathFactsCache = new BoundedMap<string, { cls: PathClass; dir: string | undefined }>(20_000);
const pairCache = new BoundedMap<string, Map<string, string>>(20_000);
/** Parents remembered per child name; past this the child's entries start again. */
const PAIRS_PER_NAME = 256;

function cachedPathFacts(normalised: string): { cls: PathClass; dir: string | undefined } {
  let v = pathFactsCache.get(normalised);
  if (v === undefined)
    pathFactsCache.set(
      normalised,
      (v = {
        cls: pathClass(normalised),
        dir: normalised ? dirOf(normalised).slice(0, 120) : undefined,
      }),
    );
  return v;
}

/** The parent>child token, or undefined when both names are missing. */
function cachedPair(parentName: string, procName: string): string | undefined {
  if (!procName && !parentName) return undefined;
  let byParent = pairCache.get(procName);
  if (!byParent) pairCache.set(procName, (byParent = new Map()));
  let v = byParent.get(parentName);
  if (v === undefined) {
    if (byParent.size >= PAIRS_PER_NAME) byParent.clear();
    byParent.set(parentName, (v = `${parentName || '?'}>${procName || '?'}`));
  }
  return v;
}

function cachedPath(raw: string | undefined): string {
  if (!raw) return '';
  let v = pathCache.get(raw);
  if (v === undefined) pathCache.set(raw, (v = normalisePath(raw)));
  return v;
}

const CMD_DENSE = [
  'cmd_missing',
  'cmd_len_log',
  'cmd_entropy',
  'cmd_b64',
  'cmd_enc_flag',
  'cmd_url',
  'cmd_ip',
  'cmd_hidden',
  'cmd_caret',
  'cmd_backtick',
  'cmd_quote',
  'cmd_plus',
  'cmd_percent',
  'cmd_special_ratio',
  'cmd_tokens_log',
] as const;

const cmdSlot = (name: (typeof CMD_DENSE)[number]): number => CMD_DENSE.indexOf(name);
/** Reused rows by length, for rows nobody keeps (staticRow's one-offs); longer ones are rare. */
const transientRows: SparseRow[] = [];
const MAX_TRANSIENT_ROW = 256;
function transientRow(length: number): SparseRow | undefined {
  if (length > MAX_TRANSIENT_ROW) return undefined;
  let row = transientRows[length];
  if (!row)
    transientRows[length] = row = {
      indices: new Int32Array(length),
      values: new Float32Array(length),
    };
  return row;
}

const specialScratch: SpecialCharCounts = { caret: 0, backtick: 0, quote: 0, plus: 0, percent: 0 };
const cmdScratch = new Float64Array(CMD_DENSE.length);
/** Position of each command-line fact in CMD_DENSE. */
const C = {
  missing: cmdSlot('cmd_missing'),
  len: cmdSlot('cmd_len_log'),
  entropy: cmdSlot('cmd_entropy'),
  b64: cmdSlot('cmd_b64'),
  enc: cmdSlot('cmd_enc_flag'),
  url: cmdSlot('cmd_url'),
  ip: cmdSlot('cmd_ip'),
  hidden: cmdSlot('cmd_hidden'),
  caret: cmdSlot('cmd_caret'),
  backtick: cmdSlot('cmd_backtick'),
  quote: cmdSlot('cmd_quote'),
  plus: cmdSlot('cmd_plus'),
  percent: cmdSlot('cmd_percent'),
  special: cmdSlot('cmd_special_ratio'),
  tokens: cmdSlot('cmd_tokens_log'),
} as const;
const CMD_DENSE_INDEX = Uint16Array.from(CMD_DENSE, (n) => DENSE_INDEX.get(n) as number);

/** What a command line gives whoever ran it: dense facts, its normalised text, its tokens. */
interface CommandLineBase extends CommandLineFacts {
  normalised: string;
}

/** computeCommandLineFacts' result for a caller that reads it at once and keeps nothing. */
const transientBase: CommandLineBase = {
  denseIndex: [],
  denseValue: [],
  tokens: [],
  normalised: '',
};

function computeCommandLineFacts(
  rawCmd: string,
  psContext: boolean,
  transient = false,
): CommandLineBase {
  // Values in CMD_DENSE order (a reused buffer); only the non-zero ones are kept.
  const values = cmdScratch.fill(0);
  let tokens: string[] = [];
  let normalised = '';
  if (!rawCmd.trim()) {
    values[C.missing] = 1;
  } else {
    const sig = commandLineSignals(rawCmd, psContext);
    const chars = specialScratch;
    values[C.len] = logScaled(rawCmd.length, 32768);
    values[C.entropy] = Math.min(1, shannonEntropy(rawCmd, chars) / 7);
    values[C.b64] = sig.hasBase64 ? 1 : 0;
    values[C.enc] = sig.hasEncodedFlag ? 1 : 0;
    values[C.url] = sig.hasUrl ? 1 : 0;
    values[C.ip] = sig.hasIp ? 1 : 0;
    values[C.hidden] = sig.hasHiddenWindow ? 1 : 0;
    values[C.caret] = logScaled(chars.caret, 100);
    values[C.backtick] = logScaled(chars.backtick, 100);
    values[C.quote] = logScaled(chars.quote, 100);
    values[C.plus] = logScaled(chars.plus, 100);
    values[C.percent] = logScaled(chars.percent, 100);
    values[C.special] = Math.min(
      1,
      (4 * (chars.caret + chars.backtick + chars.quote + chars.plus)) / rawCmd.length,
    );
    normalised = normaliseCommandLine(rawCmd);
    tokens = cachedTokens(normalised);
    // Names are replaced one token for one token, so the count does not depend on whose they are.
    values[C.tokens] = logScaled(tokens.length, 1000);
  }
  let kept = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) kept++;
  const out = transient ? transientBase : undefined;
  const denseIndex: number[] = out ? out.denseIndex : new Array(kept);
  const denseValue: number[] = out ? out.denseValue : new Array(kept);
  denseIndex.length = kept;
  denseValue.length = kept;
  for (let i = 0, w = 0; i < values.length; i++) {
    if (values[i] === 0) continue;
    denseIndex[w] = CMD_DENSE_INDEX[i] as number;
    denseValue[w++] = values[i] as number;
  }
  if (!out) return { denseIndex, denseValue, tokens, normalised };
  out.tokens = tokens;
  out.normalised = normalised;
  return out;
}

/** The event's names for mentionsBlankedName and tokenising (read there, never kept). */
const nameScratch: NormaliseContext = {};

/**
 * `seenBefore`: whether the caller has seen this command line before (a feature space knows);
 * a first sighting skips the cache lookup, like the cache's own sighting check would.
 */
function commandLineFacts(
  rawCmd: string,
  procName: string,
  event: ProcessEvent,
  seenBefore?: boolean,
): CommandLineFacts {
  const psContext = POWERSHELL_NAME.test(procName) || /powershell|pwsh/i.test(rawCmd);
  let base: CommandLineBase | undefined;
  // Facts nobody caches are built in a reused object: the caller reads them before the next call.
  if (rawCmd.length > MAX_CACHED_COMMAND_LINE || seenBefore === false)
    base = computeCommandLineFacts(rawCmd, psContext, true);
  else {
    // One cache per PowerShell context, so the key is the event's own string (hashed once).
    const cache = psContext ? psCommandLineCache : commandLineCache;
    if (seenBefore === undefined && !cache.sighted(rawCmd))
      base = computeCommandLineFacts(rawCmd, psContext, true);
    else {
      base = cache.get(rawCmd);
      if (!base) {
        cache.admit(rawCmd, (base = computeCommandLineFacts(rawCmd, psContext)));
        sharedTokenLists.add(base.tokens);
      }
    }
  }
  // The event's user, host and domain names become placeholders, token by token. A name that does
  // not occur in the normalised text (carets aside: tokens lose them) cannot be a token, so the
  // shared tokens stand; otherwise this event's command line is tokenised with its names.
  const text = base.normalised;
  if (!text) return base;
  const ctx = nameScratch;
  ctx.userName = event.user.name;
  ctx.hostName = event.host?.name;
  ctx.domain = event.user.domain;
  if (!mentionsBlankedName(text, ctx)) return base;
  return { ...base, tokens: tokeniseCommandLine(text, ctx) };
}

/**
 * The parent-age entry of a row: time from the parent's start to this launch (log-scaled), or
 * the "unknown" flag. It varies per event even when everything else repeats, so it is the one
 * part of a row never cached; undefined when the age is zero (a zero entry is left out).
 */
function parentAgeEntry(
  event: ProcessEvent,
  ctx: FeatureContext | undefined,
  hideParentAge: boolean,
  out: { index: number; value: number } = { index: 0, value: 0 },
): { index: number; value: number } | undefined {
  const childT = parseTime(event['@timestamp']);
  const parentT = hideParentAge
    ? undefined
    : parseTime(event.process.parent.start ?? ctx?.parentStart?.(event));
  if (childT === undefined || parentT === undefined) return MISSING_AGE;
  const value = logScaled((childT - parentT) / 1000, MAX_PARENT_AGE_S);
  if (value === 0) return undefined;
  out.index = PARENT_AGE_SLOT;
  out.value = value;
  return out;
}

const NO_AGE = Object.freeze({ index: -1, value: 0 });
const MISSING_AGE = Object.freeze({ index: PARENT_AGE_MISSING_SLOT, value: 1 });

/**
 * Every field staticFacts reads, into `out`: two events whose fields are equal (===) have the
 * same row apart from parent age. Keep in step with staticFacts and what it calls
 * (features.test.ts changes each field alone and checks a warm cache never serves the old row).
 */
function readStaticFields(e: ProcessEvent, out: StaticFields): void {
  const p = e.process;
  const tok = p.Ext?.token;
  out[0] = p.name;
  out[1] = p.executable;
  out[2] = p.parent.name;
  out[3] = p.parent.executable;
  out[4] = p.code_signature?.exists;
  out[5] = p.code_signature?.trusted;
  out[6] = tok?.elevation;
  out[7] = tok?.elevation_type;
  out[8] = tok?.integrity_level_name;
  out[9] = e.user.id;
  out[10] = e.user.name;
  out[11] = e.user.domain;
  out[12] = p.pe?.original_file_name;
  out[13] = p.command_line;
  out[14] = p.command_line === undefined ? p.args?.join(' ') : undefined;
  out[15] = e.host?.name;
}

type StaticFields = Array<string | boolean | undefined>;
const STATIC_FIELD_COUNT = 16;

/**
 * A hash of the fields from their lengths and a few characters each: no key string is built (it
 * would be a few hundred characters per event); equal hashes are confirmed field by field.
 */
function hashStaticFields(f: StaticFields): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < STATIC_FIELD_COUNT; i++) {
    const v = f[i];
    if (typeof v === 'string') {
      const n = v.length;
      h = Math.imul(h ^ (n + 3), 0x01000193);
      const step = n > 8 ? n / 8 : 1;
      for (let k = 0; k < n && k < 8 * step; k += step) {
        h = Math.imul(h ^ v.charCodeAt(Math.floor(k)), 0x01000193);
      }
      if (n > 0) h = Math.imul(h ^ v.charCodeAt(n - 1), 0x01000193);
    } else h = Math.imul(h ^ (v === undefined ? 0 : v ? 1 : 2), 0x01000193);
  }
  return h >>> 0;
}

function sameStaticFields(a: StaticFields, b: StaticFields): boolean {
  for (let i = 0; i < STATIC_FIELD_COUNT; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface CachedRow {
  fields: StaticFields;
  row: SparseRow;
}

/** Colliding rows kept per hash; more than this and the oldest goes. */
const ROWS_PER_HASH = 4;

/** Makes `list` hold just `value` (or nothing). */
function setOne(list: string[], value: string | undefined): void {
  list.length = 0;
  if (value !== undefined) list.push(value);
}

/**
 * `dense` and `tokensOut` may be reused buffers (row building passes its scratch); the cmd
 * token list is shared with the command-line cache and must not be changed.
 */
function staticFacts(
  event: ProcessEvent,
  dense = new Float32Array(DENSE_FEATURES.length),
  cmdSeenBefore?: boolean,
  tokensOut?: EventTokens,
): EventFacts {
  const procName = cachedName(processNameOf(event));
  const parentName = cachedName(parentNameOf(event));
  const exe = cachedPath(event.process.executable);
  const pexe = cachedPath(event.process.parent.executable);

  const sig = event.process.code_signature;
  setTri(dense, SIGNED_SLOTS, sig?.exists);
  setTri(dense, TRUSTED_SLOTS, sig?.exists === false ? false : sig?.trusted);
  setTri(dense, ELEVATED_SLOTS, elevationOf(event));
  const service = isServiceAccount(event);
  if (service) dense[SERVICE_ACCOUNT_SLOT] = 1;
  if (service === undefined) dense[USER_UNKNOWN_SLOT] = 1;

  const original = event.process.pe?.original_file_name?.trim().toLowerCase();
  if (!original) dense[ORIGINAL_NAME_MISSING_SLOT] = 1;
  else if (procName && stripMui(original) !== stripMui(procName.replace(/\^/g, '')))
    dense[NAME_MISMATCH_SLOT] = 1;
  if (procName && !procName.endsWith('.exe')) dense[NAME_NOT_EXE_SLOT] = 1;
  if (!parentName) dense[PARENT_MISSING_SLOT] = 1;

  const exeFacts = cachedPathFacts(exe);
  const pexeFacts = cachedPathFacts(pexe);
  dense[PATH_CLASS_SLOT.get(exeFacts.cls) as number] = 1;
  dense[PARENT_PATH_CLASS_SLOT.get(pexeFacts.cls) as number] = 1;
  dense[INTEGRITY_SLOT.get(integrityOf(event.process.Ext?.token?.integrity_level_name)) as number] =
    1;

  const rawCmd =
    event.process.command_line ?? (event.process.args ? event.process.args.join(' ') : '');
  const cmd = commandLineFacts(rawCmd, procName, event, cmdSeenBefore);
  for (let k = 0; k < cmd.denseIndex.length; k++)
    dense[cmd.denseIndex[k] as number] = cmd.denseValue[k] as number;
  const tokens: EventTokens = tokensOut ?? {
    proc: [],
    parent: [],
    pair: [],
    dir: [],
    pdir: [],
    cmd: [],
  };
  setOne(tokens.proc, procName || undefined);
  setOne(tokens.parent, parentName || undefined);
  setOne(tokens.pair, cachedPair(parentName, procName));
  setOne(tokens.dir, exeFacts.dir);
  setOne(tokens.pdir, pexeFacts.dir);
  tokens.cmd = cmd.tokens;
  return { tokens, dense };
}

/** Tokens of an event keyed `<group>:<token>` (exposed for tests and vocabulary inspection). */
export function eventTokenKeys(event: ProcessEvent): string[] {
  const { tokens } = staticFacts(event);
  const keys: string[] = [];
  for (const g of TOKEN_GROUPS) for (const t of tokens[g]) keys.push(`${g}:${t}`);
  return keys;
}

/**
 * Builds the parent-start lookup the detection stage (or training) can pass as context:
 * the parent is the event on the same host whose process.entity_id equals this event's
 * process.parent.entity_id.
 */
export function parentStartLookup(events: readonly ProcessEvent[]): FeatureContext {
  // Built on the first question: events that carry process.parent.start never ask. Entity ids are
  // unique in practice, so one map from id to the first event with it (an index: no object per
  // event); an id that shows up on another host too (a collision, or forged data) goes to a
  // second map by host and id.
  let byId: Map<string, number> | undefined;
  let byHostAndId: Map<string, number> | undefined;
  const hostOf = (e: ProcessEvent): string => e.host?.name ?? '';
  const startOf = (i: number): string => {
    const e = events[i] as ProcessEvent;
    return e.process.start ?? e['@timestamp'];
  };
  const build = (): void => {
    byId = new Map();
    byHostAndId = new Map();
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as ProcessEvent;
      const id = e.process.entity_id;
      const first = byId.get(id);
      if (first === undefined) byId.set(id, i);
      else if (hostOf(events[first] as ProcessEvent) !== hostOf(e)) {
        const key = `${hostOf(e)}\u0000${id}`;
        if (!byHostAndId.has(key)) byHostAndId.set(key, i);
      }
    }
  };
  return {
    parentStart: (e) => {
      const id = e.process.parent.entity_id;
      if (!id) return undefined;
      if (!byId) build();
      const first = byId?.get(id);
      if (first === undefined) return undefined;
      const host = hostOf(e);
      if (hostOf(events[first] as ProcessEvent) === host) return startOf(first);
      const other = byHostAndId?.get(`${host}\u0000${id}`);
      return other === undefined ? undefined : startOf(other);
    },
  };
}

/** Account names that describe behaviour rather than a person or machine; never filtered. */
const GENERIC_ACCOUNTS = new Set([
  'system',
  'local service',
  'network service',
  'localservice',
  'networkservice',
  'administrator',
  'administrators',
  'admin',
  'user',
  'users',
  'guest',
  'public',
  'default',
  'test',
  'nt authority',
  'builtin',
  'workgroup',
  'local',
  'service',
  'services',
]);

function addName(out: Set<string>, raw: string | undefined): void {
  if (!raw) return;
  const n = raw.trim().toLowerCase().replace(/\$$/, '');
  if (n.length >= 4 && !GENERIC_ACCOUNTS.has(n)) out.add(n);
}

/**
 * User, domain and host names of a training event. Tokens naming any of them (in any event, not
 * just their own) are kept out of the vocabulary, so neither personal data nor lab identity can
 * become a feature; only the filter sees the names, they are not stored.
 */
function collectPersonalNames(e: ProcessEvent, out: Set<string>): void {
  const user = e.user.name?.includes('\\')
    ? e.user.name.slice(e.user.name.lastIndexOf('\\') + 1)
    : e.user.name;
  addName(out, user);
  addName(out, e.user.domain);
  const host = e.host?.name?.toLowerCase();
  if (host) {
    const dot = host.indexOf('.');
    addName(out, dot > 0 ? host.slice(0, dot) : host);
    if (dot > 0) {
      addName(out, host);
      addName(out, host.slice(dot + 1));
      // The organisation label of the DNS suffix (theshire of theshire.local), not generic TLDs.
      addName(out, host.slice(dot + 1).split('.')[0]);
    }
  }
}

const SEPARATOR = /[\\/.\-_:@>\s$]/;

function mentionsPersonalName(key: string, personal: ReadonlySet<string>): boolean {
  const token = key.slice(key.indexOf(':') + 1);
  if (personal.has(token)) return true;
  // A name counts when it sits between separators (wardog.exe, it01-pedro, william.allen.txt),
  // not inside a longer word (lanmanworkstation keeps its token despite a host "workstation").
  for (const name of personal) {
    let at = token.indexOf(name);
    while (at >= 0) {
      const before = at === 0 || SEPARATOR.test(token.charAt(at - 1));
      const end = at + name.length;
      const after = end === token.length || SEPARATOR.test(token.charAt(end));
      if (before && after) return true;
      at = token.indexOf(name, at + 1);
    }
  }
  return false;
}

const GROUP_LABEL: Record<TokenGroup, string> = {
  proc: 'process',
  parent: 'parent',
  pair: 'parent→child',
  dir: 'folder',
  pdir: 'parent folder',
  cmd: 'cmdline token',
};

function humanName(key: string): string {
  const dense = DENSE_LABEL.get(key);
  if (dense) return dense;
  const colon = key.indexOf(':');
  const group = key.slice(0, colon) as TokenGroup;
  const token = key.slice(colon + 1);
  return `${GROUP_LABEL[group] ?? group}: ${group === 'pair' ? token.replace('>', '→') : token}`;
}

// Scratch for computeStaticRow: rows are built one at a time (JS is single-threaded and the
// build never yields), so one set of buffers serves every row instead of two arrays per event.
let scratchIdx = new Int32Array(256);
let scratchVal = new Float64Array(256);
let scratchOrder = new Int32Array(256);
const scratchDense = new Float32Array(DENSE_FEATURES.length);
const scratchTokens: EventTokens = { proc: [], parent: [], pair: [], dir: [], pdir: [], cmd: [] };

function growScratch(need: number): void {
  let size = scratchIdx.length;
  while (size < need) size *= 2;
  const idx = new Int32Array(size);
  idx.set(scratchIdx);
  const val = new Float64Array(size);
  val.set(scratchVal);
  scratchIdx = idx;
  scratchVal = val;
  scratchOrder = new Int32Array(size);
}

/**
 * Positions 0..n-1 ordered by ascending idx[position] (token positions are distinct). Insertion
 * sort for the usual few dozen tokens, the library sort for hostile thousands.
 */
function sortedPositions(idx: Int32Array, n: number): Int32Array {
  const order = scratchOrder;
  if (n > 64) {
    const sorted = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => (idx[a] as number) - (idx[b] as number),
    );
    order.set(sorted);
    return order;
  }
  for (let i = 0; i < n; i++) {
    const key = idx[i] as number;
    let j = i - 1;
    while (j >= 0 && (idx[order[j] as number] as number) > key) {
      order[j + 1] = order[j] as number;
      j--;
    }
    order[j + 1] = i;
  }
  return order;
}

/** A fitted feature space: vocabulary + IDF weights + extraction. Immutable after fitting. */
export class FeatureSpace {
  readonly dimension: number;
  readonly denseCount = DENSE_FEATURES.length;
  /** Per token group (TOKEN_GROUPS order): token text → vector position. */
  private readonly groupIndex: Array<Map<string, number>>;
  private readonly featureNamesCache: string[];
  /** Rows by hash of their fields (see hashStaticFields), admitted on a second sighting. */
  private readonly rowCache = new BoundedMap<number, CachedRow[]>(50_000);
  private readonly rowSightings = new Uint32Array(1 << 16);
  private readonly fieldScratch: StaticFields = new Array(STATIC_FIELD_COUNT);
  /** Command lines this space has seen (sightings only; it stores nothing). */
  private readonly commandLines = new SecondSightingCache<never>(2);
  /** A shared command-line token list's TF-IDF part: positions, weights, out-of-vocabulary rate. */
  private cmdParts = new WeakMap<
    readonly string[],
    { idx: Int32Array; val: Float64Array; oov: number }
  >();

  private constructor(
    readonly config: FeatureSpaceConfig,
    readonly vocabulary: readonly string[],
    readonly idf: Float32Array,
    readonly documentCount: number,
  ) {
    this.groupIndex = TOKEN_GROUPS.map((g) => {
      const prefix = `${g}:`;
      const m = new Map<string, number>();
      vocabulary.forEach((t, i) => {
        if (t.startsWith(prefix)) m.set(t.slice(prefix.length), DENSE_FEATURES.length + i);
      });
      return m;
    });
    this.dimension = DENSE_FEATURES.length + vocabulary.length;
    this.featureNamesCache = [...DENSE_FEATURES.map(humanName), ...vocabulary.map(humanName)];
  }

  /**
   * Fits the vocabulary on training events. `groupOf` names the provenance group of each event
   * (dataset file, synthetic host) for the minGroups rule; without it every event is its own group.
   */
  static fit(
    events: readonly ProcessEvent[],
    options: Partial<FeatureSpaceConfig> & {
      groupOf?: (e: ProcessEvent, i: number) => string;
    } = {},
  ): FeatureSpace {
    const config: FeatureSpaceConfig = {
      maxVocab: options.maxVocab ?? DEFAULT_FEATURE_CONFIG.maxVocab,
      minDf: options.minDf ?? DEFAULT_FEATURE_CONFIG.minDf,
      minGroups: options.minGroups ?? DEFAULT_FEATURE_CONFIG.minGroups,
    };
    const df = new Map<string, number>();
    const groups = new Map<string, Set<string>>();
    const personal = new Set<string>();
    events.forEach((e, i) => {
      collectPersonalNames(e, personal);
      const group = options.groupOf ? options.groupOf(e, i) : String(i);
      for (const key of new Set(eventTokenKeys(e))) {
        df.set(key, (df.get(key) ?? 0) + 1);
        let g = groups.get(key);
        if (!g) groups.set(key, (g = new Set()));
        // Only membership up to the threshold matters, so cap the set to bound memory.
        if (g.size < config.minGroups) g.add(group);
      }
    });
    const candidates = [...df.entries()]
      .filter(
        ([k, n]) =>
          n >= config.minDf &&
          (groups.get(k)?.size ?? 0) >= config.minGroups &&
          !mentionsPersonalName(k, personal),
      )
      // Deterministic: frequency first, then the token text.
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, config.maxVocab);
    const vocabulary = candidates.map(([k]) => k).sort();
    const n = events.length;
    // Smooth IDF (as scikit-learn): never zero, finite for every kept token.
    const idf = Float32Array.from(
      vocabulary,
      (k) => Math.log((1 + n) / (1 + (df.get(k) ?? 0))) + 1,
    );
    return new FeatureSpace(config, vocabulary, idf, n);
  }

  static fromJSON(json: FeatureSpaceJson): FeatureSpace {
    if (json.formatVersion !== FEATURES_FORMAT_VERSION) {
      throw new Error(
        `features.json format ${json.formatVersion} is not supported (expected ${FEATURES_FORMAT_VERSION})`,
      );
    }
    if (json.normalisationVersion !== NORMALISATION_VERSION) {
      throw new Error(
        `features.json was built with text normalisation v${json.normalisationVersion}, this code is v${NORMALISATION_VERSION}: retrain the model`,
      );
    }
    if (json.denseFeatures.join('\n') !== DENSE_FEATURES.join('\n')) {
      throw new Error('features.json dense feature list differs from this code: retrain the model');
    }
    if (json.vocabulary.length !== json.idf.length)
      throw new Error('features.json: vocabulary and idf lengths differ');
    return new FeatureSpace(
      json.config,
      json.vocabulary,
      Float32Array.from(json.idf),
      json.documentCount,
    );
  }

  toJSON(): FeatureSpaceJson {
    return {
      formatVersion: FEATURES_FORMAT_VERSION,
      normalisationVersion: NORMALISATION_VERSION,
      config: this.config,
      documentCount: this.documentCount,
      denseFeatures: [...DENSE_FEATURES],
      vocabulary: [...this.vocabulary],
      // Rounded so features.json stays small and diff-friendly; extraction uses the same rounded values after reload.
      idf: Array.from(this.idf, (v) => Math.round(v * 1e6) / 1e6),
      featureNames: this.featureNamesCache,
    };
  }

  /** Human-readable name of each vector position. */
  get featureNames(): readonly string[] {
    return this.featureNamesCache;
  }

  /**
   * Sparse feature vector of one event. `hideParentAge` (training augmentation only) extracts
   * the event as if its parent's start were unknown.
   */
  extractSparse(
    event: ProcessEvent,
    ctx?: FeatureContext,
    options: { hideParentAge?: boolean } = {},
  ): SparseRow {
    const age = parentAgeEntry(event, ctx, options.hideParentAge ?? false);
    const rest = this.staticRow(event);
    if (!age) return { indices: rest.indices.slice(), values: rest.values.slice() };
    // Parent-age slots come first in the vector, so prepending keeps indices ascending.
    const indices = new Int32Array(rest.indices.length + 1);
    const values = new Float32Array(rest.values.length + 1);
    indices[0] = age.index;
    values[0] = age.value;
    indices.set(rest.indices, 1);
    values.set(rest.values, 1);
    return { indices, values };
  }

  /** Empties this space's row cache (benchmarks measure cold starts). */
  clearCache(): void {
    this.rowCache.clear();
    this.rowSightings.fill(0);
    this.commandLines.clear();
    this.cmdParts = new WeakMap();
  }

  /** Whether the last staticRow() came from the row cache (the same row object as before). */
  lastRowCached = false;

  /**
   * Row of one event without its parent-age entry, from the cache when the event repeats. The
   * row may be shared: read it, never change it, and copy it to keep it: a row that is not cached
   * lives in buffers the next call reuses (most rows are one-offs; allocating each was a large
   * share of scoring's garbage). The parent-age entry is parentAge()'s.
   */
  staticRow(event: ProcessEvent): SparseRow {
    this.lastRowCached = false;
    const cmd = event.process.command_line ?? '';
    // A row repeats only if its command line does: the first time a command line is seen, the
    // row key is neither built nor looked up (most one-off events stop here).
    if (cmd.length > MAX_CACHED_COMMAND_LINE) return this.computeStaticRow(event, undefined, true);
    if (!this.commandLines.sighted(cmd)) return this.computeStaticRow(event, false, true);
    const fields = this.fieldScratch;
    readStaticFields(event, fields);
    const h = hashStaticFields(fields);
    // Map keys below 2^30 are small integers to V8; a full 32-bit hash would be a heap number,
    // allocated and hashed as a double on every lookup. Rows are confirmed field by field anyway.
    const key = h & 0x3fffffff;
    const cached = this.rowCache.get(key);
    if (cached)
      for (const c of cached)
        if (sameStaticFields(c.fields, fields)) {
          this.lastRowCached = true;
          return c.row;
        }
    const slot = h & (this.rowSightings.length - 1);
    if (this.rowSightings[slot] !== h) {
      this.rowSightings[slot] = h;
      return this.computeStaticRow(event, true, true);
    }
    const row = this.computeStaticRow(event, true, false);
    const entry = { fields: fields.slice(), row };
    if (!cached) this.rowCache.set(key, [entry]);
    else {
      cached.push(entry);
      if (cached.length > ROWS_PER_HASH) cached.shift();
    }
    return row;
  }

  /**
   * The parent-age entry extractSparse() puts in front of staticRow(): its vector position (-1
   * when there is none, a zero age) and value (as a row stores it, in float32). Read it before
   * the next call: the object is reused (one per event was garbage in scoring's hot loop).
   */
  parentAge(
    event: ProcessEvent,
    ctx?: FeatureContext,
  ): { readonly index: number; readonly value: number } {
    const age = parentAgeEntry(event, ctx, false, this.ageScratch);
    if (!age) return NO_AGE;
    // Rows store values as float32; the entry must be the value a row would hold.
    if (age !== MISSING_AGE) age.value = Math.fround(age.value);
    return age;
  }
  private readonly ageScratch = { index: 0, value: 0 };

  private computeStaticRow(
    event: ProcessEvent,
    cmdSeenBefore: boolean | undefined,
    transient: boolean,
  ): SparseRow {
    const dense = scratchDense;
    dense.fill(0);
    staticFacts(event, dense, cmdSeenBefore, scratchTokens);
    // Token positions and TF-IDF weights per group, gathered in scratch buffers (rows are built
    // one at a time) before the dense OOV rates are known.
    let n = 0;
    for (let g = 0; g < TOKEN_GROUPS.length; g++)
      n = this.addGroup(g, scratchTokens[TOKEN_GROUPS[g] as TokenGroup], dense, n);

    const denseCount = DENSE_FEATURES.length;
    let nnz = 0;
    for (let i = 0; i < denseCount; i++) if (dense[i] !== 0) nnz++;
    const order = sortedPositions(scratchIdx, n);
    const row = transient ? transientRow(nnz + n) : undefined;
    const indices = row?.indices ?? new Int32Array(nnz + n);
    const values = row?.values ?? new Float32Array(nnz + n);
    let w = 0;
    for (let i = 0; i < denseCount; i++) {
      if (dense[i] === 0) continue;
      indices[w] = i;
      values[w++] = dense[i] as number;
    }
    for (let j = 0; j < n; j++) {
      const k = order[j] as number;
      indices[w] = scratchIdx[k] as number;
      values[w++] = scratchVal[k] as number;
    }
    return row ?? { indices, values };
  }

  /**
   * Appends one token group's TF-IDF entries to the scratch buffers at position n (and its
   * out-of-vocabulary rate to `dense`); returns the new end.
   */
  private addGroup(g: number, list: readonly string[], dense: Float32Array, n: number): number {
    if (list.length === 0) return n;
    if (n + list.length > scratchIdx.length) growScratch(n + list.length);
    const tokIdx = scratchIdx;
    const tokVal = scratchVal;
    const oovSlot = OOV_SLOT[g];
    const part = g === CMD_GROUP ? this.cmdParts.get(list) : undefined;
    if (part) {
      tokIdx.set(part.idx, n);
      tokVal.set(part.val, n);
      if (oovSlot !== undefined) dense[oovSlot] = part.oov;
      return n + part.idx.length;
    }
    const index = this.groupIndex[g] as Map<string, number>;
    const denseCount = DENSE_FEATURES.length;
    const first = n;
    // Term counts accumulate in tokVal. Short groups are scanned (cheaper than a map); long
    // command lines get a map so a hostile one stays linear.
    const slots = list.length > 16 ? new Map<number, number>() : undefined;
    let miss = 0;
    for (let i = 0; i < list.length; i++) {
      const idx = index.get(list[i] as string);
      if (idx === undefined) {
        miss++;
        continue;
      }
      let at = -1;
      if (slots) at = slots.get(idx) ?? -1;
      else
        for (let k = first; k < n; k++)
          if (tokIdx[k] === idx) {
            at = k;
            break;
          }
      if (at < 0) {
        slots?.set(idx, n);
        tokIdx[n] = idx;
        tokVal[n++] = 1;
      } else tokVal[at] = (tokVal[at] as number) + 1;
    }
    if (oovSlot !== undefined) dense[oovSlot] = miss / list.length;
    // TF-IDF with sublinear TF, L2-normalised within the group so a long command line cannot
    // drown the name and pair tokens (for one-token groups this reduces to an indicator).
    let norm = 0;
    for (let k = first; k < n; k++) {
      const w =
        (1 + Math.log(tokVal[k] as number)) *
        (this.idf[(tokIdx[k] as number) - denseCount] as number);
      tokVal[k] = w;
      norm += w * w;
    }
    norm = Math.sqrt(norm);
    for (let k = first; k < n; k++) tokVal[k] = (tokVal[k] as number) / norm;
    if (g === CMD_GROUP && sharedTokenLists.has(list))
      this.cmdParts.set(list, {
        idx: tokIdx.slice(first, n),
        val: tokVal.slice(first, n),
        oov: miss / list.length,
      });
    return n;
  }

  /** Dense feature vector of one event (length = dimension). */
  extract(event: ProcessEvent, ctx?: FeatureContext): Float32Array {
    const row = this.extractSparse(event, ctx);
    const out = new Float32Array(this.dimension);
    for (let k = 0; k < row.indices.length; k++)
      out[row.indices[k] as number] = row.values[k] as number;
    return out;
  }

  /** Packs sparse rows [from, to) into a row-major dense matrix for the model. */
  toMatrix(rows: readonly SparseRow[], from = 0, to = rows.length): Float32Array {
    const d = this.dimension;
    const out = new Float32Array((to - from) * d);
    for (let r = from; r < to; r++) {
      const row = rows[r] as SparseRow;
      const base = (r - from) * d;
      for (let k = 0; k < row.indices.length; k++)
        out[base + (row.indices[k] as number)] = row.values[k] as number;
    }
    return out;
  }
}
