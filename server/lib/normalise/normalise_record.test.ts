import { describe, expect, it } from 'vitest';
import type { ProcessEvent } from '../../../common/types/process_event';
import {
  elevationTypeName,
  integrityName,
  normaliseRecord,
  parseHashes,
  type RecordResult,
} from './normalise_record';
import {
  defendStart,
  evtxSysmon,
  fileRef,
  nxlog4688,
  nxlogSysmon,
  wlb64688,
  wlb6Sysmon,
  wlb7Sysmon,
} from './test_fixtures';

function event(r: RecordResult): ProcessEvent {
  if (r.status !== 'event') {
    throw new Error(`expected an event, got ${JSON.stringify(r)}`);
  }
  return r.event;
}

describe('normaliseRecord: Sysmon EID 1', () => {
  it('maps an NXLog flat record, taking the endpoint from Hostname, not the collector `host`', () => {
    const e = event(normaliseRecord(nxlogSysmon(), fileRef(7, '/data/x.ndjson')));
    expect(e.host.name).toBe('wks01.lab.example');
    expect(e['@timestamp']).toBe('2022-03-04T10:06:07.250Z');
    expect(e.event).toEqual({
      category: ['process'],
      type: ['start'],
      action: 'start',
      id: 'x.ndjson:7',
      code: '1',
    });
    expect(e.process.entity_id).toBe('aaaa0001-1111-2222-3333-444455556666');
    expect(e.process.pid).toBe(4242);
    expect(e.process.name).toBe('cmd.exe');
    expect(e.process.executable).toBe('C:\\Windows\\System32\\cmd.exe');
    expect(e.process.args).toEqual(['C:\\Windows\\system32\\cmd.exe', '/c', 'echo hi > out.txt']);
    expect(e.process.working_directory).toBe('C:\\Users\\alice\\');
    expect(e.process.pe?.original_file_name).toBe('Cmd.Exe');
    expect(e.process.pe?.imphash).toBe('0123456789abcdef0123456789abcdef');
    expect(e.process.hash).toEqual({ sha1: 'ab12', md5: 'cd34', sha256: 'ef56' });
    expect(e.process.Ext?.token).toEqual({ integrity_level_name: 'medium', elevation: false });
    expect(e.process.parent).toMatchObject({
      entity_id: 'aaaa0001-1111-2222-3333-000000000001',
      pid: 1000,
      name: 'explorer.exe',
      executable: 'C:\\Windows\\explorer.exe',
      command_line: 'C:\\Windows\\Explorer.EXE',
    });
    expect(e.user).toEqual({ name: 'alice', domain: 'LAB' });
    expect(e.problemchild.sources).toEqual([
      { kind: 'file', file: '/data/x.ndjson', line: 7, format: 'sysmon_flat' },
    ]);
  });

  it('never carries RuleName (ATT&CK tags are a label leak)', () => {
    const e = event(normaliseRecord(nxlogSysmon(), fileRef()));
    expect(JSON.stringify(e)).not.toContain('technique');
  });

  it('uses `_rid` as the event id when the dataset provides one', () => {
    const e = event(
      normaliseRecord(nxlogSysmon({ _rid: 'ds:file.json:12', _dataset: 'ds' }), fileRef()),
    );
    expect(e.event.id).toBe('ds:file.json:12');
  });

  it('keeps working without ProcessId (NXLog field collision): identity from ProcessGuid', () => {
    const rec = nxlogSysmon();
    delete rec.ProcessId;
    const e = event(normaliseRecord(rec, fileRef()));
    expect(e.process.pid).toBeUndefined();
    expect(e.process.entity_id).toBe('aaaa0001-1111-2222-3333-444455556666');
  });

  it('maps Winlogbeat 6 event_data, with computer_name as the host (host.name is WECserver)', () => {
    const e = event(normaliseRecord(wlb6Sysmon(), fileRef()));
    expect(e.host.name).toBe('hr001.shire.example');
    expect(e.problemchild.sources[0]?.format).toBe('sysmon_winlogbeat6');
    expect(e['@timestamp']).toBe('2019-05-18T21:11:44.100Z');
    expect(e.process.pid).toBe(5100);
    expect(e.user).toEqual({ name: 'pgustavo', domain: 'SHIRE' });
    expect(e.process.args).toEqual(['powershell.exe', '-nop', '-w', 'hidden', '-c', 'IEX 1']);
  });

  it('maps EVTX-flattened records with Computer as the host', () => {
    const e = event(normaliseRecord(evtxSysmon(), fileRef()));
    expect(e.host.name).toBe('desktop-x1');
    expect(e.problemchild.sources[0]?.format).toBe('sysmon_evtx');
    expect(e.process.hash).toEqual({ md5: '00', sha256: '11', sha1: undefined });
    expect(e.process.Ext?.token?.integrity_level_name).toBe('high');
  });

  it('maps nested EVTX JSON (System + EventData.Data[])', () => {
    const rec = {
      Event: {
        System: {
          Provider: { '@Name': 'Microsoft-Windows-Sysmon' },
          EventID: { '#text': '1' },
          Computer: 'NESTED-PC',
          TimeCreated: { '@SystemTime': '2020-01-02T03:04:05.600Z' },
        },
        EventData: {
          Data: [
            { '@Name': 'UtcTime', '#text': '2020-01-02 03:04:05.599' },
            { '@Name': 'Image', '#text': 'C:\\x\\a.exe' },
            { '@Name': 'ProcessGuid', '#text': '{00000001-0000-0000-0000-000000000001}' },
            { '@Name': '__proto__', '#text': 'ignored' },
          ],
        },
      },
    };
    const e = event(normaliseRecord(rec, fileRef()));
    expect(e.host.name).toBe('nested-pc');
    expect(e.process.name).toBe('a.exe');
    expect(e['@timestamp']).toBe('2020-01-02T03:04:05.599Z');
  });
});

describe('normaliseRecord: Security 4688', () => {
  it('reads hex PIDs, the creator ProcessId as the PARENT pid, and ParentProcessName', () => {
    const e = event(normaliseRecord(nxlog4688(), fileRef()));
    expect(e.process.pid).toBe(0x1092);
    expect(e.process.parent.pid).toBe(1000);
    expect(e.process.parent.executable).toBe('C:\\Windows\\explorer.exe');
    expect(e.process.parent.name).toBe('explorer.exe');
    expect(e.event.code).toBe('4688');
    expect(e.problemchild.sources[0]?.format).toBe('security_4688');
  });

  it('decodes HTML entities in the command line', () => {
    const e = event(normaliseRecord(nxlog4688(), fileRef()));
    expect(e.process.command_line).toBe('"C:\\Windows\\system32\\cmd.exe" /c "echo hi > out.txt"');
    expect(e.process.args?.[2]).toBe('echo hi > out.txt');
  });

  it('maps token elevation type and mandatory label', () => {
    const e = event(normaliseRecord(nxlog4688(), fileRef()));
    expect(e.process.Ext?.token).toEqual({
      elevation_type: 'limited',
      integrity_level_name: 'medium',
      elevation: false,
    });
    const full = event(normaliseRecord(wlb64688(), fileRef()));
    expect(full.process.Ext?.token).toEqual({
      elevation_type: 'full',
      integrity_level_name: 'high',
      elevation: true,
    });
  });

  it('takes the Subject as the user when the Target is empty, the Target otherwise', () => {
    expect(event(normaliseRecord(nxlog4688(), fileRef())).user).toEqual({
      name: 'alice',
      domain: 'LAB',
      id: 'S-1-5-21-1-2-3-1001',
    });
    expect(event(normaliseRecord(wlb64688(), fileRef())).user).toEqual({
      name: 'pgustavo',
      domain: 'SHIRE',
      id: 'S-1-5-21-9-9-9-1104',
    });
  });

  it('keeps the raw (possibly skewed) time; correction is the streaming stage’s job', () => {
    const e = event(normaliseRecord(nxlog4688(), fileRef()));
    expect(e['@timestamp']).toBe('2022-03-04T06:06:07.000Z');
  });

  it('uses computer_name for Winlogbeat 6 4688 and its @timestamp', () => {
    const e = event(normaliseRecord(wlb64688(), fileRef()));
    expect(e.host.name).toBe('hr001.shire.example');
    expect(e.process.pid).toBe(0x13ec);
    expect(e.process.parent.pid).toBe(0xbb8);
    expect(e['@timestamp']).toBe('2019-05-18T21:11:44.102Z');
  });

  it('gives processes without a GUID a stable id that differs with start time (PID reuse)', () => {
    const a = event(normaliseRecord(nxlog4688(), fileRef(1)));
    const again = event(normaliseRecord(nxlog4688(), fileRef(99)));
    const reused = event(
      normaliseRecord(nxlog4688({ EventTime: '2022-03-04 07:00:00' }), fileRef(2)),
    );
    expect(a.process.entity_id).toBe(again.process.entity_id);
    expect(reused.process.entity_id).not.toBe(a.process.entity_id);
  });
});

describe('normaliseRecord: ECS', () => {
  it('passes Elastic Defend fields through', () => {
    const e = event(normaliseRecord(defendStart(), fileRef()));
    expect(e.process.entity_id).toBe('YjQ1ZjE0OGEtOTBhZS00NzQ2LWI4ZjgtZmU5NWQ1N2Y3OGNiLTE=');
    expect(e.event.id).toBe('NDef1');
    expect(e.process.code_signature).toEqual({
      exists: true,
      trusted: true,
      subject_name: 'Microsoft Windows',
    });
    expect(e.process.Ext?.token).toEqual({
      elevation: true,
      elevation_type: 'full',
      integrity_level_name: 'high',
    });
    expect(e.process.args).toEqual(['certutil.exe', '-urlcache', '-f', 'http://x/y', 'z.exe']);
    expect(e.process.hash?.sha256).toBe('dead');
    expect(e.process.parent.entity_id).toBe('cGFyZW50');
    expect(e.user).toEqual({ name: 'carol', domain: 'CORP', id: 'S-1-5-21-5-5-5-500' });
    expect(e.problemchild.sources[0]?.format).toBe('ecs');
  });

  it('uses winlog.computer_name over the collector host.name (Winlogbeat 7)', () => {
    const e = event(normaliseRecord(wlb7Sysmon(), fileRef()));
    expect(e.host.name).toBe('app02.corp.example');
    expect(e.process.entity_id).toBe('9c0e1d2e-0001-0002-0003-000000000004');
    expect(e.process.Ext?.token?.integrity_level_name).toBe('medium');
    expect(e.process.pe?.imphash).toBe('ffffffffffffffffffffffffffffffff');
    expect(e.event.code).toBe('1');
  });

  it('accepts dotted keys and keeps a ProblemChild score', () => {
    const e = event(
      normaliseRecord(
        {
          '@timestamp': '2024-01-01T00:00:00Z',
          'event.category': 'process',
          'event.type': 'start',
          'host.name': 'H1',
          'process.executable': 'C:\\a\\b.exe',
          'process.pid': 10,
          problemchild: { prediction_probability: 0.93 },
        },
        fileRef(),
      ),
    );
    expect(e.process.name).toBe('b.exe');
    expect(e.process.pid).toBe(10);
    expect(e.problemchild.prediction_probability).toBe(0.93);
  });

  it('skips non-start ECS events by kind', () => {
    expect(
      normaliseRecord(
        { event: { category: ['process'], type: ['end'] }, host: { name: 'h' } },
        fileRef(),
      ),
    ).toEqual({
      status: 'skipped',
      kind: 'ecs:process:end',
    });
    expect(normaliseRecord({ event: { category: ['network'] } }, fileRef())).toEqual({
      status: 'skipped',
      kind: 'ecs:network',
    });
    expect(
      normaliseRecord(
        wlb7Sysmon({ event: { code: '3', provider: 'Microsoft-Windows-Sysmon' } }),
        fileRef(),
      ),
    ).toEqual({
      status: 'skipped',
      kind: 'sysmon:3',
    });
  });
});

describe('normaliseRecord: classification', () => {
  it('skips other event ids by provider and id', () => {
    expect(normaliseRecord(nxlogSysmon({ EventID: 3 }), fileRef())).toEqual({
      status: 'skipped',
      kind: 'sysmon:3',
    });
    expect(normaliseRecord(nxlog4688({ EventID: 4624 }), fileRef())).toEqual({
      status: 'skipped',
      kind: 'security:4624',
    });
    expect(
      normaliseRecord(
        { EventID: 7045, Channel: 'System', SourceName: 'Service Control Manager' },
        fileRef(),
      ),
    ).toEqual({
      status: 'skipped',
      kind: 'service control manager:7045',
    });
  });

  it('rejects what is not a process event with a reason', () => {
    const reason = (r: RecordResult): string => (r.status === 'rejected' ? r.reason : r.status);
    expect(reason(normaliseRecord([1, 2], fileRef()))).toBe('not_an_object');
    expect(reason(normaliseRecord('x', fileRef()))).toBe('not_an_object');
    expect(reason(normaliseRecord({ foo: 1 }, fileRef()))).toBe('unknown_kind');
    expect(reason(normaliseRecord({ EventID: 1 }, fileRef()))).toBe('unknown_kind');
    expect(reason(normaliseRecord(nxlogSysmon({ Image: undefined }), fileRef()))).toBe(
      'missing_image',
    );
    expect(reason(normaliseRecord(nxlogSysmon({ Hostname: undefined }), fileRef()))).toBe(
      'missing_host',
    );
    expect(reason(normaliseRecord(nxlog4688({ Hostname: '' }), fileRef()))).toBe('missing_host');
    expect(
      reason(
        normaliseRecord(
          nxlogSysmon({ UtcTime: 'yesterday', EventTime: undefined, '@timestamp': undefined }),
          fileRef(),
        ),
      ),
    ).toBe('missing_time');
  });

  it('survives wrong types everywhere', () => {
    const e = event(
      normaliseRecord(
        nxlogSysmon({
          ProcessId: { x: 1 },
          ParentProcessId: [1],
          User: 5,
          Hashes: { a: 1 },
          CommandLine: null,
          ProcessGuid: 12,
        }),
        fileRef(),
      ),
    );
    expect(e.process.pid).toBeUndefined();
    expect(e.process.parent.pid).toBeUndefined();
    expect(e.process.command_line).toBeUndefined();
    expect(e.process.hash).toBeUndefined();
    expect(e.user.name).toBe('5');
  });
});

describe('field decoders', () => {
  it('maps integrity levels in Elastic Defend spelling', () => {
    expect(integrityName('S-1-16-12288')).toBe('high');
    expect(integrityName('S-1-16-16384')).toBe('system');
    expect(integrityName('S-1-16-8192')).toBe('medium');
    expect(integrityName('S-1-16-4096')).toBe('low');
    expect(integrityName('S-1-16-0')).toBe('untrusted');
    expect(integrityName('AppContainer')).toBe('low');
    expect(integrityName('System')).toBe('system');
    expect(integrityName('bogus')).toBeUndefined();
  });

  it('maps 4688 elevation types', () => {
    expect(elevationTypeName('%%1936')).toBe('default');
    expect(elevationTypeName('%%1937')).toBe('full');
    expect(elevationTypeName('%%1938')).toBe('limited');
    expect(elevationTypeName('TokenElevationTypeFull (2)')).toBe('full');
    expect(elevationTypeName('?')).toBeUndefined();
  });

  it('parses Sysmon Hashes in any order and case', () => {
    expect(parseHashes('MD5=AA,SHA256=BB')).toEqual({ md5: 'aa', sha256: 'bb', sha1: undefined });
    expect(parseHashes('sha1=Cc')).toEqual({ sha1: 'cc', sha256: undefined, md5: undefined });
    expect(parseHashes('IMPHASH=00')).toBeUndefined();
    expect(parseHashes('')).toBeUndefined();
  });
});
