/**
 * The community flyout against the real standalone host: the process chain drawn from the
 * stored edges, the driving chain, per-edge explanations, the timeline with raw events, the
 * standalone drill-down (exactly the community's events), and hostile text rendered as text.
 */
import { expect, test } from '@playwright/test';
import { scoreToSeverity } from '../../common/severity';
import type { AnomalousCommunity } from '../../common/types/community';
import type { ProcessEvent } from '../../common/types/process_event';
import type { StoredCommunity } from '../../server/ports';
import {
  callApi,
  openApp,
  rowIds,
  screenshot,
  startTestHost,
  trackPageErrors,
  type TestHost,
} from './support';

let host: TestHost;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  host = await startTestHost();
});
test.afterAll(async () => {
  await host?.close();
});

async function community(id: string): Promise<StoredCommunity> {
  const res = await callApi<StoredCommunity>(host, 'GET', `/communities/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

test('a community opens: process chain, driving chain, edge explanations, timeline', async ({
  page,
}) => {
  const errors = trackPageErrors(page);
  await openApp(page, host.url);
  const [id] = await rowIds(page);
  const c = await community(id!);

  await page.getByTestId('communityOpenLink').first().click();
  const flyout = page.getByTestId('communityFlyout');
  await expect(flyout).toBeVisible();
  const title = `Community #${c.rank} on ${c.host}`;
  await expect(page.getByTestId('communityFlyoutTitle')).toHaveText(title);
  // The dialog is named by its title (aria-labelledby).
  await expect(page.getByRole('dialog', { name: title })).toBeVisible();

  // One node per process; every created process is drawn with its name and command line.
  const nodes = flyout.getByTestId('processNode');
  const processes = new Set([
    ...c.entityIds,
    ...c.edges.flatMap((e) => [e.parentEntityId, e.childEntityId]),
  ]);
  await expect(nodes).toHaveCount(processes.size);
  for (const e of c.edges.slice(0, 10)) {
    const node = flyout.locator(
      `[data-test-subj="processNode"][data-entity-id="${e.childEntityId}"]`,
    );
    await expect(node.getByTestId('processName').first()).toHaveText(e.childName);
    await expect(node.getByTestId('processEdgeScore').first()).toHaveAttribute(
      'data-severity',
      scoreToSeverity(e.anomaly),
    );
  }

  // The driving edge's process and its ancestors are marked; its explanation is open.
  const driving = c.drivingEdge;
  const drivingNode = flyout.locator(
    `[data-test-subj="processNode"][data-entity-id="${driving.childEntityId}"]`,
  );
  await expect(drivingNode).toHaveAttribute('data-driving-chain', 'true');
  await expect(drivingNode.getByTestId('drivingEdgeBadge').first()).toBeVisible();
  const onChain = await flyout
    .locator('[data-test-subj="processNode"][data-driving-chain="true"]')
    .count();
  expect(onChain).toBeGreaterThanOrEqual(2);
  const details = flyout.getByTestId('edgeDetails');
  await expect(details.getByTestId('edgeDetailsTitle')).toHaveText(
    `${driving.parentName} → ${driving.childName}`,
  );
  await expect(details.getByTestId('edgePrevalenceText')).toHaveText(driving.prevalence.text);
  await expect(details.getByTestId('edgeModelScore')).toContainText(driving.score.toFixed(2));
  if (driving.topFeatures.length > 0) {
    await expect(details.getByTestId('edgeFeatureName').first()).toHaveText(
      driving.topFeatures[0]!.feature,
    );
  }
  await screenshot(page, 'detail');
  await details.getByTestId('edgeRawEventToggle').click();
  await expect(details.getByTestId('rawEventJson').first()).toContainText(`"${driving.eventId}"`);

  // Selecting another process explains its creation instead.
  const other = c.edges.find((e) => e.childEntityId !== driving.childEntityId);
  if (other) {
    await flyout
      .locator(`[data-test-subj="processNode"][data-entity-id="${other.childEntityId}"]`)
      .getByTestId('processNodeButton')
      .first()
      .click();
    await expect(details.getByTestId('edgeDetailsTitle')).toHaveText(
      `${other.parentName} → ${other.childName}`,
    );
    await expect(details.getByTestId('edgePrevalenceText')).toHaveText(other.prevalence.text);
  }

  // Every edge with its score, features and prevalence in words.
  await page.getByTestId('communityTab-edges').click();
  await expect(flyout.getByTestId('edgeRow')).toHaveCount(c.edges.length);
  expect(new Set(await flyout.getByTestId('edgeRowPrevalence').allInnerTexts())).toEqual(
    new Set(c.edges.map((e) => e.prevalence.text)),
  );

  // The timeline lists the events in time order; any row opens its raw document.
  await page.getByTestId('communityTab-timeline').click();
  const rows = flyout.getByTestId('eventRow');
  await expect(rows).toHaveCount(c.events.length);
  const shown = await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-event-id')));
  const byTime = [...c.events]
    .sort((a, b) => a.event['@timestamp'].localeCompare(b.event['@timestamp']))
    .map((e) => e.event.event.id);
  expect(shown).toEqual(byTime);
  await rows.first().getByTestId('eventRawToggle').click();
  await expect(flyout.getByTestId('rawEventJson')).toContainText(
    `"entity_id": "${c.events.find((e) => e.event.event.id === byTime[0])!.event.process.entity_id}"`,
  );

  await page.keyboard.press('Escape');
  await expect(flyout).toBeHidden();
  expect(errors).toEqual([]);
});

test('the standalone drill-down shows exactly the community events and the KQL', async ({
  page,
}) => {
  const errors = trackPageErrors(page);
  await openApp(page, host.url);
  const ids = await rowIds(page);
  const c = await community(ids[1]!);
  await page.getByTestId('communityOpenLink').nth(1).click();
  const button = page.getByTestId('openInDiscoverButton');
  await expect(button).toHaveText('View raw events');
  await button.click();

  const view = page.getByTestId('rawEventsPage');
  await expect(view.getByTestId('rawEventsTitle')).toHaveText(
    `Raw events of community #${c.rank} on ${c.host}`,
  );
  const rows = view.getByTestId('eventRow');
  await expect(rows).toHaveCount(c.events.length);
  const shown = await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-event-id')));
  expect(new Set(shown)).toEqual(new Set(c.events.map((e) => e.event.event.id)));
  await expect(view.getByTestId('rawEventsMissing')).toHaveCount(0);
  const api = await callApi<{ total: number; events: ProcessEvent[] }>(
    host,
    'GET',
    `/communities/${c.id}/events`,
  );
  expect(new Set(shown)).toEqual(new Set(api.body.events.map((e) => e.event.id)));

  const kql = await view.getByTestId('rawEventsKql').innerText();
  expect(kql).toContain(`host.name : ("${c.host}")`);
  expect(kql).toContain('process.entity_id : (');
  for (const e of c.events) expect(kql).toContain(`"${e.event.process.entity_id}"`);

  await view.getByTestId('rawEventsBack').click();
  await expect(page.getByTestId('communityFlyoutTitle')).toHaveText(
    `Community #${c.rank} on ${c.host}`,
  );
  expect(errors).toEqual([]);
});

const XSS = '<img src=x onerror=window.__xss=1><script>window.__xss=2</script>';

test('command lines, users and paths render as text, never as markup', async ({ page }) => {
  const errors = trackPageErrors(page);
  // A stored community whose every free-text field is hostile, written as the job would.
  const top = (await callApi<{ items: { id: string }[] }>(host, 'GET', '/communities?per_page=1'))
    .body.items[0]!;
  const { triage: _t, version: _v, detectedAt: _d, runId: _r, ...base } = await community(top.id);
  const edges = base.edges.map((e) => ({
    ...e,
    commandLine: XSS,
    parentCommandLine: `C:\\Users\\${XSS}\\evil.exe`,
    user: XSS,
  }));
  const xss: AnomalousCommunity = {
    ...base,
    id: 'xss-community',
    rank: 1,
    maxAnomaly: 0.999,
    edges,
    drivingEdge: edges.find((e) => e.eventId === base.drivingEdge.eventId)!,
    users: [XSS],
    chain: `cmd.exe → ${XSS}`,
    events: base.events.map((s) => ({
      ...s,
      event: {
        ...s.event,
        process: { ...s.event.process, command_line: XSS },
        user: { ...s.event.user, name: XSS },
      },
    })),
  };
  const report = await host.standalone.stores.communities.writeCommunities([xss], {
    runId: 'xss-test',
    detectedAt: new Date().toISOString(),
    replaced: [],
  });
  expect(report.failed).toEqual([]);

  await openApp(page, host.url);
  const row = page.locator('[data-test-subj="communityRow"][data-community-id="xss-community"]');
  await expect(row.getByTestId('communityChain')).toHaveText(`cmd.exe → ${XSS}`);
  await expect(row.getByTestId('communityUsers')).toHaveText(XSS);

  await row.getByTestId('communityOpenLink').click();
  const flyout = page.getByTestId('communityFlyout');
  await expect(flyout.getByTestId('flyoutChain')).toHaveText(`cmd.exe → ${XSS}`);
  const commandLines = flyout.getByTestId('processCommandLine');
  await expect(commandLines.filter({ hasText: /^<img/ }).first()).toHaveText(XSS);
  await expect(commandLines.filter({ hasText: /evil\.exe$/ }).first()).toHaveText(
    `C:\\Users\\${XSS}\\evil.exe`,
  );
  await expect(flyout.getByTestId('edgeCommandLine')).toContainText(XSS);
  await expect(flyout.getByTestId('edgeParentCommandLine')).toContainText(XSS);
  await flyout.getByTestId('edgeRawEventToggle').click();
  await expect(flyout.getByTestId('rawEventJson').first()).toContainText('onerror=window.__xss=1');
  await page.getByTestId('communityTab-timeline').click();
  await expect(flyout.getByTestId('eventCommandLine').first()).toHaveText(XSS);
  await expect(flyout.getByTestId('eventUser').first()).toHaveText(XSS);
  await flyout.getByTestId('eventRawToggle').first().click();
  await expect(flyout.getByTestId('rawEventJson')).toContainText('<script>window.__xss=2</script>');

  expect(
    await page.evaluate(() => (window as unknown as { __xss?: number }).__xss),
  ).toBeUndefined();
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  await expect(page.locator('script', { hasText: '__xss' })).toHaveCount(0);
  expect(errors).toEqual([]);
});
