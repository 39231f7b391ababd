/**
 * Decodes what a command line hides from an analyst: PowerShell's encoded-command argument
 * (base64 of UTF-16LE), and base64 strings inside the decoded script, in turn, up to a depth
 * limit. Display and search only: nothing here runs, and every result is text for React to
 * render as text.
 *
 * Which spellings PowerShell accepts, read from PowerShell/PowerShell
 * src/Microsoft.PowerShell.ConsoleHost/host/msh/CommandLineParameterParser.cs@01c2f22:
 *  - GetSwitchKey: a switch starts with '/' or a dash (CharExtensions.IsDash: '-', U+2013 en
 *    dash, U+2014 em dash, U+2015 horizontal bar, src/System.Management.Automation/engine/
 *    parser/CharTraits.cs); one further dash after it is dropped ("--enc", "/-enc");
 *  - MatchSwitch(key, "encodedcommand", "e") || MatchSwitch(key, "ec", "e"): any prefix of
 *    "encodedcommand" of at least one letter, or "ec", case-insensitive ("-e" is not
 *    -ExecutionPolicy, whose shortest form is "-ex"); "-encodeda…" is -EncodedArguments;
 *  - the next argument is the payload, decoded by Convert.FromBase64String, then
 *    Encoding.Unicode (UTF-16LE). The switch takes no "-enc:value" form (the key would be
 *    "enc:value", which is no prefix of "encodedcommand").
 * Windows PowerShell 5.1 parses the same way.
 *
 * Every loop is a single forward scan with bounded look-ahead, so hostile input (1 MiB of
 * dashes, base64 or quotes) costs linear time; inputs and outputs are capped.
 */

export const DECODE_LIMITS = {
  /** Characters of a command line examined (Windows caps a command line at 32,767). */
  maxInput: 65_536,
  /** Layers of decoding: 1 = the encoded command itself, 2 = a base64 string inside it, … */
  maxDepth: 4,
  /** Decoded pieces in total for one command line. */
  maxParts: 16,
  /** Characters kept of one decoded text. */
  maxPartText: 32_768,
  /** Characters of decoded text in total for one command line. */
  maxTotalText: 65_536,
  /** Shortest base64 run inside decoded text that is tried (shorter ones are mostly words). */
  minNestedBase64: 20,
} as const;

export interface DecodedPart {
  /** `encodedCommand`: a PowerShell -EncodedCommand payload; `base64`: a base64 string in decoded text. */
  kind: 'encodedCommand' | 'base64';
  /** The switch as written, e.g. "-enc" or "–EncodedCommand" (encodedCommand only). */
  flag?: string;
  /** The base64 text as found (capped at maxPartText). */
  source: string;
  encoding: 'utf-16le' | 'utf-8' | 'gzip';
  /** The decoded text, raw: escape it for display (see `visibleText`). */
  text: string;
  /** The text was cut at a length cap. */
  truncated: boolean;
  /** 1 for a payload found in the command line itself. */
  depth: number;
  children: DecodedPart[];
}

const SWITCH_NAME = 'encodedcommand';
const MAX_SWITCH_LETTERS = SWITCH_NAME.length;

function isDash(c: string): boolean {
  return c === '-' || c === '\u2013' || c === '\u2014' || c === '\u2015';
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
}

/** Characters that may precede a switch: a switch is always a whole argument's start. */
function isSwitchBoundary(c: string | undefined): boolean {
  return c === undefined || isSpace(c) || c === '"' || c === "'" || c === '(' || c === ',';
}

function isLetter(c: string): boolean {
  const x = c.charCodeAt(0) | 0x20;
  return x >= 0x61 && x <= 0x7a;
}

const B64_VALUE = new Int16Array(128).fill(-1);
{
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) B64_VALUE[alphabet.charCodeAt(i)] = i;
}

function isB64Char(c: string): boolean {
  const x = c.charCodeAt(0);
  return x < 128 && (B64_VALUE[x] as number) >= 0;
}

/** Whether `word` (lower-case) names -EncodedCommand. */
function namesEncodedCommand(word: string): boolean {
  return word.length >= 1 && (SWITCH_NAME.startsWith(word) || word === 'ec');
}

/**
 * Base64 text → bytes, or undefined when it is not base64. Like .NET's FromBase64String it
 * ignores white space; unlike it, missing padding is accepted (display is lenient).
 */
export function base64ToBytes(text: string, maxBytes = Infinity): Uint8Array | undefined {
  let clean = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (!isSpace(c)) clean += c;
  }
  let end = clean.length;
  while (end > 0 && clean[end - 1] === '=' && clean.length - end < 2) end--;
  if (end === 0 || end % 4 === 1) return undefined;
  const n = Math.min(Math.floor((end * 3) / 4), maxBytes);
  const out = new Uint8Array(n);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end && o < n; i++) {
    const x = clean.charCodeAt(i);
    const v = x < 128 ? (B64_VALUE[x] as number) : -1;
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

/** Bytes a base64 text stands for (white space and padding ignored). */
function base64Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (isB64Char(text[i] as string)) n++;
  return Math.floor((n * 3) / 4);
}

function utf16le(bytes: Uint8Array): string {
  const units = bytes.length >> 1;
  let s = '';
  const CHUNK = 4096;
  for (let i = 0; i < units; i += CHUNK) {
    const end = Math.min(units, i + CHUNK);
    const part = new Array<number>(end - i);
    for (let k = i; k < end; k++) {
      part[k - i] = (bytes[2 * k] as number) | ((bytes[2 * k + 1] as number) << 8);
    }
    s += String.fromCharCode(...part);
  }
  return s;
}

/** Share of characters an analyst can read (letters, digits, punctuation, blanks). */
function readableShare(s: string): number {
  if (s.length === 0) return 0;
  let ok = 0;
  for (let i = 0; i < s.length; i++) {
    const x = s.charCodeAt(i);
    if ((x >= 0x20 && x < 0x7f) || x === 0x09 || x === 0x0a || x === 0x0d) ok++;
    else if (x >= 0xa0 && x !== 0xfffd && !(x >= 0xd800 && x <= 0xdfff)) ok++;
  }
  return ok / s.length;
}

/** Bytes of a base64 string inside a script, as text when they are text. */
function bytesAsText(
  bytes: Uint8Array,
): { encoding: DecodedPart['encoding']; text: string } | undefined {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    return {
      encoding: 'gzip',
      text: `(gzip-compressed data, ${bytes.length} bytes, not expanded)`,
    };
  }
  if (bytes.length >= 4 && bytes.length % 2 === 0) {
    let zeros = 0;
    for (let i = 1; i < bytes.length; i += 2) if (bytes[i] === 0) zeros++;
    if (zeros / (bytes.length / 2) >= 0.9) {
      const text = utf16le(bytes);
      if (readableShare(text) >= 0.9) return { encoding: 'utf-16le', text };
    }
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  return readableShare(text) >= 0.9 ? { encoding: 'utf-8', text } : undefined;
}

interface Budget {
  parts: number;
  chars: number;
}

interface Found {
  start: number;
  end: number;
  flag?: string;
  source: string;
}

/** The place where the name of PowerShell first appears (switches before it are someone else's). */
function powershellStart(s: string, isPowerShell: boolean): number {
  if (isPowerShell) return 0;
  const lower = s.toLowerCase();
  const a = lower.indexOf('powershell');
  const b = lower.indexOf('pwsh');
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}

/** -EncodedCommand payloads in `s`, in order. */
function findEncodedCommands(s: string, isPowerShell: boolean, limit: number): Found[] {
  const out: Found[] = [];
  const from = powershellStart(s, isPowerShell);
  if (from < 0) return out;
  let i = from;
  while (i < s.length && out.length < limit) {
    const c = s[i] as string;
    if (!((isDash(c) || c === '/') && isSwitchBoundary(s[i - 1]))) {
      i++;
      continue;
    }
    const switchStart = i;
    let j = i + 1;
    if (j < s.length && isDash(s[j] as string)) j++;
    const wordStart = j;
    while (j < s.length && j - wordStart <= MAX_SWITCH_LETTERS && isLetter(s[j] as string)) j++;
    const word = s.slice(wordStart, j).toLowerCase();
    const after = s[j];
    if (
      !namesEncodedCommand(word) ||
      !(after === undefined || isSpace(after) || after === '"' || after === "'")
    ) {
      i = Math.max(j, i + 1);
      continue;
    }
    const flag = s.slice(switchStart, j);
    // The payload is the next argument: skip blanks, then a quoted or a bare base64 run.
    while (j < s.length && isSpace(s[j] as string)) j++;
    const quote = s[j] === '"' || s[j] === "'" ? (s[j] as string) : undefined;
    if (quote) j++;
    const payloadStart = j;
    while (
      j < s.length &&
      j - payloadStart < DECODE_LIMITS.maxInput &&
      (isB64Char(s[j] as string) ||
        s[j] === '=' ||
        (quote !== undefined && isSpace(s[j] as string)))
    ) {
      j++;
    }
    const source = s.slice(payloadStart, j).trim();
    if (source.length >= 4) out.push({ start: switchStart, end: j, flag, source });
    i = Math.max(j, i + 1);
  }
  return out;
}

/** Maximal base64 runs of at least minNestedBase64 characters, outside `skip`. */
function findBase64Runs(s: string, skip: readonly Found[], limit: number): Found[] {
  const out: Found[] = [];
  let k = 0;
  let i = 0;
  while (i < s.length && out.length < limit) {
    const sk = skip[k];
    if (sk && i >= sk.start) {
      i = Math.max(i, sk.end);
      k++;
      continue;
    }
    if (!isB64Char(s[i] as string)) {
      i++;
      continue;
    }
    const start = i;
    while (i < s.length && isB64Char(s[i] as string) && (!sk || i < sk.start)) i++;
    let end = i;
    while (end < s.length && s[end] === '=' && end - i < 2) end++;
    const run = s.slice(start, end);
    // A run glued to a word character is part of a longer identifier, not a base64 literal.
    if (
      run.length >= DECODE_LIMITS.minNestedBase64 &&
      (start === 0 || !isB64Char(s[start - 1] as string))
    ) {
      out.push({ start, end, source: run });
    }
    i = Math.max(end, start + 1);
  }
  return out;
}

function cap(text: string, budget: Budget): { text: string; truncated: boolean } {
  const room = Math.max(
    0,
    Math.min(DECODE_LIMITS.maxPartText, DECODE_LIMITS.maxTotalText - budget.chars),
  );
  const truncated = text.length > room;
  const kept = truncated ? text.slice(0, room) : text;
  budget.chars += kept.length;
  return { text: kept, truncated };
}

function decodeLayer(
  s: string,
  depth: number,
  isPowerShell: boolean,
  budget: Budget,
): DecodedPart[] {
  if (depth > DECODE_LIMITS.maxDepth || budget.parts >= DECODE_LIMITS.maxParts) return [];
  const text = s.length > DECODE_LIMITS.maxInput ? s.slice(0, DECODE_LIMITS.maxInput) : s;
  const out: DecodedPart[] = [];
  const encoded = findEncodedCommands(text, isPowerShell, DECODE_LIMITS.maxParts - budget.parts);
  for (const f of encoded) {
    if (budget.parts >= DECODE_LIMITS.maxParts || budget.chars >= DECODE_LIMITS.maxTotalText) break;
    const bytes = base64ToBytes(f.source, 2 * DECODE_LIMITS.maxPartText + 2);
    if (!bytes || bytes.length < 2) continue;
    budget.parts++;
    const decoded = cap(utf16le(bytes), budget);
    const part: DecodedPart = {
      kind: 'encodedCommand',
      flag: f.flag,
      source: f.source.slice(0, DECODE_LIMITS.maxPartText),
      encoding: 'utf-16le',
      text: decoded.text,
      truncated:
        decoded.truncated ||
        bytes.length < base64Length(f.source) ||
        (text.length < s.length && f.end >= text.length),
      depth,
      children: [],
    };
    // The decoded text is a script: a -enc inside it counts only after a "powershell" again.
    part.children = decodeLayer(decoded.text, depth + 1, false, budget);
    out.push(part);
  }
  // Base64 strings are only looked for in decoded text, not in the raw command line.
  if (depth === 1) return out;
  for (const f of findBase64Runs(text, encoded, DECODE_LIMITS.maxParts)) {
    if (budget.parts >= DECODE_LIMITS.maxParts || budget.chars >= DECODE_LIMITS.maxTotalText) break;
    const bytes = base64ToBytes(f.source, 4 * DECODE_LIMITS.maxPartText);
    const t = bytes && bytesAsText(bytes);
    if (!t) continue;
    budget.parts++;
    const decoded = cap(t.text, budget);
    const part: DecodedPart = {
      kind: 'base64',
      source: f.source.slice(0, DECODE_LIMITS.maxPartText),
      encoding: t.encoding,
      text: decoded.text,
      truncated: decoded.truncated,
      depth,
      children: [],
    };
    if (t.encoding !== 'gzip') part.children = decodeLayer(decoded.text, depth + 1, false, budget);
    out.push(part);
  }
  return out;
}

/**
 * Every encoded command in a command line, decoded, with what is decodable inside each. `[]`
 * when there is nothing to decode. `processName` is the process the command line started:
 * for powershell.exe / pwsh.exe the switches count from the start of the line.
 */
export function decodeCommandLine(
  commandLine: string | null | undefined,
  processName?: string,
): DecodedPart[] {
  if (typeof commandLine !== 'string' || commandLine.length === 0) return [];
  const isPowerShell =
    typeof processName === 'string' && /^(?:powershell|pwsh)(?:\.exe)?$/i.test(processName);
  return decodeLayer(commandLine, 1, isPowerShell, { parts: 0, chars: 0 });
}

/** The decoded texts of all parts, depth first, one per line: what search looks in. */
export function decodedText(parts: readonly DecodedPart[]): string {
  const out: string[] = [];
  const walk = (ps: readonly DecodedPart[]): void => {
    for (const p of ps) {
      out.push(p.text);
      walk(p.children);
    }
  };
  walk(parts);
  return out.join('\n');
}

/** All decoded text of some command lines (deduplicated), capped at maxTotalText. */
export function decodedTextOfCommandLines(
  commandLines: Iterable<string | null | undefined>,
): string {
  const seen = new Set<string>();
  const texts: string[] = [];
  let total = 0;
  for (const cl of commandLines) {
    if (typeof cl !== 'string' || seen.has(cl)) continue;
    seen.add(cl);
    const t = decodedText(decodeCommandLine(cl));
    if (t.length === 0) continue;
    texts.push(t);
    total += t.length + 1;
    if (total >= DECODE_LIMITS.maxTotalText) break;
  }
  const joined = texts.join('\n');
  return joined.length > DECODE_LIMITS.maxTotalText
    ? joined.slice(0, DECODE_LIMITS.maxTotalText)
    : joined;
}

/** Decoded text for display: see common/display_text.ts (shared by every view of event text). */
export { visibleText } from './display_text';
