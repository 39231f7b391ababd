/**
 * Normalised events of a file run, filed by host, held as JSON text and moved to a temporary file
 * once they outgrow a memory budget.
 *
 * Why: a file run needs the whole input read before any host can be analysed (prevalence is
 * counted over every event first), yet holding a million event objects costs gigabytes of heap and
 * makes the collector dominate the run. Text costs a third of the objects, and on disk it costs no
 * heap at all. Each host's lines are appended in chunks, so reading a host back is a few large
 * reads in input order.
 */
import { mkdtempSync, openSync, readSync, rmSync, writeSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface HostSpillOptions {
  /** Characters (or bytes) of JSON held in memory before they are written out (default 64 Mi). */
  memoryChars?: number;
  /** Where the temporary folder is made (default the system's temporary folder, $TMPDIR). */
  tmpDir?: string;
}

interface HostLines {
  /** JSON lines: strings without their newline, or UTF-8 buffers ending with it. */
  pending: Array<string | Buffer>;
  pendingChars: number;
  /** [offset, bytes] of each chunk written for this host, in order. */
  chunks: Array<[number, number]>;
  count: number;
}

export class HostSpill<T> {
  private readonly hosts = new Map<string, HostLines>();
  private readonly memoryChars: number;
  private readonly tmpDir: string;
  private buffered = 0;
  private dir: string | undefined;
  private fd: number | undefined;
  private offset = 0;
  private total = 0;

  constructor(opts: HostSpillOptions = {}) {
    this.memoryChars = opts.memoryChars ?? 64 * 1024 * 1024;
    this.tmpDir = opts.tmpDir ?? os.tmpdir();
  }

  /** Items added so far. */
  get size(): number {
    return this.total;
  }

  /** Bytes written to the temporary file so far (0 while everything fits in memory). */
  get spilledBytes(): number {
    return this.offset;
  }

  add(host: string, item: T): void {
    const line = JSON.stringify(item);
    let h = this.hosts.get(host);
    if (!h) this.hosts.set(host, (h = { pending: [], pendingChars: 0, chunks: [], count: 0 }));
    h.pending.push(line);
    h.pendingChars += line.length + 1;
    h.count++;
    this.total++;
    this.buffered += line.length + 1;
    if (this.buffered > this.memoryChars) this.flush();
  }

  /**
   * Adds an item already encoded as one UTF-8 JSON line ending in a newline (from a normaliser
   * thread, so this thread does not serialise it).
   */
  addEncoded(host: string, line: Buffer): void {
    let h = this.hosts.get(host);
    if (!h) this.hosts.set(host, (h = { pending: [], pendingChars: 0, chunks: [], count: 0 }));
    h.pending.push(line);
    h.pendingChars += line.length;
    h.count++;
    this.total++;
    this.buffered += line.length;
    if (this.buffered > this.memoryChars) this.flush();
  }

  /** Hosts in the order they were first seen. */
  hostKeys(): string[] {
    return [...this.hosts.keys()];
  }

  count(host: string): number {
    return this.hosts.get(host)?.count ?? 0;
  }

  /** A host's items in the order they were added. */
  read(host: string): T[] {
    const h = this.hosts.get(host);
    if (!h) return [];
    const out = h.chunks.length > 0 ? readSpillChunks<T>(this.fd as number, h.chunks) : [];
    for (const line of h.pending)
      out.push(
        JSON.parse(
          typeof line === 'string' ? line : line.toString('utf8', 0, line.length - 1),
        ) as T,
      );
    return out;
  }

  /**
   * Writes everything still in memory to the file and returns where each host's items are, so
   * worker threads can read them (readSpillChunks with this descriptor: descriptors belong to the
   * process and positional reads need no shared offset). Valid until close().
   */
  persist(): { fd: number; chunks: Map<string, Array<[number, number]>> } {
    this.flush();
    const chunks = new Map<string, Array<[number, number]>>();
    for (const [host, h] of this.hosts) chunks.set(host, h.chunks);
    return { fd: this.fd as number, chunks };
  }

  /** Frees a host's memory once it has been read for the last time. */
  drop(host: string): void {
    const h = this.hosts.get(host);
    if (!h) return;
    this.buffered -= h.pendingChars;
    h.pending = [];
    h.pendingChars = 0;
    h.chunks = [];
  }

  /** Deletes the temporary file; safe to call more than once. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.hosts.clear();
    this.buffered = 0;
  }

  private flush(): void {
    if (this.fd === undefined) {
      try {
        this.dir = mkdtempSync(path.join(this.tmpDir, 'problemchild-run-'));
        this.fd = openSync(path.join(this.dir, 'events.ndjson'), 'w+', 0o600);
      } catch (err) {
        throw new Error(
          `cannot create a temporary file for the run's events in ${this.tmpDir} (set TMPDIR to a writable folder): ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    for (const h of this.hosts.values()) {
      if (h.pending.length === 0) continue;
      const buf = encodeLines(h.pending);
      let put = 0;
      try {
        while (put < buf.length)
          put += writeSync(this.fd, buf, put, buf.length - put, this.offset + put);
      } catch (err) {
        throw new Error(
          `cannot write the run's temporary file in ${this.dir} (${this.offset + put} bytes written; set TMPDIR to a folder with more room): ${(err as Error).message}`,
          { cause: err },
        );
      }
      h.chunks.push([this.offset, buf.length]);
      this.offset += buf.length;
      h.pending = [];
      h.pendingChars = 0;
    }
    this.buffered = 0;
  }
}

/** Pending lines as one buffer, each ending in a newline. */
function encodeLines(pending: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  let text: string[] = [];
  for (const p of pending) {
    if (typeof p === 'string') text.push(p);
    else {
      if (text.length > 0) parts.push(Buffer.from(`${text.join('\n')}\n`, 'utf8'));
      text = [];
      parts.push(p);
    }
  }
  if (text.length > 0) parts.push(Buffer.from(`${text.join('\n')}\n`, 'utf8'));
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

/** Reads and parses the items of some chunks of a spill file, in order. */
export function readSpillChunks<T>(
  fd: number,
  chunks: ReadonlyArray<readonly [number, number]>,
): T[] {
  const out: T[] = [];
  for (const [at, bytes] of chunks) {
    const buf = Buffer.allocUnsafe(bytes);
    let got = 0;
    while (got < bytes) {
      const n = readSync(fd, buf, got, bytes - got, at + got);
      if (n === 0) throw new Error(`the run's temporary file ended early (offset ${at + got})`);
      got += n;
    }
    const text = buf.toString('utf8');
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      out.push(JSON.parse(text.slice(from, nl)) as T);
      from = nl + 1;
    }
  }
  return out;
}
