/**
 * Root of the analyst app. Imports nothing from Kibana and renders no EuiProvider: the Kibana
 * host wraps it in Kibana's render context, the standalone host in its own EuiProvider. Both
 * hand in their services (API client, drill-down, toasts, capabilities) as a prop.
 */
import React, { useState } from 'react';
import { EuiPageTemplate, EuiText } from '@elastic/eui';
import {
  CommunitiesPage,
  DEFAULT_LIST_STATE,
  type ListState,
} from './components/communities_page/communities_page';
import { NotificationsPage } from './components/notifications_page/notifications_page';
import { QuarantinePanel } from './components/quarantine_panel/quarantine_panel';
import { RawEventsPage } from './components/raw_events_page/raw_events_page';
import { SuppressionsPage } from './components/suppressions_page/suppressions_page';
import { ToastsProvider } from './components/toasts_provider/toasts_provider';
import { useSettings } from './hooks/use_settings';
import { AppServicesContext, useAppServices, type AppServices } from './services';

export interface AppRootProps {
  services: AppServices;
}

export function AppRoot({ services }: AppRootProps) {
  return (
    <AppServicesContext.Provider value={services}>
      <ToastsProvider hostToasts={services.toasts}>
        <App />
      </ToastsProvider>
    </AppServicesContext.Provider>
  );
}

/** A view switch instead of a router: three views, and the host owns the URL. */
type View =
  | { kind: 'list' }
  | { kind: 'suppressions' }
  | { kind: 'notifications' }
  | { kind: 'raw_events'; communityId: string };

function App() {
  const { host } = useAppServices();
  const [view, setView] = useState<View>({ kind: 'list' });
  const [listState, setListState] = useState<ListState>(DEFAULT_LIST_STATE);
  // Notification links open a community with `#community=<id>`.
  const [openCommunityId, setOpenCommunityId] = useState<string | undefined>(communityFromHash);
  const settings = useSettings();
  const indexPattern = settings.data?.indices;

  const tabs = [
    {
      label: 'Communities',
      isSelected: view.kind === 'list' || view.kind === 'raw_events',
      onClick: () => setView({ kind: 'list' }),
      'data-test-subj': 'navCommunities',
    },
    {
      label: 'Suppressions',
      isSelected: view.kind === 'suppressions',
      onClick: () => setView({ kind: 'suppressions' }),
      'data-test-subj': 'navSuppressions',
    },
    // Webhooks are the standalone host's; Kibana notifies through its alerting rule type.
    ...(host === 'standalone'
      ? [
          {
            label: 'Notifications',
            isSelected: view.kind === 'notifications',
            onClick: () => setView({ kind: 'notifications' }),
            'data-test-subj': 'navNotifications',
          },
        ]
      : []),
  ];

  return (
    <EuiPageTemplate panelled restrictWidth={false} data-test-subj="problemChildApp">
      <EuiPageTemplate.Header
        pageTitle="ProblemChild"
        description="Anomalous process-chain communities: living-off-the-land activity ranked by score."
        tabs={tabs}
        rightSideItems={[
          <EuiText size="xs" color="subdued" key="host" data-test-subj="problemChildHost">
            <p>Running in the {host} host</p>
          </EuiText>,
        ]}
        data-test-subj="problemChildHeader"
      />
      <EuiPageTemplate.Section>
        {view.kind === 'list' ? <QuarantinePanel onOpenCommunity={setOpenCommunityId} /> : null}
        {view.kind === 'list' ? (
          <CommunitiesPage
            state={listState}
            onStateChange={setListState}
            openCommunityId={openCommunityId}
            onOpenCommunity={setOpenCommunityId}
            onShowRawEvents={(id) => {
              setOpenCommunityId(id);
              setView({ kind: 'raw_events', communityId: id });
            }}
            indexPattern={indexPattern}
          />
        ) : null}
        {view.kind === 'suppressions' ? (
          <SuppressionsPage
            onOpenCommunity={(id) => {
              setOpenCommunityId(id);
              setView({ kind: 'list' });
            }}
          />
        ) : null}
        {view.kind === 'notifications' ? <NotificationsPage /> : null}
        {view.kind === 'raw_events' ? (
          <RawEventsPage
            communityId={view.communityId}
            indexPattern={indexPattern}
            onBack={() => setView({ kind: 'list' })}
          />
        ) : null}
      </EuiPageTemplate.Section>
    </EuiPageTemplate>
  );
}

function communityFromHash(): string | undefined {
  if (typeof window === 'undefined') return undefined;
  const m = /(?:^#|&)community=([^&]+)/.exec(window.location.hash);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
}
