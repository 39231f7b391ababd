/**
 * [Kibana glue] Watches the detection key's client for refusals. The job reports failures in its
 * run report and never throws, so the task learns that the key was invalidated or expired (401)
 * or no longer allows the reads (403) by observing the client the job reads through.
 */
import { statusOf } from '../stores/elasticsearch/retry';

export type AuthFailure = { status: 401 | 403; message: string };

/**
 * The same client, whose calls report a 401/403 answer to `onFailure` before rejecting as
 * before. Only top-level API methods are wrapped: the event source and prevalence call nothing
 * else (search, openPointInTime, closePointInTime, fieldCaps).
 */
export function observeAuthFailures<T extends object>(
  client: T,
  onFailure: (failure: AuthFailure) => void,
): T {
  return new Proxy(client, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const out: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (typeof (out as PromiseLike<unknown> | null)?.then !== 'function') return out;
        return Promise.resolve(out).catch((e: unknown) => {
          const status = statusOf(e);
          if (status === 401 || status === 403)
            onFailure({ status, message: e instanceof Error ? e.message.split('\n')[0]! : '' });
          throw e;
        });
      };
    },
  });
}

/** The `authorization` header value of an Elasticsearch API key. */
export function apiKeyAuthorization(id: string, apiKey: string): string {
  return `ApiKey ${Buffer.from(`${id}:${apiKey}`, 'utf8').toString('base64')}`;
}
