/**
 * Throughput of the ECS normaliser on raw Sysmon EID 1 NDJSON (NXLog-style flat records, the
 * most common shape in the public data), measured through the synchronous line API on one
 * core. Lines are generated in memory so the figure is the normaliser's, not the disk's.
 */
import { Normaliser } from '../../server/lib/normalise/normaliser';

const HOSTS = 50;
const RECORDS = 200_000;

const IMAGES = [
  ['C:\\Windows\\System32\\cmd.exe', '"C:\\Windows\\system32\\cmd.exe" /c ver'],
  ['C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', 'powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\\ProgramData\\scripts\\inventory.ps1'],
  ['C:\\Windows\\System32\\svchost.exe', 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule'],
  ['C:\\Windows\\System32\\conhost.exe', '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1'],
  ['C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --field-trial-handle=1234,i,5678 --lang=en-US --js-flags=--expose-gc --device-scale-factor=1 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id=7 --mojo-platform-channel-handle=4321 /prefetch:1'],
  ['C:\\Windows\\System32\\rundll32.exe', 'C:\\Windows\\system32\\rundll32.exe C:\\Windows\\system32\\shell32.dll,Control_RunDLL "C:\\Windows\\system32\\desk.cpl",,0'],
] as const;

function hex(n: number, width: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(width, '0').slice(-width);
}

/** Deterministic generator (no Math.random) so runs are comparable. */
export function makeSysmonLines(count = RECORDS): string[] {
  let seed = 12345;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  const lines: string[] = [];
  const t0 = Date.UTC(2024, 0, 15, 8, 0, 0);
  for (let i = 0; i < count; i++) {
    const host = `WKS${String(i % HOSTS).padStart(3, '0')}.corp.example.com`;
    const [image, cmd] = IMAGES[rnd() % IMAGES.length] as readonly [string, string];
    const pid = (rnd() % 16000) * 4;
    const ppid = (rnd() % 16000) * 4;
    const ts = new Date(t0 + i * 5).toISOString().replace('T', ' ').replace('Z', '');
    const guid = `{${hex(i % HOSTS, 8)}-${hex(i >> 8, 4)}-65A5-${hex(i, 4)}-${hex(rnd(), 8)}0000}`;
    const pguid = `{${hex(i % HOSTS, 8)}-0001-65A5-${hex(ppid, 4)}-000000000400}`;
    const rec = {
      EventTime: ts.slice(0, 19),
      Hostname: host,
      Keywords: -9223372036854775808,
      EventType: 'INFO',
      SeverityValue: 2,
      Severity: 'INFO',
      EventID: 1,
      SourceName: 'Microsoft-Windows-Sysmon',
      ProviderGuid: '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}',
      Version: 5,
      Task: 1,
      OpcodeValue: 0,
      RecordNumber: 100000 + i,
      ProcessID: 3592,
      ThreadID: 4780,
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      Domain: 'NT AUTHORITY',
      AccountName: 'SYSTEM',
      UserID: 'S-1-5-18',
      AccountType: 'User',
      Category: 'Process Create (rule: ProcessCreate)',
      Opcode: 'Info',
      RuleName: '-',
      UtcTime: ts,
      ProcessGuid: guid,
      ProcessId: String(pid),
      Image: image,
      FileVersion: '10.0.19041.1 (WinBuild.160101.0800)',
      Description: 'Windows Command Processor',
      Product: 'Microsoft® Windows® Operating System',
      Company: 'Microsoft Corporation',
      OriginalFileName: 'Cmd.Exe',
      CommandLine: cmd,
      CurrentDirectory: 'C:\\Windows\\system32\\',
      User: 'CORP\\svc_inventory',
      LogonGuid: `{${hex(i % HOSTS, 8)}-0001-65A5-E403-000000000000}`,
      LogonId: '0x3e7',
      TerminalSessionId: '0',
      IntegrityLevel: 'System',
      Hashes: `SHA1=${hex(rnd(), 8)}0E351E615A29722AEF479380565505D1,MD5=${hex(rnd(), 8)}9A00E91838888E76B5F6F3F3D2B0,SHA256=${hex(rnd(), 8)}1CF02CB5FB8396FF9E270CB9006F30294A52C6490A72B373BE00E9EF80A7,IMPHASH=8C3BE1286CDAD6AC1136D0BB6C83FF41`,
      ParentProcessGuid: pguid,
      ParentProcessId: String(ppid),
      ParentImage: 'C:\\Windows\\explorer.exe',
      ParentCommandLine: 'C:\\Windows\\Explorer.EXE',
      EventReceivedTime: ts.slice(0, 19),
      SourceModuleName: 'eventlog',
      SourceModuleType: 'im_msvistalog',
      host: 'wec.corp.example.com',
      '@timestamp': new Date(t0 + i * 5 + 1200).toISOString(),
    };
    lines.push(JSON.stringify(rec));
  }
  return lines;
}

export async function benchNormalise(): Promise<{ name: string; value: number; unit: string }[]> {
  const lines = makeSysmonLines();
  let bytes = 0;
  for (const l of lines) {
    bytes += l.length;
  }
  const runOnce = (): number => {
    const n = new Normaliser();
    let events = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < lines.length; i++) {
      events += n.pushLine(lines[i] as string, 'bench.ndjson', i + 1).length;
    }
    events += n.flush().length;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (events !== lines.length) {
      throw new Error(`benchmark lost records: ${events} of ${lines.length}`);
    }
    return lines.length / seconds;
  };
  runOnce(); // warm-up (JIT)
  const rates = [runOnce(), runOnce(), runOnce()].sort((a, b) => a - b);
  return [
    { name: 'normalise_sysmon_ndjson_records_per_s', value: Math.round(rates[1] as number), unit: 'records/s' },
    { name: 'normalise_sysmon_ndjson_avg_line_bytes', value: Math.round(bytes / lines.length), unit: 'bytes' },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchNormalise().then((r) => console.log(JSON.stringify(r, null, 2)));
}
