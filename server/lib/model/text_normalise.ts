/**
 * Text normalisation for process names, paths and command lines before tokenising.
 *
 * Goals, in order: (1) the same meaning gives the same tokens across machines and users
 * (de-personalised paths, directory classes), (2) high-cardinality noise (GUIDs, hashes, PIDs,
 * IPs, URLs, base64 blobs) collapses to placeholders so the vocabulary learns behaviour rather
 * than one lab's identifiers, (3) every regex runs in linear time on adversarial 1 MB inputs.
 *
 * Regex safety rule used throughout: an unbounded quantifier is only allowed where nothing after
 * it can fail (end of pattern or a zero-width lookahead over a disjoint class), or where a
 * lookbehind pins the match start to the beginning of a run, so a failing start position costs
 * O(1) and each character is rescanned at most a bounded number of times.
 *
 * Length budget: every pass sees at most MAX_TEXT_LENGTH characters of its input (textBudget in
 * ../text_scan): Windows refuses longer command lines, and a 6 MB one failed a whole run.
 *
 * Bump NORMALISATION_VERSION whenever output changes: stored vocabularies depend on it. (The
 * budget changed nothing below it, and above it the passes threw before, so it stays 1.)
 */
import { hasGuidStart, textBudget } from '../text_scan';

export const NORMALISATION_VERSION = 1;

/** Placeholders are wrapped in angle brackets, which never survive tokenising as real text. */
export const PH = {
  url: '<url>',
  unc: '<unc>',
  b64: '<b64>',
  guid: '<guid>',
  sha256: '<sha256>',
  sha1: '<sha1>',
  md5: '<md5>',
  hex: '<hex>',
  num: '<num>',
  ip: '<ip>',
  user: '<user>',
  host: '<host>',
  domain: '<domain>',
  sysdir: '<sysdir>',
  wowdir: '<wowdir>',
  windir: '<windir>',
  temp: '<temp>',
  appdata: '<appdata>',
  progfiles: '<progfiles>',
  progdata: '<progdata>',
  long: '<long>',
  id: '<id>',
  fqdn: '<fqdn>',
} as const;

// ---------------------------------------------------------------------------------------------
// Detection regexes (run on the raw, case-preserved text).

const URL_RE = /\b(?:https?|ftps?|file|smb|ldaps?|wss?|tcp|udp):\/\/[^\s"'`<>|]*/gi;
// Mixed-case-plus-digit check happens in code; the pattern only finds maximal base64-alphabet runs.
const B64_RUN_RE = /(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{32,}={0,2}/g;
const IPV4_RE = /(?<![0-9.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9.])/g;
// PowerShell accepts any unambiguous prefix of -EncodedCommand (and -ec); the nested optionals are
// bounded (at most 15 characters), so backtracking is O(1) per start.
const ENC_FLAG_RE =
  /(?:^|[\s"'])[-/\u2013\u2014\u2015](?:ec|e(?:n(?:c(?:o(?:d(?:e(?:d(?:c(?:o(?:m(?:m(?:a(?:n(?:d)?)?)?)?)?)?)?)?)?)?)?)?)?)(?=[\s"':]|$)/i;
const HIDDEN_WINDOW_RE =
  /(?:^|[\s"'])[-/\u2013\u2014\u2015]w(?:i(?:n(?:d(?:o(?:w(?:s(?:t(?:y(?:l(?:e)?)?)?)?)?)?)?)?)?)?[\s:]{1,8}["']?(?:h(?:i(?:d(?:d(?:e(?:n)?)?)?)?)?|1)(?=[\s"']|$)|\bvbhide\b|\bshowwindow\s{0,4}=\s{0,4}0\b|(?:^|\s)\/min(?=\s|$)/i;

// ---------------------------------------------------------------------------------------------
// Placeholder regexes (run on lower-cased text, in this order).

const HTML_ENTITY_RE = /&(?:gt|lt|amp|quot|apos|#39);/g;
const HTML_ENTITIES: Record<string, string> = {
  '&gt;': '>',
  '&lt;': '<',
  '&amp;': '&',
  '&quot;': '"',
  '&apos;': "'",
  '&#39;': "'",
};
// `\\?\` and `\\.\` device paths are local, not network shares.
const UNC_RE = /(?<![\\\w])\\\\(?![?.]\\)[^\\\s"'/<>|]+/g;
const USER_DIR_RE = /\\(users|documents and settings)\\([^\\"'\s/<>|]+)/g;
const SHARED_PROFILES = new Set(['public', 'default', 'default user', 'all users', PH.user]);
const GUID_RE = /\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?/g;
// Hashes before the generic hex rule (Elastic ran generic hex first, so hashes never got their own
// placeholder). Boundaries exclude [0-9a-z] so a hash-length run inside a longer identifier is left alone.
const SHA256_RE = /(?<![0-9a-z])[0-9a-f]{64}(?![0-9a-z])/g;
const SHA1_RE = /(?<![0-9a-z])[0-9a-f]{40}(?![0-9a-z])/g;
const MD5_RE = /(?<![0-9a-z])[0-9a-f]{32}(?![0-9a-z])/g;
const HEX_PREFIXED_RE = /(?<![0-9a-z])0x[0-9a-f]+(?![0-9a-z])/g;
// Then hex runs of eight and up with a digit and a letter, and numbers of three digits and up
// (PIDs, handles, ports and build numbers are identifiers, not behaviour): replaceHexAndNumberRuns.

// Directory classes. syswow64 and system32 before the bare Windows directory; temp/appdata before
// the user profile (they live inside it).
// Each rule carries substrings one of which every match contains: a rule whose substrings are
// all absent cannot match, and its pass is skipped (most command lines name one or two folders).
const DIR_RULES: Array<[RegExp, string, readonly string[]]> = [
  [
    /(?:[a-z]:\\windows|%systemroot%|%windir%|\\systemroot)\\syswow64(?![\w.-])/g,
    PH.wowdir,
    ['syswow64'],
  ],
  [
    /(?:[a-z]:\\windows|%systemroot%|%windir%|\\systemroot)\\(?:system32|sysnative)(?![\w.-])/g,
    PH.sysdir,
    ['system32', 'sysnative'],
  ],
  [/(?:[a-z]:\\windows|%systemroot%|%windir%|\\systemroot)\\temp(?![\w.-])/g, PH.temp, ['\\temp']],
  [
    /(?:[a-z]:\\windows|%systemroot%|%windir%|\\systemroot)(?![\w.-])/g,
    PH.windir,
    [':\\windows', '%systemroot%', '%windir%', '\\systemroot'],
  ],
  [
    /[a-z]:\\users\\<user>\\appdata\\local\\temp(?![\w.-])|%temp%|%tmp%/g,
    PH.temp,
    ['\\temp', '%temp%', '%tmp%'],
  ],
  [
    /[a-z]:\\users\\<user>\\appdata\\(?:roaming|local|locallow)(?![\w.-])|%appdata%|%localappdata%/g,
    PH.appdata,
    ['appdata'],
  ],
  [/%userprofile%|%homepath%/g, 'c:\\users\\<user>', ['%userprofile%', '%homepath%']],
  [
    /[a-z]:\\program files(?: \(x86\))?(?![\w.-])|%programfiles(?:\(x86\))?%|%programw6432%/g,
    PH.progfiles,
    [':\\program files', '%programfiles', '%programw6432%'],
  ],
  [
    /[a-z]:\\programdata(?![\w.-])|%programdata%|%allusersprofile%/g,
    PH.progdata,
    [':\\programdata', '%programdata%', '%allusersprofile%'],
  ],
];

/** Output of the raw-text detectors, computed once and reused for statistics. */
export interface CommandLineSignals {
  hasBase64: boolean;
  hasUrl: boolean;
  hasIp: boolean;
  hasEncodedFlag: boolean;
  hasHiddenWindow: boolean;
}

export interface NormaliseContext {
  /** Lower-cased names to blank out as whole tokens (user, host, domain of this event). */
  userName?: string;
  hostName?: string;
  domain?: string;
}

function decodeEntities(text: string): string {
  // NXLog 2020 4688 command lines carry HTML entities; decode so `&gt;` and `>` tokenise alike.
  return text.includes('&') ? text.replace(HTML_ENTITY_RE, (m) => HTML_ENTITIES[m] ?? m) : text;
}

function isLikelyBase64(run: string): boolean {
  // Real base64 payloads mix upper case, lower case and digits; upper-case hex hashes and long
  // lower-case words do not.
  let upper = false;
  let lower = false;
  let digit = false;
  for (let i = 0; i < run.length; i++) {
    const c = run.charCodeAt(i);
    if (c >= 65 && c <= 90) upper = true;
    else if (c >= 97 && c <= 122) lower = true;
    else if (c >= 48 && c <= 57) digit = true;
    if (upper && lower && digit) return true;
  }
  return false;
}

function hasDigitAndLetter(run: string): boolean {
  let digit = false;
  let letter = false;
  for (let i = 0; i < run.length; i++) {
    const c = run.charCodeAt(i);
    if (c >= 48 && c <= 57) digit = true;
    else letter = true;
    if (digit && letter) return true;
  }
  return false;
}

/** Replaces user profile names with <user>, keeping shared profiles such as Public. */
function depersonaliseUserDirs(lower: string): string {
  if (!lower.includes('\\users\\') && !lower.includes('\\documents and settings\\')) return lower;
  return lower.replace(USER_DIR_RE, (m, root: string, name: string) =>
    // Legacy `Documents and Settings` folds into `users` so XP-era and modern paths share tokens.
    SHARED_PROFILES.has(name) ? (root === 'users' ? m : `\\users\\${name}`) : `\\users\\${PH.user}`,
  );
}

function applyDirClasses(text: string): string {
  // Every rule needs a drive path, an %environment% variable or \systemroot: most command lines
  // and names have none, and skipping nine passes is the cheapest part of extraction.
  if (!text.includes(':\\') && !text.includes('%') && !text.includes('\\systemroot')) return text;
  // No rule puts a `%` in, so text without one never needs the %variable% needles (half of them).
  const percent = text.includes('%');
  let out = text;
  for (const [re, ph, needles] of DIR_RULES)
    if (includesAny(out, needles, percent)) out = out.replace(re, ph);
  return out;
}

function includesAny(text: string, needles: readonly string[], percent: boolean): boolean {
  for (let i = 0; i < needles.length; i++) {
    const n = needles[i] as string;
    if ((percent || n.charCodeAt(0) !== 37) && text.includes(n)) return true;
  }
  return false;
}

// Each gate below is a necessary condition of its patterns (a GUID has a dash, a hash or hex
// run has eight hex digits in a row, an IP has a dot), so skipping a pass never changes output.
const DIGIT_DOT_DIGIT_RE = /\d\.\d/;

function applyIdentifierPlaceholders(text: string): string {
  let out = hasGuidStart(text) ? text.replace(GUID_RE, PH.guid) : text;
  // Placeholders add no hex run longer than four, so the longest run only shrinks as passes run.
  const hexRun = longestHexRun(out);
  if (hexRun >= 64) out = out.replace(SHA256_RE, PH.sha256);
  if (hexRun >= 40) out = out.replace(SHA1_RE, PH.sha1);
  if (hexRun >= 32) out = out.replace(MD5_RE, PH.md5);
  if (DIGIT_DOT_DIGIT_RE.test(out)) out = out.replace(IPV4_RE, PH.ip);
  if (out.includes('0x')) out = out.replace(HEX_PREFIXED_RE, PH.hex);
  return replaceHexAndNumberRuns(out);
}

// What a run of [0-9a-z] holds, as bits.
const RUN_DIGITS = 1;
const RUN_HEX_LETTERS = 2;
const RUN_OTHER_LETTERS = 4;

/**
 * The last two placeholder rules in one scan, for the text as the earlier passes left it:
 * `(?<![0-9a-z])[0-9a-f]{8,}(?![0-9a-z])` with a digit and a letter becomes <hex>, then
 * `(?<![0-9a-z])\d{3,}(?![0-9a-z])` becomes <num>. Both can only match a whole maximal run of
 * [0-9a-z] (the boundaries exclude that class on both sides), and a <hex> never touches a
 * neighbouring run, so classifying each maximal run once gives what the two regexes gave.
 * Exported for the test that compares it with those regexes.
 */
export function replaceHexAndNumberRuns(text: string): string {
  let out = '';
  let copied = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    let c = text.charCodeAt(i);
    const isDigit = c >= 48 && c <= 57;
    if (!isDigit && !(c >= 97 && c <= 122)) {
      i++;
      continue;
    }
    const start = i;
    let kinds = 0;
    for (; i < n; i++) {
      c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) kinds |= RUN_DIGITS;
      else if (c >= 97 && c <= 102) kinds |= RUN_HEX_LETTERS;
      else if (c >= 103 && c <= 122) kinds |= RUN_OTHER_LETTERS;
      else break;
    }
    const len = i - start;
    let ph: string | undefined;
    if (kinds === RUN_DIGITS) ph = len >= 3 ? PH.num : undefined;
    else if (kinds === (RUN_DIGITS | RUN_HEX_LETTERS) && len >= 8) ph = PH.hex;
    if (ph === undefined) continue;
    out += text.slice(copied, start) + ph;
    copied = i;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

// ASCII character classes as bits, so the scans below test one table entry per character.
const CH_HEX = 1; // [0-9a-f]
const CH_B64 = 2; // [A-Za-z0-9+/]
const CHAR_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  CHAR_CLASS[c] = (/[0-9a-f]/.test(ch) ? CH_HEX : 0) | (/[A-Za-z0-9+/]/.test(ch) ? CH_B64 : 0);
}

/** Length of the longest run of [0-9a-f]. */
function longestHexRun(text: string): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 && (CHAR_CLASS[c] as number) & CH_HEX) {
      if (++run > best) best = run;
    } else run = 0;
  }
  return best;
}

/**
 * Normalises a Windows path: lower case, quotes stripped, forward slashes and repeated
 * backslashes folded, user profile names and system directories replaced by classes.
 */
export function normalisePath(path: string | undefined): string {
  if (!path) return '';
  let p = decodeEntities(textBudget(path)).trim().toLowerCase().replace(/"/g, '');
  p = p.replace(/\//g, '\\');
  // Keep a leading `\\` (UNC / device path) but fold repeated separators elsewhere.
  const lead = p.startsWith('\\\\') ? '\\\\' : '';
  p = lead + p.slice(lead.length).replace(/\\{2,}/g, '\\');
  p = p.replace(UNC_RE, `\\\\${PH.unc}`);
  p = depersonaliseUserDirs(p);
  p = applyDirClasses(p);
  return applyIdentifierPlaceholders(p);
}

/** Directory part of a normalised path (without the trailing file name). */
export function dirOf(normalisedPath: string): string {
  const i = normalisedPath.lastIndexOf('\\');
  return i < 0 ? '' : normalisedPath.slice(0, i);
}

/** Last path segment, for deriving a process name from an executable path. */
export function baseName(path: string): string {
  const p = path.replace(/\//g, '\\');
  const i = p.lastIndexOf('\\');
  return i < 0 ? p : p.slice(i + 1);
}

/** Normalises a process or file name: lower case, carets removed, identifiers to placeholders. */
export function normaliseName(name: string | undefined): string {
  if (!name) return '';
  const n = decodeEntities(textBudget(name)).trim().toLowerCase().replace(/["^]/g, '');
  return applyIdentifierPlaceholders(n);
}

export const PATH_CLASSES = [
  'system_dir',
  'syswow64',
  'windows_dir',
  'temp',
  'user_appdata',
  'user_downloads',
  'user_dir',
  'program_files',
  'programdata',
  'unc_network',
  'root',
  'unknown',
] as const;
export type PathClass = (typeof PATH_CLASSES)[number];

/** Buckets an executable's folder; takes a path already passed through normalisePath. */
export function pathClass(normalised: string): PathClass {
  if (!normalised) return 'unknown';
  if (normalised.startsWith('\\\\') && !/^\\\\[?.]\\/.test(normalised)) return 'unc_network';
  const p = normalised.replace(/^\\\\[?.]\\/, '');
  if (p.startsWith(PH.sysdir)) return 'system_dir';
  if (p.startsWith(PH.wowdir)) return 'syswow64';
  if (p.startsWith(PH.temp)) return 'temp';
  if (p.startsWith(PH.windir)) return 'windows_dir';
  if (p.startsWith(PH.appdata)) return 'user_appdata';
  if (/^[a-z]:\\users\\[^\\]+\\downloads\\/.test(p)) return 'user_downloads';
  if (/^[a-z]:\\users\\/.test(p)) return 'user_dir';
  if (p.startsWith(PH.progfiles)) return 'program_files';
  if (p.startsWith(PH.progdata)) return 'programdata';
  // A file directly in a drive root (c:\evil.exe) or in a non-standard top-level folder.
  if (/^[a-z]:\\[^\\]*$/.test(p)) return 'root';
  return 'unknown';
}

/**
 * Whether `text` has a run of at least 32 base64 alphabet characters: a necessary condition of
 * B64_RUN_RE, checked with one scan so the regex (which tries its lookbehind at every position)
 * runs only on the rare command lines that can match.
 */
function hasBase64Run(text: string): boolean {
  // Feature extraction asks twice about each raw command line (signals, then normalising).
  if (text === lastBase64Text) return lastBase64Run;
  let run = 0;
  let found = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 && (CHAR_CLASS[c] as number) & CH_B64) {
      if (++run >= 32) {
        found = true;
        break;
      }
    } else run = 0;
  }
  lastBase64Text = text;
  lastBase64Run = found;
  return found;
}
let lastBase64Text = '';
let lastBase64Run = false;

/** Detectors on the raw command line (case matters for base64), within the length budget. */
export function commandLineSignals(line: string, powershellContext: boolean): CommandLineSignals {
  const raw = textBudget(line);
  URL_RE.lastIndex = 0;
  IPV4_RE.lastIndex = 0;
  let hasBase64 = false;
  B64_RUN_RE.lastIndex = 0;
  const b64 = hasBase64Run(raw);
  for (let m = b64 ? B64_RUN_RE.exec(raw) : null; m; m = B64_RUN_RE.exec(raw)) {
    if (m[0].length >= 40 && isLikelyBase64(m[0])) {
      hasBase64 = true;
      break;
    }
  }
  // Gated like the placeholder passes: a URL has `://`, an address a digit, a dot and a digit.
  const hasUrl = raw.includes('://') && URL_RE.test(raw);
  const hasIp = DIGIT_DOT_DIGIT_RE.test(raw) && IPV4_RE.test(raw);
  URL_RE.lastIndex = 0;
  IPV4_RE.lastIndex = 0;
  return {
    hasBase64,
    hasUrl,
    hasIp,
    // `-e` is only meaningful as PowerShell's -EncodedCommand; elsewhere it is a common flag.
    hasEncodedFlag: powershellContext && ENC_FLAG_RE.test(raw),
    hasHiddenWindow: HIDDEN_WINDOW_RE.test(raw),
  };
}

/** Normalises a full command line to lower-case text with placeholders (before tokenising). */
export function normaliseCommandLine(raw: string | undefined): string {
  if (!raw) return '';
  let s = decodeEntities(textBudget(raw));
  if (s.includes('://')) s = s.replace(URL_RE, ` ${PH.url} `);
  if (hasBase64Run(s))
    s = s.replace(B64_RUN_RE, (m) => (m.length >= 40 && isLikelyBase64(m) ? ` ${PH.b64} ` : m));
  s = s.toLowerCase();
  if (s.includes('\\\\')) s = s.replace(UNC_RE, `\\\\${PH.unc}`);
  s = depersonaliseUserDirs(s);
  s = applyDirClasses(s);
  return applyIdentifierPlaceholders(s);
}

// Token separators: whitespace (JS \s), quotes and `,;=()[]{}|&\/+:*?!@#$%~.
const TOKEN_SEPARATORS = new Uint8Array(128);
for (const ch of ' \t\n\v\f\r"\'`,;=()[]{}|&\\/+:*?!@#$%~') TOKEN_SEPARATORS[ch.charCodeAt(0)] = 1;

/** JS `\s`: ASCII whitespace and the Unicode spaces and line terminators. */
function isSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function isChunkSeparator(c: number): boolean {
  return c === 34 || c === 39 || isSpace(c);
}

function isTokenSeparator(c: number): boolean {
  return c < 128 ? TOKEN_SEPARATORS[c] === 1 : isSpace(c);
}
const MAX_TOKEN_LEN = 64;
const ACCOUNT_SWITCHES = new Map<string, string>([
  ['user', PH.user],
  ['u', PH.user],
  ['username', PH.user],
  ['account', PH.user],
  ['domain', PH.domain],
  ['target', PH.host],
  ['computer', PH.host],
  ['server', PH.host],
]);
// Random identifiers inside tokens (package ids, temp names): 16+ alphanumerics mixing letters and digits.
const RANDOM_ID_RE = /[a-z0-9]{16,}/g;
// Fully qualified names of other machines. Public suffixes need two dots so `microsoft.net`
// survives; private AD suffixes (corp.local, litware.corp) need one.
const FQDN_RE =
  /^[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,8}\.(?:com|net|org|int|io|de|uk|us|ru|cn)$|^[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,8}\.(?:local|lan|corp|internal|intra|localdomain|home)$/;
/** Well-known account names that are behaviour, not personal data, so they stay as tokens. */
const KEEP_NAMES = new Set([
  'system',
  'local service',
  'network service',
  'administrator',
  'administrators',
]);

/**
 * The names tokeniseCommandLine replaces with placeholders for this context (lower-cased), and
 * their placeholders. Only a token equal to one of them is replaced, so a normalised command line
 * (without carets, which tokens lose) that contains none of them tokenises the same with and
 * without the context.
 */
function blankedNames(ctx: NormaliseContext): Map<string, string> {
  const blank = new Map<string, string>();
  addBlank(blank, ctx.userName, PH.user);
  addBlank(blank, ctx.hostName, PH.host);
  addBlank(blank, ctx.domain, PH.domain);
  return blank;
}

function addBlank(blank: Map<string, string>, name: string | undefined, ph: string): void {
  const n = blankable(name);
  if (!n) return;
  blank.set(n, ph);
  // Host names also appear as their first DNS label.
  const dot = n.indexOf('.');
  if (dot > 1 && ph === PH.host) blank.set(n.slice(0, dot), ph);
}

/** The lower-cased name when tokenising blanks it, else undefined. */
function blankable(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const n = name.toLowerCase();
  return n.length < 2 || KEEP_NAMES.has(n) ? undefined : n;
}

/**
 * Whether tokenising `normalised` with `ctx` could differ from tokenising it without: one of the
 * names blankedNames(ctx) lists occurs in it, or it has carets (which tokens lose, so a name could
 * hide behind them). The same test as looking each name up, without building the map.
 */
export function mentionsBlankedName(normalised: string, ctx: NormaliseContext): boolean {
  if (normalised.includes('^')) return true;
  const user = blankable(ctx.userName);
  if (user !== undefined && normalised.includes(user)) return true;
  const domain = blankable(ctx.domain);
  if (domain !== undefined && normalised.includes(domain)) return true;
  const host = blankable(ctx.hostName);
  if (host === undefined) return false;
  // The host's first DNS label is a substring of the host name: finding it covers both.
  const dot = host.indexOf('.');
  return normalised.includes(dot > 1 ? host.slice(0, dot) : host);
}

/**
 * Tokenises a normalised command line: switches (/c, -nop, -ep) stay whole, everything else
 * splits on separators; carets (cmd escape obfuscation) are removed from tokens, the event's own
 * user, host and domain names become placeholders so personal identifiers never enter the vocabulary.
 */
export function tokeniseCommandLine(normalised: string, ctx: NormaliseContext = {}): string[] {
  const out: string[] = [];
  const blank = blankedNames(ctx);
  // Chunks are the runs between whitespace and quotes (a scan: split() would build an array of
  // them first, and tokenising is the most allocating step of extraction).
  const n = normalised.length;
  for (let i = 0; i < n;) {
    while (i < n && isChunkSeparator(normalised.charCodeAt(i))) i++;
    const start = i;
    while (i < n && !isChunkSeparator(normalised.charCodeAt(i))) i++;
    if (i === start) continue;
    const chunk = normalised.slice(start, i);
    const c0 = chunk.charCodeAt(0);
    // A switch: -x / /x / –x up to its ':' or '=' value separator, unless it looks like a path.
    if ((c0 === 45 || c0 === 47 || c0 === 0x2013) && chunk.length <= 40 && !chunk.includes('\\')) {
      const slash2 = chunk.indexOf('/', 1);
      if (slash2 < 0) {
        const sep = chunk.search(/[:=]/);
        const rawSw = sep > 1 ? chunk.slice(0, sep) : chunk;
        const sw = rawSw.includes('^') ? rawSw.replace(/\^/g, '') : rawSw;
        const norm = sw.charCodeAt(0) === 0x2013 ? `-${sw.slice(1)}` : sw;
        if (sw.length >= 2) out.push(norm);
        if (sep > 1) {
          // Account names given as switch values (/user:bob, -account=x) are personal data.
          const ph = ACCOUNT_SWITCHES.get(norm.slice(1));
          if (ph) out.push(ph);
          else pushParts(chunk.slice(sep + 1), out, blank);
        }
        continue;
      }
    }
    pushParts(chunk, out, blank);
  }
  return out;
}

/** Pushes the tokens of a chunk: the runs between TOKEN_SPLIT characters. */
function pushParts(chunk: string, out: string[], blank: Map<string, string>): void {
  const n = chunk.length;
  for (let i = 0; i < n;) {
    while (i < n && isTokenSeparator(chunk.charCodeAt(i))) i++;
    const start = i;
    while (i < n && !isTokenSeparator(chunk.charCodeAt(i))) i++;
    if (i > start) pushPart(chunk.slice(start, i), out, blank);
  }
}

function pushPart(part: string, out: string[], blank: Map<string, string>): void {
  let t = part.includes('^') ? part.replace(/\^/g, '') : part;
  // Trim dots around method calls such as `).downloadstring(`.
  t = trimDots(t);
  if (t.length < 2) return;
  if (t.length > MAX_TOKEN_LEN) t = PH.long;
  const named = blank.get(t);
  if (named) {
    out.push(named);
    return;
  }
  if (t.length >= 16) t = t.replace(RANDOM_ID_RE, (m) => (hasDigitAndLetter(m) ? PH.id : m));
  if (t.includes('.') && FQDN_RE.test(t)) t = PH.fqdn;
  out.push(t);
}

/**
 * Leading and trailing dots removed. A scan, not `/^\.+|\.+$/g`: that pattern retries `\.+$`
 * from every dot of an inner run, quadratic on a token of a million dots.
 */
function trimDots(t: string): string {
  let start = 0;
  let end = t.length;
  while (start < end && t.charCodeAt(start) === 46) start++;
  while (end > start && t.charCodeAt(end - 1) === 46) end--;
  return start === 0 && end === t.length ? t : t.slice(start, end);
}

/** Characters commonly used to obfuscate cmd/PowerShell command lines, counted. */
export interface SpecialCharCounts {
  caret: number;
  backtick: number;
  quote: number;
  plus: number;
  percent: number;
}

/**
 * Shannon entropy in bits per character. With `special`, also fills in the counts of the
 * obfuscation characters, from the same character counts (one pass over a long command line).
 */
export function shannonEntropy(text: string, special?: SpecialCharCounts): number {
  if (special) {
    special.caret = special.backtick = special.quote = special.plus = special.percent = 0;
  }
  if (text.length === 0) return 0;
  // Command lines are almost all Latin-1: count those in a reused table, the rest in a map.
  const low = LATIN1_COUNTS;
  const bits = LATIN1_BITS;
  let other: Map<number, number> | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 256) {
      if (low[c] === 0) bits[c >> 5] = (bits[c >> 5] as number) | (1 << (c & 31));
      low[c] = (low[c] as number) + 1;
    } else {
      other ??= new Map();
      other.set(c, (other.get(c) ?? 0) + 1);
    }
  }
  if (special) {
    // All five are Latin-1, so the table holds them.
    special.caret = low[94] as number;
    special.backtick = low[96] as number;
    special.quote = low[39] as number;
    special.plus = low[43] as number;
    special.percent = low[37] as number;
  }
  const len = text.length;
  // Characters share a handful of counts (most appear once or twice): each count's term is
  // computed once per text and reused, the same value in the same order as computing it again.
  if (++termStamp === 0xffffffff) {
    TERM_STAMP.fill(0);
    termStamp = 1;
  }
  // Summed in character-code order, so the value does not depend on the order characters first
  // appear in: the codes seen are read off a bitmap, lowest bit first.
  let h = 0;
  for (let w = 0; w < 8; w++) {
    let word = bits[w] as number;
    bits[w] = 0;
    while (word !== 0) {
      const lowest = word & -word;
      word ^= lowest;
      const c = (w << 5) | (31 - Math.clz32(lowest));
      const n = low[c] as number;
      low[c] = 0;
      let term: number;
      if (n < TERM_CACHE && TERM_STAMP[n] === termStamp) term = TERM[n] as number;
      else {
        const p = n / len;
        term = p * Math.log2(p);
        if (n < TERM_CACHE) {
          TERM[n] = term;
          TERM_STAMP[n] = termStamp;
        }
      }
      h -= term;
    }
  }
  if (other)
    for (const n of other.values()) {
      const p = n / len;
      h -= p * Math.log2(p);
    }
  return h;
}
const LATIN1_BITS = new Uint32Array(8);
const TERM_CACHE = 4096;
const TERM = new Float64Array(TERM_CACHE);
const TERM_STAMP = new Uint32Array(TERM_CACHE);
let termStamp = 0;
const LATIN1_COUNTS = new Uint32Array(256);
