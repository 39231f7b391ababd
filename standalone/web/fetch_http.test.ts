import { describe, expect, it } from 'vitest';
import { ApiError } from '../../public/app/api_client';
import { createFetchHttp, type FetchLike } from './fetch_http';

function fakeFetch(status: number, body: string) {
  const calls: { url: string; init: RequestInit }[] = [];
  const f: FetchLike = async (url, init) => {
    calls.push({ url, init });
    return new Response(body, { status, headers: { 'content-type': 'application/json' } });
  };
  return { calls, f };
}

describe('createFetchHttp', () => {
  it('sends the API version, and kbn-xsrf only on writes', async () => {
    const { calls, f } = fakeFetch(200, '{"ok":1}');
    const http = createFetchHttp(f);
    await expect(
      http('GET', '/internal/x', { query: { a: 1, b: undefined, c: 'x y' }, version: '1' }),
    ).resolves.toEqual({ ok: 1 });
    await http('POST', '/internal/x', { body: { s: 'open' }, version: '1' });
    expect(calls[0]!.url).toBe('/internal/x?a=1&c=x+y');
    expect(calls[0]!.init.headers).toEqual({
      accept: 'application/json',
      'elastic-api-version': '1',
    });
    expect(calls[1]!.init.headers).toMatchObject({
      'kbn-xsrf': 'true',
      'content-type': 'application/json',
    });
    expect(calls[1]!.init.body).toBe('{"s":"open"}');
  });

  it('turns error bodies into ApiError with status and message', async () => {
    const { f } = fakeFetch(
      400,
      JSON.stringify({
        statusCode: 400,
        error: 'Bad Request',
        message: '[query.min_score]: too big',
        errors: [{ field: 'query.min_score', message: 'too big' }],
      }),
    );
    const err = (await createFetchHttp(f)('GET', '/x', {}).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.message).toBe('[query.min_score]: too big');
    expect(err.fieldErrors).toHaveLength(1);
  });

  it('reports an unreachable server as status 0', async () => {
    const http = createFetchHttp(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(http('GET', '/x', {})).rejects.toMatchObject({ status: 0 });
  });

  it('copes with non-JSON error bodies', async () => {
    const { f } = fakeFetch(502, '<html>Bad gateway</html>');
    await expect(createFetchHttp(f)('GET', '/x', {})).rejects.toMatchObject({
      status: 502,
      message: '<html>Bad gateway</html>',
    });
  });
});
