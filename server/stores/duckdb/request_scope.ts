/**
 * The HTTP request a store read is made for, carried implicitly (AsyncLocalStorage) so the
 * routes and store ports need no signal parameter: when the client goes away or the request's
 * time budget runs out, the read's DuckDB query is interrupted and its connection freed.
 * Work that outlives the request (a detection run started by "run now") leaves the scope.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<AbortSignal>();

/** Runs `fn` with `signal` as the signal of every store read it makes. */
export function withRequestSignal<T>(signal: AbortSignal, fn: () => T): T {
  return scope.run(signal, fn);
}

/** The signal of the request being served, if any. */
export function requestSignal(): AbortSignal | undefined {
  return scope.getStore();
}

/** Runs `fn` outside any request, for background work a request only starts. */
export function outsideRequest<T>(fn: () => T): T {
  return scope.exit(fn);
}
