import React, { useEffect, useMemo, useState } from 'react';
import {
  EuiBadge,
  EuiBasicTable,
  EuiButton,
  EuiButtonEmpty,
  EuiButtonGroup,
  EuiFlexGroup,
  EuiFlexItem,
  EuiFlyout,
  EuiFlyoutBody,
  EuiFlyoutFooter,
  EuiFlyoutHeader,
  EuiLoadingSpinner,
  EuiSpacer,
  EuiTab,
  EuiTabs,
  EuiText,
  EuiTitle,
  useGeneratedHtmlId,
  type CriteriaWithPagination,
  type EuiBasicTableColumn,
} from '@elastic/eui';
import { buildDiscoverDrillDown, discoverTargetOf } from '../../../../common/discover';
import { visibleName } from '../../../../common/display_text';
import { errorStatus } from '../../api_client';
import type { CommunityEdge, StoredCommunity } from '../../api_types';
import { useCommunity } from '../../hooks/use_community';
import { ensureDiscoverIds, useDiscoverDrillDown } from '../../hooks/use_discover_drill_down';
import { useToasts } from '../../hooks/use_toasts';
import { formatDateTime } from '../../lib/format';
import { useAppServices } from '../../services';
import { EdgeDetails, RootDetails } from '../edge_details/edge_details';
import { ErrorCallout } from '../error_callout/error_callout';
import { EventsTable } from '../events_table/events_table';
import { buildProcessTree, findNode } from '../process_tree/build_tree';
import { ProcessTree } from '../process_tree/process_tree';
import { CommunityGraph } from '../community_graph/community_graph';
import { MAX_GRAPH_NODES } from '../community_graph/build_graph';
import { SeverityBadge } from '../severity_badge/severity_badge';
import { StatusBadge } from '../status_badge/status_badge';
import { TriageForm } from '../triage_form/triage_form';

type TabId = 'chain' | 'edges' | 'timeline' | 'triage';

/** The chain tab draws the community as a tree (the default) or as a laid-out graph. */
type ChainView = 'tree' | 'graph';
/**
 * The tree draws every process, which takes seconds beyond a few hundred; the graph is bounded
 * (MAX_GRAPH_NODES), so a community larger than that opens on the graph.
 */
function defaultChainView(c: StoredCommunity): ChainView {
  const processes = new Set(c.entityIds);
  for (const e of c.edges) {
    processes.add(e.parentEntityId);
    processes.add(e.childEntityId);
  }
  return processes.size > MAX_GRAPH_NODES ? 'graph' : 'tree';
}
const CHAIN_VIEWS: Array<{ id: ChainView; label: string; 'data-test-subj': string }> = [
  { id: 'tree', label: 'Tree', 'data-test-subj': 'chainViewTree' },
  { id: 'graph', label: 'Graph', 'data-test-subj': 'chainViewGraph' },
];

export interface CommunityFlyoutProps {
  communityId: string;
  /** Raw event indices (the server builds the Discover data view from its own setting). */
  indexPattern?: string;
  onClose(): void;
  /** Triage changed: the list should re-read. */
  onChanged(): void;
  /** The drill-down when the host has no Discover: the app's raw-events view. */
  onShowRawEvents(communityId: string): void;
}

export function CommunityFlyout({
  communityId,
  onClose,
  onChanged,
  onShowRawEvents,
}: CommunityFlyoutProps) {
  const titleId = useGeneratedHtmlId({ prefix: 'communityFlyoutTitle' });
  const query = useCommunity(communityId);
  const community = query.data;
  const [tab, setTab] = useState<TabId>('chain');
  useEffect(() => setTab('chain'), [communityId]);
  return (
    <EuiFlyout
      onClose={onClose}
      aria-labelledby={titleId}
      size="l"
      data-test-subj="communityFlyout"
      closeButtonProps={{ 'data-test-subj': 'communityFlyoutClose' }}
    >
      <EuiFlyoutHeader hasBorder>
        <EuiTitle size="m">
          <h2 id={titleId} data-test-subj="communityFlyoutTitle">
            {community
              ? `Community #${community.rank} on ${visibleName(community.host)}`
              : 'Community'}
          </h2>
        </EuiTitle>
        {community ? (
          <>
            <FlyoutSummary community={community} onShowRawEvents={onShowRawEvents} />
            <EuiSpacer size="s" />
            {/* Tabs sit on the header's bottom border, as in Kibana's own flyouts. */}
            <EuiTabs size="s" bottomBorder={false} style={{ marginBottom: -25 }}>
              {tabsOf(community).map((t) => (
                <EuiTab
                  key={t.id}
                  isSelected={tab === t.id}
                  onClick={() => setTab(t.id)}
                  data-test-subj={`communityTab-${t.id}`}
                >
                  {t.name}
                </EuiTab>
              ))}
            </EuiTabs>
          </>
        ) : null}
      </EuiFlyoutHeader>
      {community ? (
        <CommunityBody
          community={community}
          tab={tab}
          setTab={setTab}
          onSaved={(c) => {
            query.setData(c);
            onChanged();
          }}
          onReload={() => {
            query.reload();
            onChanged();
          }}
        />
      ) : (
        <EuiFlyoutBody>
          {query.error ? (
            errorStatus(query.error) === 404 ? (
              <EuiText data-test-subj="communityNotFound">
                <p>
                  This community no longer exists. A newer detection run may have replaced it; close
                  this panel and refresh the list.
                </p>
              </EuiText>
            ) : (
              <ErrorCallout error={query.error} what="load the community" onRetry={query.reload} />
            )
          ) : (
            <EuiFlexGroup alignItems="center" gutterSize="s" data-test-subj="communityLoading">
              <EuiFlexItem grow={false}>
                <EuiLoadingSpinner size="l" />
              </EuiFlexItem>
              <EuiFlexItem>
                <EuiText size="s">Loading community…</EuiText>
              </EuiFlexItem>
            </EuiFlexGroup>
          )}
        </EuiFlyoutBody>
      )}
      <EuiFlyoutFooter>
        <EuiButtonEmpty
          iconType="cross"
          onClick={onClose}
          data-test-subj="communityFlyoutCloseButton"
        >
          Close
        </EuiButtonEmpty>
      </EuiFlyoutFooter>
    </EuiFlyout>
  );
}

function FlyoutSummary({
  community,
  onShowRawEvents,
}: {
  community: StoredCommunity;
  onShowRawEvents(id: string): void;
}) {
  const { api, openInDiscover } = useAppServices();
  const toasts = useToasts();
  const plan = useDiscoverDrillDown(community);
  const [opening, setOpening] = useState(false);
  const drillDown = async () => {
    if (!openInDiscover) {
      onShowRawEvents(community.id);
      return;
    }
    setOpening(true);
    try {
      // The saved search must exist before Discover opens it; the server creates it once.
      const ids = await ensureDiscoverIds(api);
      openInDiscover(buildDiscoverDrillDown(discoverTargetOf(community), ids).params);
    } catch (e) {
      toasts.addDanger('Could not open Discover', e instanceof Error ? e.message : String(e));
    } finally {
      setOpening(false);
    }
  };
  return (
    <>
      <EuiSpacer size="s" />
      <EuiFlexGroup gutterSize="s" alignItems="center" wrap responsive={false}>
        <EuiFlexItem grow={false}>
          <SeverityBadge
            score={community.maxAnomaly}
            label="Max score"
            data-test-subj="flyoutMaxScore"
          />
        </EuiFlexItem>
        <EuiFlexItem grow={false}>
          <EuiText size="xs" color="subdued">
            community score {community.score.toFixed(2)}
          </EuiText>
        </EuiFlexItem>
        <EuiFlexItem grow={false}>
          <StatusBadge status={community.triage.status} verdict={community.triage.verdict} />
        </EuiFlexItem>
        <EuiFlexItem grow={false}>
          <EuiText size="xs" color="subdued">
            {formatDateTime(community.firstSeen)} – {formatDateTime(community.lastSeen)} ·{' '}
            {community.events.length} events ·{' '}
            {community.users.map((u) => visibleName(u)).join(', ') || 'no user'}
          </EuiText>
        </EuiFlexItem>
      </EuiFlexGroup>
      <EuiSpacer size="s" />
      <EuiFlexGroup gutterSize="m" alignItems="flexStart" responsive={false}>
        <EuiFlexItem>
          <EuiText size="s">
            <p data-test-subj="flyoutChain" style={{ wordBreak: 'break-word' }}>
              {visibleName(community.chain)}
            </p>
          </EuiText>
          <EuiSpacer size="xs" />
          <EuiFlexGroup gutterSize="xs" wrap responsive={false}>
            {community.techniques.map((t) => (
              <EuiFlexItem grow={false} key={t.id}>
                <EuiBadge
                  color="hollow"
                  title={[t.name, ...t.reasons].join(' — ')}
                  data-test-subj="flyoutTechnique"
                >
                  {t.id}
                </EuiBadge>
              </EuiFlexItem>
            ))}
          </EuiFlexGroup>
        </EuiFlexItem>
        <EuiFlexItem grow={false} style={{ maxWidth: 260 }}>
          <EuiButton
            size="s"
            iconType={openInDiscover ? 'discoverApp' : 'inspect'}
            isLoading={opening}
            onClick={() => void drillDown()}
            data-test-subj="openInDiscoverButton"
          >
            {openInDiscover ? 'Open in Discover' : 'View raw events'}
          </EuiButton>
          {openInDiscover && plan?.note ? (
            <EuiText size="xs" color="subdued" data-test-subj="discoverPrecisionNote">
              <p>{plan.note}</p>
            </EuiText>
          ) : null}
        </EuiFlexItem>
      </EuiFlexGroup>
    </>
  );
}

function tabsOf(community: StoredCommunity): Array<{ id: TabId; name: string }> {
  return [
    { id: 'chain', name: 'Process chain' },
    { id: 'edges', name: `Edges (${community.edges.length})` },
    { id: 'timeline', name: `Timeline (${community.events.length})` },
    { id: 'triage', name: 'Triage' },
  ];
}

function CommunityBody({
  community,
  tab,
  setTab,
  onSaved,
  onReload,
}: {
  community: StoredCommunity;
  tab: TabId;
  setTab(t: TabId): void;
  onSaved(c: StoredCommunity): void;
  onReload(): void;
}) {
  const [selected, setSelected] = useState<string>(community.drivingEdge.childEntityId);
  const [chainView, setChainView] = useState<ChainView>(() => defaultChainView(community));
  useEffect(() => setChainView(defaultChainView(community)), [community.id]); // new community, its own default
  useEffect(() => setSelected(community.drivingEdge.childEntityId), [community.id]); // new community, new focus
  const tree = useMemo(
    () =>
      buildProcessTree({
        edges: community.edges,
        entityIds: community.entityIds,
        drivingEdge: community.drivingEdge,
      }),
    [community],
  );
  const node = findNode(tree, selected);
  return (
    <EuiFlyoutBody data-test-subj={`communityTabPanel-${tab}`}>
      {tab === 'chain' ? (
        <EuiFlexGroup gutterSize="l" alignItems="flexStart">
          <EuiFlexItem grow={6} style={{ minWidth: 0 }}>
            <EuiButtonGroup
              legend="How to show the process chain"
              buttonSize="compressed"
              options={CHAIN_VIEWS}
              idSelected={chainView}
              onChange={(id) => setChainView(id as ChainView)}
              data-test-subj="chainViewToggle"
            />
            <EuiSpacer size="s" />
            {chainView === 'graph' ? (
              <CommunityGraph
                edges={community.edges}
                entityIds={community.entityIds}
                drivingEdge={community.drivingEdge}
                selectedEntityId={selected}
                onSelect={setSelected}
              />
            ) : (
              <ProcessTree
                edges={community.edges}
                entityIds={community.entityIds}
                drivingEdge={community.drivingEdge}
                selectedEntityId={selected}
                onSelect={setSelected}
              />
            )}
            {community.suppressed.length > 0 ? (
              <>
                <EuiSpacer size="m" />
                <EuiText size="s" color="subdued" data-test-subj="communitySuppressedHits">
                  <p>
                    Suppression rules discounted some of its edges:{' '}
                    {community.suppressed.map((s) => `${s.reason} (by ${s.createdBy})`).join('; ')}
                  </p>
                </EuiText>
              </>
            ) : null}
          </EuiFlexItem>
          {/* Sticky, so the explanation stays in view while scrolling a large tree. */}
          <EuiFlexItem grow={5} style={{ minWidth: 0, position: 'sticky', top: 0 }}>
            {node?.edge ? (
              <EdgeDetails edge={node.edge} community={community} />
            ) : node ? (
              <RootDetails name={node.name} commandLine={node.commandLine} />
            ) : null}
          </EuiFlexItem>
        </EuiFlexGroup>
      ) : null}
      {tab === 'edges' ? (
        <EdgesTable
          edges={community.edges}
          onInspect={(e) => {
            setSelected(e.childEntityId);
            setTab('chain');
          }}
        />
      ) : null}
      {tab === 'timeline' ? (
        <EventsTable
          caption="Events of the community in time order"
          rows={community.events}
          showScore
          data-test-subj="communityTimeline"
        />
      ) : null}
      {tab === 'triage' ? (
        <TriageForm community={community} onSaved={onSaved} onReload={onReload} />
      ) : null}
    </EuiFlyoutBody>
  );
}

const EDGE_PAGE_SIZES = [50, 100, 200] as const;

function EdgesTable({
  edges,
  onInspect,
}: {
  edges: readonly CommunityEdge[];
  onInspect(e: CommunityEdge): void;
}) {
  const sorted = useMemo(() => [...edges].sort((a, b) => b.anomaly - a.anomaly), [edges]);
  // Paged: every row carries badges with tooltips, and 2,000 of them took 23 s to open.
  const [page, setPage] = useState({ index: 0, size: EDGE_PAGE_SIZES[0] as number });
  useEffect(() => setPage((p) => ({ ...p, index: 0 })), [edges]);
  const shown = useMemo(
    () => sorted.slice(page.index * page.size, (page.index + 1) * page.size),
    [sorted, page],
  );
  const columns: Array<EuiBasicTableColumn<CommunityEdge>> = [
    {
      name: 'Step',
      width: '190px',
      render: (e: CommunityEdge) => (
        <span data-test-subj="edgeRowStep">
          {visibleName(e.parentName)} → <strong>{visibleName(e.childName)}</strong>
        </span>
      ),
    },
    {
      name: 'Model',
      width: '72px',
      render: (e: CommunityEdge) => <SeverityBadge score={e.score} label="Model score" />,
    },
    {
      name: 'Anomaly',
      width: '80px',
      render: (e: CommunityEdge) => <SeverityBadge score={e.anomaly} label="Anomaly" />,
    },
    {
      name: 'Prevalence',
      render: (e: CommunityEdge) => (
        <span data-test-subj="edgeRowPrevalence">{visibleName(e.prevalence.text)}</span>
      ),
    },
    {
      name: 'Top features',
      render: (e: CommunityEdge) => (
        <EuiText size="xs">
          {e.topFeatures.slice(0, 3).map((f, i) => (
            <div key={i}>
              {visibleName(f.feature)} ({f.contribution > 0 ? '+' : ''}
              {f.contribution.toFixed(2)})
            </div>
          ))}
        </EuiText>
      ),
    },
    {
      name: 'Actions',
      width: '70px',
      actions: [
        {
          name: 'Inspect',
          description: 'Show this edge in the process chain',
          icon: 'inspect',
          type: 'icon',
          onClick: onInspect,
          'data-test-subj': 'edgeInspectAction',
        },
      ],
    },
  ];
  return (
    <EuiBasicTable
      compressed
      tableCaption="Edges of the community, most anomalous first"
      items={shown}
      itemId="eventId"
      columns={columns}
      pagination={{
        pageIndex: page.index,
        pageSize: page.size,
        totalItemCount: sorted.length,
        pageSizeOptions: [...EDGE_PAGE_SIZES],
        showPerPageOptions: true,
      }}
      onChange={({ page: p }: CriteriaWithPagination<CommunityEdge>) => {
        if (p) setPage({ index: p.index, size: p.size });
      }}
      rowProps={(e: CommunityEdge) => ({ 'data-test-subj': 'edgeRow', 'data-event-id': e.eventId })}
      data-test-subj="communityEdgesTable"
    />
  );
}
