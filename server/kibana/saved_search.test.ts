/**
 * The Discover saved objects against a fake of Kibana's request-scoped saved objects client.
 *
 * The fake mirrors, in elastic/kibana (9.x line; commits as cited in saved_search.ts):
 * - SavedObjectsClientContract (src/core/packages/saved-objects/api-server/src/
 *   saved_objects_client.ts): create/get/update/getCurrentNamespace; errors are Boom errors with
 *   `output.statusCode` (saved_objects_error_helpers.ts): 409 conflict on an existing id, 404 on
 *   get of a missing or other-space object, 400 when attributes fail the type's create schema;
 * - multi-namespace types (`index-pattern` 'multiple', `search` 'multiple-isolated') keep one
 *   raw id for all spaces, so a create in space B of an id living in space A is a 409 too;
 * - the `search` create schemas: model versions 7–12 (saved_search/server/saved_objects/
 *   schema_legacy.ts @ 37a128080786e7cb2ce939845bb7ed52e4fb2c87: known top-level attributes,
 *   `tabs` required with `{id, label, attributes}` and `kibanaSavedObjectMeta.searchSourceJSON`)
 *   and 13+ (schema.ts @ 0761edb99bf9dacc5fdc0b2f9ba100036aafba8d: only title, description,
 *   tabs). Unknown keys are refused, as @kbn/config-schema objects do by default.
 */
import { describe, expect, it } from 'vitest';
import {
  DATA_VIEW_TYPE,
  discoverForRequest,
  ensureDiscoverSavedSearch,
  SAVED_SEARCH_TYPE,
  savedSearchIds,
  type SavedObject,
  type SavedObjectReference,
  type SavedObjectsClientLike,
} from './saved_search';

class BoomLike extends Error {
  readonly isBoom = true;
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
  get output() {
    return { statusCode: this.statusCode, payload: { message: this.message } };
  }
}

const TAB_ATTRIBUTES = new Set([
  'columns',
  'sort',
  'grid',
  'hideChart',
  'hideTable',
  'isTextBasedQuery',
  'kibanaSavedObjectMeta',
  'usesAdHocDataView',
  'rowHeight',
  'headerRowHeight',
  'rowsPerPage',
  'sampleSize',
  'breakdownField',
  'viewMode',
  'density',
  'timeRestore',
  'timeRange',
  'refreshInterval',
  'visContext',
  'controlGroupJson',
  'chartInterval',
  'hideAggregatedPreview',
]);
const LEGACY_TOP_LEVEL = new Set(['title', 'description', 'tabs', ...TAB_ATTRIBUTES]);
const TABS_ONLY_TOP_LEVEL = new Set(['title', 'description', 'tabs']);

function validateSearch(attrs: Record<string, unknown>, model: 'v12' | 'v13'): void {
  const allowed = model === 'v12' ? LEGACY_TOP_LEVEL : TABS_ONLY_TOP_LEVEL;
  for (const k of Object.keys(attrs)) {
    if (!allowed.has(k))
      throw new BoomLike(400, `[attributes.${k}]: definition for this key is missing`);
  }
  if (typeof attrs.title !== 'string')
    throw new BoomLike(400, '[attributes.title]: expected string');
  const tabs = attrs.tabs as Array<Record<string, unknown>> | undefined;
  if (!Array.isArray(tabs) || tabs.length < 1)
    throw new BoomLike(400, '[attributes.tabs]: required');
  for (const tab of tabs) {
    if (typeof tab.id !== 'string' || typeof tab.label !== 'string') {
      throw new BoomLike(400, '[attributes.tabs.0]: id and label are strings');
    }
    const ta = tab.attributes as Record<string, unknown>;
    for (const k of Object.keys(ta)) {
      if (!TAB_ATTRIBUTES.has(k))
        throw new BoomLike(400, `[attributes.tabs.0.attributes.${k}]: unknown`);
    }
    const meta = ta.kibanaSavedObjectMeta as { searchSourceJSON?: unknown } | undefined;
    if (typeof meta?.searchSourceJSON !== 'string') {
      throw new BoomLike(400, '[attributes.tabs.0.attributes.kibanaSavedObjectMeta]: required');
    }
  }
}

interface Stored extends SavedObject {
  namespace: string;
}

/** One Kibana: objects shared by every space's client, keyed by type and raw id. */
class FakeSavedObjects {
  readonly objects = new Map<string, Stored>();
  readonly calls: string[] = [];
  constructor(readonly searchModel: 'v12' | 'v13' = 'v12') {}

  clientFor(
    namespace: string | undefined,
    opts: { canWrite?: boolean } = {},
  ): SavedObjectsClientLike {
    const ns = namespace ?? 'default';
    const key = (type: string, id: string) => `${type}:${id}`;
    return {
      getCurrentNamespace: () => namespace,
      get: async <T>(type: string, id: string) => {
        this.calls.push(`get ${type}/${id}@${ns}`);
        const o = this.objects.get(key(type, id));
        if (!o || o.namespace !== ns)
          throw new BoomLike(404, `Saved object [${type}/${id}] not found`);
        return o as unknown as SavedObject<T>;
      },
      create: async <T>(
        type: string,
        attributes: T,
        options?: { id?: string; references?: SavedObjectReference[] },
      ) => {
        this.calls.push(`create ${type}/${options?.id}@${ns}`);
        if (opts.canWrite === false) throw new BoomLike(403, `Unable to create ${type}`);
        const id = options?.id ?? 'generated';
        if (this.objects.has(key(type, id))) {
          throw new BoomLike(409, `Saved object [${type}/${id}] conflict`);
        }
        if (type === SAVED_SEARCH_TYPE) {
          validateSearch(attributes as Record<string, unknown>, this.searchModel);
        }
        const o: Stored = {
          id,
          type,
          namespace: ns,
          attributes: structuredClone(attributes) as Record<string, unknown>,
          references: options?.references ?? [],
        };
        this.objects.set(key(type, id), o);
        return o as unknown as SavedObject<T>;
      },
      update: async <T>(type: string, id: string, attributes: Partial<T>) => {
        this.calls.push(`update ${type}/${id}@${ns}`);
        const o = this.objects.get(key(type, id));
        if (!o || o.namespace !== ns) throw new BoomLike(404, 'not found');
        Object.assign(o.attributes, attributes);
        return o;
      },
    };
  }

  get(type: string, id: string): Stored | undefined {
    return this.objects.get(`${type}:${id}`);
  }
}

const INDICES = 'logs-endpoint.events.process-*,winlogbeat-*';

describe('ensureDiscoverSavedSearch', () => {
  it('creates the data view and the saved search with the shapes Discover reads', async () => {
    const so = new FakeSavedObjects();
    const ids = await ensureDiscoverSavedSearch(so.clientFor(undefined), INDICES);
    expect(ids).toEqual({
      dataViewId: 'problem-child-events',
      savedSearchId: 'problem-child-community-events',
    });
    expect(so.get(DATA_VIEW_TYPE, ids.dataViewId)).toMatchObject({
      attributes: { title: INDICES, timeFieldName: '@timestamp', fields: '[]' },
      references: [],
    });
    const search = so.get(SAVED_SEARCH_TYPE, ids.savedSearchId)!;
    const columns = [
      '@timestamp',
      'host.name',
      'user.name',
      'process.parent.name',
      'process.name',
      'process.command_line',
    ];
    expect(search.attributes).toMatchObject({
      title: 'ProblemChild community events',
      columns,
      sort: [['@timestamp', 'asc']],
    });
    const tabs = search.attributes.tabs as Array<{ attributes: Record<string, unknown> }>;
    expect(tabs).toHaveLength(1);
    expect(tabs[0]!.attributes).toMatchObject({ columns, sort: [['@timestamp', 'asc']] });
    const source = JSON.parse(
      (tabs[0]!.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string }).searchSourceJSON,
    ) as Record<string, unknown>;
    expect(source).toEqual({
      query: { query: '', language: 'kuery' },
      filter: [],
      indexRefName: 'kibanaSavedObjectMeta.searchSourceJSON.index',
    });
    expect(search.references).toEqual([
      {
        name: 'kibanaSavedObjectMeta.searchSourceJSON.index',
        type: 'index-pattern',
        id: ids.dataViewId,
      },
    ]);
  });

  it('is idempotent: the second use only reads', async () => {
    const so = new FakeSavedObjects();
    const client = so.clientFor(undefined);
    const first = await ensureDiscoverSavedSearch(client, INDICES);
    so.calls.length = 0;
    expect(await ensureDiscoverSavedSearch(client, INDICES)).toEqual(first);
    expect(so.calls).toEqual([
      'get index-pattern/problem-child-events@default',
      'get search/problem-child-community-events@default',
    ]);
  });

  it('treats a 409 from a concurrent first use as already there', async () => {
    const so = new FakeSavedObjects();
    const client = so.clientFor(undefined);
    const racing: SavedObjectsClientLike = {
      ...client,
      // Both reads miss, then the other request's creates land first.
      get: async (type, id) => {
        await ensureDiscoverSavedSearch(client, INDICES).catch(() => undefined);
        throw new BoomLike(404, `Saved object [${type}/${id}] not found`);
      },
    };
    await expect(ensureDiscoverSavedSearch(racing, INDICES)).resolves.toEqual(
      savedSearchIds(undefined),
    );
  });

  it('gives each space its own objects, since multi-namespace ids are global', async () => {
    const so = new FakeSavedObjects();
    await ensureDiscoverSavedSearch(so.clientFor(undefined), INDICES);
    const blue = await ensureDiscoverSavedSearch(so.clientFor('blue'), INDICES);
    expect(blue).toEqual({
      dataViewId: 'problem-child-events-blue',
      savedSearchId: 'problem-child-community-events-blue',
    });
    expect(so.get(SAVED_SEARCH_TYPE, blue.savedSearchId)).toMatchObject({ namespace: 'blue' });
    expect(so.get(SAVED_SEARCH_TYPE, blue.savedSearchId)!.references[0]!.id).toBe(blue.dataViewId);
  });

  it('follows a change of the source indices on the data view', async () => {
    const so = new FakeSavedObjects();
    const client = so.clientFor(undefined);
    await ensureDiscoverSavedSearch(client, INDICES);
    await ensureDiscoverSavedSearch(client, ' logs-* ');
    expect(so.get(DATA_VIEW_TYPE, 'problem-child-events')!.attributes.title).toBe('logs-*');
  });

  it('falls back to the tabs-only shape on Kibana releases that refuse the legacy one', async () => {
    const so = new FakeSavedObjects('v13');
    await ensureDiscoverSavedSearch(so.clientFor(undefined), INDICES);
    const search = so.get(SAVED_SEARCH_TYPE, 'problem-child-community-events')!;
    expect(Object.keys(search.attributes).sort()).toEqual(['description', 'tabs', 'title']);
    expect(so.calls.filter((c) => c.startsWith('create search'))).toHaveLength(2);
  });

  it('lets a read-only user through once the objects exist, and refuses to create without rights', async () => {
    const so = new FakeSavedObjects();
    const reader = so.clientFor(undefined, { canWrite: false });
    await expect(ensureDiscoverSavedSearch(reader, INDICES)).rejects.toMatchObject({
      output: { statusCode: 403 },
    });
    await ensureDiscoverSavedSearch(so.clientFor(undefined), INDICES);
    await expect(ensureDiscoverSavedSearch(reader, INDICES)).resolves.toEqual(
      savedSearchIds(undefined),
    );
  });

  it('refuses an empty indices setting, naming it', async () => {
    await expect(
      ensureDiscoverSavedSearch(new FakeSavedObjects().clientFor(undefined), '  '),
    ).rejects.toThrow(/indices/);
  });
});

describe('discoverForRequest', () => {
  it('uses the saved objects client of the request context', async () => {
    const so = new FakeSavedObjects();
    const discover = discoverForRequest({
      core: Promise.resolve({ savedObjects: { client: so.clientFor('red') } }),
    });
    expect(await discover.ensureSavedSearch(INDICES)).toEqual(savedSearchIds('red'));
  });

  it('says so when the context has no saved objects client', async () => {
    await expect(
      discoverForRequest({ core: Promise.resolve({}) }).ensureSavedSearch(INDICES),
    ).rejects.toThrow(/saved objects client/);
  });
});
