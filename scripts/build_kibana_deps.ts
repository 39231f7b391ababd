/**
 * The plugin's production node_modules: only the packages its compiled server code requires,
 * each at the exact version our package-lock.json pins, transitively.
 *
 * Kibana's plugin helpers run `yarn install --production --pure-lockfile` in the build folder
 * (elastic/kibana packages/kbn-plugin-helpers/src/tasks/yarn_install.ts @1eaafca324f4). We have
 * no yarn.lock, so that would resolve every range afresh and ignore npm `overrides`; instead we
 * cut our own lockfile down to the packages the server needs and run `npm ci --omit=dev` on it.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

export interface PackageLock {
  name?: string;
  version?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

/** Where Node would find `name` when required from the package installed at `from`. */
function resolveInLock(lock: PackageLock, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = (dir ? `${dir}/` : '') + `node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir) return undefined;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i < 0 ? '' : dir.slice(0, i);
  }
}

/**
 * The lockfile entries reachable from `roots` through dependencies, installed optional
 * dependencies and required peers, with their original paths (so hoisting stays as npm laid it).
 */
export function pruneLock(lock: PackageLock, roots: string[]): PackageLock {
  if (lock.lockfileVersion < 2) throw new Error('package-lock.json must be lockfileVersion 2 or 3');
  const keep = new Set<string>();
  const queue: string[] = [];
  for (const name of roots) {
    const at = resolveInLock(lock, '', name);
    if (!at) throw new Error(`${name} is required by the server but not in package-lock.json`);
    queue.push(at);
  }
  while (queue.length > 0) {
    const at = queue.shift()!;
    if (keep.has(at)) continue;
    keep.add(at);
    const entry = lock.packages[at]!;
    if (entry.link) throw new Error(`${at} is a linked package; the zip cannot carry it`);
    const required = Object.keys(entry.dependencies ?? {});
    const peers = Object.keys(entry.peerDependencies ?? {}).filter(
      (p) => !entry.peerDependenciesMeta?.[p]?.optional,
    );
    for (const dep of [...required, ...peers]) {
      const found = resolveInLock(lock, at, dep);
      if (!found) throw new Error(`${at} needs ${dep}, which package-lock.json does not hold`);
      queue.push(found);
    }
    // Optional dependencies npm skipped on this platform are simply absent from the lock.
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) {
      const found = resolveInLock(lock, at, dep);
      if (found) queue.push(found);
    }
  }
  const packages: Record<string, LockEntry> = {};
  for (const at of [...keep].sort()) {
    // The flags describe the entry's place in our tree (dev-only, optional-only); npm
    // recomputes them for the new tree, where everything kept is a production dependency.
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = lock.packages[at]!;
    packages[at] = entry;
  }
  return { lockfileVersion: lock.lockfileVersion, requires: true, packages };
}

/** Exact versions of the root packages, as pinned by the lock. */
export function pinnedVersions(lock: PackageLock, roots: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...roots].sort()) {
    const v = lock.packages[`node_modules/${name}`]?.version;
    if (!v) throw new Error(`no pinned version of ${name} in package-lock.json`);
    out[name] = v;
  }
  return out;
}

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}) in ${cwd}:\n${output}`)),
    );
  });
}

/**
 * Writes package.json (the generated manifest, already in `pluginDir`) + a pruned
 * package-lock.json, then installs exactly that with `npm ci --omit=dev`. Install scripts are
 * off: nothing on the server path has a native part, and the zip must not depend on what a
 * script fetched on the build machine.
 */
export async function installProductionDependencies(opts: {
  repoRoot: string;
  pluginDir: string;
  roots: string[];
  manifest: Record<string, unknown>;
}): Promise<{ dependencies: Record<string, string>; lockedPackages: number }> {
  const lock = JSON.parse(
    await readFile(path.join(opts.repoRoot, 'package-lock.json'), 'utf8'),
  ) as PackageLock;
  const pruned = pruneLock(lock, opts.roots);
  const dependencies = pinnedVersions(lock, opts.roots);
  const manifest: Record<string, unknown> = { ...opts.manifest, dependencies };
  pruned.name = String(manifest.name);
  pruned.version = String(manifest.version);
  pruned.packages[''] = { name: pruned.name, version: pruned.version, dependencies };
  const ordered: PackageLock = {
    name: pruned.name,
    version: pruned.version,
    lockfileVersion: pruned.lockfileVersion,
    requires: true,
    packages: { '': pruned.packages['']!, ...pruned.packages },
  };
  await writeFile(path.join(opts.pluginDir, 'package.json'), JSON.stringify(manifest, null, 2));
  await writeFile(
    path.join(opts.pluginDir, 'package-lock.json'),
    JSON.stringify(ordered, null, 2) + '\n',
  );
  await run(
    'npm',
    [
      'ci',
      '--omit=dev',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
    ],
    opts.pluginDir,
  );
  return { dependencies, lockedPackages: Object.keys(pruned.packages).length - 1 };
}
