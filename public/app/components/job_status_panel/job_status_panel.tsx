import React, { useEffect, useRef, useState } from 'react';
import {
  EuiButton,
  EuiButtonEmpty,
  EuiCallOut,
  EuiConfirmModal,
  EuiFlexGroup,
  EuiFlexItem,
  EuiHealth,
  EuiPanel,
  EuiSpacer,
  EuiText,
  EuiToolTip,
} from '@elastic/eui';
import type { DetectionStatus, RunReport } from '../../api_types';
import { useDetectionStatus } from '../../hooks/use_detection_status';
import { useToasts } from '../../hooks/use_toasts';
import { describeError } from '../../lib/errors';
import { formatCount, formatDateTime, formatDuration, formatRelative } from '../../lib/format';
import { useAppServices } from '../../services';
import { summariseAccess } from './access_summary';

const RUN_HEALTH: Record<RunReport['status'], { color: string; label: string }> = {
  succeeded: { color: 'success', label: 'Succeeded' },
  nothing_to_do: { color: 'subdued', label: 'Nothing new' },
  failed: { color: 'danger', label: 'Failed' },
  aborted: { color: 'warning', label: 'Aborted' },
  running: { color: 'primary', label: 'Running' },
};

/** How often to look for the end of a run the analyst started, and for how long. */
const RUN_POLL_MS = 2_000;
const RUN_POLL_LIMIT_MS = 5 * 60_000;
/** The scheduler runs on its own every few minutes; this keeps "last run" roughly current. */
const IDLE_POLL_MS = 60_000;

export interface JobStatusPanelProps {
  /** A run the analyst started has finished: new communities may be there. */
  onRunFinished(): void;
  /** Increment to ask for a run from elsewhere (the empty state's "Run detection now"). */
  runRequest?: number;
  /** Reports each status read, so the list can point at the window the job last covered. */
  onStatus?(status: DetectionStatus): void;
}

export function JobStatusPanel({ onRunFinished, runRequest, onStatus }: JobStatusPanelProps) {
  const { api, capabilities } = useAppServices();
  const toasts = useToasts();
  const [waitingSince, setWaitingSince] = useState<{ at: number; lastRunId?: string } | null>(null);
  const status = useDetectionStatus(waitingSince ? RUN_POLL_MS : IDLE_POLL_MS);
  const [starting, setStarting] = useState(false);
  const lastRun = status.data?.lastRun ?? null;
  const finishedRef = useRef(onRunFinished);
  finishedRef.current = onRunFinished;
  const statusRef = useRef(onStatus);
  statusRef.current = onStatus;
  useEffect(() => {
    if (status.data) statusRef.current?.(status.data);
  }, [status.data]);

  useEffect(() => {
    if (!waitingSince) return;
    if (lastRun && lastRun.runId !== waitingSince.lastRunId) {
      setWaitingSince(null);
      finishedRef.current();
      toasts[lastRun.status === 'failed' ? 'addDanger' : 'addSuccess'](
        `Detection run ${RUN_HEALTH[lastRun.status].label.toLowerCase()}`,
        `${formatCount(lastRun.eventsRead)} events, ${formatCount(lastRun.flagged)} communities flagged.`,
      );
    } else if (Date.now() - waitingSince.at > RUN_POLL_LIMIT_MS) {
      setWaitingSince(null);
    }
  }, [lastRun, waitingSince, toasts]);

  const access = summariseAccess(status.data, formatDateTime);
  const [changingAccess, setChangingAccess] = useState(false);
  const [confirmDisable, setConfirmDisable] = useState(false);

  const enable = async () => {
    setChangingAccess(true);
    try {
      const res = await api.enableDetection();
      toasts.addSuccess('Detection enabled', `It reads ${res.indices.join(', ')}.`);
    } catch (e) {
      const d = describeError(e, 'enable detection');
      toasts.addDanger(d.title, d.message);
    } finally {
      setChangingAccess(false);
      status.reload();
    }
  };

  const disable = async () => {
    setConfirmDisable(false);
    setChangingAccess(true);
    try {
      await api.disableDetection();
      toasts.addSuccess(
        'Detection disabled',
        'Its API key was invalidated; no run reads events until it is enabled again.',
      );
    } catch (e) {
      const d = describeError(e, 'disable detection');
      toasts.addDanger(d.title, d.message);
    } finally {
      setChangingAccess(false);
      status.reload();
    }
  };

  const runNow = async () => {
    setStarting(true);
    try {
      const res = await api.runDetection();
      if (res.started) {
        toasts.addSuccess('Detection started', res.message);
        setWaitingSince({ at: Date.now(), lastRunId: lastRun?.runId });
      } else {
        toasts.addWarning('Detection did not start', res.message);
      }
    } catch (e) {
      const d = describeError(e, 'start detection');
      toasts.addDanger(d.title, d.message);
    } finally {
      setStarting(false);
    }
  };

  const runRef = useRef(runNow);
  runRef.current = runNow;
  useEffect(() => {
    if (runRequest) void runRef.current();
  }, [runRequest]);

  const health = lastRun ? RUN_HEALTH[lastRun.status] : undefined;
  const item = (label: string, value: React.ReactNode, subj: string) => (
    <EuiFlexItem grow={false}>
      <EuiText size="xs" color="subdued">
        {label}
      </EuiText>
      <EuiText size="s" data-test-subj={subj}>
        {value}
      </EuiText>
    </EuiFlexItem>
  );

  return (
    <EuiPanel hasBorder paddingSize="s" data-test-subj="jobStatusPanel">
      <EuiFlexGroup gutterSize="l" alignItems="center" responsive={false} wrap>
        {status.error && !status.data ? (
          <EuiFlexItem>
            <EuiText size="s" color="danger" data-test-subj="jobStatusError">
              {describeError(status.error, 'read the detection status').message}
            </EuiText>
          </EuiFlexItem>
        ) : !lastRun ? (
          <EuiFlexItem>
            <EuiText size="s" data-test-subj="jobNeverRan">
              {status.loading && !status.data
                ? 'Reading detection status…'
                : 'Detection has not run yet.'}
            </EuiText>
          </EuiFlexItem>
        ) : (
          <>
            {item(
              'Last run',
              <EuiToolTip content={formatDateTime(lastRun.finishedAt)}>
                <EuiHealth color={health?.color} tabIndex={0}>
                  {formatRelative(lastRun.finishedAt)} · {health?.label}
                </EuiHealth>
              </EuiToolTip>,
              'jobLastRun',
            )}
            {item('Duration', formatDuration(lastRun.durationMs), 'jobDuration')}
            {item('Events processed', formatCount(lastRun.eventsRead), 'jobEventsRead')}
            {item('Flagged', formatCount(lastRun.flagged), 'jobFlagged')}
          </>
        )}
        {item(
          'Next run',
          status.data?.nextRunAt ? formatRelative(status.data.nextRunAt) : 'not scheduled',
          'jobNextRun',
        )}
        {status.data?.access
          ? item(
              'Detection',
              access.since ? (
                <EuiToolTip content={access.since}>
                  <span tabIndex={0}>{access.state}</span>
                </EuiToolTip>
              ) : (
                access.state
              ),
              'detectionAccessState',
            )
          : null}
        {access.reads ? item('Reads', access.reads, 'detectionReads') : null}
        {capabilities.canRun ? (
          <EuiFlexItem grow={false} style={{ marginLeft: 'auto' }}>
            <EuiFlexGroup gutterSize="s" responsive={false}>
              {access.canDisable ? (
                <EuiFlexItem grow={false}>
                  <EuiButtonEmpty
                    size="s"
                    color="danger"
                    onClick={() => setConfirmDisable(true)}
                    isLoading={changingAccess}
                    data-test-subj="disableDetectionButton"
                  >
                    Disable detection
                  </EuiButtonEmpty>
                </EuiFlexItem>
              ) : null}
              <EuiFlexItem grow={false}>
                <EuiButton
                  size="s"
                  iconType="play"
                  onClick={() => void runNow()}
                  isLoading={starting || !!waitingSince}
                  isDisabled={!access.canRunNow}
                  data-test-subj="runDetectionButton"
                >
                  {waitingSince ? 'Running…' : 'Run now'}
                </EuiButton>
              </EuiFlexItem>
            </EuiFlexGroup>
          </EuiFlexItem>
        ) : null}
      </EuiFlexGroup>
      {access.notices.map((n) => (
        <React.Fragment key={n.testSubj}>
          <EuiSpacer size="s" />
          <EuiCallOut size="s" color={n.tone} title={n.title} data-test-subj={n.testSubj}>
            {n.text ? <p>{n.text}</p> : null}
            {n.action && capabilities.canRun ? (
              <EuiButton
                size="s"
                color={n.tone === 'danger' ? 'danger' : 'primary'}
                onClick={() => void enable()}
                isLoading={changingAccess}
                data-test-subj="enableDetectionButton"
              >
                {n.action === 'enable' ? 'Enable detection' : 'Re-enable detection'}
              </EuiButton>
            ) : null}
          </EuiCallOut>
        </React.Fragment>
      ))}
      {confirmDisable ? (
        <EuiConfirmModal
          title="Disable detection?"
          onCancel={() => setConfirmDisable(false)}
          onConfirm={() => void disable()}
          cancelButtonText="Cancel"
          confirmButtonText="Disable"
          buttonColor="danger"
          data-test-subj="disableDetectionConfirm"
        >
          <p>
            The detection API key is invalidated and scheduled runs stop reading events. Communities
            found so far stay. Someone with read access to the source indices can enable it again.
          </p>
        </EuiConfirmModal>
      ) : null}
      {lastRun && lastRun.errors.length > 0 ? (
        <>
          <EuiSpacer size="s" />
          <EuiCallOut
            size="s"
            color={lastRun.status === 'failed' ? 'danger' : 'warning'}
            iconType="warning"
            title={`The last run reported ${lastRun.errors.length} error${lastRun.errors.length === 1 ? '' : 's'}`}
            data-test-subj="jobErrors"
          >
            <ul>
              {lastRun.errors.slice(0, 5).map((e, i) => (
                <li key={i}>{e}</li>
              ))}
            </ul>
          </EuiCallOut>
        </>
      ) : null}
    </EuiPanel>
  );
}
