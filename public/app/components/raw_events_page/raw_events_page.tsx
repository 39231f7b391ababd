import React, { useMemo } from 'react';
import {
  EuiButtonEmpty,
  EuiCallOut,
  EuiCodeBlock,
  EuiDescriptionList,
  EuiFlexGroup,
  EuiFlexItem,
  EuiLoadingSpinner,
  EuiPanel,
  EuiSpacer,
  EuiText,
  EuiTitle,
} from '@elastic/eui';
import { useCommunity, useCommunityEvents } from '../../hooks/use_community';
import { useDiscoverDrillDown } from '../../hooks/use_discover_drill_down';
import { visibleName } from '../../../../common/display_text';
import { formatDateTime } from '../../lib/format';
import { ErrorCallout } from '../error_callout/error_callout';
import { EventsTable } from '../events_table/events_table';
import { ICONS } from '../../lib/icons';

export interface RawEventsPageProps {
  communityId: string;
  indexPattern?: string;
  onBack(): void;
}

/**
 * The standalone host's drill-down: exactly the stored events of one community, plus the KQL
 * that finds the same events in Discover, for copying into Kibana.
 */
export function RawEventsPage({ communityId, indexPattern, onBack }: RawEventsPageProps) {
  const community = useCommunity(communityId);
  const events = useCommunityEvents(communityId);
  const plan = useDiscoverDrillDown(community.data);
  const params = plan?.params;
  const rows = useMemo(
    () => (events.data?.events ?? []).map((event) => ({ event })),
    [events.data],
  );
  const c = community.data;

  return (
    <div data-test-subj="rawEventsPage">
      <EuiButtonEmpty
        iconType={ICONS.chevronLeft}
        flush="left"
        onClick={onBack}
        data-test-subj="rawEventsBack"
      >
        Back to the community
      </EuiButtonEmpty>
      <EuiSpacer size="s" />
      <EuiTitle size="s">
        <h2 data-test-subj="rawEventsTitle">
          Raw events{c ? ` of community #${c.rank} on ${visibleName(c.host)}` : ''}
        </h2>
      </EuiTitle>
      {c ? (
        <EuiText size="s" color="subdued">
          <p data-test-subj="rawEventsChain">{visibleName(c.chain)}</p>
        </EuiText>
      ) : null}
      <EuiSpacer size="m" />
      {community.error ? (
        <>
          <ErrorCallout
            error={community.error}
            what="load the community"
            onRetry={community.reload}
          />
          <EuiSpacer size="m" />
        </>
      ) : null}
      {params ? (
        <>
          <EuiPanel hasBorder paddingSize="m" data-test-subj="rawEventsKqlPanel">
            <EuiTitle size="xxs">
              <h3>Find these events in Kibana Discover</h3>
            </EuiTitle>
            <EuiSpacer size="s" />
            <EuiDescriptionList
              compressed
              type="column"
              columnWidths={[1, 4]}
              listItems={[
                { title: 'Indices', description: indexPattern ?? '' },
                {
                  title: 'Time range',
                  description: `${formatDateTime(params.timeRange.from)} – ${formatDateTime(params.timeRange.to)}`,
                },
              ]}
            />
            <EuiSpacer size="s" />
            <EuiCodeBlock
              language="text"
              fontSize="s"
              paddingSize="s"
              isCopyable
              whiteSpace="pre-wrap"
              aria-label="KQL query"
              data-test-subj="rawEventsKql"
            >
              {params.query.query}
            </EuiCodeBlock>
            {plan?.note ? (
              <EuiText size="xs" color="subdued" data-test-subj="discoverPrecisionNote">
                <p>{plan.note}</p>
              </EuiText>
            ) : null}
          </EuiPanel>
          <EuiSpacer size="m" />
        </>
      ) : null}
      {events.error ? (
        <ErrorCallout error={events.error} what="load the raw events" onRetry={events.reload} />
      ) : events.loading && !events.data ? (
        <EuiFlexGroup gutterSize="s" alignItems="center">
          <EuiFlexItem grow={false}>
            <EuiLoadingSpinner />
          </EuiFlexItem>
          <EuiFlexItem>
            <EuiText size="s">Loading events…</EuiText>
          </EuiFlexItem>
        </EuiFlexGroup>
      ) : (
        <>
          {c && events.data && events.data.total !== c.events.length ? (
            <>
              <EuiCallOut
                size="s"
                color="warning"
                iconType="warning"
                title={`The event store returned ${events.data.total} of the community's ${c.events.length} events; the others are no longer stored.`}
                data-test-subj="rawEventsMissing"
              />
              <EuiSpacer size="s" />
            </>
          ) : null}
          <EuiText size="xs" color="subdued">
            <p data-test-subj="rawEventsCount">{events.data?.total ?? 0} events</p>
          </EuiText>
          <EventsTable
            caption="Raw events of the community"
            rows={rows}
            data-test-subj="rawEventsTable"
          />
        </>
      )}
    </div>
  );
}
