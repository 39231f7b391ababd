import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWindowsCommandLine } from './command_line';
import { decodeHtmlEntities } from './html_entities';

describe('parseWindowsCommandLine (CommandLineToArgvW rules)', () => {
  const cases: Array<[string, string[]]> = [
    ['ping  -n 3 127.0.0.1 ', ['ping', '-n', '3', '127.0.0.1']],
    ['"C:\\Program Files\\a.exe" -x "y z"', ['C:\\Program Files\\a.exe', '-x', 'y z']],
    [
      '"C:\\A\\7z.exe"  e -pX "C:\\A\\\\enc.7z" -o"C:\\TMP" t\\x.exe ',
      ['C:\\A\\7z.exe', 'e', '-pX', 'C:\\A\\\\enc.7z', '-oC:\\TMP', 't\\x.exe'],
    ],
    ['a.exe "a\\"b"', ['a.exe', 'a"b']],
    ['a.exe a\\\\"b c"', ['a.exe', 'a\\b c']],
    ['a.exe a\\\\\\"b', ['a.exe', 'a\\"b']],
    ['a.exe a\\b\\\\c', ['a.exe', 'a\\b\\\\c']],
    ['a.exe "a""b"', ['a.exe', 'a"b']],
    ['a.exe ""', ['a.exe', '']],
    ['C:\\dir\\a.exe\\ x', ['C:\\dir\\a.exe\\', 'x']],
    ['"unterminated arg0', ['unterminated arg0']],
    ['a.exe "unterminated arg', ['a.exe', 'unterminated arg']],
    ['\t a.exe\tb', ['a.exe', 'b']],
    ['', []],
    ['   ', []],
  ];
  it.each(cases)('%j', (cmd, argv) => {
    expect(parseWindowsCommandLine(cmd)).toEqual(argv);
  });

  it('caps the number of args but never fails', () => {
    expect(parseWindowsCommandLine('a ' + 'x '.repeat(5000), 100)).toHaveLength(100);
  });

  it('is linear on megabyte command lines', () => {
    const big = 'powershell.exe -enc ' + 'A'.repeat(1 << 20) + ' "' + '\\'.repeat(100_000) + '"';
    const t0 = performance.now();
    const argv = parseWindowsCommandLine(big);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(argv[2]).toHaveLength(1 << 20);
  });

  it('never throws and never loses plain tokens', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite', maxLength: 200 }), (s) => {
        const argv = parseWindowsCommandLine(s);
        expect(Array.isArray(argv)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[A-Za-z0-9._:-]{1,12}$/), { minLength: 1, maxLength: 20 }),
        (tokens) => {
          expect(parseWindowsCommandLine(tokens.join(' '))).toEqual(tokens);
        },
      ),
    );
  });
});

describe('decodeHtmlEntities', () => {
  it('decodes named and numeric references once', () => {
    expect(
      decodeHtmlEntities('a &gt; b &lt; c &amp; d &quot;e&quot; &#39;f&#39; &#x41;&#66;'),
    ).toBe('a > b < c & d "e" \'f\' AB');
    expect(decodeHtmlEntities('&amp;gt;')).toBe('&gt;');
    expect(decodeHtmlEntities('&apos;&nbsp;')).toBe("'\u00a0");
  });

  it('leaves unknown or invalid references alone', () => {
    expect(decodeHtmlEntities('&bogus; &#xD800; &#0; &#99999999; & ; &gt')).toBe(
      '&bogus; &#xD800; &#0; &#99999999; & ; &gt',
    );
    expect(decodeHtmlEntities('no entities')).toBe('no entities');
  });

  it('is linear on hostile input', () => {
    const s = '&'.repeat(500_000) + '&#' + '1'.repeat(500_000);
    const t0 = performance.now();
    expect(decodeHtmlEntities(s)).toBe(s);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
