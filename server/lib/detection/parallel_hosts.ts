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

/** Per-host budgets of a worker-thread run (DEFAULT_HOST_BUDGET). */
export interface HostBudget {
  /** Wall-clock time one host's analysis may take in its thread before the thread is ended. */
  timeMs: number;
  /** V8 old-generation heap of each thread (`resourceLimits.maxOldGenerationSizeMb`). */
  memoryMb: number;
  /** Tries per host before it is reported as failed (a fresh thread for each). */
  attempts: number;
}

export const DEFAULT_HOST_BUDGET: HostBudget = { timeMs: 600_000, memoryMb: 4_096, attempts: 2 };

/** A host whose analysis failed every try: reported as a finding, never the end of the run. */
export interface HostAnalysisFailure {
  host: string;
  stage: string;
  error: string;
  attempts: number;
}

export interface ParallelSpec {
  modelDir: string;
  mode: 'model' | 'elastic' | 'blend';
  threads: number;
  budget?: Partial<HostBudget>;
}

/**
 * Analyses hosts in worker threads. A host that throws, runs past its time budget (its thread is
 * terminated) or past its memory budget (its thread stops with ERR_WORKER_OUT_OF_MEMORY) is tried
 * again in a fresh thread up to `attempts` times, then given to `onFailure`; the other hosts go
 * on. Returns the analyses that succeeded, in host order.
 */
export async function analyseHostsInWorkers(
  spill: { fd: number; chunks: Map<string, Array<[number, number]>> },
  hosts: readonly string[],
  sizes: readonly number[],
  spec: ParallelSpec,
  opts: PrepareOptions,
  onHostDone?: (done: number, events: number) => void,
  onFailure?: (f: HostAnalysisFailure) => void,
): Promise<HostAnalysis[]> {
  if (hosts.length === 0) return [];
  const budget = { ...DEFAULT_HOST_BUDGET, ...spec.budget };
  const results: Array<HostAnalysis | undefined> = new Array(hosts.length);
  const tries = new Array<number>(hosts.length).fill(0);
  const queue = hosts.map((_, i) => i).sort((a, b) => (sizes[b] ?? 0) - (sizes[a] ?? 0) || a - b);
  const threads = Math.max(1, Math.min(spec.threads, hosts.length));
  const live = new Set<Worker>();
  let done = 0;
  let events = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      const finishOne = (): void => {
        done++;
        onHostDone?.(done, events);
        if (done === hosts.length && !settled) {
          settled = true;
          resolve();
        }
      };
      /** A try of host i failed: again in a fresh thread, or reported once tries run out. */
      const hostFailed = (i: number, stage: string, error: string): void => {
        if (tries[i]! < budget.attempts) queue.push(i);
        else {
          onFailure?.({ host: hosts[i] as string, stage, error, attempts: tries[i]! });
          finishOne();
        }
      };
      const spawn = (): void => {
        if (settled) return;
        let current: number | undefined;
        let timer: NodeJS.Timeout | undefined;
        let ended = false;
        const w = startWorker('host_worker.ts', {}, { maxOldGenerationSizeMb: budget.memoryMb });
        live.add(w);
        // The thread is done for: its host (if any) failed, a fresh thread takes the queue on.
        const retire = (stage: string, error: string): void => {
          if (ended) return;
          ended = true;
          if (timer) clearTimeout(timer);
          live.delete(w);
          void w.terminate();
          const i = current;
          current = undefined;
          if (i === undefined) {
            // Failing before any host (model load): nothing to isolate, the run cannot go on.
            fail(new Error(`a detection worker failed: ${error}`));
            return;
          }
          hostFailed(i, stage, error);
          if (queue.length > 0 || live.size === 0) spawn();
        };
        const next = (): void => {
          const i = queue.shift();
          if (i === undefined) {
            // Nothing left for this thread; others may still requeue a host into a new thread.
            ended = true;
            live.delete(w);
            void w.terminate();
            return;
          }
          current = i;
          tries[i]!++;
          const host = hosts[i] as string;
          timer = setTimeout(
            () => retire('time budget', `analysis ran over the ${budget.timeMs} ms budget`),
            budget.timeMs,
          );
          const req: WorkerRequest = {
            type: 'host',
            index: i,
            host,
            chunks: spill.chunks.get(host) ?? [],
          };
          w.postMessage(req);
        };
        w.on('error', (err: Error & { code?: string }) =>
          retire(
            err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory budget' : 'analysis',
            err.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? `analysis ran over the ${budget.memoryMb} MB heap budget`
              : err.message,
          ),
        );
        w.on('exit', (code) => {
          if (!ended) retire('analysis', `the analysis thread exited with code ${code}`);
        });
        w.on('message', (m: WorkerReply) => {
          if (ended) return;
          if (m.type === 'ready') next();
          else if (m.type === 'result') {
            if (timer) clearTimeout(timer);
            current = undefined;
            results[m.index] = m.result;
            events += m.result.events;
            finishOne();
            next();
          } else if (m.host !== undefined && current !== undefined) {
            // The host threw; the thread is fine and takes the next one.
            if (timer) clearTimeout(timer);
            const i = current;
            current = undefined;
            hostFailed(i, 'analysis', m.message);
            next();
          } else retire('analysis', m.message);
        });
        const init: WorkerRequest = {
          type: 'init',
          modelDir: spec.modelDir,
          mode: spec.mode,
          fd: spill.fd,
          opts,
        };
        w.postMessage(init);
      };
      for (let t = 0; t < threads; t++) spawn();
    });
  } finally {
    await Promise.all([...live].map((w) => w.terminate()));
  }
  return results.filter((r): r is HostAnalysis => r !== undefined);
}
