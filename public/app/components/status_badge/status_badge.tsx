import React from 'react';
import { EuiBadge, EuiFlexGroup, EuiFlexItem } from '@elastic/eui';
import type { TriageStatus, Verdict } from '../../api_types';

const STATUS_COLOR: Record<TriageStatus, string> = {
  open: 'warning',
  acknowledged: 'primary',
  closed: 'default',
};

export const STATUS_LABEL: Record<TriageStatus, string> = {
  open: 'Open',
  acknowledged: 'Acknowledged',
  closed: 'Closed',
};

export const VERDICT_LABEL: Record<Verdict, string> = {
  benign: 'Benign',
  malicious: 'Malicious',
};

export function StatusBadge({
  status,
  verdict,
}: {
  status: TriageStatus;
  verdict?: Verdict | null;
}) {
  return (
    <EuiFlexGroup gutterSize="xs" wrap responsive={false} alignItems="center">
      <EuiFlexItem grow={false}>
        <EuiBadge color={STATUS_COLOR[status]} data-test-subj="statusBadge">
          {STATUS_LABEL[status]}
        </EuiBadge>
      </EuiFlexItem>
      {verdict ? (
        <EuiFlexItem grow={false}>
          <EuiBadge
            color={verdict === 'malicious' ? 'danger' : 'success'}
            iconType={verdict === 'malicious' ? 'bug' : 'check'}
            data-test-subj="verdictBadge"
          >
            {VERDICT_LABEL[verdict]}
          </EuiBadge>
        </EuiFlexItem>
      ) : null}
    </EuiFlexGroup>
  );
}
