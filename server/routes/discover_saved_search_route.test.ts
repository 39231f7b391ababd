import { describe, expect, it } from 'vitest';
import { discoverSavedSearchRoute } from './discover_saved_search_route';
import type { RouteContext } from './route_types';

const INDICES = 'logs-endpoint.events.process-*';

function ctx(discover?: RouteContext['discover']): RouteContext {
  // Only what the handler reads: the settings store and the optional Discover port.
  return {
    stores: { settings: { get: async () => ({ indices: INDICES }) } },
    ...(discover ? { discover } : {}),
  } as unknown as RouteContext;
}

const call = (c: RouteContext) =>
  discoverSavedSearchRoute.handler(c, { params: {}, query: {}, body: {} });

describe('POST /discover/_saved_search', () => {
  it('is a read-privilege POST under the API base', () => {
    expect(discoverSavedSearchRoute).toMatchObject({
      method: 'post',
      path: '/internal/problem_child/discover/_saved_search',
      privilege: 'read',
    });
  });

  it('answers 404 with a clear message where there is no Discover (standalone)', async () => {
    const res = await call(ctx());
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ statusCode: 404, message: expect.stringMatching(/Discover/) });
  });

  it('ensures the saved search over the configured indices and returns its ids', async () => {
    const seen: string[] = [];
    const res = await call(
      ctx({
        ensureSavedSearch: async (indices) => {
          seen.push(indices);
          return { savedSearchId: 's', dataViewId: 'd' };
        },
      }),
    );
    expect(res).toEqual({ status: 200, body: { savedSearchId: 's', dataViewId: 'd' } });
    expect(seen).toEqual([INDICES]);
  });

  it('turns a saved objects 403 into a 403 that says which rights are missing', async () => {
    const res = await call(
      ctx({
        ensureSavedSearch: async () => {
          throw Object.assign(new Error('Unable to create search'), {
            output: { statusCode: 403 },
          });
        },
      }),
    );
    expect(res.status).toBe(403);
    expect((res.body as { message: string }).message).toMatch(/saved searches and data views/);
  });

  it('answers 400 naming the setting when the indices are empty', async () => {
    const res = await call(
      ctx({
        ensureSavedSearch: async () => {
          throw new RangeError('indices: the source indices setting is empty');
        },
      }),
    );
    expect(res).toMatchObject({ status: 400, body: { message: expect.stringMatching(/indices/) } });
  });

  it('lets other failures reach the host, which answers a generic 500', async () => {
    await expect(
      call(
        ctx({
          ensureSavedSearch: async () => {
            throw new Error('boom');
          },
        }),
      ),
    ).rejects.toThrow('boom');
  });
});
