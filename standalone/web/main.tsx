/**
 * Standalone entry: the analyst app with fetch-based services. There is no Discover here, so the
 * drill-down opens the app's raw-events view (which also shows the KQL to copy into Kibana).
 */
import React from 'react';
import { createRoot } from 'react-dom/client';
import { EuiProvider } from '@elastic/eui';
// @elastic/charts' legend and tooltip styles; Kibana's page already carries them.
import '@elastic/charts/dist/theme_only_light.css';
import { ApiClient } from '../../public/app/api_client';
import { AppRoot } from '../../public/app/app_root';
import type { AppServices } from '../../public/app/services';
import { createFetchHttp } from './fetch_http';

const services: AppServices = {
  api: new ApiClient(createFetchHttp()),
  // The standalone server has a single operator, authorised by its API key when one is set.
  capabilities: { canTriage: true, canRun: true },
  host: 'standalone',
};

const container = document.getElementById('root');
if (!container) throw new Error('index.html lacks the #root element');
createRoot(container).render(
  <EuiProvider colorMode="light">
    <AppRoot services={services} />
  </EuiProvider>,
);
