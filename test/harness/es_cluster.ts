/**
 * A real three-node Elasticsearch cluster for fault tests, from the same integ-test-zip and JDK
 * as the single-node harness (elasticsearch.ts): every node master-eligible and a data node, on
 * its own ports and data folder, discovering the others through discovery.seed_hosts. Nodes can
 * be SIGKILLed (a crash, not a shutdown) and restarted on their data folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  chownTree,
  ensureDistribution,
  ensureUser,
  ES_VERSION,
  findJdk,
  freePort,
  tail,
} from './elasticsearch';

export interface ClusterNode {
  name: string;
  url: string;
  /** True while the node's process is running. */
  readonly alive: boolean;
}

export interface RunningCluster {
  version: string;
  nodes: readonly ClusterNode[];
  /** URLs of every node, for a client that fails over between them. */
  urls: string[];
  bootMs: number;
  /** SIGKILL to the node's whole process group: what a crash or an OOM killer does. */
  kill(name: string): Promise<void>;
  /** Starts a killed node again on its data folder and waits until it has rejoined. */
  restart(name: string): Promise<void>;
  /** Kills every node and deletes their data. */
  stop(): Promise<void>;
}

interface NodeState {
  name: string;
  url: string;
  work: string;
  env: NodeJS.ProcessEnv;
  child?: ChildProcess;
}

export interface ClusterOptions {
  nodes?: number;
  /** JVM heap per node (default 768m: three nodes on a 2-core CI machine beside the tests). */
  heap?: string;
}

export async function startElasticsearchCluster(
  opts: ClusterOptions = {},
): Promise<RunningCluster> {
  const count = opts.nodes ?? 3;
  const heap = opts.heap ?? '768m';
  const home = ensureDistribution();
  const jdk = findJdk();
  const owner = ensureUser();
  const ports: { http: number; transport: number }[] = [];
  for (let i = 0; i < count; i++)
    ports.push({ http: await freePort(), transport: await freePort() });
  const names = ports.map((_, i) => `pc-cluster-${i}`);
  const seeds = ports.map((p) => `127.0.0.1:${p.transport}`);

  const nodes: NodeState[] = ports.map((p, i) => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), `problemchild-es-${names[i]}-`));
    fs.chmodSync(work, 0o755);
    const conf = path.join(work, 'config');
    fs.cpSync(path.join(home, 'config'), conf, { recursive: true });
    for (const d of ['data', 'logs', 'tmp']) fs.mkdirSync(path.join(work, d));
    fs.writeFileSync(
      path.join(conf, 'elasticsearch.yml'),
      [
        'cluster.name: problemchild-cluster-test',
        `node.name: ${names[i]}`,
        'network.host: 127.0.0.1',
        `http.port: ${p.http}`,
        `transport.port: ${p.transport}`,
        `discovery.seed_hosts: [${seeds.map((s) => `"${s}"`).join(', ')}]`,
        `cluster.initial_master_nodes: [${names.map((n) => `"${n}"`).join(', ')}]`,
        'xpack.security.enabled: false',
        `path.data: ${path.join(work, 'data')}`,
        `path.logs: ${path.join(work, 'logs')}`,
        'action.destructive_requires_name: false',
        'cluster.routing.allocation.disk.threshold_enabled: false',
        '',
      ].join('\n'),
    );
    fs.mkdirSync(path.join(conf, 'jvm.options.d'), { recursive: true });
    fs.writeFileSync(
      path.join(conf, 'jvm.options.d', 'heap.options'),
      `-Xms${heap}\n-Xmx${heap}\n`,
    );
    if (owner) chownTree(work, owner);
    return {
      name: names[i]!,
      url: `http://127.0.0.1:${p.http}`,
      work,
      env: {
        ...process.env,
        ES_JAVA_HOME: jdk,
        ES_PATH_CONF: conf,
        ES_TMPDIR: path.join(work, 'tmp'),
        ES_JAVA_OPTS: `-Xms${heap} -Xmx${heap}`,
      },
    };
  });

  const bin = path.join(home, 'bin', 'elasticsearch');
  const spawnNode = (n: NodeState): void => {
    const logFile = path.join(n.work, 'console.log');
    const out = fs.openSync(logFile, 'a');
    n.child = owner
      ? spawn('setpriv', [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', bin], {
          env: n.env,
          stdio: ['ignore', out, out],
          detached: true,
        })
      : spawn(bin, [], { env: n.env, stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    const child = n.child;
    child.once('exit', () => {
      if (n.child === child) n.child = undefined;
    });
  };
  const killNode = async (n: NodeState): Promise<void> => {
    const child = n.child;
    if (!child?.pid || child.exitCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      return;
    }
    await gone;
    n.child = undefined;
  };
  const onExit = () => {
    for (const n of nodes) {
      try {
        if (n.child?.pid) process.kill(-n.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', onExit);

  /** Waits until `expected` nodes form a cluster seen from `via`, with all primaries assigned. */
  const waitForNodes = async (via: NodeState, expected: number, timeoutMs = 240_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (via.child === undefined) {
        throw new Error(
          `${via.name} exited during boot:\n${tail(path.join(via.work, 'console.log'))}`,
        );
      }
      try {
        const res = await fetch(
          `${via.url}/_cluster/health?wait_for_nodes=${expected}&wait_for_status=yellow&timeout=2s`,
        );
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(
      `cluster did not reach ${expected} nodes in ${timeoutMs} ms:\n${tail(path.join(via.work, 'console.log'))}`,
    );
  };

  const byName = (name: string): NodeState => {
    const n = nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no cluster node named ${name}`);
    return n;
  };
  const stop = async () => {
    for (const n of nodes) await killNode(n);
    process.removeListener('exit', onExit);
    for (const n of nodes) fs.rmSync(n.work, { recursive: true, force: true });
  };

  const t0 = Date.now();
  try {
    for (const n of nodes) spawnNode(n);
    await waitForNodes(nodes[0]!, count);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    version: ES_VERSION,
    nodes: nodes.map((n) => ({
      name: n.name,
      url: n.url,
      get alive() {
        return n.child !== undefined;
      },
    })),
    urls: nodes.map((n) => n.url),
    bootMs: Date.now() - t0,
    kill: (name) => killNode(byName(name)),
    async restart(name) {
      const n = byName(name);
      if (n.child) throw new Error(`${name} is still running`);
      spawnNode(n);
      await waitForNodes(n, nodes.filter((x) => x.child !== undefined).length);
    },
    stop,
  };
}
