/**
 * Component tests of the list and the detail flyout with the API faked at the HTTP boundary:
 * the built app is served as static files only, and every /internal/problem_child call is
 * answered from fixtures, so what the components render is checked against known data.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import type { CommunityPage, StoredCommunity } from '../../server/ports';
import { fixtureCommunity } from '../../server/stores/testing/fixtures';
import { startHttpServer, type RunningHttpServer } from '../../standalone/http_server';

const HERE = path.dirname(fileURLToPath(import.meta.url));
let server: RunningHttpServer;

function stored(tag: string, host: string, rank: number, score: number): StoredCommunity {
  const now = new Date();
  const start = new Date(now.getTime() - 2 * 3_600_000).toISOString();
  return {
    ...fixtureCommunity({ tag, host, rank, score, window: { start, end: now.toISOString() } }),
    triage: { status: 'open', assignee: null, note: '', verdict: null, history: [] },
    version: 1,
    detectedAt: now.toISOString(),
    runId: 'run-fixture',
  };
}

const A = stored('a', 'ws-alpha.corp.local', 1, 0.97);
const B = stored('b', 'srv-beta.corp.local', 2, 0.81);

function summary(c: StoredCommunity) {
  return {
    id: c.id,
    rank: c.rank,
    host: c.host,
    score: c.score,
    maxAnomaly: c.maxAnomaly,
    maxEdgeScore: c.maxEdgeScore,
    users: c.users,
    firstSeen: c.firstSeen,
    lastSeen: c.lastSeen,
    eventCount: c.events.length,
    chain: c.chain,
    techniques: c.techniques.map((t) => t.id),
    status: c.triage.status,
    assignee: c.triage.assignee,
    verdict: c.triage.verdict,
    version: c.version,
  };
}

async function fakeApi(page: Page, requests: string[]): Promise<void> {
  await page.route('**/internal/problem_child/**', async (route) => {
    const url = new URL(route.request().url());
    const p = url.pathname.replace('/internal/problem_child', '');
    requests.push(`${route.request().method()} ${p}${url.search}`);
    const json = (body: unknown, status = 200) =>
      route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
    if (p === '/communities') {
      const page: CommunityPage = {
        total: 2,
        page: 1,
        perPage: 20,
        items: [summary(A), summary(B)],
        counts: { flagged: 2, reviewed: 0, open: 2, acknowledged: 0, closed: 0 },
      };
      return json(page);
    }
    if (p === `/communities/${A.id}`) return json(A);
    if (p === `/communities/${B.id}`) return json(B);
    if (p === '/detection/status') return json({ lastRun: null, recentRuns: [], nextRunAt: null });
    if (p === '/suppressions') return json({ total: 0, rules: [] });
    return json({ statusCode: 404, error: 'Not Found', message: `no fixture for ${p}` }, 404);
  });
}

test.beforeAll(async () => {
  server = await startHttpServer({ staticDir: path.resolve(HERE, '../../build/public') });
});
test.afterAll(async () => {
  await server?.close();
});

test('the list renders the rows, counts and columns the API returned', async ({ page }) => {
  const requests: string[] = [];
  await fakeApi(page, requests);
  await page.goto(server.url);
  const rows = page.getByTestId('communityRow');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0).getByTestId('communityHost')).toHaveText(A.host);
  await expect(rows.nth(1).getByTestId('communityHost')).toHaveText(B.host);
  await expect(rows.nth(0)).toContainText(A.chain);
  await expect(rows.nth(0)).toContainText(A.users[0]!);
  await expect(rows.nth(0)).toContainText('T1059.003');
  expect(requests.some((r) => r.startsWith('GET /communities?'))).toBe(true);
  const list = new URL(
    `http://x${requests.find((r) => r.startsWith('GET /communities?'))!.slice(4)}`,
  );
  expect(list.searchParams.get('sort')).toBeTruthy();
  expect(list.searchParams.get('page')).toBe('1');
});

test('the detail flyout renders the chain, edges and prevalence of the fetched community', async ({
  page,
}) => {
  const requests: string[] = [];
  await fakeApi(page, requests);
  await page.goto(server.url);
  await page.getByTestId('communityRow').nth(0).getByTestId('communityOpenLink').click();
  const flyout = page.getByTestId('communityFlyout');
  await expect(flyout).toBeVisible();
  expect(requests).toContain(`GET /communities/${A.id}`);
  const names = await flyout.getByTestId('processName').allInnerTexts();
  for (const n of ['winword.exe', 'cmd.exe', 'powershell.exe', 'net.exe']) {
    expect(names.map((x) => x.toLowerCase())).toContain(n);
  }
  await expect(
    flyout.getByTestId('processCommandLine').filter({ hasText: 'net group' }),
  ).toHaveCount(1);
  await expect(flyout.getByTestId('edgePrevalenceText').first()).toHaveText(
    A.edges[0]!.prevalence.text,
  );
});
