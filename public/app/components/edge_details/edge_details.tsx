import React, { useState } from 'react';
import {
  EuiBadge,
  EuiBasicTable,
  EuiButtonEmpty,
  EuiCodeBlock,
  EuiDescriptionList,
  EuiFlexGroup,
  EuiFlexItem,
  EuiPanel,
  EuiSpacer,
  EuiText,
  EuiTitle,
  type EuiBasicTableColumn,
} from '@elastic/eui';
import type { CommunityEdge, FeatureContribution, StoredCommunity } from '../../api_types';
import { formatDateTime } from '../../lib/format';
import { DecodedCommand } from '../decoded_command/decoded_command';
import { visibleName, visibleText } from '../../../../common/display_text';
import { RawEvent } from '../raw_event/raw_event';
import { SeverityBadge } from '../severity_badge/severity_badge';
import { ICONS } from '../../lib/icons';

/** Encoded command lines are one long token: let them wrap inside the narrow details pane. */
const BREAK_ANYWHERE: React.CSSProperties = { wordBreak: 'break-all' };

const FEATURE_COLUMNS: Array<EuiBasicTableColumn<FeatureContribution>> = [
  {
    field: 'feature',
    name: 'Feature',
    render: (f: string) => <span data-test-subj="edgeFeatureName">{visibleName(f)}</span>,
  },
  {
    field: 'contribution',
    name: 'Effect on score',
    width: '130px',
    align: 'right',
    render: (c: number) => (
      <EuiText size="s" color={c > 0 ? 'danger' : 'success'}>
        <span title={c > 0 ? 'raises the score' : 'lowers the score'}>
          {c > 0 ? '+' : ''}
          {c.toFixed(3)}
        </span>
      </EuiText>
    ),
  },
];

export interface EdgeDetailsProps {
  edge: CommunityEdge;
  community: StoredCommunity;
}

/** Why one creation was scored: model score, its top features, prevalence in words, raw events. */
export function EdgeDetails({ edge, community }: EdgeDetailsProps) {
  const [showRaw, setShowRaw] = useState(false);
  const ids = edge.eventIds.length > 0 ? edge.eventIds : [edge.eventId];
  const events = community.events.filter((e) => ids.includes(e.event.event.id));
  const techniques = community.techniques.filter((t) => edge.techniques.includes(t.id));
  const unknownTechniques = edge.techniques.filter((id) => !techniques.some((t) => t.id === id));
  return (
    <EuiPanel hasBorder paddingSize="m" data-test-subj="edgeDetails" data-event-id={edge.eventId}>
      <EuiTitle size="xs">
        {/* Names are shown with bidi and control characters escaped, so none can reorder the title. */}
        <h3 data-test-subj="edgeDetailsTitle">
          {visibleText(edge.parentName)} → {visibleText(edge.childName)}
        </h3>
      </EuiTitle>
      <EuiSpacer size="s" />
      <EuiDescriptionList
        compressed
        type="responsiveColumn"
        columnWidths={[1, 3]}
        listItems={[
          { title: 'Created', description: formatDateTime(edge.timestamp) },
          { title: 'User', description: visibleName(edge.user ?? '—') },
          {
            title: 'Model score',
            description: (
              <SeverityBadge
                score={edge.score}
                label="Model score"
                data-test-subj="edgeModelScore"
              />
            ),
          },
          {
            title: 'Anomaly',
            description: (
              <EuiFlexGroup gutterSize="s" alignItems="center" responsive={false}>
                <EuiFlexItem grow={false}>
                  <SeverityBadge
                    score={edge.anomaly}
                    label="Anomaly"
                    data-test-subj="edgeAnomaly"
                  />
                </EuiFlexItem>
                <EuiFlexItem>
                  <EuiText size="xs" color="subdued">
                    model score × rarity {edge.prevalence.rarity.toFixed(2)}
                    {(edge.suppressedBy?.length ?? 0) > 0 ? ' × suppression' : ''}
                  </EuiText>
                </EuiFlexItem>
              </EuiFlexGroup>
            ),
          },
          {
            title: 'Prevalence',
            description: <span data-test-subj="edgePrevalenceText">{edge.prevalence.text}</span>,
          },
          {
            title: 'ATT&CK',
            description:
              edge.techniques.length === 0 ? (
                '—'
              ) : (
                <EuiFlexGroup gutterSize="xs" wrap responsive={false}>
                  {techniques.map((t) => (
                    <EuiFlexItem grow={false} key={t.id}>
                      <EuiBadge color="hollow" title={t.reasons.join('; ')}>
                        {t.id} {t.name}
                      </EuiBadge>
                    </EuiFlexItem>
                  ))}
                  {unknownTechniques.map((id) => (
                    <EuiFlexItem grow={false} key={id}>
                      <EuiBadge color="hollow">{id}</EuiBadge>
                    </EuiFlexItem>
                  ))}
                </EuiFlexGroup>
              ),
          },
          ...((edge.suppressedBy?.length ?? 0) > 0
            ? [{ title: 'Suppressed by', description: (edge.suppressedBy ?? []).join(', ') }]
            : []),
        ]}
      />
      <EuiSpacer size="m" />
      <EuiTitle size="xxs">
        <h4>Command line</h4>
      </EuiTitle>
      <EuiCodeBlock
        fontSize="s"
        paddingSize="s"
        isCopyable
        overflowHeight={180}
        style={BREAK_ANYWHERE}
        data-test-subj="edgeCommandLine"
      >
        {edge.commandLine == null ? '(not recorded)' : visibleText(edge.commandLine)}
      </EuiCodeBlock>
      <DecodedCommand
        commandLine={edge.commandLine}
        processName={edge.childName}
        data-test-subj="edgeDecodedCommand"
      />
      {edge.parentCommandLine ? (
        <>
          <EuiSpacer size="s" />
          <EuiTitle size="xxs">
            <h4>Parent command line</h4>
          </EuiTitle>
          <EuiCodeBlock
            fontSize="s"
            paddingSize="s"
            isCopyable
            overflowHeight={120}
            style={BREAK_ANYWHERE}
            data-test-subj="edgeParentCommandLine"
          >
            {visibleText(edge.parentCommandLine)}
          </EuiCodeBlock>
          <DecodedCommand
            commandLine={edge.parentCommandLine}
            processName={edge.parentName}
            what="parent command line"
            data-test-subj="edgeDecodedParentCommand"
          />
        </>
      ) : null}
      <EuiSpacer size="m" />
      <EuiTitle size="xxs">
        <h4>Top features</h4>
      </EuiTitle>
      <EuiBasicTable
        compressed
        tableCaption={`Features that moved the score of ${visibleName(edge.parentName)} → ${visibleName(edge.childName)}`}
        items={edge.topFeatures}
        columns={FEATURE_COLUMNS}
        noItemsMessage="The model reported no feature contributions for this edge."
        data-test-subj="edgeTopFeatures"
      />
      <EuiSpacer size="s" />
      <EuiButtonEmpty
        size="s"
        iconType={showRaw ? ICONS.chevronDown : ICONS.chevronRight}
        onClick={() => setShowRaw((v) => !v)}
        aria-expanded={showRaw}
        data-test-subj="edgeRawEventToggle"
      >
        {showRaw ? 'Hide raw event' : `Show raw event${events.length > 1 ? 's' : ''}`}
      </EuiButtonEmpty>
      {showRaw ? (
        events.length > 0 ? (
          events.map((e) => <RawEvent key={e.event.event.id} event={e.event} />)
        ) : (
          <EuiText size="s" color="subdued">
            <p>The event is not part of this community&apos;s stored events.</p>
          </EuiText>
        )
      ) : null}
    </EuiPanel>
  );
}

/** For a root: it started the chain, but its own creation is not part of the community. */
export function RootDetails({ name, commandLine }: { name: string; commandLine?: string }) {
  return (
    <EuiPanel hasBorder paddingSize="m" data-test-subj="rootDetails">
      <EuiTitle size="xs">
        <h3>{visibleText(name)}</h3>
      </EuiTitle>
      <EuiText size="s">
        <p>
          This process started the chain. Its own creation happened outside this community, so it
          has no score here.
        </p>
      </EuiText>
      {commandLine ? (
        <EuiCodeBlock fontSize="s" paddingSize="s" isCopyable style={BREAK_ANYWHERE}>
          {visibleText(commandLine)}
        </EuiCodeBlock>
      ) : null}
      <DecodedCommand commandLine={commandLine} processName={name} />
    </EuiPanel>
  );
}
