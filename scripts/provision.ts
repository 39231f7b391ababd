/**
 * Brings a fresh machine to the point where the whole test suite can run: Debian's Chromium for
 * the browser tests, unzip and Maven for the Elasticsearch distribution, and the distribution
 * itself (downloaded once, then cached). Installs with apt only when running as root.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { ensureDistribution, findJdk, ES_VERSION } from '../test/harness/elasticsearch';

const isRoot = process.getuid?.() === 0;
let aptUpdated = false;

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function aptInstall(pkgs: string[]): void {
  if (!isRoot) {
    throw new Error(
      `Missing ${pkgs.join(', ')}: install them (apt-get install ${pkgs.join(' ')}) or run as root.`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    const u = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    if (u.status !== 0) throw new Error('apt-get update failed');
    aptUpdated = true;
  }
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], {
    stdio: 'inherit',
    env,
  });
  if (r.status !== 0) throw new Error(`apt-get install ${pkgs.join(' ')} failed`);
}

const t0 = Date.now();
const missing: string[] = [];
if (
  !process.env.CHROMIUM_PATH &&
  !['/usr/bin/chromium', '/usr/bin/chromium-browser'].some((p) => fs.existsSync(p))
) {
  missing.push('chromium');
}
if (!process.env.ES_URL) {
  if (!has('unzip')) missing.push('unzip');
  if (!has('mvn')) missing.push('maven');
}
if (missing.length) aptInstall(missing);

if (!process.env.ES_URL) {
  const jdk = findJdk();
  const t1 = Date.now();
  const home = ensureDistribution();
  console.log(
    `[provision] Elasticsearch ${ES_VERSION} ready in ${home} (${Date.now() - t1} ms); JDK ${jdk}`,
  );
}
console.log(`[provision] done in ${Date.now() - t0} ms`);
