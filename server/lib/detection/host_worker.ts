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

/** One plausible process creation, scored once when the thread starts. */
const WARM_UP: ProcessEvent[] = [
  {
    '@timestamp': '2026-01-01T00:00:00.000Z',
    host: { name: 'warm-up' },
    event: { category: ['process'], type: ['start'], action: 'start', id: 'warm-up' },
    process: {
      entity_id: 'warm-up-child',
      name: 'cmd.exe',
      executable: 'C:\\Windows\\System32\\cmd.exe',
      command_line: 'cmd.exe /c whoami',
      parent: {
        entity_id: 'warm-up-parent',
        name: 'explorer.exe',
        executable: 'C:\\Windows\\explorer.exe',
      },
    },
    user: { name: 'user' },
    problemchild: { sources: [] },
  },
];

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
      // Warmed up before "ready": a host's time budget measures its analysis, not the thread's
      // first use of the model (kernels, caches), which would make small hosts fail tight budgets.
      await scorer.score(WARM_UP).catch(() => undefined);
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
