/**
 * Worker thread of a parallel file run: reads hosts from the run's temporary file (through the
 * main thread's descriptor) and analyses them (host_analysis.ts) with its own copy of the model. Messages: init → ready, then host →
 * result for each host it is given; any failure is reported as an error message naming the host.
 */
import { parentPort } from 'node:worker_threads';
import type { ProcessEvent } from '../../../common/types/process_event';
import type { EdgeScorer } from '../../../common/types/scoring';
import { analyseHost } from './host_analysis';
import { readSpillChunks } from './host_spill';
import type { PrepareOptions } from './find_bad_communities';
import type { WorkerRequest, WorkerReply } from './parallel_hosts';

const port = parentPort;
if (!port) throw new Error('host_worker.ts must run in a worker thread');

let scorer: EdgeScorer | undefined;
let fd: number | undefined;
let opts: PrepareOptions = {};

function reply(m: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(m, transfer);
}

port.on('message', (m: WorkerRequest) => {
  void handle(m).catch((err: unknown) => {
    reply({
      type: 'error',
      host: m.type === 'host' ? m.host : undefined,
      message: err instanceof Error ? err.message : String(err),
    });
  });
});

async function handle(m: WorkerRequest): Promise<void> {
  switch (m.type) {
    case 'init': {
      const { TfjsEdgeScorer } = await import('../model/scorer');
      scorer = await TfjsEdgeScorer.load({ modelDir: m.modelDir, mode: m.mode });
      fd = m.fd;
      opts = m.opts;
      reply({ type: 'ready' });
      return;
    }
    case 'host': {
      if (!scorer || fd === undefined) throw new Error('worker not initialised');
      const events = readSpillChunks<ProcessEvent>(fd, m.chunks);
      const r = await analyseHost(m.host, events, scorer, opts);
      reply({ type: 'result', index: m.index, result: r }, [
        r.keys.times.buffer as ArrayBuffer,
        r.keys.ids.buffer as ArrayBuffer,
      ]);
      return;
    }
  }
}
