/**
 * Quarantined host-windows in the app, against the real standalone host: a detection run whose
 * scorer fails on one host's events (every other host analysed as usual) leaves that host-window
 * quarantined with a failure finding; the panel lists it with the reason, Retry gives it fresh
 * attempts and Dismiss removes it while its finding stays.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { listCommunitiesQuery } from '../../common/schemas';
import type { ProcessEvent } from '../../common/types/process_event';
import { runDetectionJob } from '../../server/jobs/detection_job';
import { hostKey } from '../../server/lib/detection/names';
import { TfjsEdgeScorer } from '../../server/lib/model/scorer';
import type { QuarantinedHostWindow, StoredCommunity } from '../../server/ports';
import {
  callApi,
  openApp,
  screenshot,
  startTestHost,
  trackPageErrors,
  type TestHost,
} from './support';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let host: TestHost;
let hostile = '';

test.beforeAll(async () => {
  test.setTimeout(180_000);
  host = await startTestHost();
  const { stores, demo } = host.standalone;
  const model = await TfjsEdgeScorer.load({ modelDir: path.resolve(HERE, '../../models/default') });
  const window = demo!.report.window!;
  const first = (await stores.communities.list(listCommunitiesQuery.parse({ per_page: '1' })))
    .items[0];
  hostile = hostKey(first!.host);
  // One host's records break the scorer, the way a hostile record would.
  const scorer = async () => ({
    modelName: model.modelName,
    score: async (events: ProcessEvent[]) => {
      if (events.some((e) => hostKey(e.host.name) === hostile))
        throw new RangeError('Maximum call stack size exceeded');
      return model.score(events);
    },
  });
  const report = await runDetectionJob(
    { stores, scorer, logger: quiet },
    { partition: { index: 0, count: 1 }, range: { from: window.start, to: window.end } },
  );
  expect(report.status, report.errors.join('; ')).toBe('succeeded');
});
test.afterAll(async () => {
  await host?.close();
});

test('lists a quarantined host-window with its reason; retry and dismiss work', async ({
  page,
}) => {
  const errors = trackPageErrors(page);
  const listed = await callApi<{ items: QuarantinedHostWindow[] }>(
    host,
    'GET',
    '/detection/quarantine',
  );
  expect(listed.body.items.length).toBeGreaterThan(0);
  const q = listed.body.items[0]!;
  const finding = await callApi<StoredCommunity>(host, 'GET', `/communities/${q.communityId}`);
  expect(finding.body.score).toBe(1);
  expect(finding.body.chain).toMatch(/^analysis failed on this host: scoring events/);

  await openApp(page, host.url);
  const panel = page.getByTestId('quarantinePanel');
  await expect(panel).toBeVisible();
  const rows = panel.getByTestId('quarantineRow');
  await expect(rows).toHaveCount(listed.body.items.length);
  await expect(rows.first().getByTestId('quarantineReason')).toContainText(
    'scoring events: RangeError: Maximum call stack size exceeded',
  );
  await expect(rows.first().getByTestId('quarantineAttempts')).toContainText('1 of 3');
  await screenshot(page, 'quarantine_panel');

  // Retry: fresh attempts for the next run.
  await rows.first().getByTestId('quarantineRetry').click();
  await expect(page.getByTestId('appToast-success')).toContainText('Set for retry');
  await expect
    .poll(async () => {
      const r = await callApi<{ items: QuarantinedHostWindow[] }>(
        host,
        'GET',
        '/detection/quarantine',
      );
      return r.body.items.find((i) => i.id === listed.body.items[0]!.id)?.attempts;
    })
    .toBe(0);
  await expect(rows.first().getByTestId('quarantineAttempts')).toContainText('0 of 3');

  // Dismiss every row: the panel goes, the failure findings stay.
  for (let n = listed.body.items.length; n > 0; n--) {
    await rows.first().getByTestId('quarantineDismiss').click();
    if (n > 1) await expect(rows).toHaveCount(n - 1);
  }
  await expect(panel).toBeHidden();
  expect(
    (await callApi<{ items: unknown[] }>(host, 'GET', '/detection/quarantine')).body.items,
  ).toEqual([]);
  expect((await callApi(host, 'GET', `/communities/${q.communityId}`)).status).toBe(200);
  expect(errors).toEqual([]);
});
