import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError, type HttpFn } from '../api_client';
import { ensureDiscoverIds } from './use_discover_drill_down';

function client(answers: Array<() => unknown>) {
  const calls: string[] = [];
  const http: HttpFn = async (method, path) => {
    calls.push(`${method} ${path}`);
    const next = answers.shift();
    if (!next) throw new Error('unexpected request');
    return next();
  };
  return { api: new ApiClient(http), calls };
}

describe('ensureDiscoverIds', () => {
  it('asks the server once per app, however many links are opened', async () => {
    const ids = { savedSearchId: 's', dataViewId: 'd' };
    const { api, calls } = client([() => ids]);
    const [a, b] = await Promise.all([ensureDiscoverIds(api), ensureDiscoverIds(api)]);
    expect(await ensureDiscoverIds(api)).toEqual(ids);
    expect([a, b]).toEqual([ids, ids]);
    expect(calls).toEqual(['POST /internal/problem_child/discover/_saved_search']);
  });

  it('forgets a failure so the next click asks again', async () => {
    const ids = { savedSearchId: 's', dataViewId: 'd' };
    const { api, calls } = client([
      () => {
        throw new ApiError(403, 'no rights');
      },
      () => ids,
    ]);
    await expect(ensureDiscoverIds(api)).rejects.toMatchObject({ status: 403 });
    expect(await ensureDiscoverIds(api)).toEqual(ids);
    expect(calls).toHaveLength(2);
  });
});
