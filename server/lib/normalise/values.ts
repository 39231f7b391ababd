/**
 * Small, allocation-light value coercions shared by every record shape. Raw Windows exports
 * disagree on types (PIDs as numbers, decimal strings or `0x` hex; times with or without a
 * zone; `-` or null for "unknown"), and hostile input may put objects where strings belong,
 * so every reader goes through these instead of trusting a field's type.
 */

/** A non-empty string field; numbers are stringified; `-` (Windows' "none") counts as absent. */
export function text(v: unknown): string | undefined {
  if (typeof v === 'string') {
    return v.length === 0 || v === '-' ? undefined : v;
  }
  if (typeof v === 'number' && Number.isFinite(v)) {
    return String(v);
  }
  return undefined;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const MAX_PID = 0xffffffff;
const HEX_PID = /^0[xX][0-9a-fA-F]{1,16}$/;

/**
 * Windows PIDs: Security-log values are rendered `0x…` hex, Sysmon ones decimal. A bare
 * digit string is always read as decimal, because every hex-rendering source adds the prefix.
 */
export function parsePid(v: unknown): number | undefined {
  if (typeof v === 'number') {
    return Number.isInteger(v) && v >= 0 && v <= MAX_PID ? v : undefined;
  }
  if (typeof v !== 'string') {
    return undefined;
  }
  // Decimal fast path (every Sysmon record): no regex, no allocation.
  const n = v.length;
  if (n > 0 && n <= 10) {
    let x = 0;
    let i = 0;
    for (; i < n; i++) {
      const c = v.charCodeAt(i) - 48;
      if (c < 0 || c > 9) {
        break;
      }
      x = x * 10 + c;
    }
    if (i === n) {
      return x <= MAX_PID ? x : undefined;
    }
  }
  const s = v.trim();
  if (HEX_PID.test(s)) {
    const h = parseInt(s.slice(2), 16);
    return h <= MAX_PID ? h : undefined;
  }
  if (s !== v && s.length > 0 && s.length <= 10 && /^[0-9]+$/.test(s)) {
    const d = Number(s);
    return d <= MAX_PID ? d : undefined;
  }
  return undefined;
}

// Anchored, no nested quantifiers: linear on any input length.
const TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s?(Z|[+-]\d{2}:?\d{2})?$/;

/** Digits at s[i..i+len) as a number, or -1 if any is not a digit. */
function digits(s: string, i: number, len: number): number {
  let x = 0;
  for (let k = i; k < i + len; k++) {
    const c = s.charCodeAt(k) - 48;
    if (c < 0 || c > 9) {
      return -1;
    }
    x = x * 10 + c;
  }
  return x;
}

/** 400 Gregorian years, in ms: the calendar repeats exactly after them. */
const FOUR_CENTURIES_MS = 146_097 * 86_400_000;

/** Date.UTC with a 1-based month, for every four-digit year (Date.UTC reads 0–99 as 1900–1999). */
function utcMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number {
  return year >= 100
    ? Date.UTC(year, month - 1, day, hour, minute, second, ms)
    : Date.UTC(year + 400, month - 1, day, hour, minute, second, ms) - FOUR_CENTURIES_MS;
}

/**
 * `YYYY-MM-DD?HH:MM:SS.fff` read without a regex, `?` being the character `sep` (a space in
 * Sysmon's UtcTime, the normaliser's hot path; `T` in the normalised form); characters after the
 * milliseconds are the caller's to check. Undefined for any other layout or a field out of range;
 * a day past its month's end rolls over, as Date.parse rolls it.
 */
export function fixedLayoutUtcMs(v: string, sep: number, maxSecond: 59 | 60): number | undefined {
  if (v.length < 23 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45) {
    return undefined;
  }
  if (v.charCodeAt(10) !== sep || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) {
    return undefined;
  }
  if (v.charCodeAt(19) !== 46) {
    return undefined;
  }
  const year = digits(v, 0, 4);
  const month = digits(v, 5, 2);
  const day = digits(v, 8, 2);
  const hour = digits(v, 11, 2);
  const minute = digits(v, 14, 2);
  const second = digits(v, 17, 2);
  const ms = digits(v, 20, 3);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23) {
    return undefined;
  }
  if (minute < 0 || minute > 59 || second < 0 || second > maxSecond || ms < 0) {
    return undefined;
  }
  return utcMs(year, month, day, hour, minute, second, ms);
}

/** Sysmon's `YYYY-MM-DD HH:MM:SS.fff` (a leap second rolls into the next minute). */
function parseSysmonUtc(v: string): number | undefined {
  return v.length === 23 ? fixedLayoutUtcMs(v, 32, 60) : undefined;
}

/**
 * Milliseconds since the epoch for the time formats the sources use (`2021-06-12 01:07:15.633`,
 * `2019-04-27 15:57:53.368864`, ISO with `Z` or an offset). A zone-less value is read as UTC;
 * whether that is right is the clock-offset estimator's business, not the parser's.
 */
export function parseTimeMs(v: unknown): number | undefined {
  if (typeof v === 'number') {
    return Number.isFinite(v) && Math.abs(v) < 8.64e15 ? Math.trunc(v) : undefined;
  }
  if (typeof v !== 'string' || v.length > 64) {
    return undefined;
  }
  const fast = parseSysmonUtc(v);
  if (fast !== undefined) {
    return fast;
  }
  const m = TIME_RE.exec(v.trim());
  if (m === null) {
    return undefined;
  }
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return undefined;
  }
  const frac = m[7];
  const ms =
    frac === undefined
      ? 0
      : Math.floor(Number(frac.length >= 3 ? frac.slice(0, 3) : frac.padEnd(3, '0')));
  let t = utcMs(year, month, day, hour, minute, second, ms);
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.charCodeAt(0) === 45 ? -1 : 1;
    const zd = zone.replace(':', '');
    const offsetMin = Number(zd.slice(1, 3)) * 60 + Number(zd.slice(3, 5));
    t -= sign * offsetMin * 60_000;
  }
  return Number.isFinite(t) ? t : undefined;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * ISO-8601 (`…T…Z`, ms precision) for a time read from `raw`. Date#toISOString costs several
 * hundred ns, a large share of the per-record budget, so a Sysmon `YYYY-MM-DD HH:MM:SS.fff`
 * value that names a real calendar time (which `parseSysmonUtc` has checked, apart from the
 * day of month and leap seconds) is rewritten in place instead; the result is identical.
 */
export function isoTime(ms: number, raw?: unknown): string {
  if (typeof raw === 'string' && raw.length === 23 && raw.charCodeAt(10) === 32) {
    const month = digits(raw, 5, 2);
    const day = digits(raw, 8, 2);
    const second = digits(raw, 17, 2);
    const year = digits(raw, 0, 4);
    if (
      year >= 1000 &&
      second <= 59 &&
      day <= (DAYS_IN_MONTH[month - 1] ?? 0) &&
      (month !== 2 || day <= 28 || (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) &&
      parseSysmonUtc(raw) === ms
    ) {
      return `${raw.slice(0, 10)}T${raw.slice(11)}Z`;
    }
  }
  return new Date(ms).toISOString();
}

/** Endpoint host names are compared and stored lower-case with the domain kept (label convention). */
export function normaliseHost(v: unknown): string | undefined {
  const s = text(v);
  if (s === undefined) {
    return undefined;
  }
  let h = s.trim().toLowerCase();
  while (h.endsWith('.')) {
    h = h.slice(0, -1);
  }
  return h.length > 0 && h.length <= 255 ? h : undefined;
}

const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/** Whether s[i..i+36) has the `8-4-4-4-12` dash layout of a GUID (hex digits not checked). */
function isGuidAt(s: string, i: number): boolean {
  return (
    s.charCodeAt(i + 8) === 45 &&
    s.charCodeAt(i + 13) === 45 &&
    s.charCodeAt(i + 18) === 45 &&
    s.charCodeAt(i + 23) === 45
  );
}

/**
 * Sysmon GUIDs arrive braced/upper-case or bare/lower-case depending on the exporter; one
 * canonical spelling is what lets a child's ParentProcessGuid meet its parent's ProcessGuid.
 * Sysmon writes the all-zero GUID for "unknown", which must not link anything together.
 * Non-GUID ids (Elastic Defend's opaque entity ids) are kept verbatim.
 */
export function normaliseEntityId(v: unknown): string | undefined {
  const s = text(v);
  if (s === undefined) {
    return undefined;
  }
  let g: string | undefined;
  if (s.length === 38 && s.charCodeAt(0) === 123 && s.charCodeAt(37) === 125 && isGuidAt(s, 1)) {
    g = s.slice(1, 37);
  } else if (s.length === 36 && isGuidAt(s, 0)) {
    g = s;
  }
  if (g !== undefined) {
    g = g.toLowerCase();
    if (g === ZERO_GUID) {
      return undefined;
    }
  }
  const id = g ?? (s.length <= 512 ? s : undefined);
  // Control characters are what later stages build their own keys from (separators, virtual
  // graph nodes), so an id carrying them is replaced by a digest: the same id still links
  // parent and child, and can no longer pose as one of those keys.
  return id !== undefined && hasControl(id) ? `pc-${hash64(id)}` : id;
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) < 32) {
      return true;
    }
  }
  return false;
}

/** Last path component of a Windows (or POSIX) path. */
export function basename(path: string): string {
  let i = path.length - 1;
  // A trailing separator (`C:\dir\`) is not a file name; skip it.
  while (i >= 0 && (path.charCodeAt(i) === 92 || path.charCodeAt(i) === 47)) {
    i--;
  }
  const end = i + 1;
  while (i >= 0) {
    const c = path.charCodeAt(i);
    if (c === 92 || c === 47) {
      break;
    }
    i--;
  }
  return path.slice(i + 1, end);
}

/** `DOMAIN\user` → parts; a value without a backslash is a bare user name. */
export function splitUser(v: string): { name: string; domain?: string } {
  const i = v.indexOf('\\');
  if (i <= 0) {
    return { name: i === 0 ? v.slice(1) : v };
  }
  return { domain: v.slice(0, i), name: v.slice(i + 1) };
}

/**
 * 64-bit non-cryptographic hash (two independent 32-bit multiply-xorshift lanes) as 16 hex
 * chars. Ids only need to be stable and practically collision-free, and a crypto digest per
 * record would cost a large share of the normaliser's throughput budget.
 */
export function hash64(s: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
