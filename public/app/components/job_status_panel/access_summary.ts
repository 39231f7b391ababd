/**
 * What the job status panel says about set-up and detection access: pure, so the wording is
 * tested without a browser. Every string is rendered as text.
 */
import type { DetectionStatus } from '../../api_types';

export type Tone = 'primary' | 'success' | 'warning' | 'danger';

export interface Notice {
  tone: Tone;
  title: string;
  text?: string;
  /** The action the notice offers to users who may run detection. */
  action?: 'enable' | 're-enable';
  testSubj: string;
}

export interface AccessSummary {
  /** "Enabled by admin", "Not enabled", "Stopped". */
  state: string;
  /** What detection reads, e.g. "winlogbeat-*, logs-endpoint.events.process-* (read, view_index_metadata)". */
  reads: string;
  /** Who enabled it and when, for a tooltip. */
  since?: string;
  /** Whether run-now can do anything. */
  canRunNow: boolean;
  /** Kibana lets users with the all privilege disable it; the standalone host has nothing to disable. */
  canDisable: boolean;
  notices: Notice[];
}

export function summariseAccess(
  status: DetectionStatus | undefined,
  formatDate: (iso: string) => string,
): AccessSummary {
  const notices: Notice[] = [];
  const setup = status?.setup;
  if (setup?.state === 'pending')
    notices.push({
      tone: 'primary',
      title: `Setting up detection (attempt ${setup.attempts})`,
      text: setup.reason ? `The last attempt failed: ${setup.reason}. Retrying.` : undefined,
      testSubj: 'setupPending',
    });
  else if (setup?.state === 'failed')
    notices.push({
      tone: 'danger',
      title: 'Detection set-up failed',
      text: `${setup.reason ?? 'Unknown reason'}. Restart Kibana to try again.`,
      testSubj: 'setupFailed',
    });

  const access = status?.access;
  if (!access) return { state: 'Enabled', reads: '', canRunNow: true, canDisable: false, notices };

  const unreadable = Object.entries(access.readable ?? {})
    .filter(([, ok]) => !ok)
    .map(([p]) => p);
  const reads =
    access.indices.map((p) => (unreadable.includes(p) ? `${p} (no access)` : p)).join(', ') +
    (access.privileges.length ? ` (${access.privileges.join(', ')})` : '');
  const since =
    access.enabledBy && access.enabledAt
      ? `Enabled by ${access.enabledBy} on ${formatDate(access.enabledAt)}`
      : undefined;
  const kibana = access.host === 'kibana';

  if (access.state === 'stopped') {
    notices.push({
      tone: 'danger',
      title: 'Detection stopped: re-enable',
      text: access.reason?.replace(/^Detection stopped: re-enable\.\s*/, '') || undefined,
      action: 're-enable',
      testSubj: 'detectionStopped',
    });
    return { state: 'Stopped', reads, since, canRunNow: false, canDisable: kibana, notices };
  }
  if (access.state === 'not_enabled') {
    notices.push({
      tone: 'warning',
      title: 'Detection is not enabled',
      text: [
        access.reason,
        access.indices.length
          ? `Enabling creates an API key that can only read ${access.indices.join(', ')}, limited to what your own role may read.`
          : '',
      ]
        .filter(Boolean)
        .join(' '),
      action: 'enable',
      testSubj: 'detectionNotEnabled',
    });
    return { state: 'Not enabled', reads, canRunNow: false, canDisable: false, notices };
  }
  if (access.reason)
    notices.push({
      tone: 'warning',
      title: 'Detection reads less than configured',
      text: access.reason,
      action: 're-enable',
      testSubj: 'detectionPartial',
    });
  if (unreadable.length)
    notices.push({
      tone: 'warning',
      title: 'Some source indices are not readable',
      text: `The detection key could not read ${unreadable.join(', ')} when it was created. Grant read on them to the enabling user, then enable again.`,
      action: 're-enable',
      testSubj: 'detectionUnreadable',
    });
  return {
    state: access.enabledBy && kibana ? `Enabled by ${access.enabledBy}` : 'Enabled',
    reads,
    since,
    canRunNow: true,
    canDisable: kibana,
    notices,
  };
}
