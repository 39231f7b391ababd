import { errors } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../test/harness/elasticsearch';
import { createEsClient } from './client';
import { backoffDelay, isRetryableError, requestOptions, retryDelay, withRetry } from './retry';

function responseError(statusCode: number): errors.ResponseError {
  return new errors.ResponseError({
    body: { error: { type: statusCode === 429 ? 'es_rejected_execution_exception' : 'other' } },
    statusCode,
    headers: {},
    warnings: null,
    meta: {} as never,
  });
}

describe('withRetry', () => {
  it('retries overload and unavailability, then succeeds', async () => {
    const seen: number[] = [];
    const out = await withRetry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 2) throw responseError(attempt === 0 ? 429 : 503);
        return 'ok';
      },
      { baseDelayMs: 1 },
    );
    expect(out).toBe('ok');
    expect(seen).toEqual([0, 1, 2]);
  });

  it('gives up after the bounded number of attempts', async () => {
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw responseError(429);
      },
      { attempts: 3, baseDelayMs: 1 },
    ).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect((err as errors.ResponseError).statusCode).toBe(429);
  });

  it('does not retry a request that is wrong', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw responseError(400);
      }),
    ).rejects.toBeInstanceOf(errors.ResponseError);
    expect(calls).toBe(1);
    expect(isRetryableError(responseError(409))).toBe(false);
    expect(isRetryableError(new Error('x'))).toBe(false);
  });

  it('stops waiting as soon as the signal aborts', async () => {
    const ctl = new AbortController();
    const t0 = Date.now();
    const p = withRetry(
      async () => {
        throw responseError(503);
      },
      { baseDelayMs: 60_000, maxDelayMs: 60_000, random: () => 1, signal: ctl.signal },
    );
    setTimeout(() => ctl.abort(new Error('shutting down')), 20);
    await expect(p).rejects.toThrow('shutting down');
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('uses full jitter under a cap', () => {
    expect(backoffDelay(0, 100, 5_000, () => 0.999)).toBe(99);
    expect(backoffDelay(10, 100, 5_000, () => 0.999)).toBe(4_995);
    expect(backoffDelay(3, 100, 5_000, () => 0)).toBe(0);
  });

  it('never retries sooner than the floor, nor later than the cap', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1_000, minDelayMs: 40 };
    expect(retryDelay(0, { ...policy, random: () => 0 })).toBe(40);
    expect(retryDelay(0, { ...policy, random: () => 0.999 })).toBe(99);
    expect(retryDelay(8, { ...policy, random: () => 0.999 })).toBe(999);
    // By default the floor is 50 ms, or the base when that is smaller.
    expect(retryDelay(0, { random: () => 0 })).toBe(50);
    expect(retryDelay(0, { baseDelayMs: 1, random: () => 0 })).toBe(1);
    expect(retryDelay(0, { minDelayMs: 5_000, maxDelayMs: 300, random: () => 0 })).toBe(300);
  });

  it('waits at least the floor between tries', async () => {
    const at: number[] = [];
    await withRetry(
      async (attempt) => {
        at.push(performance.now());
        if (attempt < 2) throw responseError(429);
      },
      { baseDelayMs: 1, minDelayMs: 30, maxDelayMs: 30 },
    );
    expect(at).toHaveLength(3);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(29);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(29);
  });

  it('retries connection errors against a real socket and reports them', async () => {
    const port = await freePort();
    const client = createEsClient({ node: `http://127.0.0.1:${port}`, requestTimeoutMs: 2_000 });
    let calls = 0;
    const err = await withRetry(
      () => {
        calls++;
        return client.cluster.health({}, requestOptions());
      },
      { attempts: 3, baseDelayMs: 1 },
    ).catch((e: unknown) => e);
    await client.close();
    expect(calls).toBe(3);
    expect(err).toBeInstanceOf(errors.ConnectionError);
  });
});
