/**
 * Starts one of a file run's worker threads through worker_entry.mjs (which loads TypeScript the
 * way the CLI does). The scripts named here are the ones the entry accepts.
 */
import { type ResourceLimits, Worker } from 'node:worker_threads';

export type WorkerScript = 'host_worker.ts' | 'normalise_worker.ts';

export function startWorker(
  script: WorkerScript,
  data: Record<string, unknown> = {},
  /** Heap limits: a thread over them is stopped (ERR_WORKER_OUT_OF_MEMORY), not the process. */
  resourceLimits?: ResourceLimits,
): Worker {
  return new Worker(new URL('./worker_entry.mjs', import.meta.url), {
    workerData: { ...data, script },
    ...(resourceLimits ? { resourceLimits } : {}),
  });
}
