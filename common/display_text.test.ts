import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasHiddenText, jsonForDisplay, visibleName, visibleText } from './display_text';

const HIDDEN = [
  0x00, 0x07, 0x08, 0x0d, 0x1b, 0x7f, 0x85, 0x9b, 0xad, 0x061c, 0x180e, 0x200b, 0x200c, 0x200d,
  0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2060, 0x2066, 0x2067, 0x2068, 0x2069,
  0x2028, 0x2029, 0xfeff,
];

describe('display text', () => {
  it('shows a right-to-left override instead of obeying it', () => {
    expect(visibleName('\u202Eexe.lld')).toBe('\\u{202E}exe.lld');
    expect(visibleName('spoof-\u202Eexe.lld\u202C.example')).toBe(
      'spoof-\\u{202E}exe.lld\\u{202C}.example',
    );
    expect(hasHiddenText('dll.exe')).toBe(false);
    expect(hasHiddenText('\u2066x')).toBe(true);
  });

  it('never lets a terminal escape sequence through', () => {
    const s = 'echo \u001b]0;owned\u0007\u001b[8mhidden\u001b[0m \u009b31m';
    expect(visibleName(s)).toBe(
      'echo \\u{001B}]0;owned\\u{0007}\\u{001B}[8mhidden\\u{001B}[0m \\u{009B}31m',
    );
    expect(visibleName('a\tb\nc')).toBe('a\\u{0009}b\\u{000A}c');
    // Multi-line text keeps tabs and line feeds, and folds CR LF.
    expect(visibleText('a\tb\r\nc\rd')).toBe('a\tb\nc\\u{000D}d');
  });

  it('leaves no hidden character in any text, and changes nothing else', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(...HIDDEN),
            fc.integer({ min: 0x20, max: 0x7e }),
            fc.integer({ min: 0, max: 0xffff }),
          ),
          { maxLength: 60 },
        ),
        (codes) => {
          const s = String.fromCharCode(...codes);
          const v = visibleName(s);
          for (const c of HIDDEN) expect(v.includes(String.fromCharCode(c))).toBe(false);
          expect(hasHiddenText(v)).toBe(false);
          if (!hasHiddenText(s)) expect(v).toBe(s);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps JSON valid and exact', () => {
    const value = { host: 'a\u202Eb', cmd: 'x\u001b[2Jy\u200b', n: 1 };
    const shown = jsonForDisplay(value);
    expect(hasHiddenText(shown.replace(/\n/g, ''))).toBe(false);
    expect(shown).toContain('\\u202e');
    expect(JSON.parse(shown)).toEqual(value);
    expect(shown.split('\n').length).toBe(5);
  });
});
