// Worker-thread entry of a file run (started by worker_start.ts, whose WorkerScript names the
// scripts allowed here): loads the named TypeScript worker through tsx, as the CLI itself runs
// (bin/problemchild.mjs), so a checkout needs no build step.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

const WORKERS = new Set(['host_worker.ts', 'normalise_worker.ts']);
const script = workerData?.script;
if (!WORKERS.has(script)) throw new Error(`unknown worker script ${String(script)}`);
register();
await import(`./${script}`);
