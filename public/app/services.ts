/**
 * Everything the app needs from its host, handed in through React context: the Kibana glue and
 * the standalone entry each build one, so no component imports either host.
 */
import { createContext, useContext } from 'react';
import type { DiscoverLocatorParams } from '../../common/discover';
import type { ApiClient } from './api_client';

export interface AppToasts {
  addSuccess(title: string, text?: string): void;
  addWarning(title: string, text?: string): void;
  addDanger(title: string, text?: string): void;
}

export interface AppCapabilities {
  /** Change status, assignee, note and verdict; delete suppressions. */
  canTriage: boolean;
  /** Start a detection run. */
  canRun: boolean;
}

export interface AppServices {
  api: ApiClient;
  /** Kibana: navigates to Discover. Absent when Discover is not available. */
  openInDiscover?(params: DiscoverLocatorParams): void;
  /** Host notifications; the app shows its own toast list when absent. */
  toasts?: AppToasts;
  capabilities: AppCapabilities;
  host: 'kibana' | 'standalone';
}

export const AppServicesContext = createContext<AppServices | null>(null);

export function useAppServices(): AppServices {
  const services = useContext(AppServicesContext);
  if (!services) throw new Error('useAppServices() outside <AppServicesContext.Provider>');
  return services;
}
