/**
 * [Kibana glue] The slices of Kibana's browser contracts the plugin touches, written out
 * structurally because no @kbn/* package is published. Each interface names the elastic/kibana
 * file and the stored commit it was read at (the 9.x line; the commit is not the v9.3.2 tag).
 * Only index.ts, plugin.ts and application.tsx use them; the app under ./app never does.
 * test/fakes/kibana_browser_core.ts fakes the same contracts in the browser.
 */
import type { ReactElement, ReactNode } from 'react';

/** src/core/packages/plugins/browser/src/plugin_initializer.ts (9.x): only `env` is read. */
export interface PluginInitializerContext {
  env?: { packageInfo?: { version?: string } };
}

/** src/core/packages/application/common/src/app_category.ts (9.x). */
export interface AppCategory {
  id: string;
  label: string;
  order?: number;
  euiIconType?: string;
}

/** src/core/packages/application/browser/src/app_mount.ts @ 457869aa16cfc7bd4e1b62aafc90ee5910dc7a1d. */
export interface AppMountParameters {
  element: HTMLElement;
  /** A ScopedHistory; the app keeps its own view state and does not use it. */
  history: unknown;
}

export type AppUnmount = () => void;

/** App, in src/core/packages/application/browser/src/application.ts @ d5471f131b1432c6e11599eadb33b8794d8b5357. */
export interface App {
  id: string;
  title: string;
  order?: number;
  category?: AppCategory;
  euiIconType?: string;
  mount(params: AppMountParameters): AppUnmount | Promise<AppUnmount>;
}

/** src/core/packages/http/browser/src/types.ts @ 86b5f4b2750e618b5cac323e9c52e5a0d3b23eae. */
export interface HttpFetchOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  query?: Record<string, string | number | boolean | undefined>;
  /** A JSON string: core.http.fetch does not serialise bodies itself. */
  body?: string;
  /** Sent as `elastic-api-version`; internal versioned routes require it. */
  version?: string;
}

/**
 * HttpSetup.fetch of the same types.ts; behaviour in src/core/packages/http/browser-internal/src/
 * fetch.ts @ 1bb8185bf8b18ba5f4a87e95e0584b08b1591e34 (headers, JSON body, HttpFetchError).
 */
export interface HttpStart {
  fetch(path: string, options?: HttpFetchOptions): Promise<unknown>;
}

/** What core.http.fetch rejects with: IHttpFetchError, same types.ts and fetch.ts as above. */
export interface HttpFetchError {
  message: string;
  response?: { status: number };
  body?: {
    statusCode?: number;
    error?: string;
    message?: string;
    errors?: { field: string; message: string }[];
    attributes?: { errors?: { field: string; message: string }[] } & Record<string, unknown>;
  };
}

export interface ToastInput {
  title: string;
  text?: string;
}

/** src/core/packages/notifications/browser (ToastsApi add* methods, 9.x). */
export interface ToastsStart {
  addSuccess(toast: ToastInput): unknown;
  addWarning(toast: ToastInput): unknown;
  addDanger(toast: ToastInput): unknown;
}

export type Capabilities = Record<string, Record<string, unknown> | undefined>;

/**
 * The CoreStart members used; `rendering` is RenderingService of
 * src/core/packages/rendering/browser/src/types.ts (addContext wraps in EuiProvider, i18n, theme).
 */
export interface CoreStart {
  http: HttpStart;
  notifications: { toasts: ToastsStart };
  application: { capabilities: Capabilities };
  /** Wraps a tree in Kibana's render context (EuiProvider, i18n, theme); newer 9.x releases. */
  rendering?: { addContext(element: ReactNode): ReactElement };
}

/** CoreSetup.application.register and getStartServices (src/core/packages/lifecycle/browser, 9.x). */
export interface CoreSetup<TStartDeps = unknown> {
  application: { register(app: App): void };
  getStartServices(): Promise<[CoreStart, TStartDeps, unknown]>;
}

/**
 * src/platform/plugins/shared/share/common/url_service/locators/types.ts
 * @ db05b1f47bcf27a035ef4ec137d9aa08d315f100; Discover registers DISCOVER_APP_LOCATOR
 * (discover/common/app_locator.ts @ 0867c61cce06bfa4820e0cde96f80c8ae4b4770e).
 */
export interface LocatorPublic<P> {
  navigate(params: P): Promise<void>;
  getUrl(params: P): Promise<string>;
}

export interface SharePluginStart {
  url: { locators: { get<P = unknown>(id: string): LocatorPublic<P> | undefined } };
}

export interface ProblemChildStartDeps {
  /** Required in kibana.json; optional here so a missing locator degrades to the raw view. */
  share?: SharePluginStart;
}
