/**
 * The communities list against the real standalone host: server-side sorting and paging,
 * every filter, counts, empty and error states, and the layout at 1280×800.
 */
import { expect, test } from '@playwright/test';
import type { CommunityPage } from '../../server/ports';
import {
  API,
  callApi,
  openApp,
  rowIds,
  rowTexts,
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

/** The same query the page just sent, asked of the API directly. */
async function apiPageFor(params: URLSearchParams): Promise<CommunityPage> {
  const res = await callApi<CommunityPage>(host, 'GET', `/communities?${params}`);
  expect(res.status).toBe(200);
  return res.body;
}

const sortButton = (page: import('@playwright/test').Page, column: RegExp) =>
  page.getByRole('columnheader', { name: column }).getByTestId('tableHeaderSortButton');

test('the list loads ranked by max score, sorts and pages on the server', async ({ page }) => {
  const errors = trackPageErrors(page);
  const first = waitForList(page, (p) => p.get('from') !== null);
  await openApp(page, host.url);
  await first;

  const scores = (await rowTexts(page, 'communityMaxScore')).map((s) => Number.parseFloat(s));
  expect(scores.length).toBeGreaterThan(0);
  expect(scores).toEqual([...scores].sort((a, b) => b - a));
  await expect(page.getByTestId('flaggedCount')).not.toHaveText('0');
  await expect(page.getByTestId('jobLastRun')).toContainText('Succeeded');
  await expect(page.getByTestId('jobEventsRead')).not.toHaveText('—');

  // Ascending max score: the request says so and the rows follow.
  let res = waitForList(page, (p) => p.get('sort') === 'max_score' && p.get('direction') === 'asc');
  await sortButton(page, /Max score/).click();
  let params = new URL((await res).url()).searchParams;
  await expect
    .poll(async () => rowIds(page))
    .toEqual((await apiPageFor(params)).items.map((i) => i.id));
  const ascending = (await rowTexts(page, 'communityMaxScore')).map(Number.parseFloat);
  expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
  expect(ascending[0]).toBeLessThanOrEqual(scores[scores.length - 1]!);

  res = waitForList(page, (p) => p.get('sort') === 'host' && p.get('direction') === 'asc');
  await sortButton(page, /Host/).click();
  params = new URL((await res).url()).searchParams;
  await expect
    .poll(async () => rowIds(page))
    .toEqual((await apiPageFor(params)).items.map((i) => i.id));
  const hosts = (await rowTexts(page, 'communityHost')).map((h) => h.toLowerCase());
  expect(hosts).toEqual([...hosts].sort());

  // Page 2 comes from the server too.
  const total = (await apiPageFor(params)).total;
  expect(total).toBeGreaterThan(20);
  res = waitForList(page, (p) => p.get('page') === '2');
  await page.getByTestId('pagination-button-next').click();
  params = new URL((await res).url()).searchParams;
  await expect
    .poll(async () => rowIds(page))
    .toEqual((await apiPageFor(params)).items.map((i) => i.id));
  expect(await page.getByTestId('communityRow').count()).toBe(Math.min(20, total - 20));
  expect(errors).toEqual([]);
});

test('filters: host, status, min score, command-line text, unflagged, time range', async ({
  page,
}) => {
  const errors = trackPageErrors(page);
  await openApp(page, host.url);
  const allIds = await rowIds(page);
  const firstHost = (await rowTexts(page, 'communityHost'))[0]!;

  let res = waitForList(page, (p) => p.get('host') === firstHost);
  await page.getByTestId('filterHost').fill(firstHost);
  let params = new URL((await res).url()).searchParams;
  await expect
    .poll(async () => rowIds(page))
    .toEqual((await apiPageFor(params)).items.map((i) => i.id));
  expect(new Set(await rowTexts(page, 'communityHost'))).toEqual(new Set([firstHost]));
  res = waitForList(page, (p) => p.get('host') === null);
  await page.getByTestId('filterHost').fill('');
  await res;

  // Nothing is closed on a fresh host: the empty state says so and clears the filter.
  res = waitForList(page, (p) => p.get('status') === 'closed');
  await page.getByTestId('filterStatus').selectOption('closed');
  await res;
  await expect(page.getByTestId('communitiesNoMatch')).toBeVisible();
  await expect(page.getByTestId('communitiesNoMatch')).toContainText(
    'No communities match these filters',
  );
  res = waitForList(page, (p) => p.get('status') === null);
  await page.getByTestId('clearFiltersButton').click();
  await res;
  await expect.poll(async () => rowIds(page)).toEqual(allIds);

  res = waitForList(page, (p) => p.get('min_score') === '0.95');
  await page.getByTestId('filterMinScore').fill('0.95');
  params = new URL((await res).url()).searchParams;
  const high = await apiPageFor(params);
  expect(high.total).toBeLessThan((await apiPageFor(new URLSearchParams())).total);
  await expect.poll(async () => rowIds(page)).toEqual(high.items.map((i) => i.id));
  res = waitForList(page, (p) => p.get('min_score') === null);
  await page.getByTestId('filterMinScore').fill('');
  await res;

  // Out of range: said next to the field, not sent.
  await page.getByTestId('filterMinScore').fill('7');
  await expect(page.getByTestId('minScoreInvalid')).toBeVisible();
  await page.getByTestId('filterMinScore').fill('');

  res = waitForList(page, (p) => p.get('q') === 'whoami');
  await page.getByTestId('filterSearch').fill('whoami');
  params = new URL((await res).url()).searchParams;
  const matched = await apiPageFor(params);
  expect(matched.total).toBeGreaterThan(0);
  expect(matched.total).toBeLessThan(allIds.length + 20);
  await expect.poll(async () => rowIds(page)).toEqual(matched.items.map((i) => i.id));
  res = waitForList(page, (p) => p.get('q') === null);
  await page.getByTestId('filterSearch').fill('');
  await res;

  res = waitForList(page, (p) => p.get('include_unflagged') === 'true');
  await page.getByTestId('filterIncludeUnflagged').click();
  params = new URL((await res).url()).searchParams;
  const withUnflagged = await apiPageFor(params);
  expect(withUnflagged.total).toBeGreaterThanOrEqual(allIds.length);
  await page.getByTestId('filterIncludeUnflagged').click();

  // A quick-select range far from the demo day: the empty state explains and offers a fix.
  await page.getByTestId('superDatePickerToggleQuickMenuButton').click();
  res = waitForList(page);
  await page.getByTestId('superDatePickerCommonlyUsed_Last_hour').click();
  params = new URL((await res).url()).searchParams;
  const span = Date.parse(params.get('to')!) - Date.parse(params.get('from')!);
  expect(span).toBeGreaterThanOrEqual(3_600_000);
  expect(span).toBeLessThan(3_605_000);
  await expect(page.getByTestId('communitiesEmpty')).toBeVisible();
  await expect(page.getByTestId('communitiesEmptyText')).toHaveText(
    'No anomalous communities in this time range. Widen the range or run detection now.',
  );
  await page.getByTestId('showLastRunWindowButton').click();
  await expect.poll(async () => rowIds(page)).toEqual(allIds);
  expect(errors).toEqual([]);
});

test('API errors are shown with what to do, and retry recovers', async ({ page }) => {
  const errors = trackPageErrors(page);
  await openApp(page, host.url);

  await page.route(`**${API}/communities?*`, (route) =>
    route.fulfill({
      status: 500,
      contentType: 'application/json',
      body: JSON.stringify({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'An internal error occurred; see the server log.',
      }),
    }),
  );
  await page.getByTestId('superDatePickerApplyTimeButton').click();
  const callout = page.getByTestId('communitiesError');
  await expect(callout).toBeVisible();
  await expect(callout).toContainText('Could not load communities: the server failed');
  await expect(callout).toContainText('An internal error occurred; see the server log.');
  await expect(callout).toContainText('Try again');
  await expect(page.getByTestId('communityRow')).toHaveCount(0);

  // Field-level 400s name the field.
  await page.unroute(`**${API}/communities?*`);
  await page.route(`**${API}/communities?*`, (route) =>
    route.fulfill({
      status: 400,
      contentType: 'application/json',
      body: JSON.stringify({
        statusCode: 400,
        error: 'Bad Request',
        message: '[query.min_score]: Too big',
        errors: [{ field: 'query.min_score', message: 'Too big: expected number to be <=1' }],
      }),
    }),
  );
  await page.getByTestId('errorRetryButton').click();
  await expect(callout).toContainText('query.min_score: Too big: expected number to be <=1');

  // The server unreachable.
  await page.unroute(`**${API}/communities?*`);
  await page.route(`**${API}/communities?*`, (route) => route.abort('connectionrefused'));
  await page.getByTestId('errorRetryButton').click();
  await expect(callout).toContainText('Could not reach the ProblemChild server');

  await page.unroute(`**${API}/communities?*`);
  await page.getByTestId('errorRetryButton').click();
  await expect(callout).toBeHidden();
  await expect(page.getByTestId('communityRow').first()).toBeVisible();

  // A community that vanished between list and click.
  await page.route(`**${API}/communities/*`, (route) =>
    route.fulfill({
      status: 404,
      contentType: 'application/json',
      body: JSON.stringify({
        statusCode: 404,
        error: 'Not Found',
        message: 'community x not found',
      }),
    }),
  );
  await page.getByTestId('communityOpenLink').first().click();
  await expect(page.getByTestId('communityNotFound')).toContainText('no longer exists');
  await page.getByTestId('communityFlyoutCloseButton').click();
  await page.unroute(`**${API}/communities/*`);

  // Run now while a run is in progress: a 409 is an answer, shown as a warning.
  await page.route(`**${API}/detection/_run`, (route) =>
    route.fulfill({
      status: 409,
      contentType: 'application/json',
      body: JSON.stringify({ started: false, message: 'A detection run is already in progress.' }),
    }),
  );
  await page.getByTestId('runDetectionButton').click();
  // 409 also answers "not enabled" and "stopped", so the toast carries the server's reason.
  await expect(page.getByTestId('appToast-warning')).toContainText('Detection did not start');
  await expect(page.getByTestId('appToast-warning')).toContainText('already in progress');
  expect(errors).toEqual([]);
});

test('layout at 1280×800: no horizontal overflow; screenshot of the list', async ({ page }) => {
  await openApp(page, host.url);
  await expect(page.getByTestId('communityRow')).toHaveCount(20);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(1280);
  await expect(
    page.getByTestId('problemChildHeader').getByRole('heading', { level: 1 }),
  ).toHaveText('ProblemChild');
  await screenshot(page, 'list');
});
