import React, { useCallback, useMemo, useState } from 'react';
import {
  EuiButton,
  EuiButtonEmpty,
  EuiEmptyPrompt,
  EuiFlexGroup,
  EuiFlexItem,
  EuiPanel,
  EuiSpacer,
  EuiText,
} from '@elastic/eui';
import type {
  CommunitySummary,
  DetectionStatus,
  ListCommunitiesParams,
  SortField,
} from '../../api_types';
import type { TimeWindow } from '../../../../common/types/community';
import { useCommunities } from '../../hooks/use_communities';
import { formatDateTime } from '../../lib/format';
import { resolveTimeRange } from '../../lib/time_range';
import { useAppServices } from '../../services';
import { BulkActions } from '../bulk_actions/bulk_actions';
import { ChartsPanel } from '../charts_panel/charts_panel';
import { CommunitiesTable } from '../communities_table/communities_table';
import { CommunityFlyout } from '../community_flyout/community_flyout';
import { CountsPanel } from '../counts_panel/counts_panel';
import { ErrorCallout } from '../error_callout/error_callout';
import {
  DEFAULT_FILTERS,
  FiltersBar,
  parseMinScore,
  type ListFilters,
} from '../filters_bar/filters_bar';
import { JobStatusPanel } from '../job_status_panel/job_status_panel';

export interface ListState {
  filters: ListFilters;
  pageIndex: number;
  pageSize: number;
  sort: { field: SortField; direction: 'asc' | 'desc' };
}

export const DEFAULT_LIST_STATE: ListState = {
  filters: DEFAULT_FILTERS,
  pageIndex: 0,
  pageSize: 20,
  sort: { field: 'max_score', direction: 'desc' },
};

export interface CommunitiesPageProps {
  /** Kept by the app root so the list looks the same after visiting another view. */
  state: ListState;
  onStateChange(next: ListState): void;
  openCommunityId?: string;
  onOpenCommunity(id: string | undefined): void;
  onShowRawEvents(id: string): void;
  indexPattern?: string;
}

function hasNarrowingFilters(f: ListFilters) {
  return (
    f.host !== '' ||
    f.status !== '' ||
    f.minScore !== '' ||
    f.q !== '' ||
    f.scoreBelow !== '' ||
    f.firstSeenFrom !== '' ||
    f.firstSeenTo !== ''
  );
}

export function CommunitiesPage({
  state,
  onStateChange,
  openCommunityId,
  onOpenCommunity,
  onShowRawEvents,
  indexPattern,
}: CommunitiesPageProps) {
  const { capabilities } = useAppServices();
  const [selected, setSelected] = useState<CommunitySummary[]>([]);
  const [refreshNonce, setRefreshNonce] = useState(0);
  const [runRequest, setRunRequest] = useState(0);
  const [lastWindow, setLastWindow] = useState<TimeWindow | undefined>(undefined);
  const onStatus = useCallback((s: DetectionStatus) => {
    const w = (s.lastRun?.window ? s.lastRun : s.recentRuns.find((r) => r.window))?.window;
    setLastWindow((prev) =>
      prev?.start === w?.start && prev?.end === w?.end ? prev : (w ?? undefined),
    );
  }, []);
  const { filters } = state;

  // "now" moves: resolve the picker's range again on every refresh.
  const range = useMemo(
    () => resolveTimeRange(filters.start, filters.end),
    [filters.start, filters.end, refreshNonce],
  );
  const minScore = parseMinScore(filters.minScore);
  const params = useMemo<ListCommunitiesParams | undefined>(() => {
    if (!range) return undefined;
    return {
      from: range.from,
      to: range.to,
      host: filters.host.trim() || undefined,
      status: filters.status || undefined,
      min_score: minScore === 'invalid' ? undefined : minScore,
      score_below: filters.scoreBelow === '' ? undefined : Number(filters.scoreBelow),
      first_seen_from: filters.firstSeenFrom || undefined,
      first_seen_to: filters.firstSeenTo || undefined,
      q: filters.q.trim() || undefined,
      include_unflagged: filters.includeUnflagged || undefined,
      sort: state.sort.field,
      direction: state.sort.direction,
      page: state.pageIndex + 1,
      per_page: state.pageSize,
    };
  }, [range, filters, minScore, state.sort, state.pageIndex, state.pageSize]);

  const list = useCommunities(params, refreshNonce);
  // The charts count what the list shows, over every page.
  const statsParams = useMemo(() => {
    if (!params) return undefined;
    const { sort: _s, direction: _d, page: _p, per_page: _pp, ...rest } = params;
    return rest;
  }, [params]);

  const refresh = useCallback(() => setRefreshNonce((n) => n + 1), []);

  const setFilters = (next: ListFilters) => {
    setSelected([]);
    onStateChange({ ...state, filters: next, pageIndex: 0 });
  };

  const page = list.data;
  const items = page?.items ?? [];

  // The empty state replaces the table (not its noItemsMessage, which EUI renders twice).
  let emptyPrompt: React.ReactNode = null;
  const isEmpty = !list.error && !(list.loading && !page) && items.length === 0;
  if (isEmpty && hasNarrowingFilters(filters)) {
    emptyPrompt = (
      <EuiEmptyPrompt
        iconType="filter"
        titleSize="xs"
        title={<h3>No communities match these filters</h3>}
        body={<p>Remove a filter or widen the time range to see more.</p>}
        actions={
          <EuiButton
            size="s"
            onClick={() =>
              setFilters({ ...DEFAULT_FILTERS, start: filters.start, end: filters.end })
            }
            data-test-subj="clearFiltersButton"
          >
            Clear filters
          </EuiButton>
        }
        data-test-subj="communitiesNoMatch"
      />
    );
  } else if (isEmpty) {
    // The job may have covered a window outside the picker's range (e.g. imported or demo data).
    const outside =
      lastWindow && range && (lastWindow.end <= range.from || lastWindow.start >= range.to);
    emptyPrompt = (
      <EuiEmptyPrompt
        iconType="securityAnalyticsApp"
        titleSize="xs"
        title={<h3>No anomalous communities</h3>}
        body={
          <>
            <p data-test-subj="communitiesEmptyText">
              No anomalous communities in this time range. Widen the range or run detection now.
            </p>
            {outside ? (
              <p data-test-subj="lastRunWindowText">
                The last detection run covered {formatDateTime(lastWindow.start)} –{' '}
                {formatDateTime(lastWindow.end)}.
              </p>
            ) : null}
          </>
        }
        actions={[
          ...(outside
            ? [
                <EuiButton
                  key="last"
                  size="s"
                  fill
                  onClick={() =>
                    setFilters({ ...filters, start: lastWindow.start, end: lastWindow.end })
                  }
                  data-test-subj="showLastRunWindowButton"
                >
                  Show that window
                </EuiButton>,
              ]
            : []),
          <EuiButton
            key="widen"
            size="s"
            onClick={() => setFilters({ ...filters, start: 'now-30d', end: 'now' })}
            data-test-subj="widenRangeButton"
          >
            Show the last 30 days
          </EuiButton>,
          ...(capabilities.canRun
            ? [
                <EuiButtonEmpty
                  key="run"
                  size="s"
                  iconType="play"
                  onClick={() => setRunRequest((n) => n + 1)}
                  data-test-subj="emptyRunDetectionButton"
                >
                  Run detection now
                </EuiButtonEmpty>,
              ]
            : []),
        ]}
        data-test-subj="communitiesEmpty"
      />
    );
  }

  return (
    <div data-test-subj="communitiesPage">
      <FiltersBar
        filters={filters}
        onChange={setFilters}
        onRefresh={refresh}
        isLoading={list.loading}
      />
      {!range ? (
        <EuiText size="s" color="danger" data-test-subj="timeRangeInvalid">
          <p>The time range could not be read. Pick a range from the date picker.</p>
        </EuiText>
      ) : null}
      {minScore === 'invalid' ? (
        <EuiText size="s" color="danger" data-test-subj="minScoreInvalid">
          <p>Min score must be a number from 0 to 1; it is ignored until then.</p>
        </EuiText>
      ) : null}
      <EuiSpacer size="m" />
      <EuiFlexGroup gutterSize="m" wrap>
        <EuiFlexItem grow={2} style={{ minWidth: 420 }}>
          <CountsPanel counts={page?.counts} loading={list.loading} />
        </EuiFlexItem>
        <EuiFlexItem grow={3} style={{ minWidth: 480 }}>
          <JobStatusPanel onRunFinished={refresh} runRequest={runRequest} onStatus={onStatus} />
        </EuiFlexItem>
      </EuiFlexGroup>
      <EuiSpacer size="m" />
      <ChartsPanel
        params={statsParams}
        refreshKey={refreshNonce}
        filters={filters}
        onFiltersChange={setFilters}
      />
      <EuiSpacer size="m" />
      {list.error ? (
        <>
          <ErrorCallout
            error={list.error}
            what="load communities"
            onRetry={refresh}
            data-test-subj="communitiesError"
          />
          <EuiSpacer size="m" />
        </>
      ) : null}
      {capabilities.canTriage ? (
        <>
          <EuiFlexGroup gutterSize="s" alignItems="center" responsive={false}>
            <EuiFlexItem grow={false}>
              <BulkActions
                selected={selected}
                onDone={() => {
                  setSelected([]);
                  refresh();
                }}
              />
            </EuiFlexItem>
            <EuiFlexItem>
              <EuiText size="xs" color="subdued" data-test-subj="communitiesShowing">
                {page ? `${page.total} communities` : ''}
              </EuiText>
            </EuiFlexItem>
          </EuiFlexGroup>
          <EuiSpacer size="s" />
        </>
      ) : null}
      {emptyPrompt ? (
        <EuiPanel hasBorder paddingSize="l">
          {emptyPrompt}
        </EuiPanel>
      ) : list.error ? null : (
        <CommunitiesTable
          items={items}
          total={page?.total ?? 0}
          pageIndex={state.pageIndex}
          pageSize={state.pageSize}
          sort={state.sort}
          loading={list.loading}
          noItemsMessage={
            <EuiText size="s" data-test-subj="communitiesLoading">
              Loading communities…
            </EuiText>
          }
          selectable={capabilities.canTriage}
          selected={selected}
          onSelectionChange={setSelected}
          onTableChange={({ pageIndex, pageSize, sort, direction }) => {
            setSelected([]);
            const sortChanged =
              sort !== undefined &&
              (sort !== state.sort.field || direction !== state.sort.direction);
            onStateChange({
              ...state,
              pageIndex: sortChanged || pageSize !== state.pageSize ? 0 : pageIndex,
              pageSize,
              sort: sort ? { field: sort, direction: direction ?? 'desc' } : state.sort,
            });
          }}
          onOpen={(id) => onOpenCommunity(id)}
        />
      )}
      {openCommunityId ? (
        <CommunityFlyout
          communityId={openCommunityId}
          indexPattern={indexPattern}
          onClose={() => onOpenCommunity(undefined)}
          onChanged={refresh}
          onShowRawEvents={onShowRawEvents}
        />
      ) : null}
    </div>
  );
}
