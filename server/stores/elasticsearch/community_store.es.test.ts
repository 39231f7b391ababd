/**
 * Index setup and community writes against a real cluster: idempotent templates, re-runs that
 * update in place, item failures that are reported rather than lost, and conditional writes
 * that keep detection re-writes and analyst triage from overwriting each other.
 */
import type { Client } from '@elastic/elasticsearch';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { fixtureCommunity } from '../testing/fixtures';
import { ConflictError } from '../../ports';
import { createEsClient } from './client';
import { EsStore } from './es_store';
import { communitiesFirstIndex, detectCapabilities } from './indices';

const client: Client = createEsClient({ node: inject('esUrl') });
let n = 0;
const meta = (runId = 'run-1') => ({ runId, detectedAt: '2024-03-01T11:00:00.000Z', replaced: [] });

function many(count: number, tag = 'm') {
  return Array.from({ length: count }, (_, i) =>
    fixtureCommunity({ tag: `${tag}${i}`, rank: i + 1, score: 0.5 + (i % 50) / 100 }),
  );
}

describe('EsStore communities', () => {
  let store: EsStore;

  beforeEach(() => {
    const prefix = `pc-comm-${process.pid}-${++n}`;
    store = new EsStore({
      client,
      names: { communities: `${prefix}-communities`, state: `${prefix}-state` },
    });
  });

  afterEach(async () => {
    await store.destroy();
  });

  afterAll(async () => {
    await client.close();
  });

  async function docCount(): Promise<number> {
    await client.indices.refresh({ index: store.names.communities });
    return (await client.count({ index: store.names.communities })).count;
  }

  it('sets up idempotently, also from several nodes at once', async () => {
    await Promise.all([store.setup(), store.setup(), store.setup()]);
    await store.setup();
    const alias = await client.indices.getAlias({ name: store.names.communities });
    expect(Object.keys(alias)).toEqual([communitiesFirstIndex(store.names)]);
    const tpl = await client.indices.getIndexTemplate({ name: store.names.communities });
    expect(tpl.index_templates[0]?.index_template._meta).toMatchObject({
      managed_by: 'problem_child',
    });
    const mapping = await client.indices.getMapping({ index: store.names.communities });
    const props = Object.values(mapping)[0]?.mappings.properties ?? {};
    expect(props.command_lines).toEqual({ type: 'keyword' });
    expect(props.community).toEqual({ type: 'object', enabled: false });
    // The test cluster has no data-stream module; the store uses a plain index there (and everywhere).
    expect(await detectCapabilities(client)).toEqual({ dataStreams: false });
  });

  it('writing the same communities twice updates them in place, after a re-setup too', async () => {
    await store.setup();
    const cs = many(120);
    expect(await store.communities.writeCommunities(cs, meta())).toEqual({
      written: 120,
      removed: 0,
      failed: [],
    });
    await store.setup();
    const again = cs.map((c) => ({ ...c, score: 0.99 }));
    expect(await store.communities.writeCommunities(again, meta('run-2'))).toEqual({
      written: 120,
      removed: 0,
      failed: [],
    });
    expect(await docCount()).toBe(120);
    const got = await store.communities.get(cs[7]!.id);
    expect(got).toMatchObject({ score: 0.99, version: 2, runId: 'run-2' });
    const page = await store.communities.list({
      sort: 'rank',
      direction: 'asc',
      page: 3,
      per_page: 50,
    });
    expect(page.total).toBe(120);
    expect(page.items.map((i) => i.rank)).toEqual(Array.from({ length: 20 }, (_, i) => 101 + i));
  });

  it('reports a document the mapping refuses and writes the others', async () => {
    await store.setup();
    const cs = many(5);
    // A finite rank the store accepts, but too large for the integer field.
    const bad = { ...cs[2]!, rank: 1e20 };
    const rep = await store.communities.writeCommunities(
      [cs[0]!, cs[1]!, bad, cs[3]!, cs[4]!],
      meta(),
    );
    expect(rep.written).toBe(4);
    expect(rep.failed).toHaveLength(1);
    expect(rep.failed[0]!.id).toBe(bad.id);
    expect(rep.failed[0]!.reason).toMatch(/exception/);
    expect(await store.communities.get(bad.id)).toBeUndefined();
    expect(await docCount()).toBe(4);
  });

  it('reports every item of a write-blocked index, and writes them once it is writable', async () => {
    await store.setup();
    const index = communitiesFirstIndex(store.names);
    const cs = many(10);
    await client.indices.putSettings({ index, settings: { 'index.blocks.write': true } });
    try {
      const rep = await store.communities.writeCommunities(cs, meta());
      expect(rep.written).toBe(0);
      expect(rep.failed.map((f) => f.id).sort()).toEqual(cs.map((c) => c.id).sort());
      expect(rep.failed[0]!.reason).toMatch(/cluster_block_exception/);
    } finally {
      await client.indices.putSettings({ index, settings: { 'index.blocks.write': false } });
    }
    expect(await store.communities.writeCommunities(cs, meta())).toEqual({
      written: 10,
      removed: 0,
      failed: [],
    });
    expect(await docCount()).toBe(10);
  });

  it('fails loudly when the index is closed instead of reporting a write', async () => {
    await store.setup();
    const index = communitiesFirstIndex(store.names);
    await client.indices.close({ index });
    try {
      await expect(store.communities.writeCommunities(many(3), meta())).rejects.toThrow(/closed/);
    } finally {
      await client.indices.open({ index, wait_for_active_shards: 1 });
    }
  });

  it('refuses a triage based on a version read before a detection re-write (409)', async () => {
    await store.setup();
    const c = fixtureCommunity();
    await store.communities.writeCommunities([c], meta());
    const seen = (await store.communities.get(c.id))!;
    expect(seen.version).toBe(1);
    await store.communities.writeCommunities([{ ...c, score: 0.42 }], meta('run-2'));
    const err = await store.communities
      .triage(c.id, { status: 'closed' }, 'alice', seen.version)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).current).toBe(2);
    expect((await store.communities.get(c.id))!.triage.status).toBe('open');
  });

  it('interleaved detection re-writes and triage keep every change of both', async () => {
    await store.setup();
    const c = fixtureCommunity();
    await store.communities.writeCommunities([c], meta());
    const writes = Array.from({ length: 5 }, (_, i) =>
      store.communities.writeCommunities([{ ...c, score: 0.5 + i / 100 }], meta(`run-${i + 2}`)),
    );
    const triages = Array.from({ length: 5 }, (_, i) =>
      store.communities.triage(c.id, { note: `note ${i}` }, `u${i}`),
    );
    const reports = await Promise.all(writes);
    await Promise.all(triages);
    for (const r of reports) expect(r).toEqual({ written: 1, removed: 0, failed: [] });
    const got = (await store.communities.get(c.id))!;
    expect(got.version).toBe(1 + 5 + 5);
    expect(got.triage.history.map((h) => h.changes.note?.to).sort()).toEqual([
      'note 0',
      'note 1',
      'note 2',
      'note 3',
      'note 4',
    ]);
    expect(await docCount()).toBe(1);
  });
});
