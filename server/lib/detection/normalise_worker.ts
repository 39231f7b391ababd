/**
 * Normaliser thread of a file run: normalises the input files in order and sends the events as
 * UTF-8 JSON lines in transferred buffers, so the main thread only files them by host. Messages:
 * batch (lines of one file, in order), file (its summary, after its last batch), done, error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { NormaliseSummary } from '../../../common/types/process_event';
import { normaliseFile } from '../normalise/normaliser';
import { hostKey } from './names';

export interface NormaliseBatch {
  type: 'batch';
  /** Lines back to back, each ending in a newline. */
  bytes: ArrayBuffer;
  /** Byte length of each line. */
  lengths: Int32Array;
  /** Host key of each line, as an index into `hostNames`. */
  hostIndex: Int32Array;
  hostNames: string[];
}

export type NormaliseReply =
  | NormaliseBatch
  | { type: 'file'; file: string; summary: NormaliseSummary; events: number }
  | { type: 'done' }
  | { type: 'error'; file: string; message: string };

const BATCH_BYTES = 4 * 1024 * 1024;
const port = parentPort;
if (!port) throw new Error('normalise_worker.ts must run in a worker thread');

class Batcher {
  private buf = Buffer.allocUnsafe(BATCH_BYTES);
  private used = 0;
  private lengths: number[] = [];
  private hostIndex: number[] = [];
  private hostNames: string[] = [];
  private hostIds = new Map<string, number>();

  add(host: string, line: string): void {
    const need = Buffer.byteLength(line) + 1;
    if (this.used + need > this.buf.length) {
      this.send();
      if (need > this.buf.length) this.buf = Buffer.allocUnsafe(need);
    }
    this.used += this.buf.write(line, this.used);
    this.buf[this.used++] = 10;
    this.lengths.push(need);
    let id = this.hostIds.get(host);
    if (id === undefined) {
      this.hostIds.set(host, (id = this.hostNames.length));
      this.hostNames.push(host);
    }
    this.hostIndex.push(id);
  }

  send(): void {
    if (this.lengths.length === 0) return;
    // A copy of the used part: it is transferred, and the batch buffer is reused.
    const bytes = this.buf.buffer.slice(
      this.buf.byteOffset,
      this.buf.byteOffset + this.used,
    ) as ArrayBuffer;
    const msg: NormaliseBatch = {
      type: 'batch',
      bytes,
      lengths: Int32Array.from(this.lengths),
      hostIndex: Int32Array.from(this.hostIndex),
      hostNames: this.hostNames,
    };
    port?.postMessage(msg, [
      bytes,
      msg.lengths.buffer as ArrayBuffer,
      msg.hostIndex.buffer as ArrayBuffer,
    ]);
    this.used = 0;
    this.lengths = [];
    this.hostIndex = [];
    this.hostNames = [];
    this.hostIds = new Map();
  }
}

async function run(files: readonly string[]): Promise<void> {
  const batch = new Batcher();
  for (const file of files) {
    try {
      const gen = normaliseFile(file, {}, file);
      let n = 0;
      let r;
      for (r = await gen.next(); !r.done; r = await gen.next()) {
        batch.add(hostKey(r.value.host.name), JSON.stringify(r.value));
        n++;
      }
      batch.send();
      const reply: NormaliseReply = { type: 'file', file, summary: r.value, events: n };
      port?.postMessage(reply);
    } catch (err) {
      const reply: NormaliseReply = {
        type: 'error',
        file,
        message: err instanceof Error ? err.message : String(err),
      };
      port?.postMessage(reply);
      return;
    }
  }
  port?.postMessage({ type: 'done' } satisfies NormaliseReply);
}

void run((workerData as { files: string[] }).files);
