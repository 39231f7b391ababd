/**
 * Fake of the browser core contracts the plugin touches, running in the page against the real
 * shared deps and a real HTTP server. Mirrors, in elastic/kibana:
 * - ApplicationSetup.register / CoreSetup.getStartServices (src/core/packages/application/browser
 *   and src/core/packages/lifecycle/browser, 9.x): `register(app)` records the app;
 * - HttpStart.fetch: src/core/packages/http/browser-internal/src/fetch.ts
 *   @ 1bb8185bf8b18ba5f4a87e95e0584b08b1591e34 — same-origin Request with `Content-Type:
 *   application/json`, `kbn-version`, `kbn-build-number`, `elastic-api-version` (from
 *   `version`), `x-elastic-internal-origin: Kibana`; `query` in the URL; the parsed body on 2xx;
 *   otherwise rejects with an HttpFetchError carrying `response` and the parsed `body`;
 * - RenderingService.addContext (src/core/packages/rendering/browser/src/types.ts, 9.x): wraps the
 *   tree in Kibana's render context, which provides the one EuiProvider;
 * - notifications.toasts add{Success,Warning,Danger} and application.capabilities;
 * - the share plugin's start contract, `url.locators.get(id)` returning a LocatorPublic whose
 *   `navigate(params)` is recorded (src/platform/plugins/shared/share/common/url_service/locators/
 *   types.ts @ db05b1f47bcf27a035ef4ec137d9aa08d315f100), with Discover's DISCOVER_APP_LOCATOR.
 */
export interface RegisteredApp {
  id: string;
  title: string;
  category?: { id: string; label: string };
  mount(params: { element: HTMLElement; history: unknown }): Promise<() => void> | (() => void);
}

export interface FakeCoreOptions {
  kibanaVersion: string;
  capabilities: Record<string, Record<string, boolean>>;
}

interface SharedDeps {
  React: { createElement(type: unknown, props: unknown, ...children: unknown[]): unknown };
  ElasticEui: { EuiProvider: unknown };
}

class HttpFetchError extends Error {
  constructor(
    message: string,
    readonly request: Request,
    readonly response?: Response,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

function createHttp(kibanaVersion: string, requests: string[]) {
  return {
    async fetch(
      path: string,
      options: {
        method?: string;
        query?: Record<string, string | number | boolean | undefined>;
        body?: string;
        version?: string;
        headers?: Record<string, string>;
      } = {},
    ): Promise<unknown> {
      const url = new URL(path, window.location.origin);
      for (const [k, v] of Object.entries(options.query ?? {})) {
        if (v !== undefined) url.searchParams.append(k, String(v));
      }
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        ...options.headers,
        'kbn-version': kibanaVersion,
        'kbn-build-number': '1',
        'x-elastic-internal-origin': 'Kibana',
      };
      if (options.version) headers['elastic-api-version'] = options.version;
      const request = new Request(url, {
        method: options.method ?? 'GET',
        credentials: 'same-origin',
        headers,
        body: options.body,
      });
      requests.push(`${request.method} ${url.pathname}`);
      const response = await window.fetch(request);
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        // Kibana keeps a non-JSON body as text.
      }
      if (!response.ok) throw new HttpFetchError(response.statusText, request, response, body);
      return body;
    },
  };
}

export function createFakeCore(options: FakeCoreOptions) {
  const registered: RegisteredApp[] = [];
  const requests: string[] = [];
  const toasts: string[] = [];
  const navigations: unknown[] = [];
  const share = {
    url: {
      locators: {
        get: (id: string) =>
          id === 'DISCOVER_APP_LOCATOR'
            ? {
                navigate: async (params: unknown) => void navigations.push(params),
                getUrl: async () => '/app/discover',
              }
            : undefined,
      },
    },
  };
  const deps = window.__kbnSharedDeps__ as unknown as SharedDeps;
  const coreStart = {
    http: createHttp(options.kibanaVersion, requests),
    notifications: {
      toasts: {
        addSuccess: (t: { title: string }) => toasts.push(`success:${t.title}`),
        addWarning: (t: { title: string }) => toasts.push(`warning:${t.title}`),
        addDanger: (t: { title: string }) => toasts.push(`danger:${t.title}`),
      },
    },
    application: { capabilities: options.capabilities },
    rendering: {
      addContext: (element: unknown) =>
        deps.React.createElement(deps.ElasticEui.EuiProvider, { colorMode: 'light' }, element),
    },
  };
  const coreSetup = {
    application: { register: (app: RegisteredApp) => void registered.push(app) },
    getStartServices: async () => [coreStart, { share }, {}] as const,
  };
  return { coreSetup, coreStart, registered, requests, toasts, navigations };
}
