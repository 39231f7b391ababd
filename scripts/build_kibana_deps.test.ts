import { describe, expect, it } from 'vitest';
import { pinnedVersions, pruneLock, type PackageLock } from './build_kibana_deps';

const lock: PackageLock = {
  lockfileVersion: 3,
  packages: {
    '': { name: 'x', version: '1.0.0' },
    'node_modules/a': { version: '1.0.0', dependencies: { b: '^2', c: '^1' } },
    'node_modules/a/node_modules/b': { version: '2.0.0', dev: true },
    'node_modules/b': { version: '1.0.0' },
    'node_modules/c': {
      version: '1.0.0',
      peerDependencies: { p: '*', q: '*' },
      peerDependenciesMeta: { q: { optional: true } },
      optionalDependencies: { 'native-linux': '1', 'native-mac': '1' },
    },
    'node_modules/p': { version: '3.0.0', peer: true },
    'node_modules/q': { version: '1.0.0' },
    'node_modules/native-linux': { version: '1.0.0', optional: true },
    'node_modules/unused': { version: '9.9.9' },
  },
};

describe('the pruned lockfile', () => {
  it('keeps what the roots need, where npm put it, and nothing else', () => {
    const pruned = pruneLock(lock, ['a']);
    expect(Object.keys(pruned.packages)).toEqual([
      'node_modules/a',
      'node_modules/a/node_modules/b',
      'node_modules/c',
      'node_modules/native-linux',
      'node_modules/p',
    ]);
    // Flags describe the old tree; npm recomputes them.
    expect(pruned.packages['node_modules/a/node_modules/b']).toEqual({ version: '2.0.0' });
    expect(pinnedVersions(lock, ['a'])).toEqual({ a: '1.0.0' });
  });

  it('fails on a package the lock does not hold', () => {
    expect(() => pruneLock(lock, ['missing'])).toThrow(/missing is required by the server/);
  });
});
