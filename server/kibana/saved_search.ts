/**
 * [Kibana glue] The Discover drill-down's saved objects, created on first use with the request's
 * saved objects client (so in the caller's space and with the caller's rights): a data view over
 * the configured source indices and a saved search with the community columns, both at stable
 * ids. Existing objects are left alone, except that the data view follows a change of indices.
 *
 * Shapes read in elastic/kibana:
 * - SavedObjectsClientContract (create/get/update/getCurrentNamespace):
 *   src/core/packages/saved-objects/api-server/src/saved_objects_client.ts (9.x);
 *   a create on an existing id throws SavedObjectsErrorHelpers.createConflictError, a Boom 409
 *   (src/core/packages/saved-objects/server/src/saved_objects_error_helpers.ts);
 * - `index-pattern`: src/platform/plugins/shared/data_views/server/saved_objects/data_views.ts
 *   @ 385d45e489dcf52d33373d97597e6d331f7154cb (namespaceType 'multiple', no attribute schema)
 *   and DataViewAttributes in data_views/common/types.ts (title, timeFieldName, fields, ...);
 * - `search`: saved_search/server/saved_objects/search.ts @ 01a60f27774ae611d9cca9877140546d6f273dd1
 *   (namespaceType 'multiple-isolated') with the model-version schemas of schema_legacy.ts
 *   @ 37a128080786e7cb2ce939845bb7ed52e4fb2c87 (v6–v12: top-level attributes plus `tabs`,
 *   required from v7) and schema.ts @ 0761edb99bf9dacc5fdc0b2f9ba100036aafba8d (v13+: only
 *   title, description and `tabs`); the data view is referenced as
 *   `kibanaSavedObjectMeta.searchSourceJSON.index`, which get_discover_session.ts injects into
 *   each tab's search source.
 *
 * Multi-namespace objects share one id across all spaces, so the ids carry the space id outside
 * the default space; otherwise a second space's create would meet the first space's object.
 */
import { storeStatus } from '../routes/errors';
import {
  DISCOVER_COLUMNS,
  DISCOVER_DATA_VIEW_ID,
  DISCOVER_SAVED_SEARCH_ID,
  DISCOVER_SORT,
  type DiscoverSavedSearchIds,
} from '../../common/discover';

export interface SavedObjectReference {
  name: string;
  type: string;
  id: string;
}

export interface SavedObject<T = Record<string, unknown>> {
  id: string;
  type: string;
  attributes: T;
  references: SavedObjectReference[];
}

/** The slice of SavedObjectsClientContract used here. */
export interface SavedObjectsClientLike {
  create<T>(
    type: string,
    attributes: T,
    options?: { id?: string; overwrite?: boolean; references?: SavedObjectReference[] },
  ): Promise<SavedObject<T>>;
  get<T>(type: string, id: string): Promise<SavedObject<T>>;
  update<T>(type: string, id: string, attributes: Partial<T>): Promise<unknown>;
  getCurrentNamespace?(): string | undefined;
}

export const DATA_VIEW_TYPE = 'index-pattern';
export const SAVED_SEARCH_TYPE = 'search';
const SEARCH_SOURCE_REF = 'kibanaSavedObjectMeta.searchSourceJSON.index';

export function savedSearchIds(namespace: string | undefined): DiscoverSavedSearchIds {
  const suffix = namespace && namespace !== 'default' ? `-${namespace}` : '';
  return {
    dataViewId: `${DISCOVER_DATA_VIEW_ID}${suffix}`,
    savedSearchId: `${DISCOVER_SAVED_SEARCH_ID}${suffix}`,
  };
}

export function dataViewAttributes(indices: string) {
  return {
    title: indices,
    name: 'ProblemChild process events',
    timeFieldName: '@timestamp',
    // Discover reads the field list from Elasticsearch; the saved list stays empty.
    fields: '[]',
  };
}

/** The per-tab attributes, identical in the legacy top level and in `tabs[0]`. */
function searchTabAttributes() {
  return {
    columns: [...DISCOVER_COLUMNS],
    sort: DISCOVER_SORT.map((s) => [...s]),
    grid: {},
    hideChart: false,
    isTextBasedQuery: false,
    kibanaSavedObjectMeta: {
      searchSourceJSON: JSON.stringify({
        query: { query: '', language: 'kuery' },
        filter: [],
        indexRefName: SEARCH_SOURCE_REF,
      }),
    },
  };
}

const TITLE = 'ProblemChild community events';
const DESCRIPTION =
  'Process-creation events of ProblemChild communities; the app opens it filtered to one community.';
/** A fixed tab id keeps the object identical however often it is created. */
const TAB = { id: 'problem-child-community-events-tab', label: 'Community events' };

/** Accepted by `search` model versions 6 to 12 (Kibana 8.19 / 9.x up to the tabs-only model). */
export function savedSearchAttributes() {
  return {
    title: TITLE,
    description: DESCRIPTION,
    ...searchTabAttributes(),
    tabs: [{ ...TAB, attributes: searchTabAttributes() }],
  };
}

/** The tabs-only shape of model version 13 and later, which rejects the top-level ones. */
export function savedSearchTabsOnlyAttributes() {
  return {
    title: TITLE,
    description: DESCRIPTION,
    tabs: [{ ...TAB, attributes: searchTabAttributes() }],
  };
}

export function savedSearchReferences(dataViewId: string): SavedObjectReference[] {
  return [{ name: SEARCH_SOURCE_REF, type: DATA_VIEW_TYPE, id: dataViewId }];
}

/** The HTTP status of a saved objects error (a Boom error) or of an Elasticsearch error. */
export const savedObjectsStatus = storeStatus;

async function existing<T>(
  client: SavedObjectsClientLike,
  type: string,
  id: string,
): Promise<SavedObject<T> | undefined> {
  try {
    return await client.get<T>(type, id);
  } catch (e) {
    if (savedObjectsStatus(e) === 404) return undefined;
    throw e;
  }
}

/** Creates; a 409 means a concurrent first use created it meanwhile, which is as good. */
async function createOnce<T>(
  client: SavedObjectsClientLike,
  type: string,
  attributes: T,
  options: { id: string; references: SavedObjectReference[] },
): Promise<void> {
  try {
    await client.create(type, attributes, options);
  } catch (e) {
    if (savedObjectsStatus(e) !== 409) throw e;
  }
}

/**
 * Ensures the data view and saved search exist in the client's space and returns their ids.
 * Reads first, so a user who may only read saved objects can follow the link once they exist.
 */
export async function ensureDiscoverSavedSearch(
  client: SavedObjectsClientLike,
  indices: string,
): Promise<DiscoverSavedSearchIds> {
  const title = indices.trim();
  if (title === '') throw new RangeError('indices: the source indices setting is empty');
  const ids = savedSearchIds(client.getCurrentNamespace?.());

  const view = await existing<{ title?: string }>(client, DATA_VIEW_TYPE, ids.dataViewId);
  if (!view) {
    await createOnce(client, DATA_VIEW_TYPE, dataViewAttributes(title), {
      id: ids.dataViewId,
      references: [],
    });
  } else if (view.attributes.title !== title) {
    await client.update(DATA_VIEW_TYPE, ids.dataViewId, { title });
  }

  if (!(await existing(client, SAVED_SEARCH_TYPE, ids.savedSearchId))) {
    const options = { id: ids.savedSearchId, references: savedSearchReferences(ids.dataViewId) };
    try {
      await createOnce(client, SAVED_SEARCH_TYPE, savedSearchAttributes(), options);
    } catch (e) {
      // Kibana releases on the tabs-only model refuse the top-level attributes with a 400.
      if (savedObjectsStatus(e) !== 400) throw e;
      await createOnce(client, SAVED_SEARCH_TYPE, savedSearchTabsOnlyAttributes(), options);
    }
  }
  return ids;
}

/** What route_context.ts hands the routes: the request's own saved objects client. */
export function discoverForRequest(context: { core: Promise<unknown> }) {
  return {
    async ensureSavedSearch(indices: string): Promise<DiscoverSavedSearchIds> {
      const core = (await context.core) as { savedObjects?: { client?: SavedObjectsClientLike } };
      const client = core.savedObjects?.client;
      if (!client) throw new Error('the request context has no saved objects client');
      return ensureDiscoverSavedSearch(client, indices);
    },
  };
}
