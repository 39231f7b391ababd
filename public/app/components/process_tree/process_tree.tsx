import React, { useMemo } from 'react';
import {
  EuiBadge,
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
import { buildProcessTree, type ProcessTreeNode } from './build_tree';
import { ICONS } from '../../lib/icons';

export interface ProcessTreeProps {
  edges: readonly CommunityEdge[];
  entityIds?: readonly string[];
  drivingEdge?: CommunityEdge;
  selectedEntityId?: string;
  onSelect(entityId: string): void;
}

/**
 * The community as a process tree: one row per process (name and command line as text), the
 * connector into each child coloured by that edge's anomaly, and the chain from a root to the
 * driving edge marked. Nested lists instead of a graph layout: process chains are trees, and
 * long command lines wrap naturally.
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
  return (
    <div data-test-subj="processTree">
      <Legend />
      <ul aria-label="Process tree" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
        {roots.map((node, i) => (
          <TreeItem
            key={node.entityId}
            node={node}
            isRoot
            isLast={i === roots.length - 1}
            drivingChildId={drivingEdge?.childEntityId}
            selectedEntityId={selectedEntityId}
            onSelect={onSelect}
          />
        ))}
      </ul>
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
  node: ProcessTreeNode;
  isRoot?: boolean;
  isLast: boolean;
  drivingChildId?: string;
  selectedEntityId?: string;
  onSelect(entityId: string): void;
}

function TreeItem({
  node,
  isRoot,
  isLast,
  drivingChildId,
  selectedEntityId,
  onSelect,
}: TreeItemProps) {
  const { euiTheme } = useEuiTheme();
  const edgeColor = node.edge
    ? euiTheme.colors.severity[scoreToSeverity(node.edge.anomaly)]
    : euiTheme.colors.borderBasePlain;
  const trunk = euiTheme.colors.borderBaseSubdued;
  const selected = node.entityId === selectedEntityId;
  const isDriving = node.entityId === drivingChildId;
  const suppressed = (node.edge?.suppressedBy?.length ?? 0) > 0;
  return (
    <li
      data-test-subj="processNode"
      data-entity-id={node.entityId}
      data-driving-chain={node.onDrivingChain ? 'true' : 'false'}
      style={{ position: 'relative', paddingLeft: isRoot ? 0 : 22 }}
    >
      {isRoot ? null : (
        <>
          <span
            aria-hidden
            style={{
              position: 'absolute',
              left: 6,
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
              left: 6,
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
                aria-label={`Process ${node.name}${node.onDrivingChain ? ', on the driving chain' : ''}`}
              >
                <strong data-test-subj="processName">{node.name}</strong>
              </EuiLink>
            </EuiFlexItem>
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
              title={node.commandLine}
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
              {node.commandLine}
            </code>
          ) : null}
        </div>
      </div>
      {node.children.length > 0 ? (
        <ul style={{ listStyle: 'none', margin: 0, padding: 0, marginLeft: isRoot ? 8 : 8 }}>
          {node.children.map((child, i) => (
            <TreeItem
              key={child.entityId}
              node={child}
              isLast={i === node.children.length - 1}
              drivingChildId={drivingChildId}
              selectedEntityId={selectedEntityId}
              onSelect={onSelect}
            />
          ))}
        </ul>
      ) : null}
    </li>
  );
}
