/**
 * Root of the analyst app. Imports nothing from Kibana and renders no EuiProvider: the Kibana
 * host wraps it in Kibana's render context, the standalone host in its own EuiProvider.
 */
import React from 'react';
import { EuiPageTemplate, EuiText } from '@elastic/eui';

export interface AppRootProps {
  hostName: 'kibana' | 'standalone';
}

export function AppRoot({ hostName }: AppRootProps) {
  return (
    <EuiPageTemplate panelled data-test-subj="problemChildApp">
      <EuiPageTemplate.Header
        pageTitle="ProblemChild"
        description="Anomalous process-chain communities: living-off-the-land activity ranked by score."
        data-test-subj="problemChildHeader"
      />
      <EuiPageTemplate.Section>
        <EuiText size="s" data-test-subj="problemChildHost">
          <p>Running in the {hostName} host.</p>
        </EuiText>
      </EuiPageTemplate.Section>
    </EuiPageTemplate>
  );
}
