/** TEST HELPER: hand-made ProcessEvents / ScoredEvents with only the fields a test cares about. */
import type { ProcessEvent } from '../../../../common/types/process_event';
import type { ScoredEvent } from '../../../../common/types/scoring';

export interface EventSpec {
  id?: string;
  host?: string;
  /** ISO time or ms offset from 2024-01-01T00:00:00Z. */
  t?: string | number;
  entity: string;
  parent?: string;
  name: string;
  parentName?: string;
  cmd?: string;
  pid?: number;
  parentPid?: number;
  user?: string;
  score?: number;
}

const BASE = Date.parse('2024-01-01T00:00:00.000Z');

export function processEvent(s: EventSpec): ProcessEvent {
  const t = typeof s.t === 'string' ? s.t : new Date(BASE + (s.t ?? 0)).toISOString();
  return {
    '@timestamp': t,
    host: { name: s.host ?? 'host-a' },
    event: {
      category: ['process'],
      type: ['start'],
      action: 'start',
      id: s.id ?? `ev-${s.entity}`,
      code: '1',
    },
    process: {
      entity_id: s.entity,
      pid: s.pid,
      name: s.name,
      command_line: s.cmd ?? s.name,
      parent: {
        entity_id: s.parent,
        pid: s.parentPid,
        name: s.parentName,
      },
    },
    user: { name: s.user ?? 'alice' },
    problemchild: { sources: [{ kind: 'file', file: 'test', line: 1, format: 'ecs' }] },
  };
}

export function scoredEvent(s: EventSpec): ScoredEvent {
  return { event: processEvent(s), score: s.score ?? 0.05, scoreSource: 'model', topFeatures: [] };
}

let creations = 0;

/** One process creation on `host` (a new entity each call) with only names and command line. */
export function creation(
  host: string,
  parentName: string,
  name: string,
  cmd: string,
  t: string | number = 0,
): ProcessEvent {
  return processEvent({
    host,
    entity: `${host}-${name}-${creations++}`,
    parent: 'p',
    parentName,
    name,
    cmd,
    t,
  });
}
