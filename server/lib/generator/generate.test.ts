import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventLabel, ProcessEvent } from '../../../common/types/process_event';
import {
  createGenerator,
  generate,
  generateSync,
  GeneratorOptionError,
  resolveOptions,
  type GeneratedRecord,
} from './generate';
import { normaliseRecord } from '../normalise/normalise_record';
import { ecsLine } from './records';
import { TEMPLATE_NAMES } from './scenarios';
import { writeDataset, type DatasetManifest } from './write';

const SMALL = {
  hosts: 12,
  days: 5,
  attacks: TEMPLATE_NAMES.length * 2,
  seed: 'unit',
  eventsPerHostDay: 150,
} as const;

let records: GeneratedRecord[] = [];
const dirs: string[] = [];

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'pc-gen-'));
  dirs.push(d);
  return d;
}

beforeAll(() => {
  records = [...generateSync(SMALL)];
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function byScenario(): Map<string, GeneratedRecord[]> {
  const m = new Map<string, GeneratedRecord[]>();
  for (const r of records) {
    if (!r.label.scenario_id) continue;
    const list = m.get(r.label.scenario_id) ?? [];
    list.push(r);
    m.set(r.label.scenario_id, list);
  }
  return m;
}

describe('generated stream', () => {
  it('is globally sorted by @timestamp', () => {
    const times = records.map((r) => r.event['@timestamp']);
    expect(times).toEqual([...times].sort());
    expect(records.length).toBeGreaterThan(5000);
  });

  it('emits every parent before its children, with unique entity ids and event ids', () => {
    const seen = new Map<string, ProcessEvent>();
    const ids = new Set<string>();
    for (const { event } of records) {
      const parentId = event.process.parent.entity_id as string;
      const parent = seen.get(parentId);
      if (parent) {
        expect(parent.process.pid).toBe(event.process.parent.pid);
        expect(parent.host.name).toBe(event.host.name);
        expect(parent['@timestamp'] <= event['@timestamp']).toBe(true);
      } else {
        // Only smss.exe at boot may hang from the System pseudo-process.
        expect(event.process.parent.name).toBe('System');
        expect(event.process.name).toBe('smss.exe');
      }
      expect(seen.has(event.process.entity_id)).toBe(false);
      seen.set(event.process.entity_id, event);
      expect(ids.has(event.event.id)).toBe(false);
      ids.add(event.event.id);
    }
  });

  it('labels every event, joined on _rid == event.id, with consistent convenience fields', () => {
    for (const { event, label } of records) {
      expect(label._rid).toBe(event.event.id);
      expect(label.host).toBe(event.host.name);
      expect(label.pid).toBe(event.process.pid);
      expect(label.image).toBe(event.process.executable);
      expect(label.command_line).toBe((event.process.command_line ?? '').slice(0, 400));
      expect(label.utc_time?.replace(' ', 'T') + 'Z').toBe(event['@timestamp']);
      expect(['attack', 'attack_descendant', 'background']).toContain(label.role);
      expect(label.malicious).toBe(label.role !== 'background');
      if (label.malicious) {
        expect(label.scenario_id).toBeTruthy();
        expect(label.technique).toMatch(/^T\d{4}(\.\d{3})?$/);
      }
    }
  });

  it('produces valid-looking ECS fields', () => {
    const integrity = new Set(['system', 'high', 'medium', 'low', 'untrusted']);
    for (const { event } of records.slice(0, 3000)) {
      const p = event.process;
      expect(p.entity_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(p.pid! % 4).toBe(0);
      expect(p.name).toBe(p.executable?.slice(p.executable.lastIndexOf('\\') + 1));
      expect(p.hash?.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(integrity.has(p.Ext?.token?.integrity_level_name ?? '')).toBe(true);
      expect(p.args?.length).toBeGreaterThan(0);
      expect(event.user.id).toMatch(/^S-1-/);
      expect(ecsLine(event)).toBe(JSON.stringify(event));
    }
  });

  it('mixes signed Microsoft binaries with unsigned third-party ones and SYSTEM services', () => {
    const signed = records.filter(
      (r) => r.event.process.code_signature?.subject_name === 'Microsoft Windows',
    ).length;
    const unsignedBenign = records.filter(
      (r) => r.event.process.code_signature?.exists === false && !r.label.malicious,
    ).length;
    const system = records.filter((r) => r.event.user.id === 'S-1-5-18').length;
    expect(signed / records.length).toBeGreaterThan(0.3);
    expect(unsignedBenign).toBeGreaterThan(0);
    expect(system).toBeGreaterThan(100);
  });

  it('contains benign uses of LOLBins so image names alone do not separate the classes', () => {
    const benign = records
      .filter((r) => !r.label.malicious)
      .map((r) => r.event.process.command_line ?? '');
    expect(
      benign.some((c) =>
        /-ExecutionPolicy Bypass -(NoProfile -WindowStyle Hidden )?-File "C:\\(Program Files|Windows\\CCM)/i.test(
          c,
        ),
      ),
    ).toBe(true);
    expect(benign.some((c) => / -EncodedCommand /.test(c))).toBe(true);
    expect(benign.some((c) => /^(net|ipconfig|systeminfo|wmic)\s/i.test(c))).toBe(true);
    const benignImages = new Set(
      records.filter((r) => !r.label.malicious).map((r) => r.event.process.name.toLowerCase()),
    );
    for (const lolbin of [
      'powershell.exe',
      'cmd.exe',
      'rundll32.exe',
      'wmiprvse.exe',
      'net.exe',
      'reg.exe',
      'msiexec.exe',
    ]) {
      expect(benignImages.has(lolbin)).toBe(true);
    }
  });

  it('has management agents collect diagnostics: a burst of shells as SYSTEM writing to one folder', () => {
    const byId = new Map(records.map((r) => [r.event.process.entity_id, r]));
    const bursts = new Map<string, GeneratedRecord[]>();
    for (const r of records) {
      const m = /^C:\\Windows\\system32\\cmd\.exe \/c .*"(C:\\Windows\\Temp\\[A-Za-z]+_\d+)\\/.exec(
        r.event.process.command_line ?? '',
      );
      if (m) bursts.set(m[1] as string, [...(bursts.get(m[1] as string) ?? []), r]);
    }
    expect(bursts.size).toBeGreaterThan(0);
    for (const [folder, shells] of bursts) {
      expect(shells.length, folder).toBeGreaterThanOrEqual(8);
      // One collector script starts every shell of a burst; an agent service started the script.
      const scripts = new Set(shells.map((r) => r.event.process.parent.entity_id));
      expect(scripts.size, folder).toBe(1);
      const script = byId.get([...scripts][0] as string);
      expect(script?.event.process.command_line, folder).toContain(folder);
      expect(['CcmExec.exe', 'MonitoringHost.exe', 'Veeam.EndPoint.Service.exe']).toContain(
        script?.event.process.parent.name,
      );
      for (const r of shells) {
        expect(r.label.malicious).toBe(false);
        expect(r.event.user.name).toBe('SYSTEM');
        // Each shell runs the tool it names, as a child, and gets its console host.
        const children = records.filter(
          (c) => c.event.process.parent.entity_id === r.event.process.entity_id,
        );
        const tool = (r.event.process.command_line ?? '').split(' /c ')[1]?.split(' ')[0];
        expect(children.map((c) => c.event.process.name.toLowerCase())).toEqual(
          expect.arrayContaining(['conhost.exe', `${tool}.exe`]),
        );
      }
    }
  });

  it('injects every scenario template with the expected chain structure', () => {
    const scenarios = byScenario();
    const templates = new Set([...scenarios.values()].map((r) => r[0]?.label.template));
    for (const t of TEMPLATE_NAMES) expect(templates.has(t)).toBe(true);
    const rids = new Map(records.map((r) => [r.label._rid, r]));
    const lsassPids = new Map<string, Set<number>>();
    for (const r of records) {
      if (r.event.process.name === 'lsass.exe') {
        const s = lsassPids.get(r.event.host.name) ?? new Set();
        s.add(r.event.process.pid as number);
        lsassPids.set(r.event.host.name, s);
      }
    }
    for (const [id, evs] of scenarios) {
      const tpl = evs[0]?.label.template as string;
      expect(evs.some((r) => r.label.role === 'attack')).toBe(true);
      // Descendants point at an attack-role event of the same scenario.
      for (const r of evs) {
        const root = rids.get(r.label.root_rid as string);
        expect(root?.label.role).toBe('attack');
        expect(root?.label.scenario_id).toBe(id);
      }
      const has = (parent: RegExp, child: RegExp, cmd: RegExp = /.*/): boolean =>
        evs.some(
          (r) =>
            parent.test(r.event.process.parent.name ?? '') &&
            child.test(r.event.process.name) &&
            cmd.test(r.event.process.command_line ?? ''),
        );
      const hosts = new Set(evs.map((r) => r.event.host.name));
      const at = (pred: (r: GeneratedRecord) => boolean): number =>
        Date.parse(evs.find(pred)?.event['@timestamp'] ?? 'missing');
      switch (tpl) {
        case 'office_macro_powershell':
          expect(has(/^(WINWORD|EXCEL)\.EXE$/, /^(cmd|powershell)\.exe$/)).toBe(true);
          expect(has(/./, /^powershell\.exe$/, / -enc(odedcommand)?\s/i)).toBe(true);
          break;
        case 'mshta_hta_stager':
          expect(has(/./, /^mshta\.exe$/)).toBe(true);
          expect(has(/^mshta\.exe$/, /^powershell\.exe$/)).toBe(true);
          break;
        case 'regsvr32_squiblydoo':
          expect(has(/./, /^regsvr32\.exe$/, /\/i:https?:\/\/.*scrobj\.dll/)).toBe(true);
          expect(has(/^regsvr32\.exe$/, /^powershell\.exe$/)).toBe(true);
          break;
        case 'rundll32_javascript':
          expect(has(/^explorer\.exe$/, /^rundll32\.exe$/, /javascript:/)).toBe(true);
          break;
        case 'certutil_download_exec':
          expect(
            evs.some(
              (r) =>
                r.event.process.pe?.original_file_name === 'CertUtil.exe' &&
                /-urlcache|-decode/.test(r.event.process.command_line ?? ''),
            ),
          ).toBe(true);
          break;
        case 'bitsadmin_download_exec':
          expect(has(/./, /^bitsadmin\.exe$/, /\/transfer|\/addfile/)).toBe(true);
          break;
        case 'wmic_process_create':
          expect(has(/./, /^WMIC\.exe$/, /process call create/)).toBe(true);
          expect(has(/^WmiPrvSE\.exe$/, /^powershell\.exe$/)).toBe(true);
          break;
        case 'schtasks_persistence':
          expect(has(/./, /^schtasks\.exe$/, /\/create/i)).toBe(true);
          break;
        case 'psexec_lateral':
        case 'intrusion_to_dc':
          expect(evs.some((r) => r.event.process.pe?.original_file_name === 'psexec.c')).toBe(true);
          expect(has(/^services\.exe$/, /^PSEXESVC\.exe$/)).toBe(true);
          expect(hosts.size).toBe(2);
          // The PsExec call on the victim precedes the service it installs on the target.
          expect(at((r) => r.event.process.pe?.original_file_name === 'psexec.c')).toBeLessThan(
            at((r) => r.event.process.name === 'PSEXESVC.exe'),
          );
          break;
        case 'wmi_lateral':
          expect(has(/./, /^WMIC\.exe$/, /\/node:/)).toBe(true);
          expect(has(/^WmiPrvSE\.exe$/, /^cmd\.exe$/)).toBe(true);
          expect(hosts.size).toBe(2);
          expect(at((r) => r.event.process.name === 'WMIC.exe')).toBeLessThan(
            at((r) => r.event.process.parent.name === 'WmiPrvSE.exe'),
          );
          break;
        case 'lsass_dump_comsvcs': {
          const dump = evs.find((r) =>
            /comsvcs\.dll(,| #24)/.test(r.event.process.command_line ?? ''),
          );
          expect(dump).toBeDefined();
          const pid = Number(
            /(?:MiniDump|#24) (\d+)/.exec(dump?.event.process.command_line ?? '')?.[1],
          );
          expect(lsassPids.get(dump?.event.host.name ?? '')?.has(pid)).toBe(true);
          break;
        }
        case 'lsass_dump_procdump':
          expect(
            evs.some(
              (r) =>
                r.event.process.pe?.original_file_name === 'procdump' &&
                /-ma /.test(r.event.process.command_line ?? ''),
            ),
          ).toBe(true);
          break;
        case 'discovery_burst':
          expect(
            evs.filter(
              (r) =>
                /^(whoami|net|nltest|ipconfig|systeminfo|tasklist|quser|ARP|ROUTE|NETSTAT|HOSTNAME)\.exe$/i.test(
                  r.event.process.name,
                ) && r.label.role === 'attack',
            ).length,
          ).toBeGreaterThanOrEqual(5);
          break;
        case 'shadow_copy_deletion':
          expect(has(/./, /^vssadmin\.exe$/, /delete shadows/)).toBe(true);
          break;
        case 'run_key_persistence':
          expect(has(/./, /^reg\.exe$/, /CurrentVersion\\Run/)).toBe(true);
          break;
        case 'webshell_w3wp':
          expect(has(/^w3wp\.exe$/, /^cmd\.exe$/)).toBe(true);
          break;
        default:
          throw new Error(`no structural check for template ${tpl}`);
      }
    }
  });

  it('sometimes runs a renamed binary (name differs from the PE original file name)', () => {
    const renamed = records.filter((r) => {
      const orig = r.event.process.pe?.original_file_name;
      return (
        r.label.malicious &&
        orig &&
        orig !== 'psexec.c' &&
        orig !== 'procdump' &&
        orig.toLowerCase() !== r.event.process.name.toLowerCase()
      );
    });
    const procdumpRenamed = records.filter(
      (r) =>
        r.event.process.pe?.original_file_name === 'procdump' &&
        r.event.process.name !== 'procdump64.exe',
    );
    expect(renamed.length + procdumpRenamed.length).toBeGreaterThan(0);
  });

  it('normalises the flat Sysmon form to the same ECS core fields as the ECS form', () => {
    const opts = {
      hosts: 4,
      days: 1,
      attacks: 3,
      seed: 'norm',
      eventsPerHostDay: 100,
      format: 'sysmon' as const,
    };
    let checked = 0;
    for (const { event, sysmon } of generateSync(opts)) {
      const res = normaliseRecord(sysmon, {
        kind: 'file',
        file: 'x',
        line: 1,
        format: 'sysmon_flat',
      });
      expect(res.status).toBe('event');
      if (res.status !== 'event') continue;
      const n = res.event;
      expect(n.event.id).toBe(event.event.id);
      expect(n['@timestamp']).toBe(event['@timestamp']);
      expect(n.host.name).toBe(event.host.name);
      expect(n.process.entity_id).toBe(event.process.entity_id);
      expect(n.process.parent.entity_id).toBe(event.process.parent.entity_id);
      expect(n.process.pid).toBe(event.process.pid);
      expect(n.process.parent.pid).toBe(event.process.parent.pid);
      expect(n.process.executable).toBe(event.process.executable);
      expect(n.process.command_line).toBe(event.process.command_line);
      expect(n.user.name).toBe(event.user.name);
      expect(n.process.Ext?.token?.integrity_level_name).toBe(
        event.process.Ext?.token?.integrity_level_name,
      );
      checked++;
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('async generate() yields the same stream as generateSync()', async () => {
    const opts = { hosts: 3, days: 1, attacks: 2, seed: 'async', eventsPerHostDay: 50 };
    const a: string[] = [];
    for await (const r of generate(opts)) a.push(r.event.event.id);
    expect(a).toEqual([...generateSync(opts)].map((r) => r.event.event.id));
  });

  it('scales event volume with eventsPerHostDay', () => {
    const count = (epd: number): number =>
      [...generateSync({ hosts: 6, days: 2, attacks: 0, seed: 'vol', eventsPerHostDay: epd })]
        .length;
    const lo = count(200);
    const hi = count(800);
    expect(hi).toBeGreaterThan(lo * 2);
    // Roughly the requested volume (boots and logons add a fixed floor).
    expect(hi / (6 * 2)).toBeGreaterThan(400);
    expect(hi / (6 * 2)).toBeLessThan(1600);
  });

  it('rejects bad options naming the option', () => {
    expect(() => resolveOptions({ hosts: 0 })).toThrow(GeneratorOptionError);
    try {
      resolveOptions({ days: 1.5 });
    } catch (e) {
      expect((e as GeneratorOptionError).option).toBe('days');
    }
    expect(() => resolveOptions({ start: 'yesterday' })).toThrow(/start/);
  });

  it('plans attacks on hosts and inside user sessions', () => {
    const run = createGenerator(SMALL);
    expect(run.plans.length).toBe(SMALL.attacks);
    for (const p of run.plans) {
      expect(p.start).toBeGreaterThanOrEqual(run.env.startMs);
      expect(p.start).toBeLessThan(run.env.endMs);
    }
  });
});

describe('writeDataset', () => {
  const opts = { hosts: 5, days: 2, attacks: 6, seed: 'write', eventsPerHostDay: 120 };

  it('is byte-identical for the same seed and differs for another seed', async () => {
    const a = tmp();
    const b = tmp();
    const c = tmp();
    await writeDataset({ ...opts, out: a });
    await writeDataset({ ...opts, out: b });
    await writeDataset({ ...opts, seed: 'other', out: c });
    for (const f of ['synthetic.events.ndjson', 'synthetic.labels.ndjson', 'manifest.json']) {
      expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f)))).toBe(true);
    }
    expect(
      readFileSync(join(a, 'synthetic.events.ndjson')).equals(
        readFileSync(join(c, 'synthetic.events.ndjson')),
      ),
    ).toBe(false);
  });

  it('writes a manifest whose counts match the labels file', async () => {
    const dir = tmp();
    const manifest = await writeDataset({ ...opts, attacks: 17, out: dir });
    const labels = readFileSync(join(dir, 'synthetic.labels.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EventLabel);
    const events = readFileSync(join(dir, 'synthetic.events.ndjson'), 'utf8').trim().split('\n');
    expect(labels.length).toBe(manifest.totals.events);
    expect(events.length).toBe(manifest.totals.events);
    expect(labels.filter((l) => l.malicious).length).toBe(manifest.totals.malicious);
    const perScenario = new Map<string, number>();
    for (const l of labels)
      if (l.scenario_id) perScenario.set(l.scenario_id, (perScenario.get(l.scenario_id) ?? 0) + 1);
    for (const s of manifest.scenarios) {
      expect(s.events).toBe(perScenario.get(s.scenario_id) ?? 0);
      expect(s.attack + s.attack_descendant).toBe(s.events);
    }
    expect(manifest.scenarios.length).toBe(17);
    const perHost = new Map<string, number>();
    for (const l of labels) perHost.set(l.host as string, (perHost.get(l.host as string) ?? 0) + 1);
    for (const h of manifest.hosts) expect(h.events).toBe(perHost.get(h.name) ?? 0);
    const first = JSON.parse(events[0] as string) as ProcessEvent;
    expect(first.problemchild.sources[0]).toEqual({
      kind: 'file',
      file: 'synthetic.events.ndjson',
      line: 1,
      format: 'ecs',
    });
  });

  it('writes flat Sysmon EID 1 records and gzip when asked', async () => {
    const dir = tmp();
    const manifest: DatasetManifest = await writeDataset({
      ...opts,
      format: 'sysmon',
      gzip: true,
      out: dir,
    });
    expect(manifest.files.events).toBe('synthetic.events.ndjson.gz');
    const lines = gunzipSync(readFileSync(join(dir, manifest.files.events)))
      .toString('utf8')
      .trim()
      .split('\n');
    const labels = gunzipSync(readFileSync(join(dir, manifest.files.labels)))
      .toString('utf8')
      .trim()
      .split('\n');
    expect(lines.length).toBe(manifest.totals.events);
    expect(labels.length).toBe(lines.length);
    const rec = JSON.parse(lines[10] as string) as Record<string, unknown>;
    expect(rec.EventID).toBe(1);
    expect(rec.UtcTime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
    expect(rec.ProcessGuid).toMatch(/^\{[0-9a-f-]{36}\}$/);
    expect(rec.Hashes).toMatch(
      /^SHA1=[0-9A-F]{40},MD5=[0-9A-F]{32},SHA256=[0-9A-F]{64},IMPHASH=[0-9A-F]{32}$/,
    );
    expect(String(rec.User)).toContain('\\');
    expect(rec._rid).toBe((JSON.parse(labels[10] as string) as EventLabel)._rid);
    for (const k of [
      'Image',
      'CommandLine',
      'ProcessId',
      'ParentProcessGuid',
      'ParentProcessId',
      'ParentImage',
      'ParentCommandLine',
      'IntegrityLevel',
      'OriginalFileName',
      'CurrentDirectory',
      'Hostname',
    ]) {
      expect(rec).toHaveProperty(k);
    }
  });
});
