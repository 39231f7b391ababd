/**
 * Command-line templates for prevalence: the same administrative action must map to the same
 * string on every host and every run, otherwise P(template | process) is always tiny and every
 * command line looks rare. Volatile parts (ids, user folders, temp names, numbers, blobs) become
 * placeholders; the verbs, switches and fixed paths that say *what* was done stay.
 *
 * Every regex below is either fixed-width, a single character-class run guarded by a lookbehind
 * (so it cannot restart in the middle of the run it just rejected), or a sequence whose repeated
 * groups start with a distinct delimiter; none can backtrack super-linearly. The input is also
 * capped at Windows' own command-line limit.
 */

import type { ProcessEvent } from '../../../common/types/process_event';
import { hasGuidStart, MAX_TEXT_LENGTH } from '../text_scan';

/** Windows refuses longer command lines; anything longer is not a real one. */
const MAX_INPUT = MAX_TEXT_LENGTH;
/** Prevalence stores one key per template: bound the key size. */
export const MAX_TEMPLATE_LENGTH = 512;

const GUID = /\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?/g;
const URL = /(?<![a-z0-9])[a-z][a-z0-9+.-]{1,9}:\/\/[^\s"'<>|]+/g;
const IPV4 = /(?<![0-9.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![0-9.])/g;
const SID = /(?<![a-z0-9])s-1-\d+(?:-\d+)+/g;
const USER_FOLDER = /(\\(?:users|documents and settings)\\)([^\\"'\s]+)/g;
const TEMP_FILE = /(\\(?:temp|tmp)\\|%te?mp%\\)[^\s"'|]+/g;
const PIPE = /(\\\\\.\\pipe\\)[^\s"'|<>]+/g;
// An encoded command is the text after one of PowerShell's accepted prefixes of -EncodedCommand.
const ENCODED_ARG =
  /((?:^|\s)[-/]e(?:c|n|nc|nco|ncod|ncode|ncoded|ncodedc|ncodedco|ncodedcom|ncodedcomm|ncodedcomma|ncodedcomman|ncodedcommand)?\s+)[a-z0-9+/=]{16,}/g;
const BLOB = /(?<![a-z0-9+/=])[a-z0-9+/]{40,}={0,2}(?![a-z0-9+/=])/g;
const LONG_DQ = /"[^"]{80,}"/g;
const LONG_SQ = /'[^']{80,}'/g;
const HEXLIKE = /(?<![a-z0-9_])(?:0x[0-9a-f]+|[0-9a-f]{8,})(?![a-z0-9_])/g;
const NUMBER = /(?<![a-z0-9_<])\d+(?:[.,:]\d+)*(?![a-z0-9_>])/g;
const SPACES = /\s+/g;
// Gates of the passes above (necessary conditions, tested without /g so they keep no state).
const DIGIT_DOT_DIGIT = /\d\.\d/;
const HEX8 = /[0-9a-f]{8}/;
/** Whitespace other than single spaces: only then does folding runs of it change anything. */
const NEEDS_SPACE_FOLD = /\s\s|[^\S ]/;

/** A run of 40 characters of BLOB's alphabet, which every BLOB match is. */
function hasBlobRun(s: string): boolean {
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47) {
      if (++run >= 40) return true;
    } else run = 0;
  }
  return false;
}

const KEEP_USER_FOLDERS = new Set(['public', 'default', 'all users', 'default user']);
const HASH_LENGTHS = new Set([32, 40, 56, 64, 96, 128]);

function hasDigit(s: string): boolean {
  return /\d/.test(s);
}

function hasHexLetter(s: string): boolean {
  return /[a-f]/.test(s);
}

/** argv[0] is written as a full path, a quoted path or a bare name depending on the launcher. */
function normaliseArgv0(s: string): string {
  let token: string;
  let rest: string;
  const quoted = s.startsWith('"');
  if (quoted) {
    const close = s.indexOf('"', 1);
    if (close < 0) {
      token = s.slice(1);
      rest = '';
    } else {
      // Like Windows' own parser: text glued to the closing quote belongs to the same argument.
      const after = s.slice(close + 1);
      const sp = after.search(/\s/);
      token = s.slice(1, close) + (sp < 0 ? after : after.slice(0, sp));
      rest = sp < 0 ? '' : after.slice(sp);
    }
  } else {
    const sp = s.search(/\s/);
    token = sp < 0 ? s : s.slice(0, sp);
    rest = sp < 0 ? '' : s.slice(sp);
  }
  const cut = Math.max(token.lastIndexOf('\\'), token.lastIndexOf('/'));
  if (cut < 0 && !quoted) return s;
  const base = token.slice(cut + 1).replace(/"/g, '');
  // Nothing name-like left (a bare separator, stray quotes): leave it alone rather than guess.
  return base.trim().length > 0 ? base + rest : s;
}

const NOT_A_PERSON = new Set([
  'system',
  'localsystem',
  'local service',
  'network service',
  'administrator',
  'admin',
  'user',
  'unknown',
  'n/a',
  '-',
]);

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[a-z0-9_]/.test(c);
}

/**
 * The user's own name in their command lines (home shares, profile paths outside C:\Users)
 * makes every user's run of a logon script a different template. Plain scan, no regex built
 * from data.
 */
function replaceUserName(s: string, userName: string | undefined): string {
  const name = userName?.trim().toLowerCase();
  if (!name || name.length < 3 || name.includes('$') || NOT_A_PERSON.has(name)) return s;
  let out = '';
  let from = 0;
  for (let i = s.indexOf(name); i >= 0; i = s.indexOf(name, i + name.length)) {
    if (isWordChar(s[i - 1]) || isWordChar(s[i + name.length])) continue;
    out += s.slice(from, i) + '<user>';
    from = i + name.length;
  }
  return from === 0 ? s : out + s.slice(from);
}

export interface TemplateOptions {
  /** The user the process ran as (`user.name`): their name is volatile in their own command lines. */
  userName?: string;
}

/**
 * The template of an event's command line with its user's name replaced too. Not used by the
 * prevalence services yet: every service and the scorer must switch together, or lookups stop
 * matching what was counted.
 */
export function eventCommandLineTemplate(e: ProcessEvent): string {
  return commandLineTemplate(e.process.command_line, { userName: e.user.name });
}

/**
 * The prevalence key of a command line, e.g.
 * `"C:\Windows\system32\cmd.exe" /c ping -n 4 10.1.2.3 > C:\Users\bob\AppData\Local\Temp\x1.txt`
 * → `cmd.exe /c ping -n <num> <ip> > c:\users\<user>\appdata\local\temp\<tmp>`.
 */
export function commandLineTemplate(
  cmd: string | undefined | null,
  opts: TemplateOptions = {},
): string {
  if (!cmd) return '';
  let s = cmd.length > MAX_INPUT ? cmd.slice(0, MAX_INPUT) : cmd;
  s = s.toLowerCase().trim();
  s = normaliseArgv0(s);
  s = replaceUserName(s, opts.userName);
  // Each pass is skipped when the text lacks something every match of its pattern contains
  // (a GUID has a dash, a SID "s-1-", a number a digit...), so skipping never changes the result
  // and most command lines take a handful of the sixteen passes.
  if (hasGuidStart(s)) s = s.replace(GUID, '<guid>');
  if (s.includes('://')) s = s.replace(URL, '<url>');
  if (DIGIT_DOT_DIGIT.test(s)) s = s.replace(IPV4, '<ip>');
  if (s.includes('s-1-')) s = s.replace(SID, '<sid>');
  if (s.includes('\\users\\') || s.includes('\\documents and settings\\'))
    s = s.replace(USER_FOLDER, (m, prefix: string, name: string) =>
      KEEP_USER_FOLDERS.has(name) ? m : `${prefix}<user>`,
    );
  if (s.includes('temp') || s.includes('tmp')) s = s.replace(TEMP_FILE, '$1<tmp>');
  if (s.includes('pipe\\')) s = s.replace(PIPE, '$1<pipe>');
  if (s.includes('-e') || s.includes('/e')) s = s.replace(ENCODED_ARG, '$1<b64>');
  if (s.includes('0x') || HEX8.test(s))
    s = s.replace(HEXLIKE, (m) => {
      if (m.startsWith('0x')) return '<hex>';
      if (!hasHexLetter(m)) return m; // plain digits: left to the number rule
      if (!hasDigit(m)) return m; // a word made of a-f letters ("defaced") is not an id
      return HASH_LENGTHS.has(m.length) ? '<hash>' : '<hex>';
    });
  if (hasBlobRun(s))
    s = s.replace(BLOB, (m) => (hasDigit(m) || m.includes('+') || m.includes('/') ? '<b64>' : m));
  if (hasDigit(s)) s = s.replace(NUMBER, '<num>');
  // Last, so the length test sees the final placeholders and re-templating decides the same.
  if (s.length >= 82) {
    if (s.includes('"')) s = s.replace(LONG_DQ, '"<str>"');
    if (s.includes("'")) s = s.replace(LONG_SQ, "'<str>'");
  }
  if (NEEDS_SPACE_FOLD.test(s)) s = s.replace(SPACES, ' ');
  s = s.trim();
  // Once more: a replacement can leave a quoted placeholder or path as the first token, which a
  // second templating would otherwise unwrap (templates must be stable under re-templating).
  s = normaliseArgv0(s).trim();
  return s.length > MAX_TEMPLATE_LENGTH ? s.slice(0, MAX_TEMPLATE_LENGTH) : s;
}
