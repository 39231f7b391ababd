/**
 * The Kibana browser glue against hand-written structural fakes of core and share: the app is
 * registered in the Security category, services honour capabilities and the Discover locator,
 * and Kibana's fetch errors reach the app as ApiError with status and field errors.
 */
import { describe, expect, it } from 'vitest';
import { buildDiscoverDrillDown } from '../common/discover';
import { ApiError } from './app/api_client';
import { buildServices, DISCOVER_APP_LOCATOR, kibanaHttp } from './application';
import type {
  App,
  CoreSetup,
  CoreStart,
  HttpFetchOptions,
  ProblemChildStartDeps,
} from './kibana_contracts';
import { plugin } from './index';

function fakeCore(overrides: Partial<CoreStart> = {}) {
  const fetches: { path: string; options?: HttpFetchOptions }[] = [];
  const toasts: string[] = [];
  const core: CoreStart = {
    http: {
      async fetch(path, options) {
        fetches.push({ path, options });
        return { ok: true };
      },
    },
    notifications: {
      toasts: {
        addSuccess: (t) => toasts.push(`success:${t.title}`),
        addWarning: (t) => toasts.push(`warning:${t.title}`),
        addDanger: (t) => toasts.push(`danger:${t.title}`),
      },
    },
    application: { capabilities: { problemChild: { show: true, triage: true, run: false } } },
    ...overrides,
  };
  return { core, fetches, toasts };
}

describe('public plugin', () => {
  it('registers the app in the Security category and mounts lazily', () => {
    const registered: App[] = [];
    const setup: CoreSetup<ProblemChildStartDeps> = {
      application: { register: (app) => registered.push(app) },
      getStartServices: () => new Promise(() => {}),
    };
    plugin({}).setup(setup);
    expect(registered).toHaveLength(1);
    expect(registered[0]).toMatchObject({
      id: 'problemChild',
      title: 'ProblemChild',
      category: {
        id: 'securitySolution',
        label: 'Security',
        order: 4000,
        euiIconType: 'logoSecurity',
      },
    });
    expect(typeof registered[0]!.mount).toBe('function');
  });
});

describe('buildServices', () => {
  it('maps capabilities and toasts', () => {
    const { core, toasts } = fakeCore();
    const s = buildServices(core, {});
    expect(s.capabilities).toEqual({ canTriage: true, canRun: false });
    expect(s.host).toBe('kibana');
    expect(s.openInDiscover).toBeUndefined();
    s.toasts!.addSuccess('saved');
    expect(toasts).toEqual(['success:saved']);
  });

  it('denies everything when the feature has no capabilities', () => {
    const { core } = fakeCore({ application: { capabilities: {} } });
    expect(buildServices(core, {}).capabilities).toEqual({ canTriage: false, canRun: false });
  });

  it('navigates with the Discover locator', async () => {
    const navigated: unknown[] = [];
    const { core } = fakeCore();
    const s = buildServices(core, {
      share: {
        url: {
          locators: {
            get: <P>(id: string) =>
              id === DISCOVER_APP_LOCATOR
                ? {
                    navigate: async (p: P) => void navigated.push(p),
                    getUrl: async () => '/app/discover',
                  }
                : undefined,
          },
        },
      },
    });
    // What the app hands over: the saved search and data view by id, all of it URL state.
    const params = buildDiscoverDrillDown(
      {
        hosts: ['h'],
        entityIds: ['e1'],
        processNames: ['cmd.exe'],
        firstSeen: '2024-05-01T10:00:00.000Z',
        lastSeen: '2024-05-01T10:05:00.000Z',
      },
      { savedSearchId: 'problem-child-community-events', dataViewId: 'problem-child-events' },
    ).params;
    s.openInDiscover!(params);
    expect(navigated).toEqual([params]);
    expect(navigated[0]).toMatchObject({ savedSearchId: 'problem-child-community-events' });
    expect(navigated[0]).not.toHaveProperty('dataViewSpec');
  });

  it('sends versioned JSON requests through core.http.fetch', async () => {
    const { core, fetches } = fakeCore();
    await buildServices(core, {}).api.triage('c1', { status: 'closed' }, 3);
    expect(fetches).toEqual([
      {
        path: '/internal/problem_child/communities/c1/triage',
        options: {
          method: 'POST',
          query: undefined,
          body: JSON.stringify({ status: 'closed', version: 3 }),
          version: '1',
        },
      },
    ]);
  });
});

describe('kibanaHttp', () => {
  it('turns Kibana fetch errors into ApiError with status and field errors', async () => {
    const http = kibanaHttp({
      fetch: async () => {
        throw Object.assign(new Error('Bad Request'), {
          response: { status: 400 },
          body: {
            statusCode: 400,
            message: '[query.min_score]: too big',
            attributes: { errors: [{ field: 'query.min_score', message: 'too big' }] },
          },
        });
      },
    });
    const err = await http('GET', '/x', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toBe('[query.min_score]: too big');
    expect((err as ApiError).fieldErrors).toEqual([
      { field: 'query.min_score', message: 'too big' },
    ]);
  });

  it('reports a network failure as status 0', async () => {
    const http = kibanaHttp({
      fetch: async () => {
        throw new Error('Failed to fetch');
      },
    });
    await expect(http('GET', '/x', {})).rejects.toMatchObject({
      status: 0,
      message: 'Failed to fetch',
    });
  });
});
