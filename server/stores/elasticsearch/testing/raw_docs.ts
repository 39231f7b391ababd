/**
 * Raw process-creation documents as agents write them (Elastic Defend, Winlogbeat Sysmon and
 * Security 4688 forwarded through a Windows Event Collector), for tests that must see the store
 * normalise real shapes rather than its own already-normalised events.
 */
import type { Client, estypes } from '@elastic/elasticsearch';

export type RawShape = 'defend' | 'sysmon_wec' | 'security_wec' | 'no_host';

export interface RawSpec {
  id: string;
  shape: RawShape;
  /** Endpoint name as the agent spells it (case varies). */
  host: string;
  parent: string;
  child: string;
  cmd?: string;
  time: string;
}

export const COLLECTOR = 'wec01.corp.example';

/** Strings as keywords, as ECS templates map them; dates detected. */
export const RAW_MAPPINGS: estypes.MappingTypeMapping = {
  dynamic_templates: [
    { strings: { match_mapping_type: 'string', mapping: { type: 'keyword', ignore_above: 8191 } } },
  ],
  properties: { '@timestamp': { type: 'date' } },
};

const exe = (name: string) => `C:\\Windows\\System32\\${name}`;

export function rawDoc(s: RawSpec): Record<string, unknown> {
  switch (s.shape) {
    case 'defend':
    case 'no_host':
      return {
        '@timestamp': s.time,
        event: { category: ['process'], type: ['start'], action: 'start', id: s.id, kind: 'event' },
        ...(s.shape === 'defend' ? { host: { name: s.host, hostname: s.host.split('.')[0] } } : {}),
        process: {
          entity_id: `ent-${s.id}`,
          pid: 4242,
          name: s.child,
          executable: exe(s.child),
          ...(s.cmd !== undefined ? { command_line: s.cmd } : {}),
          parent: {
            entity_id: `pent-${s.id}`,
            pid: 4000,
            name: s.parent,
            executable: exe(s.parent),
          },
        },
        user: { name: 'alice', domain: 'CORP' },
      };
    case 'sysmon_wec':
      return {
        '@timestamp': s.time,
        event: {
          category: ['process'],
          type: ['start'],
          code: '1',
          provider: 'Microsoft-Windows-Sysmon',
          action: 'Process Create (rule: ProcessCreate)',
        },
        host: { name: COLLECTOR },
        winlog: {
          computer_name: s.host,
          channel: 'Microsoft-Windows-Sysmon/Operational',
          provider_name: 'Microsoft-Windows-Sysmon',
          event_id: '1',
          event_data: {
            Image: exe(s.child),
            ParentImage: exe(s.parent),
            ...(s.cmd !== undefined ? { CommandLine: s.cmd } : {}),
          },
        },
        process: {
          entity_id: `{${s.id.padStart(8, '0').slice(-8)}-0000-0000-0000-000000000001}`,
          pid: 1234,
          name: s.child,
          executable: exe(s.child),
          ...(s.cmd !== undefined ? { command_line: s.cmd } : {}),
          parent: { name: s.parent, executable: exe(s.parent) },
        },
      };
    case 'security_wec':
      // Winlogbeat's Security module gives executables only: names come from the paths.
      return {
        '@timestamp': s.time,
        event: {
          category: ['process'],
          type: ['start'],
          code: '4688',
          provider: 'Microsoft-Windows-Security-Auditing',
          action: 'created-process',
        },
        host: { name: COLLECTOR },
        winlog: {
          computer_name: s.host,
          channel: 'Security',
          provider_name: 'Microsoft-Windows-Security-Auditing',
          event_id: '4688',
          event_data: {
            NewProcessName: exe(s.child),
            ParentProcessName: exe(s.parent),
            NewProcessId: '0x1a4',
            ProcessId: '0x10',
          },
        },
        process: {
          pid: 420,
          executable: exe(s.child),
          ...(s.cmd !== undefined ? { command_line: s.cmd } : {}),
          parent: { pid: 16, executable: exe(s.parent) },
        },
      };
  }
}

/** Documents that are not process creations: the reader must not even fetch them. */
export function noiseDocs(time: string): { id: string; doc: Record<string, unknown> }[] {
  return [
    {
      id: 'noise-end',
      doc: {
        '@timestamp': time,
        event: { category: ['process'], type: ['end'], action: 'end' },
        host: { name: 'ws1' },
        process: { name: 'cmd.exe' },
      },
    },
    {
      id: 'noise-net',
      doc: {
        '@timestamp': time,
        event: {
          category: ['network'],
          type: ['connection'],
          code: '3',
          provider: 'Microsoft-Windows-Sysmon',
        },
        host: { name: 'ws1' },
      },
    },
  ];
}

export async function createRawIndex(client: Client, index: string, shards = 1): Promise<void> {
  await client.indices.create({
    index,
    settings: { number_of_shards: shards, number_of_replicas: 0 },
    mappings: RAW_MAPPINGS,
  });
}

export async function indexRaw(
  client: Client,
  index: string,
  docs: { id: string; doc: Record<string, unknown> }[],
): Promise<void> {
  for (let i = 0; i < docs.length; i += 5_000) {
    const operations = docs
      .slice(i, i + 5_000)
      .flatMap((d) => [{ index: { _index: index, _id: d.id } }, d.doc]);
    const res = await client.bulk({ operations });
    if (res.errors) {
      const bad = res.items.find((it) => it.index?.error)?.index?.error;
      throw new Error(`raw docs not indexed: ${bad?.type}: ${bad?.reason}`);
    }
  }
  await client.indices.refresh({ index });
}

/** A deterministic PRNG so failures reproduce. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STEPS: [string, string, (r: () => number) => string | undefined][] = [
  [
    'explorer.exe',
    'cmd.exe',
    (r) => `cmd.exe /c ping -n ${1 + Math.floor(r() * 9)} 10.0.0.${Math.floor(r() * 250)}`,
  ],
  [
    'EXPLORER.EXE',
    'CMD.EXE',
    (r) => `"C:\\Windows\\system32\\cmd.exe" /c dir C:\\Users\\u${Math.floor(r() * 50)}\\Desktop`,
  ],
  [
    'services.exe',
    'svchost.exe',
    () => 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule',
  ],
  ['services.exe', 'svchost.exe', () => undefined],
  [
    'winword.exe',
    'powershell.exe',
    (r) =>
      `powershell.exe -NoP -enc ${'SQBFAFgAIAAoAE4AZQB3'}${Math.floor(r() * 1e6)}AAAAAAAAAAAAAAAAAAAAAA`,
  ],
  ['cmd.exe', 'whoami.exe', () => 'whoami /all'],
  ['cmd.exe', 'net.exe', (r) => `net user admin${Math.floor(r() * 3)} /domain`],
];

/** A mixed set of raw specs over `hosts` endpoints whose names come in several spellings. */
export function rawSpecs(
  n: number,
  opts: { hosts: number; seed: number; start: string; spanMs: number; noHostEvery?: number },
): RawSpec[] {
  const r = prng(opts.seed);
  const t0 = Date.parse(opts.start);
  const shapes: RawShape[] = ['defend', 'sysmon_wec', 'security_wec'];
  const out: RawSpec[] = [];
  for (let i = 0; i < n; i++) {
    const h = Math.floor(r() * opts.hosts);
    const base = `wks${String(h).padStart(3, '0')}.corp.example`;
    const host = r() < 0.3 ? base.toUpperCase() : base;
    const [parent, child, cmd] = STEPS[Math.floor(r() * STEPS.length)] as (typeof STEPS)[number];
    const shape: RawShape =
      opts.noHostEvery && i % opts.noHostEvery === 0
        ? 'no_host'
        : (shapes[Math.floor(r() * shapes.length)] as RawShape);
    out.push({
      id: `raw-${String(i).padStart(6, '0')}`,
      shape,
      host,
      parent,
      child,
      cmd: cmd(r),
      time: new Date(t0 + Math.floor(r() * opts.spanMs)).toISOString(),
    });
  }
  return out;
}
