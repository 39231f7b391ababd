import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError, type HttpFn, type HttpMethod, type HttpOptions } from './api_client';

interface Call {
  method: HttpMethod;
  path: string;
  options: HttpOptions;
}

function fakeHttp(answer: (c: Call) => unknown = () => ({})) {
  const calls: Call[] = [];
  const http: HttpFn = async (method, path, options) => {
    const call = { method, path, options };
    calls.push(call);
    const a = answer(call);
    if (a instanceof Error) throw a;
    return a;
  };
  return { calls, client: new ApiClient(http) };
}

describe('ApiClient request building', () => {
  it('lists communities with only the filters that are set, booleans as strings', async () => {
    const { calls, client } = fakeHttp();
    await client.listCommunities({
      from: '2024-01-01T00:00:00.000Z',
      host: '',
      q: undefined,
      min_score: 0.7,
      include_unflagged: false,
      sort: 'max_score',
      direction: 'desc',
      page: 2,
      per_page: 20,
    });
    expect(calls).toEqual([
      {
        method: 'GET',
        path: '/internal/problem_child/communities',
        options: {
          query: {
            from: '2024-01-01T00:00:00.000Z',
            min_score: 0.7,
            include_unflagged: 'false',
            sort: 'max_score',
            direction: 'desc',
            page: 2,
            per_page: 20,
          },
          version: '1',
        },
      },
    ]);
  });

  it('encodes ids in paths', async () => {
    const { calls, client } = fakeHttp();
    await client.getCommunity('a/b?c');
    await client.communityEvents('x y');
    await client.deleteSuppression('s#1');
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /internal/problem_child/communities/a%2Fb%3Fc',
      'GET /internal/problem_child/communities/x%20y/events',
      'DELETE /internal/problem_child/suppressions/s%231',
    ]);
    expect(calls.every((c) => c.options.version === '1')).toBe(true);
  });

  it('sends the version read with a triage change', async () => {
    const { calls, client } = fakeHttp();
    await client.triage('c1', { status: 'closed', verdict: 'benign', suppress: true }, 4);
    await client.triage('c1', { note: 'n' });
    expect(calls[0]).toMatchObject({
      method: 'POST',
      path: '/internal/problem_child/communities/c1/triage',
      options: { body: { status: 'closed', verdict: 'benign', suppress: true, version: 4 } },
    });
    expect(calls[1]!.options.body).toEqual({ note: 'n' });
  });

  it('sends bulk triage ids with the change', async () => {
    const { calls, client } = fakeHttp(() => ({ updated: ['a'], failed: [] }));
    const res = await client.bulkTriage(['a', 'b'], { assignee: 'ana' });
    expect(calls[0]).toMatchObject({
      method: 'POST',
      path: '/internal/problem_child/communities/_bulk_triage',
      options: { body: { ids: ['a', 'b'], assignee: 'ana' } },
    });
    expect(res.updated).toEqual(['a']);
  });

  it('treats 409 from run detection as "already running"', async () => {
    const { client } = fakeHttp(
      () => new ApiError(409, 'busy', { statusCode: 409, message: 'a run is in progress' }),
    );
    await expect(client.runDetection()).resolves.toEqual({
      started: false,
      message: 'a run is in progress',
    });
  });

  it('passes other errors through with their status', async () => {
    const { client } = fakeHttp(() => new ApiError(500, 'boom'));
    await expect(client.runDetection()).rejects.toMatchObject({ status: 500, message: 'boom' });
    const { client: c2 } = fakeHttp(
      () =>
        new ApiError(409, 'Conflict', {
          message: 'stale',
          errors: [{ field: 'body.version', message: 'stale' }],
        }),
    );
    const err = await c2.triage('c', { status: 'open' }, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(409);
    expect((err as ApiError).fieldErrors).toEqual([{ field: 'body.version', message: 'stale' }]);
  });

  it('builds the remaining routes', async () => {
    const { calls, client } = fakeHttp();
    await client.runDetection({ from: 'a' });
    await client.detectionStatus();
    await client.prevalence('cmd.exe', 'whoami.exe');
    await client.getSettings();
    await client.updateSettings({ threshold: 0.6 });
    await client.listSuppressions();
    expect(calls.map((c) => [c.method, c.path, c.options.query, c.options.body])).toEqual([
      ['POST', '/internal/problem_child/detection/_run', undefined, { from: 'a' }],
      ['GET', '/internal/problem_child/detection/status', undefined, undefined],
      [
        'GET',
        '/internal/problem_child/prevalence',
        { parent: 'cmd.exe', child: 'whoami.exe', command_line: undefined },
        undefined,
      ],
      ['GET', '/internal/problem_child/settings', undefined, undefined],
      ['PUT', '/internal/problem_child/settings', undefined, { threshold: 0.6 }],
      ['GET', '/internal/problem_child/suppressions', undefined, undefined],
    ]);
  });
});
