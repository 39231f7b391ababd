import { describe, expect, it } from 'vitest';
import type { DetectionStatus } from '../../api_types';
import { summariseAccess } from './access_summary';

const base: DetectionStatus = { lastRun: null, recentRuns: [], nextRunAt: null };
const date = (iso: string) => `<${iso}>`;

describe('summariseAccess', () => {
  it('says who enabled detection, since when and what it reads', () => {
    const s = summariseAccess(
      {
        ...base,
        setup: { state: 'ready', attempts: 1, updatedAt: '' },
        access: {
          host: 'kibana',
          state: 'enabled',
          enabled: true,
          enabledBy: 'admin',
          enabledAt: '2026-01-01T00:00:00.000Z',
          indices: ['winlogbeat-*', 'logs-x-*'],
          privileges: ['read', 'view_index_metadata'],
          readable: { 'winlogbeat-*': true, 'logs-x-*': false },
        },
      },
      date,
    );
    expect(s.state).toBe('Enabled by admin');
    expect(s.since).toBe('Enabled by admin on <2026-01-01T00:00:00.000Z>');
    expect(s.reads).toBe('winlogbeat-*, logs-x-* (no access) (read, view_index_metadata)');
    expect(s.canRunNow).toBe(true);
    expect(s.canDisable).toBe(true);
    expect(s.notices.map((n) => n.testSubj)).toEqual(['detectionUnreadable']);
  });

  it('offers to enable when not enabled, and to re-enable when stopped', () => {
    const notEnabled = summariseAccess(
      {
        ...base,
        access: {
          host: 'kibana',
          state: 'not_enabled',
          enabled: false,
          indices: ['winlogbeat-*'],
          privileges: ['read'],
          reason: 'Detection is not enabled: ask.',
        },
      },
      date,
    );
    expect(notEnabled.canRunNow).toBe(false);
    expect(notEnabled.notices[0]).toMatchObject({ action: 'enable', tone: 'warning' });
    expect(notEnabled.notices[0]!.text).toMatch(/can only read winlogbeat-\*/);

    const stopped = summariseAccess(
      {
        ...base,
        access: {
          host: 'kibana',
          state: 'stopped',
          enabled: false,
          enabledBy: 'admin',
          indices: ['winlogbeat-*'],
          privileges: ['read'],
          reason: 'Detection stopped: re-enable. Elasticsearch no longer accepts the key.',
        },
      },
      date,
    );
    expect(stopped.state).toBe('Stopped');
    expect(stopped.notices[0]).toMatchObject({
      title: 'Detection stopped: re-enable',
      text: 'Elasticsearch no longer accepts the key.',
      action: 're-enable',
      tone: 'danger',
    });
  });

  it('shows set-up in progress and set-up failures', () => {
    expect(
      summariseAccess(
        { ...base, setup: { state: 'pending', attempts: 2, reason: 'x', updatedAt: '' } },
        date,
      ).notices[0],
    ).toMatchObject({ tone: 'primary', title: 'Setting up detection (attempt 2)' });
    expect(
      summariseAccess(
        { ...base, setup: { state: 'failed', attempts: 8, reason: 'boom', updatedAt: '' } },
        date,
      ).notices[0],
    ).toMatchObject({ tone: 'danger', text: 'boom. Restart Kibana to try again.' });
  });

  it('keeps the standalone host simple: always enabled, nothing to disable', () => {
    const s = summariseAccess(
      {
        ...base,
        access: {
          host: 'standalone',
          state: 'enabled',
          enabled: true,
          enabledBy: 'standalone host',
          indices: ['embedded store'],
          privileges: ['read'],
        },
      },
      date,
    );
    expect(s).toMatchObject({ state: 'Enabled', canRunNow: true, canDisable: false, notices: [] });
  });
});
