import { describe, expect, it } from 'vitest';
import {
  buildCommunityKql,
  buildDiscoverDrillDown,
  DISCOVER_COLUMNS,
  DISCOVER_DATA_VIEW_ID,
  DISCOVER_SAVED_SEARCH_ID,
  discoverTargetOf,
  kqlAnyOf,
  MAX_DISCOVER_KQL_LENGTH,
  quoteKqlValue,
  type DiscoverTarget,
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

describe('buildDiscoverDrillDown', () => {
  const target: DiscoverTarget = {
    hosts: ['WS-01'],
    entityIds: ['{a}', '{b}'],
    processNames: ['cmd.exe', 'powershell.exe'],
    firstSeen: '2024-05-01T10:00:00.000Z',
    lastSeen: '2024-05-01T10:05:00.000Z',
  };

  it('points at the saved search and data view, with everything in the locator params', () => {
    const d = buildDiscoverDrillDown(target);
    expect(d.precision).toBe('events');
    expect(d.note).toBeUndefined();
    expect(d.params).toEqual({
      savedSearchId: DISCOVER_SAVED_SEARCH_ID,
      dataViewId: DISCOVER_DATA_VIEW_ID,
      timeRange: {
        from: '2024-05-01T09:59:00.000Z',
        to: '2024-05-01T10:06:00.000Z',
        mode: 'absolute',
      },
      query: {
        language: 'kuery',
        query: 'host.name : ("WS-01") and process.entity_id : ("{a}" or "{b}")',
      },
      columns: [
        '@timestamp',
        'host.name',
        'user.name',
        'process.parent.name',
        'process.name',
        'process.command_line',
      ],
      sort: [['@timestamp', 'asc']],
    });
    // No ad-hoc data view: it would travel in history state and be lost on copy or a new tab.
    expect(d.params).not.toHaveProperty('dataViewSpec');
  });

  it('uses the ids the server answered with (a space has its own)', () => {
    const d = buildDiscoverDrillDown(target, {
      savedSearchId: 'problem-child-community-events-blue',
      dataViewId: 'problem-child-events-blue',
    });
    expect(d.params.savedSearchId).toBe('problem-child-community-events-blue');
    expect(d.params.dataViewId).toBe('problem-child-events-blue');
  });

  it('honours a margin and swaps a reversed span', () => {
    const d = buildDiscoverDrillDown(
      { ...target, firstSeen: target.lastSeen, lastSeen: target.firstSeen },
      { marginMs: 0 },
    );
    expect(d.params.timeRange.from).toBe(target.firstSeen);
    expect(d.params.timeRange.to).toBe(target.lastSeen);
  });

  it('rejects dates it cannot read, naming the field', () => {
    expect(() => buildDiscoverDrillDown({ ...target, firstSeen: 'yesterday' })).toThrow(
      /firstSeen/,
    );
    expect(() => buildDiscoverDrillDown({ ...target, lastSeen: '' })).toThrow(/lastSeen/);
  });

  it('keeps the KQL of a large community within the URL bound by filtering on process names', () => {
    const many: DiscoverTarget = {
      ...target,
      entityIds: Array.from({ length: 400 }, (_, i) => `{0000${i}-aaaa-bbbb-cccc-dddddddddddd}`),
      processNames: ['cmd.exe', 'powershell.exe', 'cmd.exe', 'conhost.exe'],
    };
    expect(buildCommunityKql(many).length).toBeGreaterThan(MAX_DISCOVER_KQL_LENGTH);
    const d = buildDiscoverDrillDown(many);
    expect(d.precision).toBe('processes');
    expect(d.params.query.query).toBe(
      'host.name : ("WS-01") and process.name : ("cmd.exe" or "conhost.exe" or "powershell.exe")',
    );
    expect(d.params.query.query.length).toBeLessThanOrEqual(MAX_DISCOVER_KQL_LENGTH);
    expect(d.params.timeRange).toEqual(buildDiscoverDrillDown(target).params.timeRange);
    expect(d.note).toMatch(/400 processes, too many to list by id.*outside the community/);
  });

  it('falls back to host and time span when even the process names do not fit', () => {
    const d = buildDiscoverDrillDown(
      { ...target, processNames: Array.from({ length: 50 }, (_, i) => `tool-${i}.exe`) },
      { maxKqlLength: 40 },
    );
    expect(d.precision).toBe('host');
    expect(d.params.query.query).toBe('host.name : ("WS-01")');
    expect(d.note).toMatch(/or by process name: Discover shows every event of its host/);
  });

  it('filters by name when the process ids are unknown', () => {
    const d = buildDiscoverDrillDown({ ...target, entityIds: [] });
    expect(d.precision).toBe('processes');
    expect(d.note).toMatch(/process ids are not known/);
  });

  it('never produces a query that matches everything', () => {
    expect(() =>
      buildDiscoverDrillDown({ ...target, hosts: [], entityIds: [], processNames: [] }),
    ).toThrow(RangeError);
  });

  it('returns fresh arrays so callers cannot mutate the defaults', () => {
    const d = buildDiscoverDrillDown(target);
    d.params.columns.push('x');
    d.params.sort[0]!.push('x');
    expect(DISCOVER_COLUMNS).not.toContain('x');
    expect(buildDiscoverDrillDown(target).params.sort).toEqual([['@timestamp', 'asc']]);
  });
});

describe('discoverTargetOf', () => {
  it('uses the entity ids and names of the community events, not every node', () => {
    const t = discoverTargetOf({
      host: 'WS-01',
      firstSeen: 'a',
      lastSeen: 'b',
      entityIds: ['root', 'c1', 'c2'],
      events: [
        { event: { process: { entity_id: 'c1', name: 'cmd.exe' } } },
        { event: { process: { entity_id: 'c2', name: 'whoami.exe' } } },
      ],
    });
    expect(t).toEqual({
      hosts: ['WS-01'],
      entityIds: ['c1', 'c2'],
      processNames: ['cmd.exe', 'whoami.exe'],
      firstSeen: 'a',
      lastSeen: 'b',
    });
  });

  it('falls back to the nodes and edge names when events were not loaded', () => {
    const t = discoverTargetOf({
      host: 'h',
      firstSeen: 'a',
      lastSeen: 'b',
      entityIds: ['n1'],
      edges: [{ childName: 'net.exe' }],
    });
    expect(t.entityIds).toEqual(['n1']);
    expect(t.processNames).toEqual(['net.exe']);
  });
});
