import React, { type ReactNode } from 'react';
import {
  EuiBadge,
  EuiBasicTable,
  EuiFlexGroup,
  EuiFlexItem,
  EuiLink,
  EuiText,
  type CriteriaWithPagination,
  type EuiBasicTableColumn,
} from '@elastic/eui';
import { visibleName } from '../../../../common/display_text';
import type { CommunitySummary, SortField } from '../../api_types';
import { formatDateTime, formatShortDateTime } from '../../lib/format';
import { SeverityBadge } from '../severity_badge/severity_badge';
import { StatusBadge } from '../status_badge/status_badge';

/** Table column → the API's sort key; columns not listed are not sortable server-side. */
export const SORT_FIELD_OF: Partial<Record<keyof CommunitySummary, SortField>> = {
  rank: 'rank',
  maxAnomaly: 'max_score',
  host: 'host',
  firstSeen: 'first_seen',
  lastSeen: 'last_seen',
  eventCount: 'event_count',
  status: 'status',
};

export const COLUMN_OF_SORT: Partial<Record<SortField, keyof CommunitySummary>> =
  Object.fromEntries(Object.entries(SORT_FIELD_OF).map(([col, sort]) => [sort, col]));

export interface CommunitiesTableProps {
  items: CommunitySummary[];
  total: number;
  pageIndex: number;
  pageSize: number;
  sort: { field: SortField; direction: 'asc' | 'desc' };
  loading: boolean;
  error?: string;
  noItemsMessage: ReactNode;
  selectable: boolean;
  selected: CommunitySummary[];
  onSelectionChange(items: CommunitySummary[]): void;
  onTableChange(criteria: {
    pageIndex: number;
    pageSize: number;
    sort?: SortField;
    direction?: 'asc' | 'desc';
  }): void;
  onOpen(id: string): void;
}

const MAX_TECHNIQUE_BADGES = 1;

/** The full timestamp is in the title: a tooltip per cell would add two tab stops per row. */
function dateCell(iso: string, subj: string) {
  return (
    <span data-test-subj={subj} title={formatDateTime(iso)}>
      {formatShortDateTime(iso)}
    </span>
  );
}

export function CommunitiesTable(props: CommunitiesTableProps) {
  const { onOpen } = props;
  const columns: Array<EuiBasicTableColumn<CommunitySummary>> = [
    {
      field: 'rank',
      name: 'Rank',
      width: '56px',
      sortable: true,
      render: (rank: number) => <span data-test-subj="communityRank">{rank}</span>,
    },
    {
      field: 'maxAnomaly',
      name: 'Max score',
      nameTooltip: {
        content: 'Highest edge anomaly: model score after prevalence and suppression.',
      },
      width: '108px',
      sortable: true,
      render: (s: number) => (
        <SeverityBadge score={s} label="Max score" data-test-subj="communityMaxScore" />
      ),
    },
    {
      field: 'host',
      name: 'Host',
      width: '108px',
      sortable: true,
      truncateText: true,
      render: (host: string) => (
        <span data-test-subj="communityHost" title={visibleName(host)}>
          {visibleName(host)}
        </span>
      ),
    },
    {
      field: 'users',
      name: 'Users',
      width: '104px',
      truncateText: true,
      render: (users: string[]) => (
        <span data-test-subj="communityUsers" title={visibleName(users.join(', '))}>
          {users.length ? visibleName(users.join(', ')) : '—'}
        </span>
      ),
    },
    {
      field: 'firstSeen',
      name: 'First seen',
      width: '96px',
      sortable: true,
      render: (iso: string) => dateCell(iso, 'communityFirstSeen'),
    },
    {
      field: 'lastSeen',
      name: 'Last seen',
      width: '96px',
      sortable: true,
      render: (iso: string) => dateCell(iso, 'communityLastSeen'),
    },
    {
      field: 'eventCount',
      name: 'Events',
      width: '76px',
      align: 'right',
      sortable: true,
      render: (n: number) => <span data-test-subj="communityEventCount">{n}</span>,
    },
    {
      field: 'chain',
      name: 'Top chain',
      render: (chain: string, item: CommunitySummary) => (
        <EuiLink
          onClick={() => onOpen(item.id)}
          data-test-subj="communityOpenLink"
          title={visibleName(chain)}
          aria-label={`Inspect community ${item.rank}: ${visibleName(chain)}`}
          style={{
            display: '-webkit-box',
            WebkitLineClamp: 2,
            WebkitBoxOrient: 'vertical',
            overflow: 'hidden',
            wordBreak: 'break-word',
          }}
        >
          <span data-test-subj="communityChain">{visibleName(chain)}</span>
        </EuiLink>
      ),
    },
    {
      field: 'techniques',
      name: 'ATT&CK',
      width: '124px',
      render: (ids: string[]) => {
        const shown = ids.slice(0, MAX_TECHNIQUE_BADGES);
        const rest = ids.slice(MAX_TECHNIQUE_BADGES);
        return (
          <EuiFlexGroup
            gutterSize="xs"
            wrap
            responsive={false}
            data-test-subj="communityTechniques"
          >
            {shown.map((id) => (
              <EuiFlexItem grow={false} key={id}>
                <EuiBadge color="hollow">{id}</EuiBadge>
              </EuiFlexItem>
            ))}
            {rest.length > 0 ? (
              <EuiFlexItem grow={false}>
                <EuiBadge color="hollow" title={rest.join(', ')}>
                  +{rest.length}
                </EuiBadge>
              </EuiFlexItem>
            ) : null}
            {ids.length === 0 ? (
              <EuiText size="xs" color="subdued">
                —
              </EuiText>
            ) : null}
          </EuiFlexGroup>
        );
      },
    },
    {
      field: 'status',
      name: 'Status',
      width: '104px',
      sortable: true,
      render: (_s: string, item: CommunitySummary) => (
        <span data-test-subj="communityStatus" data-status={item.status}>
          <StatusBadge status={item.status} verdict={item.verdict} />
        </span>
      ),
    },
    {
      field: 'assignee',
      name: 'Assignee',
      width: '88px',
      truncateText: true,
      render: (a: string | null) => (
        <span data-test-subj="communityAssignee" title={a ?? undefined}>
          {a ?? '—'}
        </span>
      ),
    },
  ];

  const sortColumn = COLUMN_OF_SORT[props.sort.field];
  return (
    <EuiBasicTable<CommunitySummary>
      tableCaption="Anomalous process-chain communities"
      items={props.items}
      itemId="id"
      columns={columns}
      loading={props.loading}
      error={props.error}
      noItemsMessage={props.noItemsMessage}
      compressed
      pagination={{
        pageIndex: props.pageIndex,
        pageSize: props.pageSize,
        totalItemCount: props.total,
        pageSizeOptions: [10, 20, 50, 100],
      }}
      sorting={
        sortColumn ? { sort: { field: sortColumn, direction: props.sort.direction } } : undefined
      }
      selection={
        props.selectable
          ? {
              selected: props.selected,
              onSelectionChange: props.onSelectionChange,
            }
          : undefined
      }
      onChange={({ page, sort }: CriteriaWithPagination<CommunitySummary>) => {
        const field = sort ? SORT_FIELD_OF[sort.field] : undefined;
        props.onTableChange({
          pageIndex: page.index,
          pageSize: page.size,
          sort: field,
          direction: sort?.direction,
        });
      }}
      rowProps={(item: CommunitySummary) => ({
        'data-test-subj': 'communityRow',
        'data-community-id': item.id,
      })}
      data-test-subj="communitiesTable"
    />
  );
}
