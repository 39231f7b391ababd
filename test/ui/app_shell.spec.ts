import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from '@playwright/test';
import { startHttpServer, type RunningHttpServer } from '../../standalone/http_server';

let server: RunningHttpServer;

test.beforeAll(async () => {
  server = await startHttpServer({
    staticDir: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../build/public'),
  });
});
test.afterAll(async () => {
  await server?.close();
});

test('the analyst app renders its EUI page in Chromium', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(server.url);
  const header = page.getByTestId('problemChildHeader');
  await expect(header).toBeVisible();
  await expect(header.getByRole('heading', { level: 1 })).toHaveText('ProblemChild');
  await expect(page.getByTestId('problemChildHost')).toContainText('standalone');
  // EUI's page template adds its class names only when EUI really rendered the component.
  await expect(page.locator('.euiPageHeader')).toHaveCount(1);
  expect(errors).toEqual([]);
});
