import React, { useEffect, useState } from 'react';
import {
  EuiFieldNumber,
  EuiFieldSearch,
  EuiFieldText,
  EuiFlexGroup,
  EuiFlexItem,
  EuiSelect,
  EuiSuperDatePicker,
  EuiSwitch,
  type OnTimeChangeProps,
} from '@elastic/eui';
import type { TriageStatus } from '../../api_types';
import { useDebouncedValue } from '../../hooks/use_debounced_value';
import { STATUS_LABEL } from '../status_badge/status_badge';

export interface ListFilters {
  /** Datemath, as the picker shows it ("now-24h"). */
  start: string;
  end: string;
  host: string;
  status: '' | TriageStatus;
  /** Text as typed; parsed (0..1) when the request is built. */
  minScore: string;
  q: string;
  includeUnflagged: boolean;
  /** Set by the charts: exclusive upper score bound, and a first-seen range (ISO, '' = none). */
  scoreBelow: string;
  firstSeenFrom: string;
  firstSeenTo: string;
}

export const DEFAULT_FILTERS: ListFilters = {
  start: 'now-7d',
  end: 'now',
  host: '',
  status: '',
  minScore: '',
  q: '',
  includeUnflagged: false,
  scoreBelow: '',
  firstSeenFrom: '',
  firstSeenTo: '',
};

export function parseMinScore(s: string): number | undefined | 'invalid' {
  if (s.trim() === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : 'invalid';
}

const COMMON_RANGES = [
  { start: 'now-1h', end: 'now', label: 'Last hour' },
  { start: 'now-24h', end: 'now', label: 'Last 24 hours' },
  { start: 'now-7d', end: 'now', label: 'Last 7 days' },
  { start: 'now-30d', end: 'now', label: 'Last 30 days' },
  { start: 'now/d', end: 'now/d', label: 'Today' },
];

export interface FiltersBarProps {
  filters: ListFilters;
  onChange(next: ListFilters): void;
  onRefresh(): void;
  isLoading: boolean;
}

/**
 * Text filters keep their own draft and report it after a pause in typing, so each keystroke
 * does not start a request; the picker, selects and switch apply at once.
 */
export function FiltersBar({ filters, onChange, onRefresh, isLoading }: FiltersBarProps) {
  const [host, setHost] = useState(filters.host);
  const [q, setQ] = useState(filters.q);
  const [minScore, setMinScore] = useState(filters.minScore);
  const dHost = useDebouncedValue(host);
  const dQ = useDebouncedValue(q);
  const dMin = useDebouncedValue(minScore);

  // Outside changes (clear filters) replace the drafts.
  useEffect(() => setHost(filters.host), [filters.host]);
  useEffect(() => setQ(filters.q), [filters.q]);
  useEffect(() => setMinScore(filters.minScore), [filters.minScore]);

  useEffect(() => {
    if (dHost !== filters.host || dQ !== filters.q || dMin !== filters.minScore) {
      onChange({ ...filters, host: dHost, q: dQ, minScore: dMin });
    }
    // Only the debounced drafts trigger this; `filters` is read as it is then.
  }, [dHost, dQ, dMin]);

  const minInvalid = parseMinScore(minScore) === 'invalid';

  return (
    <div data-test-subj="filtersBar">
      <EuiFlexGroup gutterSize="s" alignItems="center" wrap responsive={false}>
        <EuiFlexItem grow={3} style={{ minWidth: 260 }}>
          <EuiFieldSearch
            placeholder="Search command lines"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            onSearch={(v) => {
              setQ(v);
              onChange({ ...filters, q: v });
            }}
            isClearable
            fullWidth
            aria-label="Search command lines"
            data-test-subj="filterSearch"
          />
        </EuiFlexItem>
        <EuiFlexItem grow={false}>
          <EuiSuperDatePicker
            start={filters.start}
            end={filters.end}
            isLoading={isLoading}
            commonlyUsedRanges={COMMON_RANGES}
            onTimeChange={({ start, end }: OnTimeChangeProps) =>
              onChange({ ...filters, start, end })
            }
            onRefresh={onRefresh}
            width="auto"
            data-test-subj="filterTimeRange"
          />
        </EuiFlexItem>
      </EuiFlexGroup>
      <EuiFlexGroup
        gutterSize="s"
        alignItems="center"
        wrap
        responsive={false}
        style={{ marginTop: 4 }}
      >
        <EuiFlexItem grow={false} style={{ width: 200 }}>
          <EuiFieldText
            compressed
            prepend="Host"
            placeholder="any"
            value={host}
            onChange={(e) => setHost(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') onChange({ ...filters, host });
            }}
            aria-label="Host name"
            data-test-subj="filterHost"
          />
        </EuiFlexItem>
        <EuiFlexItem grow={false} style={{ width: 210 }}>
          <EuiSelect
            compressed
            prepend="Status"
            value={filters.status}
            options={[
              { value: '', text: 'Any' },
              ...(['open', 'acknowledged', 'closed'] as const).map((s) => ({
                value: s,
                text: STATUS_LABEL[s],
              })),
            ]}
            onChange={(e) =>
              onChange({ ...filters, status: e.target.value as ListFilters['status'] })
            }
            aria-label="Status"
            data-test-subj="filterStatus"
          />
        </EuiFlexItem>
        <EuiFlexItem grow={false} style={{ width: 190 }}>
          <EuiFieldNumber
            compressed
            prepend="Min score"
            min={0}
            max={1}
            step={0.05}
            placeholder="0–1"
            value={minScore}
            isInvalid={minInvalid}
            onChange={(e) => setMinScore(e.target.value)}
            aria-label="Minimum community score, 0 to 1"
            data-test-subj="filterMinScore"
          />
        </EuiFlexItem>
        <EuiFlexItem grow={false}>
          <EuiSwitch
            compressed
            label="Include unflagged"
            checked={filters.includeUnflagged}
            onChange={(e) => onChange({ ...filters, includeUnflagged: e.target.checked })}
            data-test-subj="filterIncludeUnflagged"
          />
        </EuiFlexItem>
      </EuiFlexGroup>
    </div>
  );
}
