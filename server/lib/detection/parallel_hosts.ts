/**
 * Hosts of a file run analysed by worker threads, one host at a time per thread, largest first so
 * the threads finish together. Results come back in host order whatever thread finished first, so
 * a parallel run gives exactly what a sequential one gives.
 */
import type { Worker } from 'node:worker_threads';
import type { PrepareOptions } from './find_bad_communities';
import type { HostAnalysis } from './host_analysis';
import { startWorker } from './worker_start';

export type WorkerRequest =
  | {
      type: 'init';
      modelDir: string;
      mode: 'model' | 'elastic' | 'blend';
      fd: number;
      opts: PrepareOptions;
    }
  | { type: 'host'; index: number; host: string; chunks: Array<[number, number]> };

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'result'; index: number; result: HostAnalysis }
  | { type: 'error'; host?: string; message: string };

export interface ParallelSpec {
  modelDir: string;
  mode: 'model' | 'elastic' | 'blend';
  threads: number;
}

export async function analyseHostsInWorkers(
  spill: { fd: number; chunks: Map<string, Array<[number, number]>> },
  hosts: readonly string[],
  sizes: readonly number[],
  spec: ParallelSpec,
  opts: PrepareOptions,
  onHostDone?: (done: number, events: number) => void,
): Promise<HostAnalysis[]> {
  const results: Array<HostAnalysis | undefined> = new Array(hosts.length);
  const queue = hosts.map((_, i) => i).sort((a, b) => (sizes[b] ?? 0) - (sizes[a] ?? 0) || a - b);
  const threads = Math.max(1, Math.min(spec.threads, hosts.length));
  const workers: Worker[] = [];
  let done = 0;
  let events = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (err: Error): void => {
        if (failed) return;
        failed = true;
        reject(err);
      };
      const next = (w: Worker): void => {
        const i = queue.shift();
        if (i === undefined) {
          if (done === hosts.length) resolve();
          return;
        }
        const host = hosts[i] as string;
        const req: WorkerRequest = {
          type: 'host',
          index: i,
          host,
          chunks: spill.chunks.get(host) ?? [],
        };
        w.postMessage(req);
      };
      for (let t = 0; t < threads; t++) {
        const w = startWorker('host_worker.ts');
        workers.push(w);
        w.on('error', (err) => fail(new Error(`a detection worker failed: ${err.message}`)));
        w.on('exit', (code) => {
          if (code !== 0) fail(new Error(`a detection worker exited with code ${code}`));
        });
        w.on('message', (m: WorkerReply) => {
          if (m.type === 'ready') next(w);
          else if (m.type === 'result') {
            results[m.index] = m.result;
            done++;
            events += m.result.events;
            onHostDone?.(done, events);
            if (done === hosts.length) resolve();
            else next(w);
          } else
            fail(
              new Error(
                m.host ? `analysing host ${m.host} failed: ${m.message}` : `worker: ${m.message}`,
              ),
            );
        });
        const init: WorkerRequest = {
          type: 'init',
          modelDir: spec.modelDir,
          mode: spec.mode,
          fd: spill.fd,
          opts,
        };
        w.postMessage(init);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results as HostAnalysis[];
}
