/**
 * What the app knows at a glance: flagged communities over time by severity, the hosts with the
 * most, and the score distribution against the detection threshold. Counts come from the
 * server's aggregation over every community matching the list's filters (not the loaded page);
 * clicking a bar narrows the list to that bar.
 *
 * @elastic/charts is one of Kibana's shared dependencies (the Kibana bundle reads it from
 * `__kbnSharedDeps__.ElasticCharts`); the standalone build bundles it.
 */
import React, { useMemo } from 'react';
import {
  AnnotationDomainType,
  Axis,
  BarSeries,
  Chart,
  DARK_THEME,
  LIGHT_THEME,
  LineAnnotation,
  Position,
  ScaleType,
  Settings,
  niceTimeFormatter,
  type ElementClickListener,
  type SeriesCompareFn,
  type SeriesIdentifier,
  type XYChartElementEvent,
  type XYChartSeriesIdentifier,
} from '@elastic/charts';
import {
  EuiBadge,
  EuiEmptyPrompt,
  EuiFlexGroup,
  EuiFlexItem,
  EuiLoadingChart,
  EuiPanel,
  EuiSpacer,
  EuiText,
  EuiTitle,
  useEuiTheme,
} from '@elastic/eui';
import {
  SEVERITY_LEVELS,
  formatScore,
  severityLabel,
  type SeverityLevel,
} from '../../../../common/severity';
import type { CommunityStatsParams, CommunityStatsResponse } from '../../api_types';
import { useCommunityStats } from '../../hooks/use_community_stats';
import { visibleName } from '../../../../common/display_text';
import { formatCount, formatDateTime } from '../../lib/format';
import { ErrorCallout } from '../error_callout/error_callout';
import type { ListFilters } from '../filters_bar/filters_bar';

declare global {
  interface Window {
    /** Set before the app loads (tests) to expose each chart's state as `data-ech-debug-state`. */
    _echDebugStateFlag?: boolean;
  }
}

const CHART_HEIGHT = 180;

export interface ChartsPanelProps {
  /** The list's filters as sent to the API; undefined while they cannot be built. */
  params: CommunityStatsParams | undefined;
  refreshKey: number;
  filters: ListFilters;
  onFiltersChange(next: ListFilters): void;
}

interface TimeDatum {
  x: number;
  severity: string;
  level: SeverityLevel;
  count: number;
}

/** Legend from the most to the least severe. */
const bySeverity: SeriesCompareFn = (a, b) => {
  const rank = (si: SeriesIdentifier) => {
    const label = (si as XYChartSeriesIdentifier).splitAccessors?.get('severity');
    return SEVERITY_LEVELS.findIndex((l) => severityLabel(l) === label);
  };
  return rank(b) - rank(a);
};

function debugState(): boolean {
  return typeof window !== 'undefined' && window._echDebugStateFlag === true;
}

function firstDatum<T>(elements: Parameters<ElementClickListener>[0]): T | undefined {
  const e = elements[0] as XYChartElementEvent | undefined;
  return e?.[0]?.datum as T | undefined;
}

export function ChartsPanel({ params, refreshKey, filters, onFiltersChange }: ChartsPanelProps) {
  const stats = useCommunityStats(params, refreshKey);
  const data = stats.data;

  let body: React.ReactNode;
  if (stats.error) {
    body = (
      <ErrorCallout
        error={stats.error}
        what="load the charts"
        onRetry={stats.reload}
        data-test-subj="chartsError"
      />
    );
  } else if (!data) {
    body = (
      <EuiFlexGroup justifyContent="center" alignItems="center" style={{ height: CHART_HEIGHT }}>
        <EuiFlexItem grow={false}>
          <EuiLoadingChart size="xl" data-test-subj="chartsLoading" />
        </EuiFlexItem>
      </EuiFlexGroup>
    );
  } else if (data.total === 0) {
    body = (
      <EuiEmptyPrompt
        iconType="chartBarVerticalStack"
        titleSize="xxs"
        title={<h4>Nothing to chart</h4>}
        body={<p>No communities match these filters and time range.</p>}
        data-test-subj="chartsEmpty"
      />
    );
  } else {
    body = <Charts data={data} filters={filters} onFiltersChange={onFiltersChange} />;
  }

  return (
    <EuiPanel
      hasBorder
      paddingSize="s"
      data-test-subj="chartsPanel"
      aria-busy={stats.loading}
      data-loading={stats.loading ? 'true' : 'false'}
    >
      <SelectionBadges filters={filters} onFiltersChange={onFiltersChange} />
      {body}
    </EuiPanel>
  );
}

/** One chart-made filter as a badge whose cross removes it. */
function RemovableBadge(props: {
  subj: string;
  label: string;
  onRemove: () => void;
  children: React.ReactNode;
}) {
  return (
    <EuiBadge
      color="hollow"
      iconType="cross"
      iconSide="right"
      iconOnClick={props.onRemove}
      iconOnClickAriaLabel={props.label}
      data-test-subj={props.subj}
    >
      {props.children}
    </EuiBadge>
  );
}

/** The chart-made filters, each removable; the others live in the filters bar. */
function SelectionBadges({
  filters,
  onFiltersChange,
}: Pick<ChartsPanelProps, 'filters' | 'onFiltersChange'>) {
  const badges: React.ReactNode[] = [];
  if (filters.firstSeenFrom || filters.firstSeenTo) {
    badges.push(
      <RemovableBadge
        key="time"
        subj="chartFilterTime"
        label="Remove the first-seen filter"
        onRemove={() => onFiltersChange({ ...filters, firstSeenFrom: '', firstSeenTo: '' })}
      >
        First seen {filters.firstSeenFrom ? formatDateTime(filters.firstSeenFrom) : '…'} –{' '}
        {filters.firstSeenTo ? formatDateTime(filters.firstSeenTo) : '…'}
      </RemovableBadge>,
    );
  }
  if (filters.scoreBelow) {
    badges.push(
      <RemovableBadge
        key="score"
        subj="chartFilterScore"
        label="Remove the score range filter"
        onRemove={() => onFiltersChange({ ...filters, scoreBelow: '', minScore: '' })}
      >
        Score {filters.minScore || '0'} – below {filters.scoreBelow}
      </RemovableBadge>,
    );
  }
  if (badges.length === 0) return null;
  return (
    <>
      <EuiFlexGroup gutterSize="xs" wrap responsive={false}>
        {badges.map((b, i) => (
          <EuiFlexItem grow={false} key={i}>
            {b}
          </EuiFlexItem>
        ))}
      </EuiFlexGroup>
      <EuiSpacer size="s" />
    </>
  );
}

function ChartTitle({ children }: { children: React.ReactNode }) {
  return (
    <EuiTitle size="xxxs">
      <h4>{children}</h4>
    </EuiTitle>
  );
}

function Charts({
  data,
  filters,
  onFiltersChange,
}: {
  data: CommunityStatsResponse;
  filters: ListFilters;
  onFiltersChange(next: ListFilters): void;
}) {
  const { euiTheme, colorMode } = useEuiTheme();
  const baseTheme = colorMode === 'DARK' ? DARK_THEME : LIGHT_THEME;
  const debug = debugState();
  const iv = data.overTime.intervalMs;

  const timeData = useMemo<TimeDatum[]>(
    () =>
      data.overTime.buckets.flatMap((b) =>
        SEVERITY_LEVELS.filter((l) => b.severities[l] > 0).map((l) => ({
          x: Date.parse(b.start),
          severity: severityLabel(l),
          level: l,
          count: b.severities[l],
        })),
      ),
    [data],
  );
  const levelsPresent = SEVERITY_LEVELS.filter((l) => timeData.some((d) => d.level === l));
  const timeFormat = useMemo(() => {
    const xs = data.overTime.buckets.map((b) => Date.parse(b.start));
    return niceTimeFormatter([Math.min(...xs), Math.max(...xs) + iv]);
  }, [data, iv]);
  const hosts = data.hosts.top.map((h) => ({ host: h.host, count: h.count }));
  const last = data.scores.buckets.length - 1;
  const scores = data.scores.buckets.map((b, i) => ({ ...b, index: i }));

  const onTimeClick: ElementClickListener = (elements) => {
    const d = firstDatum<TimeDatum>(elements);
    if (!d) return;
    onFiltersChange({
      ...filters,
      firstSeenFrom: new Date(d.x).toISOString(),
      firstSeenTo: new Date(d.x + iv).toISOString(),
    });
  };
  const onHostClick: ElementClickListener = (elements) => {
    const d = firstDatum<{ host: string }>(elements);
    if (d) onFiltersChange({ ...filters, host: d.host });
  };
  const onScoreClick: ElementClickListener = (elements) => {
    const d = firstDatum<{ from: number; to: number; index: number }>(elements);
    if (!d) return;
    // The first bar also holds scores below 0 and the last scores of 1: no bound on those sides.
    onFiltersChange({
      ...filters,
      minScore: d.index === 0 ? '' : String(d.from),
      scoreBelow: d.index === last ? '' : String(d.to),
    });
  };

  return (
    <EuiFlexGroup gutterSize="m" wrap>
      <EuiFlexItem grow={3} style={{ minWidth: 360 }} data-test-subj="chartOverTime">
        <ChartTitle>Communities over time, by severity (first seen)</ChartTitle>
        <Chart size={{ height: CHART_HEIGHT }}>
          <Settings
            baseTheme={baseTheme}
            debugState={debug}
            onElementClick={onTimeClick}
            ariaLabel="Communities over time by severity"
            legendSort={bySeverity}
            showLegend
            legendPosition={Position.Right}
            xDomain={{ min: NaN, max: NaN, minInterval: iv }}
            locale="en"
          />
          <BarSeries
            id="over-time"
            data={timeData}
            xScaleType={ScaleType.Time}
            yScaleType={ScaleType.Linear}
            xAccessor="x"
            yAccessors={['count']}
            splitSeriesAccessors={['severity']}
            stackAccessors={['x']}
            color={(s) => {
              const lvl = levelsPresent.find(
                (l) => severityLabel(l) === s.splitAccessors.get('severity'),
              );
              return euiTheme.colors.severity[lvl ?? 'unknown'];
            }}
          />
          <Axis id="time" position={Position.Bottom} tickFormat={timeFormat} />
          <Axis
            id="count"
            position={Position.Left}
            integersOnly
            ticks={4}
            tickFormat={(v) => formatCount(v)}
          />
        </Chart>
      </EuiFlexItem>
      <EuiFlexItem grow={2} style={{ minWidth: 260 }} data-test-subj="chartTopHosts">
        <ChartTitle>Top hosts</ChartTitle>
        <Chart size={{ height: CHART_HEIGHT }}>
          <Settings
            baseTheme={baseTheme}
            debugState={debug}
            onElementClick={onHostClick}
            ariaLabel="Top hosts by communities"
            rotation={90}
            locale="en"
          />
          <BarSeries
            id="hosts"
            name="Communities"
            data={hosts}
            xScaleType={ScaleType.Ordinal}
            yScaleType={ScaleType.Linear}
            xAccessor="host"
            yAccessors={['count']}
            color={euiTheme.colors.vis.euiColorVis0}
          />
          <Axis id="host" position={Position.Left} tickFormat={(v) => visibleName(String(v))} />
          <Axis id="hostCount" position={Position.Bottom} integersOnly ticks={4} />
        </Chart>
        {data.hosts.other > 0 ? (
          <EuiText size="xs" color="subdued" data-test-subj="chartOtherHosts">
            and {formatCount(data.hosts.other)} on other hosts
          </EuiText>
        ) : null}
      </EuiFlexItem>
      <EuiFlexItem grow={2} style={{ minWidth: 260 }} data-test-subj="chartScores">
        <ChartTitle>Score distribution (threshold {formatScore(data.threshold)})</ChartTitle>
        <Chart size={{ height: CHART_HEIGHT }}>
          <Settings
            baseTheme={baseTheme}
            debugState={debug}
            onElementClick={onScoreClick}
            ariaLabel="Score distribution with the detection threshold"
            xDomain={{ min: 0, max: 1, minInterval: data.scores.step }}
            locale="en"
          />
          <BarSeries
            id="scores"
            name="Communities"
            data={scores}
            xScaleType={ScaleType.Linear}
            yScaleType={ScaleType.Linear}
            xAccessor="from"
            yAccessors={['count']}
            enableHistogramMode
            color={euiTheme.colors.vis.euiColorVis1}
          />
          <LineAnnotation
            id="threshold"
            domainType={AnnotationDomainType.XDomain}
            dataValues={[
              { dataValue: data.threshold, details: `Threshold ${formatScore(data.threshold)}` },
            ]}
            marker={<span data-test-subj="thresholdMarker">▲</span>}
            style={{ line: { stroke: euiTheme.colors.danger, strokeWidth: 2, opacity: 1 } }}
          />
          <Axis
            id="score"
            position={Position.Bottom}
            ticks={5}
            tickFormat={(v) => Number(v).toFixed(2)}
          />
          <Axis id="scoreCount" position={Position.Left} integersOnly ticks={4} />
        </Chart>
      </EuiFlexItem>
    </EuiFlexGroup>
  );
}
