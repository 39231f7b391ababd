/**
 * Runs standalone/test_support/host_child.ts as a separate Node process and follows its stdout
 * line by line, so tests can act at a precise point of the host's work (kill it mid-import,
 * mid-detection) or load it from outside its event loop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = resolve(here, '../..');
const entry = join(here, 'host_child.ts');

export interface HostArgs {
  data: string;
  staticDir: string;
  partitions?: number;
  importFile?: string;
  batch?: number;
  /** Serve on this Elasticsearch cluster instead of the embedded store in `data`. */
  es?: string;
  /** With `es`: the partition lease TTL (e.g. 3s) and this host's id. */
  leaseTtl?: string;
  hostId?: string;
  /** Scheduler interval (default 7d); 'settings' follows the stored setting, re-read every 500 ms. */
  interval?: string;
}

export interface HostExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

type Watcher = (line: string) => void;

export class HostProcess {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<HostExit>;
  private readonly watchers = new Set<Watcher>();
  private readonly child: ChildProcess;
  private exit: HostExit | undefined;

  private constructor(args: HostArgs) {
    const argv = ['--data', args.data, '--static', args.staticDir];
    if (args.partitions !== undefined) argv.push('--partitions', String(args.partitions));
    if (args.importFile !== undefined) argv.push('--import', args.importFile);
    if (args.batch !== undefined) argv.push('--batch', String(args.batch));
    if (args.es !== undefined) argv.push('--es', args.es);
    if (args.leaseTtl !== undefined) argv.push('--lease-ttl', args.leaseTtl);
    if (args.hostId !== undefined) argv.push('--host-id', args.hostId);
    if (args.interval !== undefined) argv.push('--interval', args.interval);
    this.child = spawn(process.execPath, ['--import', 'tsx', entry, ...argv], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        this.lines.push(line);
        // Watchers run synchronously as each line arrives: a kill decided here lands while the
        // host is still at that point of its work, not one event-loop turn later.
        for (const w of [...this.watchers]) w(line);
      }
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (c: string) => {
      // Bounded: a crash report is short, a runaway warning loop must not fill memory.
      this.stderr = (this.stderr + c).slice(-20_000);
    });
    this.exited = new Promise((resolveExit, reject) => {
      this.child.on('error', reject);
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolveExit(this.exit);
      });
    });
  }

  static start(args: HostArgs): HostProcess {
    return new HostProcess(args);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Calls `fn` for every later stdout line until the returned function is called. */
  watch(fn: Watcher): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** The first line (already printed or still to come) that `match` accepts. */
  waitFor(match: (line: string) => boolean, timeoutMs = 120_000): Promise<string> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolveLine, reject) => {
      const stop = (): void => {
        unwatch();
        clearTimeout(timer);
      };
      const unwatch = this.watch((line) => {
        if (!match(line)) return;
        stop();
        resolveLine(line);
      });
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`host printed no matching line in ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      void this.exited.then((e) => {
        stop();
        reject(new Error(`host exited (${e.signal ?? e.code}) first\n${this.tail()}`));
      });
    });
  }

  /** The host's base URL once it listens. */
  async url(): Promise<string> {
    return (await this.waitFor((l) => l.startsWith('listening '))).slice('listening '.length);
  }

  /** JSON payloads of the lines starting with `prefix ` (e.g. "integrity"), in order. */
  json<T>(prefix: string): T[] {
    return this.lines
      .filter((l) => l.startsWith(`${prefix} `))
      .map((l) => JSON.parse(l.slice(prefix.length + 1)) as T);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.exit === undefined) this.child.kill(signal);
  }

  /** SIGTERM (clean shutdown: scheduler stopped, store checkpointed) and the exit status. */
  async stop(): Promise<HostExit> {
    this.kill('SIGTERM');
    return this.exited;
  }

  tail(): string {
    return `stdout:\n${this.lines.slice(-15).join('\n')}\nstderr:\n${this.stderr.slice(-3_000)}`;
  }
}
