/**
 * Text from events (host, user and process names, command lines, decoded scripts) shown to an
 * analyst, in the app or a terminal. An intruder writes that text: a right-to-left override
 * makes "exe.lld" read "dll.exe", zero-width and bidi isolates hide or reorder characters, and a
 * terminal runs escape sequences (window title, hidden text, cursor moves). Every such character
 * is shown as a visible `\u{…}` escape instead, so what is displayed is what is there. Exact
 * values (JSON output, API responses, search) are never altered: only display goes through here.
 */

/** Whether a UTF-16 code unit is invisible, reorders text, or controls a terminal. */
function isHidden(s: string, i: number, x: number): boolean {
  return (
    x < 0x20 ||
    // DEL and the C1 controls (U+009B is a one-character CSI on many terminals).
    (x >= 0x7f && x <= 0x9f) ||
    // Soft hyphen, Arabic letter mark, Mongolian vowel separator: invisible.
    x === 0xad ||
    x === 0x061c ||
    x === 0x180e ||
    // Zero-width space/non-joiner/joiner, LRM, RLM.
    (x >= 0x200b && x <= 0x200f) ||
    // LRE, RLE, PDF, LRO, RLO.
    (x >= 0x202a && x <= 0x202e) ||
    // Word joiner, invisible operators, LRI, RLI, FSI, PDI.
    (x >= 0x2060 && x <= 0x2069) ||
    x === 0x2028 ||
    x === 0x2029 ||
    // BOM / zero-width no-break space, interlinear annotation, and the tag characters' surrogates
    // are rare enough to leave; lone surrogates would render as a replacement box.
    x === 0xfeff ||
    (x >= 0xfff9 && x <= 0xfffb) ||
    (x >= 0xd800 &&
      x <= 0xdbff &&
      !(s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff)) ||
    (x >= 0xdc00 &&
      x <= 0xdfff &&
      !(s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff))
  );
}

function escapeOf(x: number): string {
  return `\\u{${x.toString(16).toUpperCase().padStart(4, '0')}}`;
}

/** Whether `s` holds a character visibleText or visibleName would escape. */
export function hasHiddenText(s: string | null | undefined): boolean {
  if (typeof s !== 'string') return false;
  for (let i = 0; i < s.length; i++) if (isHidden(s, i, s.charCodeAt(i))) return true;
  return false;
}

/**
 * Multi-line text for display (command lines, decoded scripts): every hidden character becomes
 * a `\u{…}` escape. Tabs and line feeds stay; CR LF becomes LF.
 */
export function visibleText(s: string): string {
  let out = '';
  let copied = 0;
  for (let i = 0; i < s.length; i++) {
    const x = s.charCodeAt(i);
    if (x === 0x0a || x === 0x09) continue;
    if (!isHidden(s, i, x)) continue;
    out += s.slice(copied, i);
    copied = i + 1;
    if (x === 0x0d && s.charCodeAt(i + 1) === 0x0a) continue;
    out += escapeOf(x);
  }
  return copied === 0 ? s : out + s.slice(copied);
}

/**
 * One-line text for display (host, user and process names, table cells, graph labels, terminal
 * output): like visibleText, and tabs and line breaks are escaped too.
 */
export function visibleName(s: string | null | undefined): string {
  if (typeof s !== 'string') return '';
  let out = '';
  let copied = 0;
  for (let i = 0; i < s.length; i++) {
    const x = s.charCodeAt(i);
    if (!isHidden(s, i, x)) continue;
    out += s.slice(copied, i) + escapeOf(x);
    copied = i + 1;
  }
  return copied === 0 ? s : out + s.slice(copied);
}

/**
 * A value as indented JSON for display: JSON.stringify escapes C0 controls itself; bidi,
 * invisible and C1 characters become `\uXXXX` escapes too, so the text is still valid JSON
 * and copying it gives the exact value.
 */
export function jsonForDisplay(value: unknown): string {
  const json = JSON.stringify(value, null, 2) ?? 'undefined';
  let out = '';
  let copied = 0;
  for (let i = 0; i < json.length; i++) {
    const x = json.charCodeAt(i);
    // Line feeds are the indentation's (inside strings JSON.stringify wrote them as \n).
    if (x === 0x0a || !isHidden(json, i, x)) continue;
    out += `${json.slice(copied, i)}\\u${x.toString(16).padStart(4, '0')}`;
    copied = i + 1;
  }
  return copied === 0 ? json : out + json.slice(copied);
}
