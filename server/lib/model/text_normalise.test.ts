import { describe, expect, it } from 'vitest';
import {
  commandLineSignals,
  normaliseCommandLine,
  normaliseName,
  normalisePath,
  pathClass,
  replaceHexAndNumberRuns,
  shannonEntropy,
  tokeniseCommandLine,
} from './text_normalise';

/** The obfuscation characters counted one by one (what shannonEntropy's counts must equal). */
function specialCharCounts(text: string): Record<string, number> {
  const count = (ch: string): number => text.split(ch).length - 1;
  return {
    caret: count('^'),
    backtick: count('`'),
    quote: count("'"),
    plus: count('+'),
    percent: count('%'),
  };
}

const B64 = 'SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA';

describe('placeholders', () => {
  it('gives hashes their own placeholder before the generic hex rule (Elastic ordering quirk fixed)', () => {
    const sha256 = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);
    const sha1 = '0123456789abcdef0123456789abcdef01234567';
    const md5 = '0123456789abcdef0123456789abcdef';
    expect(normaliseCommandLine(`x ${sha256} ${sha1} ${md5} 0xDEADBEEF 12ab34cd56`)).toBe(
      'x <sha256> <sha1> <md5> <hex> <hex>',
    );
    // Upper-case hashes as Sysmon prints them.
    expect(normaliseCommandLine(`hash=${md5.toUpperCase()}`)).toBe('hash=<md5>');
  });

  it('replaces GUIDs, IPs, URLs, UNC hosts and long numbers', () => {
    expect(
      normaliseCommandLine(
        'a {d273d0f0-e8f0-5f64-ff00-000000000800} 10.1.2.3:4444 http://evil.example/x?y=1 \\\\dc01\\c$ -p 31337',
      ),
    ).toBe('a <guid> <ip>:<num>  <url>  \\\\<unc>\\c$ -p <num>');
  });

  it('keeps short numbers, words that happen to be hex, and device paths', () => {
    expect(normaliseCommandLine('timeout 5 /accessed deadbeef \\\\?\\c:\\x')).toBe(
      'timeout 5 /accessed deadbeef \\\\?\\c:\\x',
    );
  });

  it('replaces base64 blobs only when they mix cases and digits', () => {
    expect(normaliseCommandLine(`powershell -enc ${B64}`)).toBe('powershell -enc  <b64> ');
    const upperHex = '8A221672E37FD7F30D35B3466CA9F1A473F9A77C27A5A16C6392BCEECCAFEA6F';
    expect(normaliseCommandLine(upperHex)).toBe('<sha256>');
  });

  it('de-personalises user profiles but keeps shared ones', () => {
    expect(normalisePath('C:\\Users\\wardog\\Desktop\\x.exe')).toBe(
      'c:\\users\\<user>\\desktop\\x.exe',
    );
    expect(normalisePath('C:\\Users\\Public\\x.exe')).toBe('c:\\users\\public\\x.exe');
    expect(normalisePath('C:\\Documents and Settings\\bob\\x.exe')).toBe(
      'c:\\users\\<user>\\x.exe',
    );
  });

  it('maps system folders to classes', () => {
    expect(normalisePath('C:\\Windows\\System32\\cmd.exe')).toBe('<sysdir>\\cmd.exe');
    expect(normalisePath('c:/windows/syswow64/rundll32.exe')).toBe('<wowdir>\\rundll32.exe');
    expect(normalisePath('C:\\Windows\\explorer.exe')).toBe('<windir>\\explorer.exe');
    expect(normalisePath('C:\\WindowsApps\\x.exe')).toBe('c:\\windowsapps\\x.exe');
    expect(normalisePath('C:\\Users\\bob\\AppData\\Local\\Temp\\a.exe')).toBe('<temp>\\a.exe');
    expect(normalisePath('C:\\Users\\bob\\AppData\\Roaming\\a.exe')).toBe('<appdata>\\a.exe');
    expect(normalisePath('C:\\Program Files (x86)\\App\\a.exe')).toBe('<progfiles>\\app\\a.exe');
    expect(normaliseCommandLine('%SystemRoot%\\system32\\cmd.exe /c %TEMP%\\x.bat')).toBe(
      '<sysdir>\\cmd.exe /c <temp>\\x.bat',
    );
  });

  it('normalises names', () => {
    expect(normaliseName('P^owerShell.EXE')).toBe('powershell.exe');
    expect(normaliseName('a1b2c3d4e5.exe')).toBe('<hex>.exe');
  });
});

describe('path classes', () => {
  const cases: Array<[string, string]> = [
    ['C:\\Windows\\System32\\svchost.exe', 'system_dir'],
    ['C:\\Windows\\SysWOW64\\svchost.exe', 'syswow64'],
    ['C:\\Windows\\explorer.exe', 'windows_dir'],
    ['C:\\Windows\\Temp\\x.exe', 'temp'],
    ['C:\\Users\\a\\AppData\\Local\\Temp\\x.exe', 'temp'],
    ['C:\\Users\\a\\AppData\\Roaming\\x.exe', 'user_appdata'],
    ['C:\\Users\\a\\Downloads\\payload.exe', 'user_downloads'],
    ['C:\\Users\\a\\Desktop\\x.exe', 'user_dir'],
    ['C:\\Program Files\\x\\y.exe', 'program_files'],
    ['C:\\ProgramData\\x.exe', 'programdata'],
    ['\\\\fileserver\\share\\x.exe', 'unc_network'],
    ['C:\\x.exe', 'root'],
    ['D:\\tools\\x.exe', 'unknown'],
    ['', 'unknown'],
  ];
  it.each(cases)('%s → %s', (p, cls) => {
    expect(pathClass(normalisePath(p))).toBe(cls);
  });
});

describe('tokenising', () => {
  it('keeps switches whole, strips carets, blanks the event user and host', () => {
    const toks = tokeniseCommandLine(
      normaliseCommandLine('cmd.exe /c p^ing -n 1 ws01 & net user wardog /domain:theshire'),
      {
        userName: 'wardog',
        hostName: 'WS01.corp.local',
        domain: 'THESHIRE',
      },
    );
    expect(toks).toEqual([
      'cmd.exe',
      '/c',
      'ping',
      '-n',
      '<host>',
      'net',
      'user',
      '<user>',
      '/domain',
      '<domain>',
    ]);
  });

  it('blanks account switch values, other machines FQDNs and random identifiers', () => {
    const toks = tokeniseCommandLine(
      normaliseCommandLine(
        'rubeus.exe asktgt /user:pgustavo /rc4:abc mimikatz "lsadump::zerologon /target:dc01.corp.local" app.appxk7vvv12h4qrkhkbvf6j86ja45mzj5km9.mca -p 772',
      ),
    );
    expect(toks).toEqual([
      'rubeus.exe',
      'asktgt',
      '/user',
      '<user>',
      '/rc4',
      'abc',
      'mimikatz',
      'lsadump',
      'zerologon',
      '/target',
      '<host>',
      'app.<id>.mca',
      '-p',
      '<num>',
    ]);
    expect(tokeniseCommandLine('c:\\windows\\microsoft.net\\framework64')).toContain(
      'microsoft.net',
    );
  });

  it('does not blank well-known account names', () => {
    expect(tokeniseCommandLine('runas system', { userName: 'SYSTEM' })).toEqual([
      'runas',
      'system',
    ]);
  });
});

describe('command-line signals', () => {
  it('detects encoded PowerShell only in a PowerShell context', () => {
    expect(commandLineSignals(`powershell -EncodedCommand ${B64}`, true)).toMatchObject({
      hasBase64: true,
      hasEncodedFlag: true,
    });
    expect(commandLineSignals('powershell -ec abc', true).hasEncodedFlag).toBe(true);
    expect(commandLineSignals('grep -e foo', false).hasEncodedFlag).toBe(false);
    expect(commandLineSignals('powershell -executionpolicy bypass', true).hasEncodedFlag).toBe(
      false,
    );
  });

  it('detects hidden windows, URLs and IPs', () => {
    expect(commandLineSignals('powershell -w hidden -c x', true).hasHiddenWindow).toBe(true);
    expect(commandLineSignals('powershell -WindowStyle Hidden', true).hasHiddenWindow).toBe(true);
    expect(commandLineSignals('powershell -window 1', true).hasHiddenWindow).toBe(true); // WindowStyle 1 = Hidden
    expect(commandLineSignals('powershell -windowstyle normal', true).hasHiddenWindow).toBe(false);
    expect(commandLineSignals('wscript x.vbs', false).hasHiddenWindow).toBe(false);
    expect(commandLineSignals('certutil -urlcache -f https://x.y/z', false).hasUrl).toBe(true);
    expect(commandLineSignals('ping 192.168.0.1', false).hasIp).toBe(true);
  });

  it('entropy of a constant string is 0 and of two equiprobable symbols is 1', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abab')).toBe(1);
  });

  it('sums in character-code order, whatever order characters first appear in', () => {
    // The reference: Latin-1 code units ascending, then the rest in order of first appearance,
    // each term p·log2(p), summed in turn.
    const reference = (text: string): number => {
      const counts = new Map<number, number>();
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        counts.set(c, (counts.get(c) ?? 0) + 1);
      }
      let h = 0;
      const codes = [...counts.keys()];
      const latin1 = codes.filter((c) => c < 256).sort((a, b) => a - b);
      for (const c of [...latin1, ...codes.filter((c) => c >= 256)]) {
        const p = (counts.get(c) as number) / text.length;
        h -= p * Math.log2(p);
      }
      return h;
    };
    let seed = 3;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 2000; i++) {
      let text = '';
      // Codes 0..319 reach every word of the Latin-1 bitmap (bits 0 and 31 included) and beyond.
      const len = 1 + Math.floor(next() * 60);
      for (let k = 0; k < len; k++) text += String.fromCharCode(Math.floor(next() * 320));
      if (i % 2 === 0) text += String.fromCharCode(31, 32, 63, 64, 255);
      expect(shannonEntropy(text), JSON.stringify(text)).toBe(reference(text));
    }
  });

  it.each([
    ['', ''],
    ['plain', 'cmd /c whoami'],
    ['obfuscated', `c^m^d /c "p''o%w+e\`r%s+h^ell" -e 'JAB'+'x'`],
    ['beyond Latin-1', 'powershell -c "Write-Host ‘ok’ ^ 💡 + 100%"'],
  ])('counts special characters alongside the entropy (%s)', (_label, text) => {
    const special = { caret: 9, backtick: 9, quote: 9, plus: 9, percent: 9 };
    expect(shannonEntropy(text, special)).toBe(shannonEntropy(text));
    expect(special).toEqual(specialCharCounts(text));
  });
});

describe('linear-time safety', () => {
  // Each string targets a pattern family; all must finish (time budgets live in the benchmark).
  const MB = 1 << 20;
  const adversarial: Array<[string, string]> = [
    ['letters', 'a'.repeat(MB)],
    ['hex run', 'f'.repeat(MB)],
    ['digits', '1'.repeat(MB)],
    ['base64 alphabet', 'Ab1+'.repeat(MB / 4)],
    ['dotted digits', '1.'.repeat(MB / 2)],
    ['backslashes', '\\'.repeat(MB)],
    ['user dirs', '\\users\\'.repeat(MB / 7)],
    ['switches', ' -w '.repeat(MB / 4)],
    ['spaces after -w', ` -w${' '.repeat(MB)}x`],
    ['url scheme prefix', 'http'.repeat(MB / 4)],
    ['guid-ish', '01234567-0123-0123-0123-'.repeat(MB / 24)],
    ['entities', '&g'.repeat(MB / 2)],
  ];
  it.each(adversarial)('%s (1 MB) completes', (_name, s) => {
    const norm = normaliseCommandLine(s);
    tokeniseCommandLine(norm, { userName: 'bob' });
    commandLineSignals(s, true);
    normalisePath(s);
    expect(typeof norm).toBe('string');
  });
});

describe('token boundaries', () => {
  it('splits on every JavaScript whitespace character, quotes and the separator set', () => {
    // NBSP, ideographic space, BOM, line separator, tab: all whitespace; NEL (U+0085) is not.
    const ws = 'aa\u00a0bb\u3000cc\ufeffdd\u2028ee\tff\u0085gg';
    expect(tokeniseCommandLine(ws)).toEqual(['aa', 'bb', 'cc', 'dd', 'ee', 'ff\u0085gg']);
    expect(
      tokeniseCommandLine('x1,y1;z1=w1(v1)[u1]{t1}|s1&r1\\q1/p1+o1:n1*m1?l1!k1@j1#i1$h1%g1~f1`e1'),
    ).toEqual('x1 y1 z1 w1 v1 u1 t1 s1 r1 q1 p1 o1 n1 m1 l1 k1 j1 i1 h1 g1 f1 e1'.split(' '));
    expect(tokeniseCommandLine(`"ab cd"'ef'  gh`)).toEqual(['ab', 'cd', 'ef', 'gh']);
    expect(tokeniseCommandLine('  ')).toEqual([]);
    expect(tokeniseCommandLine('')).toEqual([]);
  });

  it('keeps switches whole up to their value separator, then tokenises the value', () => {
    expect(tokeniseCommandLine('–enc:abc -nop /user:bob -x=ab,c,de')).toEqual([
      '-enc',
      'abc',
      '-nop',
      '/user',
      '<user>',
      '-x',
      'ab',
      'de',
    ]);
  });
});

describe('hex and number runs', () => {
  // The two regexes the one-scan replacement stands for, applied in their order.
  const byRegex = (text: string): string =>
    text
      .replace(/(?<![0-9a-z])[0-9a-f]{8,}(?![0-9a-z])/g, (m) =>
        /\d/.test(m) && /[a-f]/.test(m) ? '<hex>' : m,
      )
      .replace(/(?<![0-9a-z])\d{3,}(?![0-9a-z])/g, '<num>');

  it('replaces whole runs only', () => {
    expect(replaceHexAndNumberRuns('pid 4321 in 12 x1234 1234x deadbeef01 deadbeefg1 <num>')).toBe(
      'pid <num> in 12 x1234 1234x <hex> deadbeefg1 <num>',
    );
    expect(replaceHexAndNumberRuns('0123456789')).toBe('<num>');
    expect(replaceHexAndNumberRuns('abcdefabcdef')).toBe('abcdefabcdef');
    expect(replaceHexAndNumberRuns('')).toBe('');
    expect(replaceHexAndNumberRuns('a1b2c3d4-777')).toBe('<hex>-<num>');
  });

  it('agrees with the regexes on random text', () => {
    // Characters chosen to make runs start, stop and change class often, plus upper case and
    // non-ASCII, which the lower-case classes must treat as boundaries.
    const alphabet = '0123456789abcdefgxyz-._\\ <>AF\u00e9\u0660';
    let seed = 7;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 5000; i++) {
      let text = '';
      const len = Math.floor(next() * 40);
      for (let k = 0; k < len; k++) text += alphabet[Math.floor(next() * alphabet.length)];
      // Long same-class stretches, so eight-character hex runs are common.
      if (next() < 0.5) text = text.replace(/-/g, () => '9f8e7d6c5b'.slice(0, 3 + (i % 8)));
      expect(replaceHexAndNumberRuns(text), JSON.stringify(text)).toBe(byRegex(text));
    }
  });
});
