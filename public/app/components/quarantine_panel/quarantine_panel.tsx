/**
 * Host-windows whose analysis failed (an exception, or a time or memory budget exceeded), shown
 * above the communities: why each failed, how often it was tried, a link to its failure finding,
 * and Retry (fresh attempts on the next run) and Dismiss (no more retries; the finding stays).
 * Renders nothing when the quarantine is empty.
 */
import React, { useState } from 'react';
import {
  EuiBadge,
  EuiBasicTable,
  EuiButtonEmpty,
  EuiCallOut,
  EuiLink,
  type EuiBasicTableColumn,
} from '@elastic/eui';
import type { QuarantinedHostWindow } from '../../api_types';
import { useApiQuery } from '../../hooks/use_api_query';
import { useToasts } from '../../hooks/use_toasts';
import { describeError } from '../../lib/errors';
import { formatDateTime } from '../../lib/format';
import { useAppServices } from '../../services';

export interface QuarantinePanelProps {
  onOpenCommunity(id: string): void;
}

export function QuarantinePanel({ onOpenCommunity }: QuarantinePanelProps) {
  const { api, capabilities } = useAppServices();
  const toasts = useToasts();
  const list = useApiQuery(() => api.listQuarantine(), [api], { keepDataOnError: true });
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const items = list.data?.items ?? [];
  if (items.length === 0) return null;

  const act = async (id: string, what: 'retry' | 'dismiss') => {
    setBusy(id);
    try {
      if (what === 'retry') {
        await api.retryQuarantine(id);
        toasts.addSuccess('Set for retry', 'The next detection run analyses it again.');
      } else {
        await api.dismissQuarantine(id);
        toasts.addSuccess('Dismissed', 'No more retries; its finding stays in the list.');
      }
      list.reload();
    } catch (e) {
      const d = describeError(e, `${what} the quarantined host-window`);
      toasts.addDanger(d.title, d.message);
    } finally {
      setBusy(undefined);
    }
  };

  const columns: EuiBasicTableColumn<QuarantinedHostWindow>[] = [
    {
      field: 'host',
      name: 'Host',
      render: (host: string, q: QuarantinedHostWindow) => (
        <EuiLink onClick={() => onOpenCommunity(q.communityId)} data-test-subj="quarantineFinding">
          {host}
        </EuiLink>
      ),
    },
    {
      name: 'Window',
      render: (q: QuarantinedHostWindow) =>
        `${formatDateTime(q.window.start)} – ${formatDateTime(q.window.end)}`,
    },
    {
      name: 'Why',
      render: (q: QuarantinedHostWindow) => (
        <span data-test-subj="quarantineReason">
          {q.stage}: {q.error}
        </span>
      ),
    },
    {
      name: 'Attempts',
      render: (q: QuarantinedHostWindow) => (
        <span data-test-subj="quarantineAttempts">
          {q.attempts} of {q.maxAttempts}{' '}
          <EuiBadge color={q.status === 'pending' ? 'warning' : 'danger'}>
            {q.status === 'pending' ? 'retried next run' : 'no more retries'}
          </EuiBadge>
        </span>
      ),
    },
    {
      name: 'Actions',
      render: (q: QuarantinedHostWindow) => (
        <>
          <EuiButtonEmpty
            size="xs"
            iconType="refresh"
            disabled={!capabilities.canTriage || busy !== undefined}
            onClick={() => void act(q.id, 'retry')}
            data-test-subj="quarantineRetry"
          >
            Retry
          </EuiButtonEmpty>
          <EuiButtonEmpty
            size="xs"
            iconType="cross"
            color="danger"
            disabled={!capabilities.canTriage || busy !== undefined}
            onClick={() => void act(q.id, 'dismiss')}
            data-test-subj="quarantineDismiss"
          >
            Dismiss
          </EuiButtonEmpty>
        </>
      ),
    },
  ];

  return (
    <EuiCallOut
      color="danger"
      iconType="warning"
      title={`Analysis failed on ${items.length} host-window${items.length === 1 ? '' : 's'}`}
      data-test-subj="quarantinePanel"
    >
      <p>
        Each is reported as a finding with a degraded analysis (its top-scored steps) and retried by
        later runs a bounded number of times.
      </p>
      <EuiBasicTable<QuarantinedHostWindow>
        items={items}
        columns={columns}
        rowProps={() => ({ 'data-test-subj': 'quarantineRow' })}
        tableCaption="Quarantined host-windows"
      />
    </EuiCallOut>
  );
}
