/**
 * Character scans shared by text normalisation (model features) and command-line templates
 * (prevalence): cheap necessary conditions checked before a regex pass, so the pass runs only on
 * the text it can change.
 */

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
