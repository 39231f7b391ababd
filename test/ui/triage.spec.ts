/**
 * Triage against the real standalone host: single changes persisting across a reload, the
 * optimistic-concurrency conflict, bulk actions, benign verdicts that suppress (and their undo),
 * and starting a detection run.
 */
import { expect, test, type Page } from '@playwright/test';
import type { SuppressionRule } from '../../common/types/community';
import type { RunReport, StoredCommunity } from '../../server/ports';
import { callApi, openApp, rowIds, startTestHost, trackPageErrors, type TestHost } from './support';

let host: TestHost;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  host = await startTestHost();
});
test.afterAll(async () => {
  await host?.close();
});

async function community(id: string): Promise<StoredCommunity> {
  return (await callApi<StoredCommunity>(host, 'GET', `/communities/${id}`)).body;
}

const row = (page: Page, id: string) =>
  page.locator(`[data-test-subj="communityRow"][data-community-id="${id}"]`);

async function openTriage(page: Page, id: string) {
  await row(page, id).getByTestId('communityOpenLink').click();
  await page.getByTestId('communityTab-triage').click();
  await expect(page.getByTestId('triageForm')).toBeVisible();
}

test('triage changes are saved with the version and persist after a reload', async ({ page }) => {
  const errors = trackPageErrors(page);
  await openApp(page, host.url);
  const id = (await rowIds(page))[1]!;
  const before = await community(id);
  await openTriage(page, id);

  const form = page.getByTestId('triageForm');
  await form.getByTestId('triageStatusSelect').selectOption('closed');
  await form.getByTestId('triageAssigneeInput').fill('ana');
  await form.getByLabel('Malicious').check();
  await form
    .getByTestId('triageNoteInput')
    .fill('Encoded PowerShell from a macro; isolated the host.');
  const saved = page.waitForRequest(
    (r) => r.method() === 'POST' && r.url().endsWith(`/communities/${id}/triage`),
  );
  await form.getByTestId('triageSaveButton').click();
  expect((await saved).postDataJSON()).toEqual({
    status: 'closed',
    assignee: 'ana',
    note: 'Encoded PowerShell from a macro; isolated the host.',
    verdict: 'malicious',
    version: before.version,
  });
  await expect(page.getByTestId('appToast-success')).toContainText('Triage saved');
  await expect(page.getByTestId('communityFlyout').getByTestId('verdictBadge')).toHaveText(
    'Malicious',
  );

  const after = await community(id);
  expect(after.triage).toMatchObject({ status: 'closed', assignee: 'ana', verdict: 'malicious' });
  expect(after.version).toBeGreaterThan(before.version);

  await page.reload();
  await openApp(page, host.url);
  await expect(row(page, id).getByTestId('communityStatus')).toHaveAttribute(
    'data-status',
    'closed',
  );
  await expect(row(page, id).getByTestId('communityAssignee')).toHaveText('ana');
  await expect(row(page, id).getByTestId('verdictBadge')).toHaveText('Malicious');
  await expect(page.getByTestId('reviewedCount')).not.toHaveText('0');
  await openTriage(page, id);
  await expect(form.getByTestId('triageStatusSelect')).toHaveValue('closed');
  await expect(form.getByTestId('triageAssigneeInput')).toHaveValue('ana');
  await expect(form.getByTestId('triageNoteInput')).toHaveValue(
    'Encoded PowerShell from a macro; isolated the host.',
  );
  await expect(form.getByTestId('triageHistory')).toContainText('status open → closed');
  expect(errors).toEqual([]);
});

test('a concurrent change gets the conflict message and the form reloads', async ({ page }) => {
  const errors = trackPageErrors(page);
  await openApp(page, host.url);
  const id = (await rowIds(page))[2]!;
  await openTriage(page, id);
  const form = page.getByTestId('triageForm');

  // Someone else assigns it while the form is open.
  const current = await community(id);
  const other = await callApi(host, 'POST', `/communities/${id}/triage`, {
    assignee: 'bob',
    version: current.version,
  });
  expect(other.status).toBe(200);

  await form.getByTestId('triageStatusSelect').selectOption('acknowledged');
  await form.getByTestId('triageSaveButton').click();
  await expect(page.getByTestId('triageConflict')).toContainText(
    'Someone else changed this community; reload to see their change',
  );
  await expect(form.getByTestId('triageAssigneeInput')).toHaveValue('bob');
  await expect(form.getByTestId('triageStatusSelect')).toHaveValue('open');

  // Made again on top of their change, it goes through.
  await form.getByTestId('triageStatusSelect').selectOption('acknowledged');
  await form.getByTestId('triageSaveButton').click();
  await expect(page.getByTestId('appToast-success')).toContainText('Triage saved');
  expect((await community(id)).triage).toMatchObject({ status: 'acknowledged', assignee: 'bob' });
  expect(errors).toEqual([]);
});

test('bulk actions acknowledge, assign and mark benign the selection', async ({ page }) => {
  const errors = trackPageErrors(page);
  await openApp(page, host.url);
  const ids = (await rowIds(page)).slice(3, 5);
  const select = async () => {
    for (const id of ids) await row(page, id).getByRole('checkbox').check();
    await expect(page.getByTestId('bulkActionsButton')).toHaveText('Bulk actions (2)');
  };

  await select();
  await page.getByTestId('bulkActionsButton').click();
  await page.getByTestId('bulkAcknowledge').click();
  await expect(page.getByTestId('appToast-success').last()).toContainText('Acknowledge: 2 updated');
  for (const id of ids) {
    await expect(row(page, id).getByTestId('communityStatus')).toHaveAttribute(
      'data-status',
      'acknowledged',
    );
  }

  await select();
  await page.getByTestId('bulkActionsButton').click();
  await page.getByTestId('bulkAssign').click();
  await page.getByTestId('bulkAssigneeInput').fill('carol');
  await page.getByTestId('bulkModalConfirm').click();
  for (const id of ids)
    await expect(row(page, id).getByTestId('communityAssignee')).toHaveText('carol');

  await select();
  await page.getByTestId('bulkActionsButton').click();
  await page.getByTestId('bulkVerdictBenign').click();
  await page.getByTestId('bulkModalConfirm').click();
  for (const id of ids)
    await expect(row(page, id).getByTestId('verdictBadge')).toHaveText('Benign');

  for (const id of ids) {
    expect((await community(id)).triage).toMatchObject({
      status: 'acknowledged',
      assignee: 'carol',
      verdict: 'benign',
    });
  }
  // No suppression was asked for.
  const rules = await callApi<{ rules: SuppressionRule[] }>(host, 'GET', '/suppressions');
  expect(rules.body.rules.filter((r) => ids.includes(r.communityId ?? ''))).toEqual([]);
  expect(errors).toEqual([]);
});

test('a benign verdict can suppress the pattern; the Suppressions view undoes it', async ({
  page,
}) => {
  const errors = trackPageErrors(page);
  await openApp(page, host.url);
  const id = (await rowIds(page))[5]!;
  await openTriage(page, id);
  const form = page.getByTestId('triageForm');
  await expect(form.getByTestId('triageSuppressCheckbox')).toHaveCount(0);
  await form.getByLabel('Benign').check();
  await form.getByLabel('Suppress this pattern in future detection runs').check();
  const saved = page.waitForRequest((r) => r.url().endsWith(`/communities/${id}/triage`));
  await form.getByTestId('triageSaveButton').click();
  expect((await saved).postDataJSON()).toMatchObject({ verdict: 'benign', suppress: true });
  await expect(page.getByTestId('appToast-success').last()).toContainText('suppression rule');

  const rules = (await callApi<{ rules: SuppressionRule[] }>(host, 'GET', '/suppressions')).body
    .rules;
  const mine = rules.filter((r) => r.communityId === id);
  expect(mine.length).toBeGreaterThan(0);

  await page.getByTestId('communityFlyoutCloseButton').click();
  await page.getByTestId('navSuppressions').click();
  const table = page.getByTestId('suppressionsPage');
  await expect(table.getByTestId('suppressionRow')).toHaveCount(rules.length);
  const target = table.locator(`[data-test-subj="suppressionRow"][data-rule-id="${mine[0]!.id}"]`);
  await expect(target.getByTestId('suppressionPattern')).toHaveText(
    `${mine[0]!.parentName} → ${mine[0]!.childName}`,
  );
  await target.getByTestId('suppressionDeleteAction').click();
  await page.getByTestId('confirmModalConfirmButton').click();
  await expect(page.getByTestId('appToast-success').last()).toContainText('Suppression removed');
  await expect(table.getByTestId('suppressionRow')).toHaveCount(rules.length - 1);
  const left = (await callApi<{ rules: SuppressionRule[] }>(host, 'GET', '/suppressions')).body
    .rules;
  expect(left.map((r) => r.id)).not.toContain(mine[0]!.id);

  // The rule's community is one click away.
  if (mine.length > 1) {
    await table.getByTestId('suppressionCommunityLink').first().click();
    await expect(page.getByTestId('communityFlyout')).toBeVisible();
  }
  expect(errors).toEqual([]);
});

test('Run now starts detection (202) and the status panel reports the new run', async ({
  page,
}) => {
  const errors = trackPageErrors(page);
  host.standalone.scheduler.start();
  await openApp(page, host.url);
  const before = (await callApi<{ lastRun: RunReport | null }>(host, 'GET', '/detection/status'))
    .body.lastRun;
  const started = page.waitForResponse((r) => r.url().endsWith('/detection/_run'));
  await page.getByTestId('runDetectionButton').click();
  expect((await started).status()).toBe(202);
  await expect(page.getByTestId('appToast-success').first()).toContainText('Detection started');
  // The panel polls until the job records a new run, then says how it went.
  await expect(
    page
      .locator('[data-test-subj^="appToast-"]')
      .filter({ hasText: /Detection run (succeeded|nothing new|failed|aborted)/ }),
  ).toBeVisible({ timeout: 60_000 });
  const after = (await callApi<{ lastRun: RunReport | null }>(host, 'GET', '/detection/status'))
    .body.lastRun;
  expect(after?.runId).not.toBe(before?.runId);
  await expect(page.getByTestId('jobNextRun')).toContainText('in ');
  expect(errors).toEqual([]);
});
