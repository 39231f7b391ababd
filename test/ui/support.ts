/**
 * Shared by the analyst-app specs: a real standalone host (embedded DuckDB store, generated demo
 * environment, real detection run) per spec file, and the few page steps every spec repeats.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Page } from '@playwright/test';
import { startStandalone, type RunningStandalone } from '../../standalone/main';

export const API = '/internal/problem_child';
const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SCREENSHOT_DIR = path.resolve(HERE, '../../test-results/ui/screenshots');

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** 6 hosts, 4 attacks: a few dozen flagged communities, so the list has more than one page. */
export const TEST_DEMO = {
  hosts: 6,
  days: 1,
  attacks: 4,
  seed: 7,
  eventsPerHostDay: 400,
  // A fixed past day, so the specs can show an empty range and the "show last window" fix.
  start: '2026-01-05T00:00:00Z',
};

export interface TestHost {
  url: string;
  standalone: RunningStandalone;
  close(): Promise<void>;
}

export async function startTestHost(): Promise<TestHost> {
  const staticDir = path.resolve(HERE, '../../build/public');
  if (!fs.existsSync(path.join(staticDir, 'index.html'))) {
    throw new Error('build/public is missing: run `npm run build:public` before the UI tests');
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-ui-'));
  const standalone = await startStandalone({
    port: 0,
    dataDir,
    staticDir,
    demo: TEST_DEMO,
    // A low threshold flags benign noise too, so the list has several pages to sort and page.
    settings: { threshold: 0.1 },
    schedule: false,
    logger: quiet,
  });
  return {
    url: standalone.url,
    standalone,
    async close() {
      await standalone.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Calls the API the way another analyst (or script) would, outside the page. */
export async function callApi<T = unknown>(
  host: TestHost,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  p: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${host.url}${API}${p}`, {
    method,
    headers: {
      'elastic-api-version': '1',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' ? { 'kbn-xsrf': 'true' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Page errors (uncaught exceptions) seen while a test ran; every spec expects none. */
export function trackPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/**
 * Opens the app and shows the demo data: it was generated for a fixed day, so when the default
 * range (last 7 days) is empty, the empty state offers the last run's window.
 */
export async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  const rows = page.getByTestId('communityRow');
  const lastWindow = page.getByTestId('showLastRunWindowButton');
  await expect(rows.first().or(lastWindow)).toBeVisible({ timeout: 20_000 });
  if (await lastWindow.isVisible()) await lastWindow.click();
  await expect(rows.first()).toBeVisible();
}

export async function rowTexts(page: Page, subj: string): Promise<string[]> {
  return page.getByTestId('communityRow').getByTestId(subj).allInnerTexts();
}

export async function rowIds(page: Page): Promise<string[]> {
  return page
    .getByTestId('communityRow')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-community-id') ?? ''));
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
}

/** Waits for the list request that follows a UI change, so assertions see its answer. */
export function waitForList(page: Page, match: (params: URLSearchParams) => boolean = () => true) {
  return page.waitForResponse((r) => {
    const u = new URL(r.url());
    return u.pathname === `${API}/communities` && match(u.searchParams);
  });
}
