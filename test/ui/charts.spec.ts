/**
 * The charts panel against the real standalone host (demo environment, more than one page of
 * communities): each chart's series, read through @elastic/charts' debug state, add up to the
 * API's `_stats` totals and to the list's `total`; clicking a bar filters the list to that bar.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import type { CommunityStatsResponse } from '../../public/app/api_types';
import type { CommunityPage } from '../../server/ports';
import {
  API,
  callApi,
  openApp,
  screenshot,
  startTestHost,
  trackPageErrors,
  waitForList,
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

interface DebugBars {
  bars?: { name: string; bars: { x: number | string; y: number }[] }[];
  annotations?: { id: string; data: { dataValue: number } }[];
}

/** The chart's state as @elastic/charts publishes it with `debugState` on. */
async function debugState(chart: Locator): Promise<DebugBars> {
  const status = chart.locator('.echChartStatus');
  await expect(status).toHaveAttribute('data-ech-render-complete', 'true');
  const raw = await status.getAttribute('data-ech-debug-state');
  expect(raw, 'debug state (window._echDebugStateFlag) is on').toBeTruthy();
  return JSON.parse(raw!) as DebugBars;
}

function barTotal(s: DebugBars): number {
  return (s.bars ?? []).flatMap((b) => b.bars).reduce((a, b) => a + b.y, 0);
}

/** Console errors (a failed request, an icon that does not exist), except expected ones. */
function trackConsoleErrors(page: Page, expected: RegExp[] = []): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = `${m.text()} (${m.location().url})`;
    if (!expected.some((re) => re.test(text))) errors.push(text);
  });
  return errors;
}

/** The filters of the page's latest `_stats` request (the list's, less paging and sorting). */
function statsRequests(page: Page): URLSearchParams[] {
  const seen: URLSearchParams[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === `${API}/communities/_stats`) seen.push(u.searchParams);
  });
  return seen;
}

async function apiStats(params: URLSearchParams): Promise<CommunityStatsResponse> {
  const res = await callApi<CommunityStatsResponse>(host, 'GET', `/communities/_stats?${params}`);
  expect(res.status).toBe(200);
  return res.body;
}

async function apiList(params: URLSearchParams): Promise<CommunityPage> {
  const res = await callApi<CommunityPage>(host, 'GET', `/communities?${params}`);
  expect(res.status).toBe(200);
  return res.body;
}

/** Moves over the chart's plot until the pointer is on a bar (the cursor turns into a hand). */
async function hoverBar(page: Page, chart: Locator, from: 'left' | 'right'): Promise<boolean> {
  const pointer = chart.locator('.echChartPointerContainer');
  const box = await pointer.boundingBox();
  if (!box) return false;
  const xs: number[] = [];
  for (let x = 4; x < box.width - 4; x += 3) xs.push(x);
  if (from === 'right') xs.reverse();
  for (const yFrac of [0.8, 0.7, 0.85, 0.6, 0.5]) {
    for (const x of xs) {
      await page.mouse.move(box.x + x, box.y + box.height * yFrac);
      const cursor = await pointer.evaluate((el) => getComputedStyle(el).cursor);
      if (cursor === 'pointer') return true;
    }
  }
  return false;
}

test('the charts add up to the API totals over every page, and a bar filters the list', async ({
  page,
}) => {
  test.setTimeout(90_000);
  const errors = trackPageErrors(page);
  const consoleErrors = trackConsoleErrors(page);
  await page.addInitScript(() => {
    (window as unknown as { _echDebugStateFlag: boolean })._echDebugStateFlag = true;
  });
  const requests = statsRequests(page);
  await openApp(page, host.url);
  const panel = page.getByTestId('chartsPanel');
  await expect(panel).toHaveAttribute('data-loading', 'false');
  const overTime = page.getByTestId('chartOverTime');
  const hosts = page.getByTestId('chartTopHosts');
  const scores = page.getByTestId('chartScores');
  await expect(overTime.locator('.echChartStatus')).toHaveAttribute(
    'data-ech-render-complete',
    'true',
  );

  // The API, asked directly with the page's filters.
  const params = requests[requests.length - 1]!;
  const stats = await apiStats(params);
  const list = await apiList(new URLSearchParams([...params, ['per_page', '20']]));
  expect(list.total, 'more than one page of communities').toBeGreaterThan(20);
  expect(stats.total).toBe(list.total);
  await expect(page.getByTestId('communitiesShowing')).toHaveText(`${list.total} communities`);

  // The series, as drawn.
  const timeState = await debugState(overTime);
  expect(barTotal(timeState)).toBe(stats.total);
  expect(new Set((timeState.bars ?? []).map((b) => b.name)).size).toBeGreaterThan(0);
  const hostState = await debugState(hosts);
  const other = stats.hosts.other;
  expect(barTotal(hostState) + other).toBe(stats.total);
  if (other > 0) await expect(page.getByTestId('chartOtherHosts')).toContainText(String(other));
  const scoreState = await debugState(scores);
  expect(barTotal(scoreState)).toBe(stats.total);
  // The threshold from settings is marked on the score axis.
  expect(scoreState.annotations?.map((a) => a.data.dataValue)).toEqual([stats.threshold]);
  await screenshot(page, 'charts-overview');

  // Selecting a bar of the over-time chart: the list shows exactly that bar.
  expect(await hoverBar(page, overTime, 'right'), 'found a bar to click').toBe(true);
  const filtered = waitForList(page, (p) => p.get('first_seen_from') !== null);
  await page.mouse.down();
  await page.mouse.up();
  const listParams = new URL((await filtered).url()).searchParams;
  const start = listParams.get('first_seen_from')!;
  const to = listParams.get('first_seen_to')!;
  expect(Date.parse(to) - Date.parse(start)).toBe(stats.overTime.intervalMs);
  const bucket = stats.overTime.buckets.find((b) => b.start === start);
  expect(bucket, `a bucket starts at ${start}`).toBeDefined();
  const drawn = (timeState.bars ?? [])
    .flatMap((b) => b.bars)
    .filter((b) => b.x === Date.parse(start))
    .reduce((a, b) => a + b.y, 0);
  expect(drawn).toBe(bucket!.total);
  const narrowed = await apiList(listParams);
  expect(narrowed.total).toBe(bucket!.total);
  await expect(page.getByTestId('chartFilterTime')).toBeVisible();
  await expect(page.getByTestId('communitiesShowing')).toHaveText(`${bucket!.total} communities`);
  await expect(page.getByTestId('communityRow')).toHaveCount(Math.min(bucket!.total, 20));
  // The charts follow the list's filters: now they count that bar only.
  await expect
    .poll(async () => barTotal(await debugState(overTime)), { timeout: 10_000 })
    .toBe(bucket!.total);
  await screenshot(page, 'charts-time-bar-selected');

  // Removing the chart's filter brings the whole set back.
  await page
    .getByTestId('chartFilterTime')
    .getByRole('button', { name: /Remove the first-seen filter/ })
    .click();
  await expect(page.getByTestId('communitiesShowing')).toHaveText(`${list.total} communities`);

  // A score bar: min_score and score_below bound the list to it.
  expect(await hoverBar(page, scores, 'right'), 'found a score bar').toBe(true);
  const byScore = waitForList(
    page,
    (p) => p.get('min_score') !== null || p.get('score_below') !== null,
  );
  await page.mouse.down();
  await page.mouse.up();
  const scoreParams = new URL((await byScore).url()).searchParams;
  const min = scoreParams.get('min_score');
  const below = scoreParams.get('score_below');
  const sb = stats.scores.buckets.find(
    (b, i, all) =>
      (i === 0 ? min === null : Number(min) === b.from) &&
      (i === all.length - 1 ? below === null : Number(below) === b.to),
  );
  expect(sb, `a score bucket [${min}, ${below})`).toBeDefined();
  expect((await apiList(scoreParams)).total).toBe(sb!.count);
  await expect(page.getByTestId('communitiesShowing')).toHaveText(`${sb!.count} communities`);
  await screenshot(page, 'charts-score-bar-selected');

  expect(errors).toEqual([]);
  expect(consoleErrors).toEqual([]);
});

test('empty and error states', async ({ page }) => {
  const errors = trackPageErrors(page);
  // The stats request answered 500 below, on purpose.
  const consoleErrors = trackConsoleErrors(page, [/status of 500.*_stats/]);
  await openApp(page, host.url);
  // A host with no communities: EUI's empty prompt instead of empty axes.
  await page.getByTestId('filterHost').fill('no-such-host.example');
  await page.getByTestId('filterHost').press('Enter');
  await expect(page.getByTestId('chartsEmpty')).toBeVisible();
  await expect(page.getByTestId('chartsEmpty')).toContainText('Nothing to chart');

  // The stats request fails: the error callout with a retry, the list unaffected.
  await page.route(`**${API}/communities/_stats**`, (r) =>
    r.fulfill({
      status: 500,
      contentType: 'application/json',
      body: JSON.stringify({ statusCode: 500, error: 'Internal Server Error', message: 'boom' }),
    }),
  );
  await page.getByTestId('filterHost').fill('');
  await page.getByTestId('filterHost').press('Enter');
  await expect(page.getByTestId('chartsError')).toBeVisible();
  await expect(page.getByTestId('communityRow').first()).toBeVisible();
  await screenshot(page, 'charts-error');
  await page.unroute(`**${API}/communities/_stats**`);
  await page.getByTestId('chartsError').getByTestId('errorRetryButton').click();
  await expect(page.getByTestId('chartOverTime')).toBeVisible();
  expect(errors).toEqual([]);
  expect(consoleErrors).toEqual([]);
});
