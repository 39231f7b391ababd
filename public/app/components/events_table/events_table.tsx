import React, { useMemo, useState } from 'react';
import {
  EuiBasicTable,
  EuiButtonIcon,
  EuiScreenReaderOnly,
  EuiText,
  useEuiTheme,
  type EuiBasicTableColumn,
} from '@elastic/eui';
import { visibleName, visibleText } from '../../../../common/display_text';
import type { ProcessEvent } from '../../api_types';
import { formatDateTime, formatOffset } from '../../lib/format';
import { RawEvent } from '../raw_event/raw_event';
import { SeverityBadge } from '../severity_badge/severity_badge';
import { ICONS } from '../../lib/icons';

export interface EventRow {
  event: ProcessEvent;
  score?: number;
}

export interface EventsTableProps {
  rows: readonly EventRow[];
  showScore?: boolean;
  caption: string;
  'data-test-subj'?: string;
}

/**
 * Events in time order; a row expands to the raw stored document. Used by the flyout's timeline
 * and by the standalone raw-events view.
 */
export function EventsTable({ rows, showScore, caption, ...rest }: EventsTableProps) {
  const { euiTheme } = useEuiTheme();
  const [expanded, setExpanded] = useState<Record<string, boolean>>({});
  const sorted = useMemo(
    () => [...rows].sort((a, b) => a.event['@timestamp'].localeCompare(b.event['@timestamp'])),
    [rows],
  );
  const first = sorted[0]?.event['@timestamp'] ?? '';
  const code: React.CSSProperties = {
    fontFamily: euiTheme.font.familyCode,
    fontSize: euiTheme.size.m,
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-all',
  };

  const columns: Array<EuiBasicTableColumn<EventRow>> = [
    {
      name: 'Time',
      width: '120px',
      render: (r: EventRow) => (
        <span data-test-subj="eventTime" title={formatDateTime(r.event['@timestamp'])}>
          {formatOffset(first, r.event['@timestamp'])}
        </span>
      ),
    },
    {
      name: 'Parent → process',
      width: '210px',
      render: (r: EventRow) => (
        <span data-test-subj="eventProcess">
          {visibleName(r.event.process.parent.name ?? '?')} →{' '}
          <strong>{visibleName(r.event.process.name)}</strong>
        </span>
      ),
    },
    {
      name: 'User',
      width: '120px',
      render: (r: EventRow) => (
        <span data-test-subj="eventUser">{visibleName(r.event.user.name ?? '—')}</span>
      ),
    },
    {
      name: 'Command line',
      render: (r: EventRow) => (
        <code
          style={{
            ...code,
            display: '-webkit-box',
            WebkitLineClamp: 4,
            WebkitBoxOrient: 'vertical',
            overflow: 'hidden',
          }}
          title={visibleText(r.event.process.command_line ?? '')}
          data-test-subj="eventCommandLine"
        >
          {visibleText(r.event.process.command_line ?? '')}
        </code>
      ),
    },
    ...(showScore
      ? [
          {
            name: 'Score',
            width: '80px',
            render: (r: EventRow) => <SeverityBadge score={r.score} label="Model score" />,
          } satisfies EuiBasicTableColumn<EventRow>,
        ]
      : []),
    {
      width: '48px',
      isExpander: true,
      name: (
        <EuiScreenReaderOnly>
          <span>Raw event</span>
        </EuiScreenReaderOnly>
      ),
      render: (r: EventRow) => {
        const id = r.event.event.id;
        return (
          <EuiButtonIcon
            iconType={expanded[id] ? ICONS.chevronDown : ICONS.chevronRight}
            aria-label={expanded[id] ? 'Hide raw event' : 'Show raw event'}
            aria-expanded={!!expanded[id]}
            onClick={() => setExpanded((m) => ({ ...m, [id]: !m[id] }))}
            data-test-subj="eventRawToggle"
          />
        );
      },
    },
  ];

  const expandedRows: Record<string, React.ReactNode> = {};
  for (const r of sorted) {
    if (expanded[r.event.event.id]) {
      expandedRows[r.event.event.id] = (
        <div style={{ width: '100%' }}>
          <RawEvent event={r.event} />
        </div>
      );
    }
  }

  return (
    <EuiBasicTable
      compressed
      tableCaption={caption}
      items={sorted as EventRow[]}
      itemId={(r: EventRow) => r.event.event.id}
      itemIdToExpandedRowMap={expandedRows}
      columns={columns}
      rowProps={(r: EventRow) => ({
        'data-test-subj': 'eventRow',
        'data-event-id': r.event.event.id,
      })}
      noItemsMessage={<EuiText size="s">No events.</EuiText>}
      data-test-subj={rest['data-test-subj'] ?? 'eventsTable'}
    />
  );
}
