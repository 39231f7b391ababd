/**
 * [Kibana glue] The slices of Kibana's browser contracts the plugin touches, written out
 * structurally because no @kbn/* package is published. Shapes follow Kibana 9.x core
 * (application, http, notifications, rendering) and the share plugin's URL locators. Only
 * index.ts, plugin.ts and application.tsx use them; the app under ./app never does.
 */
import type { ReactElement, ReactNode } from 'react';

export interface PluginInitializerContext {
  env?: { packageInfo?: { version?: string } };
}

export interface AppCategory {
  id: string;
  label: string;
  order?: number;
  euiIconType?: string;
}

export interface AppMountParameters {
  element: HTMLElement;
  /** A ScopedHistory; the app keeps its own view state and does not use it. */
  history: unknown;
}

export type AppUnmount = () => void;

export interface App {
  id: string;
  title: string;
  order?: number;
  category?: AppCategory;
  euiIconType?: string;
  mount(params: AppMountParameters): AppUnmount | Promise<AppUnmount>;
}

export interface HttpFetchOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  query?: Record<string, string | number | boolean | undefined>;
  /** A JSON string: core.http.fetch does not serialise bodies itself. */
  body?: string;
  /** Sent as `elastic-api-version`; internal versioned routes require it. */
  version?: string;
}

export interface HttpStart {
  fetch(path: string, options?: HttpFetchOptions): Promise<unknown>;
}

/** What core.http.fetch rejects with (IHttpFetchError). */
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

export interface ToastsStart {
  addSuccess(toast: ToastInput): unknown;
  addWarning(toast: ToastInput): unknown;
  addDanger(toast: ToastInput): unknown;
}

export type Capabilities = Record<string, Record<string, unknown> | undefined>;

export interface CoreStart {
  http: HttpStart;
  notifications: { toasts: ToastsStart };
  application: { capabilities: Capabilities };
  /** Wraps a tree in Kibana's render context (EuiProvider, i18n, theme); newer 9.x releases. */
  rendering?: { addContext(element: ReactNode): ReactElement };
}

export interface CoreSetup<TStartDeps = unknown> {
  application: { register(app: App): void };
  getStartServices(): Promise<[CoreStart, TStartDeps, unknown]>;
}

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
