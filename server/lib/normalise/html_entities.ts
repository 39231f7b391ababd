/**
 * Some collectors (NXLog 2020 with XML rendering) leave XML/HTML character references in
 * Security 4688 command lines (`cmd /c dir &gt; out.txt`). Features and twin matching need the
 * command line as the process saw it, so references are decoded exactly once: `&amp;gt;` becomes
 * `&gt;`, never `>`.
 */

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

// Bounded repetitions, no nesting: one linear pass whatever the input.
const ENTITY_RE = /&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,6});/g;

function replaceEntity(whole: string, body: string): string {
  if (body.charCodeAt(0) === 35 /* # */) {
    const hex = body.charCodeAt(1) === 120 || body.charCodeAt(1) === 88;
    const cp = hex ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    // Surrogate halves and NUL are not characters; leave such references as written.
    if (!Number.isFinite(cp) || cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return whole;
    }
    return String.fromCodePoint(cp);
  }
  const named = NAMED[body.toLowerCase()];
  return named ?? whole;
}

export function decodeHtmlEntities(s: string): string {
  // Most command lines have no '&'; skip the regex machinery for them.
  if (s.indexOf('&') < 0) {
    return s;
  }
  return s.replace(ENTITY_RE, replaceEntity);
}
