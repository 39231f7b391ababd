/**
 * Character scans shared by text normalisation (model features) and command-line templates
 * (prevalence): cheap necessary conditions checked before a regex pass, so the pass runs only on
 * the text it can change. And the length budget every text pass over event fields keeps to.
 */

/**
 * Characters of a command line, path or name that text passes (regexes above all) look at:
 * Windows' own command-line limit (32,767). Only forged records are longer, and V8's regex
 * engine throws "Maximum call stack size exceeded" on a greedy run of a few million characters
 * (a 6 MB base64 run did), which failed a whole detection run.
 */
export const MAX_TEXT_LENGTH = 32_768;

/** The part of `text` a text pass looks at: all of it up to MAX_TEXT_LENGTH characters. */
export function textBudget(text: string): string {
  return text.length > MAX_TEXT_LENGTH ? text.slice(0, MAX_TEXT_LENGTH) : text;
}

function isLowerHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
}

/**
 * Whether `text` contains [0-9a-f]{8}-[0-9a-f]{4}-, the start every GUID has. Checked from each
 * dash rather than by a regex that tries eight hex digits at every position.
 */
export function hasGuidStart(text: string): boolean {
  for (let i = text.indexOf('-', 8); i >= 0 && i + 5 < text.length; i = text.indexOf('-', i + 1)) {
    if (text.charCodeAt(i + 5) !== 45) continue;
    let ok = true;
    for (let k = i - 8; ok && k < i; k++) ok = isLowerHex(text.charCodeAt(k));
    for (let k = i + 1; ok && k < i + 5; k++) ok = isLowerHex(text.charCodeAt(k));
    if (ok) return true;
  }
  return false;
}
