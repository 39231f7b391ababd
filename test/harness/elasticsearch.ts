/**
 * A real single-node Elasticsearch for tests, with no Docker: the integ-test-zip from Maven
 * Central, unpacked once into .cache/, started under an unprivileged user (Elasticsearch refuses
 * root, and CI runs as root) on a JDK >= 21 found on the machine.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ES_VERSION = process.env.PROBLEMCHILD_ES_VERSION ?? '9.3.2';
const ARTIFACT = `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip`;
const ES_USER = 'problemchild-es';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE_DIR = path.join(REPO_ROOT, '.cache', 'elasticsearch');

export interface RunningElasticsearch {
  url: string;
  version: string;
  /** Milliseconds from spawn to a yellow cluster. */
  bootMs: number;
  /** Kills the node and deletes its data: the end of the node. */
  stop(): Promise<void>;
  /** Stops the process (SIGTERM, as an operator would) and keeps its data folder and ports. */
  halt(): Promise<void>;
  /** Starts the node again on the same data folder, URL and ports, and waits for a yellow cluster. */
  restart(): Promise<void>;
}

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')} failed to start: ${r.error.message}`);
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').slice(-30).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}:\n${out}`);
  }
  return r.stdout;
}

function mavenLocalRepo(): string {
  return process.env.MAVEN_LOCAL_REPO ?? path.join(os.homedir(), '.m2', 'repository');
}

/** Resolves the zip with Maven (cached in the local repository) and unpacks it once. */
export function ensureDistribution(): string {
  const home = path.join(CACHE_DIR, `elasticsearch-${ES_VERSION}`);
  const marker = path.join(home, '.unpacked');
  if (fs.existsSync(marker)) return home;

  const repo = mavenLocalRepo();
  const zip = path.join(
    repo,
    'org/elasticsearch/distribution/integ-test-zip/elasticsearch',
    ES_VERSION,
    `elasticsearch-${ES_VERSION}.zip`,
  );
  if (!fs.existsSync(zip)) {
    run('mvn', [
      '-q',
      '-B',
      `-Dmaven.repo.local=${repo}`,
      'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get',
      `-Dartifact=${ARTIFACT}`,
      '-Dtransitive=false',
    ]);
  }
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  // Unpack beside the final folder and rename, so an interrupted unzip never looks complete.
  const staging = fs.mkdtempSync(path.join(CACHE_DIR, 'unpack-'));
  try {
    run('unzip', ['-q', zip, '-d', staging]);
    fs.rmSync(home, { recursive: true, force: true });
    fs.renameSync(path.join(staging, `elasticsearch-${ES_VERSION}`), home);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  fs.chmodSync(CACHE_DIR, 0o755);
  fs.writeFileSync(marker, new Date().toISOString());
  return home;
}

function javaMajor(jdkHome: string): number {
  try {
    const release = fs.readFileSync(path.join(jdkHome, 'release'), 'utf8');
    const m = /^JAVA_VERSION="(\d+)/m.exec(release);
    if (m && fs.existsSync(path.join(jdkHome, 'bin', 'java'))) return Number(m[1]);
  } catch {
    // not a JDK folder
  }
  return 0;
}

/** ES 9 needs Java >= 21; prefer an explicit ES_JAVA_HOME, then the newest JDK on the machine. */
export function findJdk(): string {
  const explicit = process.env.ES_JAVA_HOME;
  if (explicit) {
    if (javaMajor(explicit) >= 21) return explicit;
    throw new Error(`ES_JAVA_HOME=${explicit} is not a JDK of version 21 or newer`);
  }
  const candidates = [process.env.JAVA_HOME, ...listDir('/usr/lib/jvm'), ...listDir('/opt/java')]
    .filter((p): p is string => Boolean(p))
    .map((p) => ({ p, v: javaMajor(p) }))
    .filter((c) => c.v >= 21)
    .sort((a, b) => b.v - a.v);
  const best = candidates[0];
  if (!best) {
    throw new Error(
      'Elasticsearch 9 needs a JDK of version 21 or newer: none found in ES_JAVA_HOME, JAVA_HOME, ' +
        '/usr/lib/jvm or /opt/java. Install one (e.g. a Temurin 21+ package) or set ES_JAVA_HOME.',
    );
  }
  return best.p;
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).map((d) => path.join(dir, d));
  } catch {
    return [];
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function ensureUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = spawnSync('id', ['-u', ES_USER], { encoding: 'utf8' });
  if (lookup.status !== 0) {
    run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', ES_USER]);
  }
  return {
    uid: Number(run('id', ['-u', ES_USER]).trim()),
    gid: Number(run('id', ['-g', ES_USER]).trim()),
  };
}

export function chownTree(dir: string, owner: { uid: number; gid: number }): void {
  fs.chownSync(dir, owner.uid, owner.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, owner);
    else fs.chownSync(p, owner.uid, owner.gid);
  }
}

async function waitForHealth(
  url: string,
  child: ChildProcess,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new Error(`Elasticsearch exited with ${exited} during boot:\n${tail(logFile)}`);
    }
    try {
      // GET / is a module this distribution lacks; cluster health is always there.
      const res = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Elasticsearch not healthy after ${timeoutMs} ms:\n${tail(logFile)}`);
}

export function tail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts a fresh node with its own data folder; stop() kills it and deletes the data. halt() and
 * restart() stop and start the same node on the same data folder and ports, for tests of a
 * cluster that goes away and comes back with what it had acknowledged.
 */
export async function startElasticsearch(): Promise<RunningElasticsearch> {
  const home = ensureDistribution();
  const jdk = findJdk();
  const owner = ensureUser();
  const [httpPort, transportPort] = [await freePort(), await freePort()];

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'problemchild-es-'));
  fs.chmodSync(work, 0o755);
  const conf = path.join(work, 'config');
  fs.cpSync(path.join(home, 'config'), conf, { recursive: true });
  for (const d of ['data', 'logs', 'tmp']) fs.mkdirSync(path.join(work, d));
  fs.writeFileSync(
    path.join(conf, 'elasticsearch.yml'),
    [
      'cluster.name: problemchild-test',
      'node.name: problemchild-test-node',
      'discovery.type: single-node',
      'network.host: 127.0.0.1',
      `http.port: ${httpPort}`,
      `transport.port: ${transportPort}`,
      'xpack.security.enabled: false',
      `path.data: ${path.join(work, 'data')}`,
      `path.logs: ${path.join(work, 'logs')}`,
      'action.destructive_requires_name: false',
      // Test machines have small disks relative to watermark defaults; never go read-only mid-test.
      'cluster.routing.allocation.disk.threshold_enabled: false',
      '',
    ].join('\n'),
  );
  fs.mkdirSync(path.join(conf, 'jvm.options.d'), { recursive: true });
  fs.writeFileSync(path.join(conf, 'jvm.options.d', 'heap.options'), '-Xms1g\n-Xmx1g\n');
  if (owner) chownTree(work, owner);

  const env = {
    ...process.env,
    ES_JAVA_HOME: jdk,
    ES_PATH_CONF: conf,
    ES_TMPDIR: path.join(work, 'tmp'),
    ES_JAVA_OPTS: '-Xms1g -Xmx1g',
  };
  const logFile = path.join(work, 'console.log');
  const bin = path.join(home, 'bin', 'elasticsearch');
  const url = `http://127.0.0.1:${httpPort}`;

  let child: ChildProcess | undefined;
  const onExit = () => {
    try {
      if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);

  const boot = async (): Promise<number> => {
    const out = fs.openSync(logFile, 'a');
    const started = Date.now();
    child = owner
      ? spawn('setpriv', [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', bin], {
          env,
          stdio: ['ignore', out, out],
          detached: true,
        })
      : spawn(bin, [], { env, stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    await waitForHealth(url, child, logFile, 180_000);
    return Date.now() - started;
  };
  const halt = async () => {
    if (child) await killGroup(child);
    child = undefined;
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await halt();
    process.removeListener('exit', onExit);
    fs.rmSync(work, { recursive: true, force: true });
  };
  const restart = async () => {
    if (stopped) throw new Error('this Elasticsearch node was stopped for good');
    await halt();
    try {
      await boot();
    } catch (e) {
      await stop();
      throw e;
    }
  };

  let bootMs: number;
  try {
    bootMs = await boot();
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, version: ES_VERSION, bootMs, stop, halt, restart };
}

async function killGroup(child: ChildProcess): Promise<void> {
  if (!child.pid || child.exitCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 20_000);
  await gone;
  clearTimeout(timer);
}
