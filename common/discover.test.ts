import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_INDICES } from './constants';
import {
  buildCommunityKql,
  buildDiscoverParams,
  DEFAULT_DISCOVER_COLUMNS,
  discoverTargetOf,
  kqlAnyOf,
  quoteKqlValue,
} from './discover';

/** Reads one KQL quoted string back the way Kibana's kuery grammar does (QuotedCharacter). */
function unquoteKql(quoted: string): string {
  expect(quoted.startsWith('"') && quoted.endsWith('"')).toBe(true);
  const body = quoted.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '"') throw new Error(`unescaped quote at ${i} in ${quoted}`);
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[i + 1];
    i++;
    if (n === 't') out += '\t';
    else if (n === 'r') out += '\r';
    else if (n === 'n') out += '\n';
    else if (n === '\\' || n === '"') out += n;
    else if (n === 'u') {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 5), 16));
      i += 4;
    } else out += `\\${n ?? ''}`;
  }
  return out;
}

describe('quoteKqlValue', () => {
  it.each([
    'plain',
    'with "quotes"',
    'C:\\temp\\new\\user.exe',
    'trailing backslash\\',
    'tab\there',
    'line\nbreak\r\n',
    '\\u0041 stays literal',
    'or and not * ( ) : < > { }',
    '<img src=x onerror=alert(1)>',
    '',
  ])('round-trips %j through the KQL grammar', (value) => {
    expect(unquoteKql(quoteKqlValue(value))).toBe(value);
  });

  it('escapes backslashes before quotes so an escaped quote cannot close the string', () => {
    expect(quoteKqlValue('a\\"b')).toBe('"a\\\\\\"b"');
  });
});

describe('kqlAnyOf / buildCommunityKql', () => {
  it('sorts and de-duplicates values', () => {
    expect(kqlAnyOf('process.entity_id', ['b', 'a', 'b'])).toBe('process.entity_id : ("a" or "b")');
  });

  it('refuses an empty list instead of matching everything', () => {
    expect(() => kqlAnyOf('host.name', [])).toThrow(RangeError);
    expect(() => buildCommunityKql({ hosts: [''], entityIds: [] })).toThrow(RangeError);
  });

  it('combines host and entity ids with and', () => {
    expect(buildCommunityKql({ hosts: ['WS-01'], entityIds: ['e2', 'e1'] })).toBe(
      'host.name : ("WS-01") and process.entity_id : ("e1" or "e2")',
    );
  });

  it('escapes hostile values', () => {
    const kql = buildCommunityKql({ hosts: ['h") or host.name : ("*'], entityIds: ['x'] });
    expect(kql).toBe('host.name : ("h\\") or host.name : (\\"*") and process.entity_id : ("x")');
  });
});

describe('buildDiscoverParams', () => {
  const target = {
    hosts: ['WS-01'],
    entityIds: ['{a}', '{b}'],
    firstSeen: '2024-05-01T10:00:00.000Z',
    lastSeen: '2024-05-01T10:05:00.000Z',
  };

  it('builds absolute time range with the default one-minute margin', () => {
    const p = buildDiscoverParams(target);
    expect(p.timeRange).toEqual({
      from: '2024-05-01T09:59:00.000Z',
      to: '2024-05-01T10:06:00.000Z',
      mode: 'absolute',
    });
    expect(p.query).toEqual({
      language: 'kuery',
      query: 'host.name : ("WS-01") and process.entity_id : ("{a}" or "{b}")',
    });
    expect(p.columns).toEqual([...DEFAULT_DISCOVER_COLUMNS]);
    expect(p.sort).toEqual([['@timestamp', 'asc']]);
    expect(p.dataViewSpec).toEqual({
      title: DEFAULT_EVENT_INDICES,
      name: 'ProblemChild process events',
      timeFieldName: '@timestamp',
    });
    expect(p.dataViewId).toBeUndefined();
  });

  it('honours a margin, index pattern and columns', () => {
    const p = buildDiscoverParams(target, {
      marginMs: 0,
      indexPattern: ' logs-* ',
      columns: ['process.name'],
    });
    expect(p.timeRange.from).toBe(target.firstSeen);
    expect(p.timeRange.to).toBe(target.lastSeen);
    expect(p.dataViewSpec?.title).toBe('logs-*');
    expect(p.columns).toEqual(['process.name']);
  });

  it('prefers a saved data view when given', () => {
    const p = buildDiscoverParams(target, { dataViewId: 'dv-1', indexPattern: 'ignored-*' });
    expect(p.dataViewId).toBe('dv-1');
    expect(p.dataViewSpec).toBeUndefined();
  });

  it('rejects dates it cannot read', () => {
    expect(() => buildDiscoverParams({ ...target, firstSeen: 'yesterday' })).toThrow(/firstSeen/);
  });

  it('returns fresh arrays so callers cannot mutate the defaults', () => {
    const p = buildDiscoverParams(target);
    p.columns.push('x');
    expect(DEFAULT_DISCOVER_COLUMNS).not.toContain('x');
  });
});

describe('discoverTargetOf', () => {
  it('uses the entity ids of the community events, not every node', () => {
    const t = discoverTargetOf({
      host: 'WS-01',
      firstSeen: 'a',
      lastSeen: 'b',
      entityIds: ['root', 'c1', 'c2'],
      events: [
        { event: { process: { entity_id: 'c1' } } },
        { event: { process: { entity_id: 'c2' } } },
      ],
    });
    expect(t).toEqual({ hosts: ['WS-01'], entityIds: ['c1', 'c2'], firstSeen: 'a', lastSeen: 'b' });
  });

  it('falls back to the nodes when events were not loaded', () => {
    const t = discoverTargetOf({ host: 'h', firstSeen: 'a', lastSeen: 'b', entityIds: ['n1'] });
    expect(t.entityIds).toEqual(['n1']);
  });
});
