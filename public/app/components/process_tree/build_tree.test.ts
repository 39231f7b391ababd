import { describe, expect, it } from 'vitest';
import type { CommunityEdge } from '../../api_types';
import {
  buildProcessTree,
  countNodes,
  findNode,
  flattenTree,
  type ProcessTreeNode,
} from './build_tree';

function edge(parent: string, child: string, ts: string, extra: Partial<CommunityEdge> = {}) {
  return {
    eventId: `${parent}>${child}`,
    eventIds: [],
    timestamp: ts,
    parentEntityId: parent,
    childEntityId: child,
    parentName: `${parent}.exe`,
    childName: `${child}.exe`,
    parentCommandLine: `${parent} args`,
    commandLine: `${child} args`,
    commandLineTemplate: '',
    score: 0.5,
    anomaly: 0.5,
    prevalence: {} as CommunityEdge['prevalence'],
    topFeatures: [],
    techniques: [],
    ...extra,
  } as CommunityEdge;
}

const shape = (n: ProcessTreeNode): unknown => [
  n.entityId + (n.onDrivingChain ? '*' : ''),
  n.children.map(shape),
];

describe('buildProcessTree', () => {
  it('nests children under parents in time order and marks the driving chain', () => {
    const edges = [
      edge('cmd', 'net', '2024-01-01T00:00:03Z'),
      edge('word', 'cmd', '2024-01-01T00:00:01Z'),
      edge('cmd', 'whoami', '2024-01-01T00:00:02Z'),
    ];
    const roots = buildProcessTree({ edges, drivingEdge: { childEntityId: 'net' } });
    expect(roots.map(shape)).toEqual([
      [
        'word*',
        [
          [
            'cmd*',
            [
              ['whoami', []],
              ['net*', []],
            ],
          ],
        ],
      ],
    ]);
    expect(roots[0]!.name).toBe('word.exe');
    expect(roots[0]!.commandLine).toBe('word args');
    expect(roots[0]!.edge).toBeUndefined();
    expect(roots[0]!.children[0]!.edge?.eventId).toBe('word>cmd');
  });

  it('keeps nodes known only by entity id and survives loops', () => {
    const edges = [edge('a', 'b', '2024-01-01T00:00:01Z'), edge('b', 'a', '2024-01-01T00:00:02Z')];
    const roots = buildProcessTree({ edges, entityIds: ['a', 'b', 'lonely'] });
    expect(countNodes(roots)).toBe(3);
    expect(roots.map((r) => r.entityId).sort()).toEqual(['a', 'lonely']);
  });

  it('handles several roots', () => {
    const edges = [
      edge('p1', 'c1', '2024-01-01T00:00:01Z'),
      edge('p2', 'c2', '2024-01-01T00:00:02Z'),
    ];
    expect(buildProcessTree({ edges }).map(shape)).toEqual([
      ['p1', [['c1', []]]],
      ['p2', [['c2', []]]],
    ]);
  });
});

describe('a deep tree', () => {
  it('builds, walks and finds in a chain 100,000 processes deep', () => {
    const n = 100_000;
    const edges: CommunityEdge[] = [];
    for (let i = 0; i < n; i++)
      edges.push(edge(`p${i}`, `p${i + 1}`, new Date(Date.UTC(2024, 0, 1) + i).toISOString()));
    const roots = buildProcessTree({ edges, drivingEdge: { childEntityId: `p${n}` } });
    expect(roots).toHaveLength(1);
    expect(countNodes(roots)).toBe(n + 1);
    expect(findNode(roots, `p${n}`)?.onDrivingChain).toBe(true);
    const rows = flattenTree(roots, 300);
    expect(rows).toHaveLength(300);
    expect(rows[299]).toMatchObject({ depth: 299, isLast: true });
    expect(rows[299]?.node.entityId).toBe('p299');
    expect(flattenTree(roots)).toHaveLength(n + 1);
  });
});
