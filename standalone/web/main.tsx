import React from 'react';
import { createRoot } from 'react-dom/client';
import { EuiProvider } from '@elastic/eui';
import { AppRoot } from '../../public/app/app_root';

const container = document.getElementById('root');
if (!container) throw new Error('index.html lacks the #root element');
createRoot(container).render(
  <EuiProvider colorMode="light">
    <AppRoot hostName="standalone" />
  </EuiProvider>,
);
