import React, { useMemo, useState } from 'react';
import {
  EuiButtonEmpty,
  EuiCallOut,
  EuiFlexGroup,
  EuiFlexItem,
  EuiSpacer,
  EuiText,
  useEuiTheme,
  useGeneratedHtmlId,
} from '@elastic/eui';
import { SEVERITY_LEVELS, scoreToSeverity, severityLabel } from '../../../../common/severity';
import { visibleText } from '../../../../common/decode_command';
import type { CommunityEdge } from '../../api_types';
import { buildCommunityGraph, MAX_GRAPH_NODES, shortLabel } from './build_graph';
import { layoutCommunityGraph, NODE_HEIGHT, NODE_WIDTH, type Point } from './layout_graph';

/** Widest graph shown fitted to the panel by default (about twice the panel's width). */
const FIT_MAX_WIDTH = 1_200;

export interface CommunityGraphProps {
  edges: readonly CommunityEdge[];
  entityIds?: readonly string[];
  drivingEdge?: CommunityEdge;
  selectedEntityId?: string;
  onSelect(entityId: string): void;
  maxNodes?: number;
}

/**
 * The community drawn as a graph (SVG made by React, so every label is text): processes as
 * nodes, creations as arrows coloured by anomaly with the chain that drove the score thicker,
 * and the clustering's lineage links dashed. At most MAX_GRAPH_NODES processes are drawn.
 */
export function CommunityGraph({
  edges,
  entityIds,
  drivingEdge,
  selectedEntityId,
  onSelect,
  maxNodes = MAX_GRAPH_NODES,
}: CommunityGraphProps) {
  const { euiTheme } = useEuiTheme();
  const markerPrefix = useGeneratedHtmlId({ prefix: 'graphArrow' });
  const [fitChoice, setFit] = useState<boolean | undefined>(undefined);
  const [showLineage, setShowLineage] = useState(true);
  const graph = useMemo(
    () => buildCommunityGraph({ edges, entityIds, drivingEdge, maxNodes }),
    [edges, entityIds, drivingEdge, maxNodes],
  );
  const layout = useMemo(() => layoutCommunityGraph(graph), [graph]);
  // Fitted, a large graph would shrink to unreadable dots: it starts at actual size and scrolls.
  const fit = fitChoice ?? layout.width <= FIT_MAX_WIDTH;
  const colour = (anomaly: number) => euiTheme.colors.severity[scoreToSeverity(anomaly)];
  const marker = (level: string) => `${markerPrefix}-${level}`;
  const line = (pts: readonly Point[]) =>
    pts.map((p, i) => `${i ? 'L' : 'M'} ${p.x} ${p.y}`).join(' ');

  return (
    <div data-test-subj="communityGraph">
      <EuiFlexGroup gutterSize="s" alignItems="center" responsive={false} wrap>
        <EuiFlexItem>
          <EuiText size="xs" color="subdued" data-test-subj="graphSummary">
            <p>
              {graph.nodes.length} processes, {graph.creations.length} creations
              {showLineage ? `, ${graph.lineage.length} lineage links (dashed)` : ''}. Arrow colour
              is the creation&apos;s anomaly; the thick line is the chain that drove the score.
            </p>
          </EuiText>
        </EuiFlexItem>
        <EuiFlexItem grow={false}>
          <EuiButtonEmpty
            size="xs"
            onClick={() => setShowLineage((v) => !v)}
            aria-pressed={showLineage}
            data-test-subj="graphLineageToggle"
          >
            {showLineage ? 'Hide lineage links' : 'Show lineage links'}
          </EuiButtonEmpty>
        </EuiFlexItem>
        <EuiFlexItem grow={false}>
          <EuiButtonEmpty
            size="xs"
            iconType={fit ? 'magnifyWithPlus' : 'magnifyWithMinus'}
            onClick={() => setFit(!fit)}
            data-test-subj="graphZoomToggle"
          >
            {fit ? 'Actual size' : 'Fit to width'}
          </EuiButtonEmpty>
        </EuiFlexItem>
      </EuiFlexGroup>
      {graph.clipped ? (
        <>
          <EuiCallOut
            size="s"
            color="warning"
            iconType="warning"
            data-test-subj="graphClipNote"
            title={`Showing ${graph.nodes.length} of ${graph.totalNodes} processes (${graph.creations.length} of ${graph.totalCreations} creations): the chain that drove the score and the most anomalous processes. The tree and the Edges tab list them all.`}
          />
          <EuiSpacer size="s" />
        </>
      ) : null}
      <div
        style={{
          overflow: 'auto',
          maxHeight: 640,
          border: euiTheme.border.thin,
          borderRadius: euiTheme.border.radius.medium,
        }}
      >
        <svg
          role="group"
          aria-label={`Process graph: ${graph.nodes.length} processes`}
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          width={layout.width}
          height={fit ? undefined : layout.height}
          // Fitting only ever shrinks: a small graph keeps its natural size.
          style={{
            display: 'block',
            maxWidth: fit ? '100%' : undefined,
            height: fit ? 'auto' : undefined,
          }}
          data-rankdir={layout.rankdir}
          data-test-subj="communityGraphSvg"
        >
          <defs>
            {SEVERITY_LEVELS.map((level) => (
              <marker
                key={level}
                id={marker(level)}
                viewBox="0 0 10 10"
                refX="9"
                refY="5"
                markerWidth="7"
                markerHeight="7"
                orient="auto-start-reverse"
              >
                <path d="M 0 0 L 10 5 L 0 10 z" fill={euiTheme.colors.severity[level]} />
              </marker>
            ))}
          </defs>
          {showLineage
            ? graph.lineage.map((l) => (
                <path
                  key={l.id}
                  d={layout.lineage.get(l.id)}
                  fill="none"
                  stroke={euiTheme.colors.textSubdued}
                  strokeWidth={1.2}
                  strokeDasharray="5 4"
                  opacity={0.7}
                  data-test-subj="graphLineageLink"
                  data-generations={l.generations}
                >
                  <title>
                    {`Lineage link (${l.generations === 2 ? 'grandparent' : 'great-grandparent'}): the clustering keeps a chain together through it`}
                  </title>
                </path>
              ))
            : null}
          {graph.creations.map((c) => {
            const level = scoreToSeverity(c.edge.anomaly);
            return (
              <path
                key={c.id}
                d={line(layout.creations.get(c.id) ?? [])}
                fill="none"
                stroke={colour(c.edge.anomaly)}
                strokeWidth={c.onDrivingChain ? 4 : 2}
                markerEnd={`url(#${marker(level)})`}
                data-test-subj="graphEdge"
                data-event-id={c.edge.eventId}
                data-severity={level}
                data-driving-chain={c.onDrivingChain ? 'true' : 'false'}
              >
                <title>
                  {visibleText(
                    `${c.edge.parentName} → ${c.edge.childName}: anomaly ${c.edge.anomaly.toFixed(2)} (${severityLabel(level)})`,
                  )}
                </title>
              </path>
            );
          })}
          {graph.nodes.map((n) => {
            const p = layout.nodes.get(n.entityId) as Point;
            const selected = n.entityId === selectedEntityId;
            const name = visibleText(n.name);
            return (
              <g
                key={n.entityId}
                transform={`translate(${p.x - NODE_WIDTH / 2} ${p.y - NODE_HEIGHT / 2})`}
                role="button"
                tabIndex={0}
                aria-label={`${name}${n.onDrivingChain ? ', on the driving chain' : ''}`}
                aria-pressed={selected}
                onClick={() => onSelect(n.entityId)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    onSelect(n.entityId);
                  }
                }}
                style={{ cursor: 'pointer' }}
                data-test-subj="graphNode"
                data-entity-id={n.entityId}
                data-driving-chain={n.onDrivingChain ? 'true' : 'false'}
              >
                <title>{`${name}\n${n.entityId}`}</title>
                <rect
                  width={NODE_WIDTH}
                  height={NODE_HEIGHT}
                  rx={6}
                  fill={
                    selected ? euiTheme.colors.backgroundLightPrimary : euiTheme.colors.emptyShade
                  }
                  stroke={
                    selected
                      ? euiTheme.colors.primary
                      : n.onDrivingChain
                        ? euiTheme.colors.severity.danger
                        : euiTheme.colors.borderBasePlain
                  }
                  strokeWidth={selected || n.onDrivingChain ? 2 : 1}
                />
                <text
                  x={NODE_WIDTH / 2}
                  y={NODE_HEIGHT / 2}
                  dominantBaseline="central"
                  textAnchor="middle"
                  fontSize={12}
                  fill={euiTheme.colors.textParagraph}
                  data-test-subj="graphNodeLabel"
                  // A label stays in its box whatever direction its characters ask for.
                  style={{ unicodeBidi: 'isolate', direction: 'ltr' }}
                >
                  {shortLabel(name)}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
    </div>
  );
}
