import { test, expect } from '@playwright/test';
import { startTestHost, type TestHost } from './support';

let host: TestHost;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  host = await startTestHost();
});
test.afterAll(async () => {
  await host?.close();
});

test('the analyst app renders its EUI page in Chromium', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(host.url);
  const header = page.getByTestId('problemChildHeader');
  await expect(header).toBeVisible();
  await expect(header.getByRole('heading', { level: 1 })).toHaveText('ProblemChild');
  await expect(page.getByTestId('problemChildHost')).toContainText('standalone');
  // EUI's page template adds its class names only when EUI really rendered the component.
  await expect(page.locator('.euiPageHeader')).toHaveCount(1);
  // The first list answer (rows or the empty state) and the job panel arrived without errors.
  await expect(
    page.getByTestId('communityRow').first().or(page.getByTestId('communitiesEmpty')),
  ).toBeVisible();
  await expect(page.getByTestId('jobLastRun')).toBeVisible();
  expect(errors).toEqual([]);
});
