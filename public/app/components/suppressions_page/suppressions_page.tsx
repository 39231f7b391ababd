import React, { useState } from 'react';
import {
  EuiBadge,
  EuiButtonEmpty,
  EuiConfirmModal,
  EuiEmptyPrompt,
  EuiFlexGroup,
  EuiFlexItem,
  EuiInMemoryTable,
  EuiLink,
  EuiSpacer,
  EuiText,
  useEuiTheme,
  type EuiBasicTableColumn,
} from '@elastic/eui';
import type { SuppressionRule } from '../../api_types';
import { useSuppressions } from '../../hooks/use_suppressions';
import { useToasts } from '../../hooks/use_toasts';
import { describeError } from '../../lib/errors';
import { visibleName, visibleText } from '../../../../common/display_text';
import { formatDateTime } from '../../lib/format';
import { useAppServices } from '../../services';
import { ErrorCallout } from '../error_callout/error_callout';
import { ICONS } from '../../lib/icons';

export interface SuppressionsPageProps {
  onOpenCommunity(id: string): void;
}

/** What analysts have suppressed, and the undo: deleting a rule flags the pattern again. */
export function SuppressionsPage({ onOpenCommunity }: SuppressionsPageProps) {
  const { api, capabilities } = useAppServices();
  const { euiTheme } = useEuiTheme();
  const toasts = useToasts();
  const rules = useSuppressions();
  const [confirm, setConfirm] = useState<SuppressionRule | null>(null);
  const [deleting, setDeleting] = useState(false);

  const remove = async (rule: SuppressionRule) => {
    setDeleting(true);
    try {
      await api.deleteSuppression(rule.id);
      toasts.addSuccess(
        'Suppression removed',
        `${visibleName(rule.parentName)} → ${visibleName(rule.childName)} is flagged again from the next detection run.`,
      );
    } catch (e) {
      const d = describeError(e, 'remove the suppression');
      toasts.addDanger(d.title, d.message);
    } finally {
      setDeleting(false);
      setConfirm(null);
      rules.reload();
    }
  };

  const columns: Array<EuiBasicTableColumn<SuppressionRule>> = [
    {
      name: 'Pattern',
      width: '22%',
      render: (r: SuppressionRule) => (
        <span data-test-subj="suppressionPattern">
          {visibleName(r.parentName)} → <strong>{visibleName(r.childName)}</strong>
        </span>
      ),
    },
    {
      field: 'cmdTemplate',
      name: 'Command-line shape',
      render: (t: string | undefined) =>
        t ? (
          <code
            style={{
              fontFamily: euiTheme.font.familyCode,
              fontSize: euiTheme.size.m,
              lineHeight: 1.4,
              whiteSpace: 'pre-wrap',
              wordBreak: 'break-all',
            }}
            data-test-subj="suppressionTemplate"
          >
            {visibleText(t)}
          </code>
        ) : (
          <EuiText size="xs" color="subdued">
            any
          </EuiText>
        ),
    },
    {
      field: 'host',
      name: 'Host',
      width: '120px',
      render: (h: string | undefined) => (h === undefined ? 'all hosts' : visibleName(h)),
    },
    {
      field: 'kind',
      name: 'From',
      width: '140px',
      render: (kind: SuppressionRule['kind'], r: SuppressionRule) =>
        r.communityId ? (
          <EuiLink
            onClick={() => onOpenCommunity(r.communityId!)}
            data-test-subj="suppressionCommunityLink"
          >
            community verdict
          </EuiLink>
        ) : (
          <EuiBadge color="hollow">{kind}</EuiBadge>
        ),
    },
    {
      field: 'createdAt',
      name: 'Created',
      width: '170px',
      sortable: true,
      render: (_at: string, r: SuppressionRule) => (
        <EuiText size="xs">
          {formatDateTime(r.createdAt)}
          <br />
          by {r.createdBy}
        </EuiText>
      ),
    },
    {
      field: 'reason',
      name: 'Reason',
      width: '18%',
      render: (reason: string) => <span data-test-subj="suppressionReason">{reason}</span>,
    },
    ...(capabilities.canTriage
      ? [
          {
            name: 'Actions',
            width: '72px',
            actions: [
              {
                name: 'Remove',
                description: 'Remove this suppression (undo)',
                icon: 'trash',
                type: 'icon',
                color: 'danger',
                onClick: (r: SuppressionRule) => setConfirm(r),
                'data-test-subj': 'suppressionDeleteAction',
              },
            ],
          } satisfies EuiBasicTableColumn<SuppressionRule>,
        ]
      : []),
  ];

  return (
    <div data-test-subj="suppressionsPage">
      <EuiFlexGroup alignItems="center" responsive={false}>
        <EuiFlexItem>
          <EuiText size="s" color="subdued">
            <p>
              A benign verdict with &quot;suppress&quot; writes these rules. Matching edges no
              longer raise a community&apos;s score; removing a rule takes effect from the next run.
            </p>
          </EuiText>
        </EuiFlexItem>
        <EuiFlexItem grow={false}>
          <EuiButtonEmpty
            iconType="refresh"
            onClick={rules.reload}
            data-test-subj="suppressionsRefresh"
          >
            Refresh
          </EuiButtonEmpty>
        </EuiFlexItem>
      </EuiFlexGroup>
      <EuiSpacer size="m" />
      {rules.error ? (
        <>
          <ErrorCallout error={rules.error} what="load suppressions" onRetry={rules.reload} />
          <EuiSpacer size="m" />
        </>
      ) : null}
      <EuiInMemoryTable<SuppressionRule>
        tableCaption="Suppression rules"
        compressed
        items={rules.data?.rules ?? []}
        itemId="id"
        columns={columns}
        loading={rules.loading}
        pagination={{ initialPageSize: 20, pageSizeOptions: [20, 50, 100] }}
        sorting={{ sort: { field: 'createdAt', direction: 'desc' } }}
        rowProps={(r: SuppressionRule) => ({
          'data-test-subj': 'suppressionRow',
          'data-rule-id': r.id,
        })}
        noItemsMessage={
          rules.loading ? (
            'Loading suppressions…'
          ) : (
            <EuiEmptyPrompt
              iconType={ICONS.eyeSlash}
              titleSize="xs"
              title={<h3>Nothing is suppressed</h3>}
              body={
                <p>
                  Mark a community benign and tick &quot;Suppress this pattern&quot; to stop it
                  being flagged again.
                </p>
              }
              data-test-subj="suppressionsEmpty"
            />
          )
        }
        data-test-subj="suppressionsTable"
      />
      {confirm ? (
        <EuiConfirmModal
          title="Remove this suppression?"
          onCancel={() => setConfirm(null)}
          onConfirm={() => void remove(confirm)}
          cancelButtonText="Keep it"
          confirmButtonText="Remove"
          buttonColor="danger"
          isLoading={deleting}
          data-test-subj="suppressionDeleteConfirm"
        >
          <p>
            {visibleName(confirm.parentName)} → {visibleName(confirm.childName)} will be flagged
            again from the next detection run.
          </p>
        </EuiConfirmModal>
      ) : null}
    </div>
  );
}
