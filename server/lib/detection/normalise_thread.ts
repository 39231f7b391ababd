/**
 * Normalising a file run's inputs in a worker thread (normalise_worker.ts) while this thread files
 * the events by host: normalising is the longest step of a large run, and handing it off leaves
 * this thread only the filing. Events arrive in input order, so the run is the same as with
 * normalising here.
 */
import type { NormaliseSummary } from '../../../common/types/process_event';
import type { HostSpill } from './host_spill';
import type { NormaliseReply } from './normalise_worker';
import { startWorker } from './worker_start';

export async function normaliseInThread<T>(
  files: readonly string[],
  spill: HostSpill<T>,
  onFile: (file: string, summary: NormaliseSummary, events: number) => void,
  onBatch?: (events: number) => void,
): Promise<void> {
  const w = startWorker('normalise_worker.ts', { files: [...files] });
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      w.on('error', (err) => fail(new Error(`the normaliser thread failed: ${err.message}`)));
      w.on('exit', (code) => {
        if (!settled) fail(new Error(`the normaliser thread exited early (code ${code})`));
      });
      w.on('message', (m: NormaliseReply) => {
        if (settled) return;
        try {
          switch (m.type) {
            case 'batch': {
              const bytes = Buffer.from(m.bytes);
              let at = 0;
              for (let i = 0; i < m.lengths.length; i++) {
                const len = m.lengths[i] as number;
                spill.addEncoded(
                  m.hostNames[m.hostIndex[i] as number] as string,
                  bytes.subarray(at, at + len),
                );
                at += len;
              }
              onBatch?.(spill.size);
              return;
            }
            case 'file':
              onFile(m.file, m.summary, m.events);
              return;
            case 'done':
              settled = true;
              resolve();
              return;
            case 'error':
              fail(new Error(`cannot read ${m.file}: ${m.message}`));
              return;
          }
        } catch (err) {
          fail(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
  } finally {
    await w.terminate();
  }
}
