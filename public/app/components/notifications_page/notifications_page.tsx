/**
 * Webhook notifications (standalone host): the URLs, the write-only signing secret, a test
 * button, and the delivery log with status, attempts and the last error of each delivery. In
 * Kibana the server answers `available: false` and the page points to the alerting rule type.
 */
import React, { useEffect, useState } from 'react';
import {
  EuiBadge,
  EuiBasicTable,
  EuiButton,
  EuiButtonEmpty,
  EuiCallOut,
  EuiFieldPassword,
  EuiFlexGroup,
  EuiFlexItem,
  EuiForm,
  EuiFormRow,
  EuiPanel,
  EuiSpacer,
  EuiSwitch,
  EuiText,
  EuiTextArea,
  EuiTitle,
  type EuiBasicTableColumn,
} from '@elastic/eui';
import { isApiError } from '../../api_client';
import { useApiQuery } from '../../hooks/use_api_query';
import { useToasts } from '../../hooks/use_toasts';
import { describeError } from '../../lib/errors';
import { formatDateTime } from '../../lib/format';
import { useAppServices } from '../../services';
import { ErrorCallout } from '../error_callout/error_callout';
import type { DeliveryEntry } from './notification_types';

const STATUS_COLOR: Record<DeliveryEntry['status'], string> = {
  pending: 'warning',
  delivered: 'success',
  failed: 'danger',
};

/** Field errors of a 400 by field (`body.urls.1` → line 2 of the URLs). */
function fieldErrors(e: unknown): { urls: string[]; secret: string[]; other: string[] } {
  const out = { urls: [] as string[], secret: [] as string[], other: [] as string[] };
  if (!isApiError(e)) return out;
  for (const f of e.fieldErrors) {
    const m = /^body\.urls(?:\.(\d+))?$/.exec(f.field);
    if (m) out.urls.push(m[1] !== undefined ? `Line ${Number(m[1]) + 1}: ${f.message}` : f.message);
    else if (f.field === 'body.secret') out.secret.push(f.message);
    else out.other.push(`${f.field}: ${f.message}`);
  }
  return out;
}

export function NotificationsPage() {
  const { api, capabilities } = useAppServices();
  const toasts = useToasts();
  const settings = useApiQuery(() => api.getNotificationSettings(), [api]);
  const log = useApiQuery(() => api.listDeliveries(), [api], { keepDataOnError: true });
  const [urlsText, setUrlsText] = useState('');
  const [secret, setSecret] = useState('');
  const [clearSecret, setClearSecret] = useState(false);
  const [saving, setSaving] = useState(false);
  const [testing, setTesting] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(undefined);
  const canEdit = capabilities.canTriage;

  useEffect(() => {
    if (settings.data) setUrlsText(settings.data.urls.join('\n'));
  }, [settings.data]);

  // The log changes behind the page (retries with backoff): refresh it while it is shown.
  useEffect(() => {
    const t = setInterval(() => log.reload(), 5_000);
    return () => clearInterval(t);
  }, [log.reload]);

  if (settings.error) {
    return (
      <ErrorCallout
        error={settings.error}
        what="load the notification settings"
        onRetry={settings.reload}
      />
    );
  }
  if (settings.data && !settings.data.available) {
    return (
      <EuiCallOut
        title="Webhooks are configured in the standalone host"
        iconType="info"
        data-test-subj="notificationsUnavailable"
      >
        <p>{settings.data.reason}</p>
      </EuiCallOut>
    );
  }

  const save = async () => {
    setSaving(true);
    setSaveError(undefined);
    try {
      const urls = urlsText
        .split('\n')
        .map((u) => u.trim())
        .filter(Boolean);
      const next = await api.updateNotificationSettings({
        urls,
        ...(clearSecret ? { secret: null } : secret ? { secret } : {}),
      });
      settings.setData(next);
      setSecret('');
      setClearSecret(false);
      toasts.addSuccess('Notification settings saved');
    } catch (e) {
      setSaveError(e);
      if (!isApiError(e) || e.fieldErrors.length === 0) {
        const d = describeError(e, 'save the notification settings');
        toasts.addDanger(d.title, d.message);
      }
    } finally {
      setSaving(false);
    }
  };

  const test = async () => {
    setTesting(true);
    try {
      const { results } = await api.testNotification();
      const failed = results.filter((r) => r.status !== 'delivered');
      if (failed.length === 0)
        toasts.addSuccess('Test notification delivered', `${results.length} URL(s) answered 2xx.`);
      else
        toasts.addWarning(
          'Test notification not delivered',
          failed.map((r) => `${r.url}: ${r.error ?? r.status}`).join('\n'),
        );
    } catch (e) {
      const d = describeError(e, 'send a test notification');
      toasts.addDanger(d.title, d.message);
    } finally {
      setTesting(false);
      log.reload();
    }
  };

  const retry = async (d: DeliveryEntry) => {
    try {
      await api.retryDelivery(d.id);
      toasts.addSuccess('Delivery queued again', d.url);
    } catch (e) {
      const x = describeError(e, 'retry the delivery');
      toasts.addDanger(x.title, x.message);
    } finally {
      log.reload();
    }
  };

  const errs = fieldErrors(saveError);
  const columns: Array<EuiBasicTableColumn<DeliveryEntry>> = [
    {
      field: 'status',
      name: 'Status',
      width: '110px',
      render: (s: DeliveryEntry['status']) => (
        <EuiBadge color={STATUS_COLOR[s]} data-test-subj={`deliveryStatus-${s}`}>
          {s}
        </EuiBadge>
      ),
    },
    { field: 'kind', name: 'Kind', width: '90px' },
    {
      field: 'communityId',
      name: 'Community',
      truncateText: true,
      render: (id: string) => <code>{id.slice(0, 12)}</code>,
    },
    { field: 'url', name: 'URL', truncateText: true },
    { field: 'attempts', name: 'Attempts', width: '80px', dataType: 'number' },
    { field: 'createdAt', name: 'Queued', render: (t: string) => formatDateTime(t) },
    {
      name: 'Next / delivered',
      render: (d: DeliveryEntry) =>
        d.status === 'delivered'
          ? formatDateTime(d.deliveredAt)
          : d.status === 'pending'
            ? formatDateTime(d.nextAttemptAt)
            : '—',
    },
    { field: 'lastError', name: 'Last error', truncateText: true, render: (e?: string) => e ?? '' },
    {
      name: '',
      width: '80px',
      render: (d: DeliveryEntry) =>
        d.status === 'failed' && canEdit ? (
          <EuiButtonEmpty size="xs" onClick={() => void retry(d)} data-test-subj="retryDelivery">
            Retry
          </EuiButtonEmpty>
        ) : null,
    },
  ];

  return (
    <div data-test-subj="notificationsPage">
      <EuiPanel hasBorder>
        <EuiTitle size="s">
          <h2>Webhooks</h2>
        </EuiTitle>
        <EuiText size="s" color="subdued">
          <p>
            One JSON POST per new or escalated flagged community, signed with HMAC-SHA256 over
            &quot;timestamp.body&quot; (header x-problemchild-signature) and carrying a stable
            x-problemchild-delivery id to deduplicate; retried with backoff until a 2xx answer.
          </p>
        </EuiText>
        <EuiSpacer size="m" />
        <EuiForm
          component="form"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
          isInvalid={errs.other.length > 0}
          error={errs.other}
        >
          <EuiFormRow
            label="Webhook URLs (one per line, http or https)"
            isInvalid={errs.urls.length > 0}
            error={errs.urls}
            fullWidth
          >
            <EuiTextArea
              value={urlsText}
              onChange={(e) => setUrlsText(e.target.value)}
              rows={3}
              fullWidth
              disabled={!canEdit}
              isInvalid={errs.urls.length > 0}
              data-test-subj="webhookUrls"
            />
          </EuiFormRow>
          <EuiFormRow
            label="Signing secret (write-only)"
            helpText={
              settings.data?.secretSet
                ? 'A secret is set. Type a new one to replace it.'
                : 'No secret: requests are sent unsigned.'
            }
            isInvalid={errs.secret.length > 0}
            error={errs.secret}
          >
            <EuiFieldPassword
              type="dual"
              value={secret}
              onChange={(e) => setSecret(e.target.value)}
              disabled={!canEdit || clearSecret}
              isInvalid={errs.secret.length > 0}
              autoComplete="new-password"
              data-test-subj="webhookSecret"
            />
          </EuiFormRow>
          {settings.data?.secretSet ? (
            <EuiFormRow>
              <EuiSwitch
                label="Remove the secret"
                checked={clearSecret}
                onChange={(e) => setClearSecret(e.target.checked)}
                disabled={!canEdit}
              />
            </EuiFormRow>
          ) : null}
          <EuiSpacer size="s" />
          <EuiFlexGroup gutterSize="s" responsive={false}>
            <EuiFlexItem grow={false}>
              <EuiButton
                type="submit"
                fill
                isLoading={saving}
                disabled={!canEdit}
                data-test-subj="saveWebhooks"
              >
                Save
              </EuiButton>
            </EuiFlexItem>
            <EuiFlexItem grow={false}>
              <EuiButton
                onClick={() => void test()}
                isLoading={testing}
                disabled={!canEdit || !settings.data?.urls.length}
                data-test-subj="testWebhook"
              >
                Send test notification
              </EuiButton>
            </EuiFlexItem>
          </EuiFlexGroup>
        </EuiForm>
      </EuiPanel>
      <EuiSpacer size="l" />
      <EuiFlexGroup alignItems="center" responsive={false}>
        <EuiFlexItem>
          <EuiTitle size="s">
            <h2>Delivery log</h2>
          </EuiTitle>
        </EuiFlexItem>
        <EuiFlexItem grow={false}>
          <EuiButtonEmpty iconType="refresh" onClick={log.reload} data-test-subj="reloadDeliveries">
            Refresh
          </EuiButtonEmpty>
        </EuiFlexItem>
      </EuiFlexGroup>
      {log.error ? (
        <ErrorCallout error={log.error} what="load the delivery log" onRetry={log.reload} />
      ) : null}
      <EuiBasicTable<DeliveryEntry>
        items={log.data?.deliveries ?? []}
        columns={columns}
        loading={log.loading && !log.data}
        noItemsMessage={
          log.loading ? 'Loading deliveries…' : 'No notification has been queued yet.'
        }
        tableCaption="Webhook deliveries, newest first"
        data-test-subj="deliveriesTable"
      />
    </div>
  );
}
