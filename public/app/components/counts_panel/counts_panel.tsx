import React from 'react';
import { EuiFlexGroup, EuiFlexItem, EuiPanel, EuiStat } from '@elastic/eui';
import type { CommunityPage } from '../../api_types';
import { formatCount } from '../../lib/format';

/** Flagged vs reviewed for the current time range and filters (before the status filter). */
export function CountsPanel({
  counts,
  loading,
}: {
  counts?: CommunityPage['counts'];
  loading: boolean;
}) {
  const stat = (title: number | undefined, description: string, subj: string, color?: string) => (
    <EuiFlexItem>
      <EuiStat
        title={counts ? formatCount(title) : '—'}
        description={description}
        titleSize="s"
        titleColor={color}
        isLoading={loading && !counts}
        data-test-subj={subj}
        reverse
      />
    </EuiFlexItem>
  );
  return (
    <EuiPanel hasBorder paddingSize="s" data-test-subj="countsPanel">
      <EuiFlexGroup gutterSize="m" responsive={false}>
        {stat(counts?.flagged, 'Flagged', 'flaggedCount', 'danger')}
        {stat(counts?.reviewed, 'Reviewed', 'reviewedCount', 'success')}
        {stat(counts?.open, 'Open', 'openCount')}
        {stat(counts?.acknowledged, 'Acknowledged', 'acknowledgedCount')}
        {stat(counts?.closed, 'Closed', 'closedCount')}
      </EuiFlexGroup>
    </EuiPanel>
  );
}
