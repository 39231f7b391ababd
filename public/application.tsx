/**
 * [Kibana glue] Builds the app's services from Kibana's core and share contracts and mounts the
 * app. No own EuiProvider: Kibana's render context already provides one, and they must not nest.
 */
import React from 'react';
import { createRoot } from 'react-dom/client';
import { API_VERSION, FEATURE_ID } from '../common/constants';
import type { DiscoverLocatorParams } from '../common/discover';
import { ApiClient, ApiError, type HttpFn } from './app/api_client';
import { AppRoot } from './app/app_root';
import type { AppServices } from './app/services';
import type {
  AppMountParameters,
  CoreStart,
  HttpFetchError,
  HttpStart,
  ProblemChildStartDeps,
} from './kibana_contracts';

export const DISCOVER_APP_LOCATOR = 'DISCOVER_APP_LOCATOR';

/** core.http.fetch → the app's HttpFn, with Kibana's fetch errors turned into ApiError. */
export function kibanaHttp(http: HttpStart): HttpFn {
  return async (method, path, { query, body, version }) => {
    try {
      return await http.fetch(path, {
        method,
        query,
        body: body === undefined ? undefined : JSON.stringify(body),
        version: version ?? API_VERSION,
      });
    } catch (e) {
      const err = e as HttpFetchError;
      const status = err.response?.status ?? err.body?.statusCode ?? 0;
      const errors = err.body?.errors ?? err.body?.attributes?.errors;
      throw new ApiError(status, err.body?.message ?? err.message ?? 'request failed', {
        ...err.body,
        ...(errors ? { errors } : {}),
      });
    }
  };
}

export function buildServices(core: CoreStart, deps: ProblemChildStartDeps): AppServices {
  const caps = core.application.capabilities[FEATURE_ID] ?? {};
  const locator = deps.share?.url.locators.get<DiscoverLocatorParams>(DISCOVER_APP_LOCATOR);
  const toasts = core.notifications.toasts;
  return {
    api: new ApiClient(kibanaHttp(core.http)),
    openInDiscover: locator
      ? (params) => {
          void locator.navigate(params);
        }
      : undefined,
    toasts: {
      addSuccess: (title, text) => void toasts.addSuccess({ title, text }),
      addWarning: (title, text) => void toasts.addWarning({ title, text }),
      addDanger: (title, text) => void toasts.addDanger({ title, text }),
    },
    capabilities: { canTriage: caps.triage === true, canRun: caps.run === true },
    host: 'kibana',
  };
}

export function renderApp(
  core: CoreStart,
  deps: ProblemChildStartDeps,
  { element }: AppMountParameters,
): () => void {
  const tree = <AppRoot services={buildServices(core, deps)} />;
  const root = createRoot(element);
  // Kibana 9.x: rendering.addContext adds EuiProvider, i18n and theme. Older releases need
  // KibanaRenderContextProvider (@kbn/react-kibana-context-render), which is not on npm.
  root.render(core.rendering ? core.rendering.addContext(tree) : tree);
  return () => root.unmount();
}
