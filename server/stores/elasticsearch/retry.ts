/**
 * Bounded retries with jittered exponential backoff for every request the store makes.
 *
 * The client's own retry (`maxRetries`) re-sends immediately, which turns a 429 from an
 * overloaded cluster into a burst; requests made through this helper pass `maxRetries: 0` (see
 * `requestOptions`) so that backoff is decided here, once, and an AbortSignal can cut a wait short.
 *
 * Errors are classified by their `name` and status, never with `instanceof`: under Kibana the
 * client is Kibana's own copy of @elastic/elasticsearch, whose error classes are not ours, so a
 * class check would never match and connection errors and timeouts would go unretried.
 */
import type { Logger } from '../../ports';

/** How persistent a store is with a cluster that answers 429/5xx or cannot be reached. */
export interface RetryPolicy {
  /** Total tries including the first one. */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * Shortest wait before a retry. Full jitter alone may draw 0 ms, which re-sends at once to a
   * cluster that has just said it is overloaded.
   */
  minDelayMs?: number;
}

export interface RetryOptions extends RetryPolicy {
  signal?: AbortSignal;
  logger?: Logger;
  /** Names the operation in log lines. */
  what?: string;
  retryable?: (err: unknown) => boolean;
  /** Injected in tests so backoff does not slow them down. */
  random?: () => number;
}

export const DEFAULT_ATTEMPTS = 4;
const DEFAULT_BASE_MS = 200;
const DEFAULT_MAX_MS = 5_000;
const DEFAULT_MIN_MS = 50;

/** Statuses that mean "try again later" rather than "this request is wrong". */
export function isRetryableStatus(status: number | undefined): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/** The HTTP status an error carries: the client's `statusCode` / `meta.statusCode`. */
export function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { statusCode?: unknown; meta?: { statusCode?: unknown } | null };
  // `statusCode` is a getter on the client's ResponseError (the body's `status` first).
  const s = e.statusCode ?? e.meta?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** The client's error classes, by the `name` every @elastic/transport error sets. */
export type EsClientErrorName =
  | 'ResponseError'
  | 'ConnectionError'
  | 'NoLivingConnectionsError'
  | 'TimeoutError'
  | 'RequestAbortedError'
  | 'SerializationError'
  | 'DeserializationError'
  | 'ConfigurationError'
  | 'ProductNotSupportedError';

export function errorName(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const n = (err as { name?: unknown }).name;
  return typeof n === 'string' ? n : undefined;
}

export function isRetryableError(err: unknown): boolean {
  switch (errorName(err)) {
    case 'RequestAbortedError':
      return false;
    case 'ConnectionError':
    case 'NoLivingConnectionsError':
      return true;
    // A client-side timeout may have reached the server; every caller of this helper sends
    // idempotent requests (searches, index/update by id, deletes guarded by seq_no), so it is safe.
    case 'TimeoutError':
      return true;
    default:
      return isRetryableStatus(statusOf(err));
  }
}

/** Full jitter (AWS architecture blog): spreads concurrent retriers instead of synchronising them. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const cap = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.floor(random() * cap);
}

export function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error(typeof r === 'string' ? r : 'The operation was aborted');
  e.name = 'AbortError';
  return e;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The wait before retry number `attempt + 1` under a policy: full jitter above a floor. */
export function retryDelay(
  attempt: number,
  policy: RetryPolicy & { random?: () => number } = {},
): number {
  const baseMs = policy.baseDelayMs ?? DEFAULT_BASE_MS;
  const maxMs = policy.maxDelayMs ?? DEFAULT_MAX_MS;
  const floor = Math.min(policy.minDelayMs ?? Math.min(DEFAULT_MIN_MS, baseMs), maxMs);
  return Math.max(floor, backoffDelay(attempt, baseMs, maxMs, policy.random));
}

export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  opts: RetryOptions = {},
): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? DEFAULT_ATTEMPTS);
  const retryable = opts.retryable ?? isRetryableError;
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(opts.signal);
    try {
      return await fn(attempt);
    } catch (err) {
      // An abort surfaces as RequestAbortedError from the client: report the caller's reason.
      if (opts.signal?.aborted) throw abortError(opts.signal);
      if (attempt + 1 >= attempts || !retryable(err)) throw err;
      const delay = retryDelay(attempt, opts);
      opts.logger?.warn(`${opts.what ?? 'Elasticsearch request'} failed, retrying in ${delay} ms`, {
        attempt: attempt + 1,
        of: attempts,
        status: statusOf(err),
        error: err instanceof Error ? err.message : String(err),
      });
      await sleep(delay, opts.signal);
    }
  }
}

/** Per-request transport options: retries are ours, and the caller's signal cancels the request. */
export function requestOptions(signal?: AbortSignal): { maxRetries: number; signal?: AbortSignal } {
  return signal ? { maxRetries: 0, signal } : { maxRetries: 0 };
}
