/**
 * Helpers of the install test: extracting the zip the way `kibana-plugin install` does, laying
 * out a Kibana-like folder outside the repository, and judging recorded Elasticsearch calls
 * against role descriptors.
 */
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { pruneLock, type PackageLock } from '../../scripts/build_kibana_deps';

/** Every entry name in a zip. */
export function zipEntries(zipFile: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipFile, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('no zip'));
      const names: string[] = [];
      zip.on('entry', (e: yauzl.Entry) => {
        names.push(e.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(names));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/**
 * As elastic/kibana src/cli_plugin/install (zip.js analyzeArchive/extractArchive, pack.js):
 * find `kibana/<folder>/kibana.json`, read its id and kibanaVersion (else version), then extract
 * the entries under `kibana/<folder>/` into `<pluginsDir>/<id>`. The installer compares that
 * version with Kibana's own (cleaned, exact).
 */
export async function installZip(
  zipFile: string,
  pluginsDir: string,
): Promise<{ id: string; kibanaVersion: string; dir: string; files: number }> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(zipFile, { lazyEntries: true, autoClose: false }, (err, z) =>
      err || !z ? reject(err ?? new Error('no zip')) : resolve(z),
    ),
  );
  const entries: yauzl.Entry[] = await new Promise((resolve, reject) => {
    const all: yauzl.Entry[] = [];
    zip.on('entry', (e: yauzl.Entry) => {
      all.push(e);
      zip.readEntry();
    });
    zip.on('end', () => resolve(all));
    zip.on('error', reject);
    zip.readEntry();
  });
  const open = (e: yauzl.Entry) =>
    new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      zip.openReadStream(e, (err, s) =>
        err || !s ? reject(err ?? new Error('no stream')) : resolve(s),
      ),
    );
  const manifests = entries.filter((e) => /^kibana\/[^/]+\/kibana\.json$/i.test(e.fileName));
  if (manifests.length !== 1) {
    throw new Error(`expected one kibana/<folder>/kibana.json, found ${manifests.length}`);
  }
  const chunks: Buffer[] = [];
  for await (const c of await open(manifests[0]!)) chunks.push(c as Buffer);
  const manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    id: string;
    version: string;
    kibanaVersion?: string;
  };
  if (!/^[a-z][a-zA-Z0-9]+$/.test(manifest.id)) {
    throw new Error(
      `Invalid plugin name [${manifest.id}] in kibana.json, expected it to be valid camelCase`,
    );
  }
  const prefix = manifests[0]!.fileName.slice(0, -'kibana.json'.length);
  const dir = path.join(pluginsDir, manifest.id);
  let files = 0;
  for (const e of entries) {
    if (!e.fileName.startsWith(prefix) || e.fileName.endsWith('/')) continue;
    const rel = e.fileName.slice(prefix.length);
    const target = path.resolve(dir, rel);
    if (!target.startsWith(dir + path.sep))
      throw new Error(`${e.fileName} escapes the plugin folder`);
    await mkdir(path.dirname(target), { recursive: true });
    await pipeline(await open(e), createWriteStream(target));
    files++;
  }
  zip.close();
  return {
    id: manifest.id,
    kibanaVersion: manifest.kibanaVersion || manifest.version,
    dir,
    files,
  };
}

/** Copies packages and their pinned dependency closure from the repository's node_modules. */
export async function copyPackages(repoRoot: string, roots: string[], dest: string): Promise<void> {
  const lock = JSON.parse(
    await readFile(path.join(repoRoot, 'package-lock.json'), 'utf8'),
  ) as PackageLock;
  for (const at of Object.keys(pruneLock(lock, roots).packages)) {
    await cp(path.join(repoRoot, at), path.join(dest, at), { recursive: true });
  }
}

/** `<kibana>/node_modules/@kbn/config-schema`, as Kibana's own node_modules provides it. */
export async function writeKbnPackage(dir: string, name: string, code: string): Promise<void> {
  const pkgDir = path.join(dir, 'node_modules', ...name.split('/'));
  await mkdir(pkgDir, { recursive: true });
  await writeFile(path.join(pkgDir, 'index.js'), code);
  await writeFile(path.join(pkgDir, 'package.json'), JSON.stringify({ name, main: 'index.js' }));
}

// ------------------------------------------------------------ privileges

export interface IndexPrivilegeGroup {
  names: string[];
  privileges: string[];
  allow_restricted_indices?: boolean;
}

export interface RoleDescriptor {
  cluster?: string[];
  indices?: IndexPrivilegeGroup[];
}

/**
 * Which privileges a granted one includes. From the Elasticsearch security-privileges reference
 * (elastic/elasticsearch docs/reference/elasticsearch/security-privileges.md; defined in
 * x-pack/plugin/core/.../authz/privilege/IndexPrivilege.java and ClusterPrivilegeResolver.java):
 * `all` is everything; index `manage` includes create_index, delete_index, view_index_metadata,
 * maintenance and monitor; `write` includes index, create, create_doc and delete; cluster
 * `manage` includes monitor and manage_index_templates among others.
 */
const INDEX_IMPLIES: Record<string, string[]> = {
  all: ['*'],
  manage: [
    'manage',
    'create_index',
    'delete_index',
    'view_index_metadata',
    'maintenance',
    'monitor',
  ],
  write: ['write', 'index', 'create', 'create_doc', 'delete'],
};
const CLUSTER_IMPLIES: Record<string, string[]> = {
  all: ['*'],
  manage: ['manage', 'monitor', 'manage_index_templates', 'manage_ilm', 'manage_pipeline'],
};

function implied(granted: string, needed: string, table: Record<string, string[]>): boolean {
  if (granted === needed) return true;
  const inc = table[granted];
  return inc !== undefined && (inc.includes('*') || inc.includes(needed));
}

/** Elasticsearch index-name patterns: `*` matches anything (also inside a requested pattern). */
export function matchesPattern(pattern: string, name: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  return re.test(name);
}

export function indexCovered(role: RoleDescriptor, index: string, privilege: string): boolean {
  return (role.indices ?? []).some(
    (g) =>
      g.names.some((n) => matchesPattern(n, index)) &&
      g.privileges.some((p) => implied(p, privilege, INDEX_IMPLIES)),
  );
}

export function clusterCovered(role: RoleDescriptor, privilege: string): boolean {
  return (role.cluster ?? []).some((p) => implied(p, privilege, CLUSTER_IMPLIES));
}

/** The fenced ```json problemchild-admin-role block of README.md. */
export function readmeRole(readme: string): RoleDescriptor | undefined {
  const m = /```json problemchild-admin-role\n([\s\S]*?)```/.exec(readme);
  return m ? (JSON.parse(m[1]!) as RoleDescriptor) : undefined;
}
