/**
 * Byte streams to NDJSON lines: gzip detected by its magic bytes (not the file name), UTF-8
 * decoded across chunk boundaries, CRLF and a leading BOM tolerated, and a cap on line length
 * so one newline-less gigabyte cannot exhaust memory. Lines are never joined by repeated
 * string concatenation, which keeps megabyte lines linear.
 */
import { createReadStream } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';

export type LineInput = string | NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>;

/** A line that could not be delivered as text; it still counts as one input record. */
export interface LineProblem {
  problem: 'line_too_long' | 'corrupt_input';
  detail: string;
}

export type LineItem = string | LineProblem;

export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024 * 1024;

/** Incremental splitter: feed decoded text, get whole lines (without `\n` / `\r\n`). */
export class LineSplitter {
  private parts: string[] = [];
  private partsLength = 0;
  private overflow = false;
  private first = true;

  constructor(private readonly maxLineLength = DEFAULT_MAX_LINE_LENGTH) {}

  push(s: string, onLine: (item: LineItem) => void): void {
    let start = 0;
    let nl = s.indexOf('\n');
    while (nl >= 0) {
      this.emit(s.slice(start, nl), onLine);
      start = nl + 1;
      nl = s.indexOf('\n', start);
    }
    if (start < s.length) {
      this.hold(start === 0 ? s : s.slice(start));
    }
  }

  /** Delivers a final line that had no trailing newline. */
  end(onLine: (item: LineItem) => void): void {
    if (this.overflow || this.partsLength > 0) {
      this.emit('', onLine);
    }
  }

  private hold(piece: string): void {
    if (this.overflow) {
      return;
    }
    this.partsLength += piece.length;
    if (this.partsLength > this.maxLineLength) {
      this.overflow = true;
      this.parts = [];
      return;
    }
    this.parts.push(piece);
  }

  private emit(tail: string, onLine: (item: LineItem) => void): void {
    if (this.overflow || this.partsLength + tail.length > this.maxLineLength) {
      this.overflow = false;
      this.parts = [];
      this.partsLength = 0;
      this.first = false;
      onLine({
        problem: 'line_too_long',
        detail: `line longer than ${this.maxLineLength} characters`,
      });
      return;
    }
    let line = this.parts.length === 0 ? tail : this.parts.join('') + tail;
    this.parts = [];
    this.partsLength = 0;
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) {
      line = line.slice(0, -1);
    }
    if (this.first) {
      this.first = false;
      if (line.charCodeAt(0) === 0xfeff) {
        line = line.slice(1);
      }
    }
    onLine(line);
  }
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

async function* prepend<T>(first: T[], rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield* first;
  for (;;) {
    const r = await rest.next();
    if (r.done === true) {
      return;
    }
    yield r.value;
  }
}

function toChunks(input: LineInput): AsyncIterable<Uint8Array | string> {
  if (typeof input === 'string') {
    return createReadStream(input, { highWaterMark: 1 << 20 });
  }
  return input as AsyncIterable<Uint8Array | string>;
}

function isZlibError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * Decoded text chunks of a file path or byte/string stream, gunzipped when the first bytes say
 * gzip. A corrupt or truncated gzip stream ends the text with a `LineProblem` instead of
 * throwing, so what was readable is still processed and the damage is counted.
 */
export async function* readTextChunks(input: LineInput): AsyncGenerator<string | LineProblem> {
  const it = toChunks(input)[Symbol.asyncIterator]();
  const head: Array<Uint8Array | string> = [];
  let headBytes = 0;
  // Two bytes decide gzip; a first chunk of one byte is possible on pipes.
  while (headBytes < 2) {
    const r = await it.next();
    if (r.done === true) {
      break;
    }
    head.push(r.value);
    if (typeof r.value === 'string') {
      headBytes = Infinity;
    } else {
      headBytes += r.value.length;
    }
  }
  if (head.length === 0) {
    return;
  }
  const firstBytes =
    typeof head[0] === 'string'
      ? undefined
      : head.length === 1
        ? (head[0] as Uint8Array)
        : concatBytes(head as Uint8Array[]);
  const all = prepend(head, it);
  const decoder = new TextDecoder('utf-8');

  if (firstBytes !== undefined && isGzip(firstBytes)) {
    const gunzip = createGunzip();
    pipeline(Readable.from(all, { objectMode: false }), gunzip, () => {
      // Errors surface through the gunzip iterator below.
    });
    try {
      for await (const chunk of gunzip) {
        yield decoder.decode(chunk as Uint8Array, { stream: true });
      }
    } catch (e) {
      if (!isZlibError(e)) {
        throw e;
      }
      const tail = decoder.decode();
      if (tail.length > 0) {
        yield tail;
      }
      yield { problem: 'corrupt_input', detail: `gzip: ${(e as Error).message}` };
      return;
    }
  } else {
    for await (const chunk of all) {
      yield typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    }
  }
  const tail = decoder.decode();
  if (tail.length > 0) {
    yield tail;
  }
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) {
    n += p.length;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Lines of a file or stream (gzip or plain NDJSON). Blank lines are yielded too, to keep numbering. */
export async function* readLines(
  input: LineInput,
  maxLineLength = DEFAULT_MAX_LINE_LENGTH,
): AsyncGenerator<LineItem> {
  const splitter = new LineSplitter(maxLineLength);
  const batch: LineItem[] = [];
  const collect = (item: LineItem): void => {
    batch.push(item);
  };
  for await (const chunk of readTextChunks(input)) {
    if (typeof chunk === 'string') {
      splitter.push(chunk, collect);
    } else {
      splitter.end(collect);
      batch.push(chunk);
    }
    yield* batch;
    batch.length = 0;
  }
  splitter.end(collect);
  yield* batch;
}
