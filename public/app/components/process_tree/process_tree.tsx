import React, { useMemo, useState } from 'react';
import {
  EuiBadge,
  EuiButtonEmpty,
  EuiFlexGroup,
  EuiFlexItem,
  EuiIcon,
  EuiLink,
  EuiText,
  useEuiTheme,
} from '@elastic/eui';
import { scoreToSeverity } from '../../../../common/severity';
import type { CommunityEdge } from '../../api_types';
import { SeverityBadge } from '../severity_badge/severity_badge';
import { visibleName, visibleText } from '../../../../common/display_text';
import { buildProcessTree, countNodes, flattenTree, type TreeRow } from './build_tree';
import { ICONS } from '../../lib/icons';

export interface ProcessTreeProps {
  edges: readonly CommunityEdge[];
  entityIds?: readonly string[];
  drivingEdge?: CommunityEdge;
  selectedEntityId?: string;
  onSelect(entityId: string): void;
}

/** Rows drawn at first, and added per "Show more": thousands of rows take seconds to draw. */
export const TREE_PAGE_ROWS = 300;
/** Indentation stops growing here; deeper rows say their depth instead. */
const MAX_INDENT_LEVELS = 24;
const INDENT_PX = 22;

/**
 * The community as a process tree: one row per process (name and command line as text), the
 * connector into each child coloured by that edge's anomaly, and the chain from a root to the
 * driving edge marked. Rows are drawn flat, indented by depth, not as nested lists: an intruder
 * can make a chain thousands of processes deep, and nested components that deep overflowed
 * React's stack (a blank tab). At most TREE_PAGE_ROWS rows are drawn until asked for more, with
 * "showing N of M" said.
 */
export function ProcessTree({
  edges,
  entityIds,
  drivingEdge,
  selectedEntityId,
  onSelect,
}: ProcessTreeProps) {
  const roots = useMemo(
    () => buildProcessTree({ edges, entityIds, drivingEdge }),
    [edges, entityIds, drivingEdge],
  );
  const total = useMemo(() => countNodes(roots), [roots]);
  const [limit, setLimit] = useState(TREE_PAGE_ROWS);
  const rows = useMemo(() => flattenTree(roots, limit), [roots, limit]);
  return (
    <div data-test-subj="processTree">
      <Legend />
      {rows.length < total ? (
        <EuiText size="xs" color="warning" data-test-subj="processTreeTruncated">
          <p>
            Showing {rows.length} of {total} processes (depth-first). The graph view and the Edges
            tab list every step.
          </p>
        </EuiText>
      ) : null}
      <ul aria-label="Process tree" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
        {rows.map((row) => (
          <TreeItem
            key={row.node.entityId}
            row={row}
            drivingChildId={drivingEdge?.childEntityId}
            selectedEntityId={selectedEntityId}
            onSelect={onSelect}
          />
        ))}
      </ul>
      {rows.length < total ? (
        <EuiButtonEmpty
          size="s"
          onClick={() => setLimit((l) => l + TREE_PAGE_ROWS)}
          data-test-subj="processTreeShowMore"
        >
          Show {Math.min(TREE_PAGE_ROWS, total - rows.length)} more of {total - rows.length}
        </EuiButtonEmpty>
      ) : null}
    </div>
  );
}

function Legend() {
  const { euiTheme } = useEuiTheme();
  const swatch = (color: string) => (
    <span
      aria-hidden
      style={{
        display: 'inline-block',
        width: 16,
        height: 4,
        borderRadius: 2,
        background: color,
        verticalAlign: 'middle',
        marginRight: 4,
      }}
    />
  );
  return (
    <EuiText size="xs" color="subdued" style={{ marginBottom: 8 }}>
      <p>
        Connector colour is the edge&apos;s anomaly, from {swatch(euiTheme.colors.severity.success)}
        low through {swatch(euiTheme.colors.severity.warning)}elevated and{' '}
        {swatch(euiTheme.colors.severity.risk)}high to {swatch(euiTheme.colors.severity.danger)}
        critical. A thick red bar marks the chain that drove the score. Select a process to see why
        its creation was scored.
      </p>
    </EuiText>
  );
}

interface TreeItemProps {
  row: TreeRow;
  drivingChildId?: string;
  selectedEntityId?: string;
  onSelect(entityId: string): void;
}

function TreeItem({ row, drivingChildId, selectedEntityId, onSelect }: TreeItemProps) {
  const { euiTheme } = useEuiTheme();
  const { node, depth, isLast } = row;
  const isRoot = depth === 0;
  const indent = Math.min(depth, MAX_INDENT_LEVELS) * INDENT_PX;
  const edgeColor = node.edge
    ? euiTheme.colors.severity[scoreToSeverity(node.edge.anomaly)]
    : euiTheme.colors.borderBasePlain;
  const trunk = euiTheme.colors.borderBaseSubdued;
  const selected = node.entityId === selectedEntityId;
  const isDriving = node.entityId === drivingChildId;
  const suppressed = (node.edge?.suppressedBy?.length ?? 0) > 0;
  const name = visibleName(node.name);
  return (
    <li
      data-test-subj="processNode"
      data-entity-id={node.entityId}
      data-depth={depth}
      data-driving-chain={node.onDrivingChain ? 'true' : 'false'}
      style={{ position: 'relative', paddingLeft: indent }}
    >
      {isRoot ? null : (
        <>
          <span
            aria-hidden
            style={{
              position: 'absolute',
              left: indent - INDENT_PX + 6,
              top: 0,
              height: isLast ? 18 : '100%',
              borderLeft: `2px solid ${trunk}`,
            }}
          />
          <span
            aria-hidden
            data-test-subj="processEdgeConnector"
            style={{
              position: 'absolute',
              left: indent - INDENT_PX + 6,
              top: 16,
              width: 14,
              borderTop: `${node.onDrivingChain ? 4 : 2}px solid ${edgeColor}`,
            }}
          />
        </>
      )}
      <div
        style={{
          display: 'flex',
          gap: 8,
          alignItems: 'flex-start',
          padding: '4px 8px',
          margin: '2px 0',
          borderRadius: euiTheme.border.radius.medium,
          borderLeft: `${node.onDrivingChain ? 4 : 2}px solid ${
            node.onDrivingChain ? euiTheme.colors.severity.danger : edgeColor
          }`,
          background: selected
            ? euiTheme.colors.backgroundBaseInteractiveSelect
            : node.onDrivingChain
              ? euiTheme.colors.backgroundBaseDanger
              : 'transparent',
        }}
      >
        <EuiIcon type={ICONS.commandLine} size="s" aria-hidden style={{ marginTop: 4 }} />
        <div style={{ minWidth: 0, flex: 1 }}>
          <EuiFlexGroup gutterSize="s" alignItems="center" responsive={false} wrap>
            <EuiFlexItem grow={false}>
              <EuiLink
                onClick={() => onSelect(node.entityId)}
                aria-pressed={selected}
                data-test-subj="processNodeButton"
                aria-label={`Process ${name}${node.onDrivingChain ? ', on the driving chain' : ''}`}
              >
                <strong data-test-subj="processName">{name}</strong>
              </EuiLink>
            </EuiFlexItem>
            {depth > MAX_INDENT_LEVELS ? (
              <EuiFlexItem grow={false}>
                <EuiBadge color="hollow" data-test-subj="processDepth">
                  depth {depth}
                </EuiBadge>
              </EuiFlexItem>
            ) : null}
            {node.edge ? (
              <EuiFlexItem grow={false}>
                <SeverityBadge
                  score={node.edge.anomaly}
                  label="Edge anomaly"
                  data-test-subj="processEdgeScore"
                />
              </EuiFlexItem>
            ) : (
              <EuiFlexItem grow={false}>
                <EuiBadge color="hollow">root</EuiBadge>
              </EuiFlexItem>
            )}
            {isDriving ? (
              <EuiFlexItem grow={false}>
                <EuiBadge color="danger" iconType="flag" data-test-subj="drivingEdgeBadge">
                  drove the score
                </EuiBadge>
              </EuiFlexItem>
            ) : null}
            {suppressed ? (
              <EuiFlexItem grow={false}>
                <EuiBadge color="default" iconType={ICONS.eyeSlash}>
                  suppressed
                </EuiBadge>
              </EuiFlexItem>
            ) : null}
          </EuiFlexGroup>
          {node.commandLine ? (
            <code
              data-test-subj="processCommandLine"
              title={visibleText(node.commandLine)}
              style={{
                // Encoded PowerShell runs to thousands of characters; the details pane has it whole.
                display: '-webkit-box',
                WebkitLineClamp: 3,
                WebkitBoxOrient: 'vertical',
                overflow: 'hidden',
                marginTop: 2,
                fontFamily: euiTheme.font.familyCode,
                fontSize: euiTheme.size.m,
                lineHeight: 1.4,
                whiteSpace: 'pre-wrap',
                wordBreak: 'break-all',
                color: euiTheme.colors.textSubdued,
              }}
            >
              {visibleText(node.commandLine)}
            </code>
          ) : null}
        </div>
      </div>
    </li>
  );
}
