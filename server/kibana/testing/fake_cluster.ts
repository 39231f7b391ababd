/**
 * An Elasticsearch cluster as seen through its security layer, for tests of the Kibana glue
 * (the integration-test Elasticsearch has no security module: users, roles and API keys cannot
 * be exercised against it). Real @elastic/elasticsearch clients talk to it through a custom
 * Connection, so the plugin's code and the client's error classes are the real ones.
 *
 * It mirrors, from elastic/elasticsearch (x-pack/plugin/security):
 *  - authentication: a request's `authorization: ApiKey base64(id:key)` header is checked
 *    against the cluster's API keys; an unknown, invalidated or expired key is answered 401
 *    `security_exception` "unable to authenticate with provided credentials";
 *  - index authorization: a concrete index the identity may not use is answered 403
 *    `security_exception` ("action [...] is unauthorized for ..."), while wildcard expressions,
 *    and concrete names in requests with ignore_unavailable, resolve to the authorised indices
 *    only (IndicesAndAliasesResolver), which here means an empty answer rather than a 403;
 *  - an API key's privileges are the intersection of its owner's and its role descriptors'
 *    (ApiKeyService / limited-by role);
 *  - `_security/user/_has_privileges` answers per requested index pattern;
 *  - kibana_system's index grants follow KibanaOwnedReservedRoleDescriptors.kibanaSystem()
 *    (commit 0008976a0e323dc8fdf21bf77dcd3fc71a553ef1): `all` on `.kibana*`, read on
 *    `logs-endpoint.*` among event indices, nothing on `problem-child-*` or `winlogbeat-*`.
 * Data-wise it is empty: searches find nothing, writes are accepted.
 */
import { BaseConnection, Client } from '@elastic/elasticsearch';
import type {
  ConnectionRequestOptions,
  ConnectionRequestOptionsAsStream,
  ConnectionRequestParams,
  ConnectionRequestResponse,
  ConnectionRequestResponseAsStream,
} from '@elastic/elasticsearch';

/** Index patterns an identity may read, and write (write implies read). */
export interface IndexGrants {
  read: string[];
  write: string[];
}

export interface EsCall {
  identity: string;
  method: string;
  path: string;
  /** Index expressions of the request (first path segment), if any. */
  indices: string[];
  status: number;
  /** The request body as sent. */
  body: string;
}

interface ApiKey {
  id: string;
  secret: string;
  owner: string;
  names: string[];
  privileges: string[];
  invalidated: boolean;
}

export const KIBANA_SYSTEM_GRANTS: IndexGrants = {
  read: ['.kibana*', 'logs-endpoint.*'],
  write: ['.kibana*'],
};

function esJson(statusCode: number, body: unknown): ConnectionRequestResponse {
  return {
    statusCode,
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' },
  };
}

function securityException(status: 401 | 403, reason: string): ConnectionRequestResponse {
  return esJson(status, {
    error: {
      root_cause: [{ type: 'security_exception', reason }],
      type: 'security_exception',
      reason,
    },
    status,
  });
}

/** Whether the glob `grant` covers the index or pattern `name` (prefix globs only, as used here). */
export function covers(grant: string, name: string): boolean {
  if (grant === name || grant === '*') return true;
  if (!grant.endsWith('*')) return false;
  return name.startsWith(grant.slice(0, -1));
}

const isWrite = (method: string, path: string) =>
  method !== 'GET' &&
  method !== 'HEAD' &&
  /\/(_doc|_create|_update|_bulk|_delete_by_query|_update_by_query)(\/|$)|^\/[^_/][^/]*\/?$/.test(
    path,
  );

type AggSpec = Record<string, Record<string, unknown>>;

function emptyAggregations(spec: AggSpec): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(spec).map(([name, agg]) => {
      const sub = (agg.aggs ?? agg.aggregations) as AggSpec | undefined;
      if ('filter' in agg || 'filters' in agg || 'global' in agg || 'missing' in agg)
        return [name, { doc_count: 0, ...(sub ? emptyAggregations(sub) : {}) }];
      if ('composite' in agg || 'terms' in agg || 'date_histogram' in agg || 'histogram' in agg)
        return [name, { buckets: [] }];
      return [name, { value: null }];
    }),
  );
}

/** What a cluster with empty indices answers: nothing found, writes accepted. */
function emptyCluster(method: string, path: string, body: string): ConnectionRequestResponse {
  const [, index = '', op = '', id = ''] = path.split('/');
  if (op === '_search' || index === '_search') {
    const req = (body ? JSON.parse(body) : {}) as { aggs?: AggSpec; aggregations?: AggSpec };
    const aggs = req.aggs ?? req.aggregations;
    return esJson(200, {
      took: 1,
      timed_out: false,
      _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      hits: { total: { value: 0, relation: 'eq' }, max_score: null, hits: [] },
      ...(aggs ? { aggregations: emptyAggregations(aggs) } : {}),
    });
  }
  if (op === '_field_caps' || index === '_field_caps')
    return esJson(200, { indices: [], fields: {} });
  if (op === '_pit') return esJson(200, { id: 'pit-1' });
  if (index === '_pit') return esJson(200, { succeeded: true, num_freed: 1 });
  if (op === '_doc' && method === 'GET')
    return esJson(404, { _index: index, _id: id, found: false });
  if (op === '_doc' && method === 'DELETE')
    return esJson(404, { _index: index, _id: id, result: 'not_found', _version: 1 });
  const created = () =>
    esJson(201, {
      _index: index,
      _id: id,
      _version: 1,
      result: 'created',
      _seq_no: 0,
      _primary_term: 1,
      _shards: { total: 1, successful: 1, failed: 0 },
    });
  if (op === '_doc' || op === '_create') return created();
  if (op === '_update' && /"(doc_as_upsert|upsert)"/.test(body)) return created();
  if (op === '_update')
    return esJson(404, {
      error: { type: 'document_missing_exception', reason: `[${id}]: document missing` },
      status: 404,
    });
  if (op === '_bulk' || index === '_bulk') {
    const actions = body
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Record<string, { _id?: string }>)
      .filter((l) => ['index', 'create', 'update', 'delete'].includes(Object.keys(l)[0]!));
    return esJson(200, {
      took: 1,
      errors: false,
      items: actions.map((a) => {
        const [kind] = Object.keys(a) as [string];
        return { [kind]: { _id: a[kind]!._id, status: kind === 'delete' ? 200 : 201 } };
      }),
    });
  }
  if (method === 'HEAD')
    return { statusCode: 404, body: '', headers: { 'x-elastic-product': 'Elasticsearch' } };
  return esJson(200, { acknowledged: true });
}

export class FakeSecuredCluster {
  readonly calls: EsCall[] = [];
  private readonly users = new Map<string, IndexGrants>([['kibana_system', KIBANA_SYSTEM_GRANTS]]);
  private readonly keys = new Map<string, ApiKey>();
  private nextKey = 1;

  addUser(name: string, grants: IndexGrants): void {
    this.users.set(name, grants);
  }

  /** What core.security's grantAsInternalUser makes Elasticsearch do (POST _security/api_key/grant). */
  grantApiKey(
    owner: string,
    descriptor: { names: string[]; privileges: string[] },
  ): {
    id: string;
    api_key: string;
  } {
    const key: ApiKey = {
      id: `key-${this.nextKey++}`,
      secret: `secret-${Math.random().toString(36).slice(2)}`,
      owner,
      names: descriptor.names,
      privileges: descriptor.privileges,
      invalidated: false,
    };
    this.keys.set(key.id, key);
    return { id: key.id, api_key: key.secret };
  }

  /** DELETE _security/api_key: invalidated keys authenticate nothing from then on. */
  invalidateApiKeys(ids: string[]): { invalidated: string[]; previously: string[] } {
    const invalidated: string[] = [];
    const previously: string[] = [];
    for (const id of ids) {
      const key = this.keys.get(id);
      if (!key) continue;
      (key.invalidated ? previously : invalidated).push(id);
      key.invalidated = true;
    }
    return { invalidated, previously };
  }

  apiKey(id: string): Readonly<ApiKey> | undefined {
    return this.keys.get(id);
  }

  /** A real client authenticated as `identity` (a user name, or an `ApiKey …` header). */
  client(identity: string): Client {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const cluster = this;
    class SecuredConnection extends BaseConnection {
      override request(
        params: ConnectionRequestParams,
        options: ConnectionRequestOptions,
      ): Promise<ConnectionRequestResponse>;
      override request(
        params: ConnectionRequestParams,
        options: ConnectionRequestOptionsAsStream,
      ): Promise<ConnectionRequestResponseAsStream>;
      // The client never asks this fake for a stream: whole bodies only.
      override async request(
        params: ConnectionRequestParams,
      ): Promise<ConnectionRequestResponse | ConnectionRequestResponseAsStream> {
        const body =
          typeof params.body === 'string' ? params.body : (params.body?.toString() ?? '');
        const qs = typeof params.querystring === 'string' ? params.querystring : '';
        return cluster.answer(identity, params.method, params.path, body, qs);
      }
    }
    return new Client({
      node: 'http://elasticsearch.invalid:9200',
      Connection: SecuredConnection as unknown as typeof BaseConnection,
      maxRetries: 0,
    });
  }

  /** The identity name and index grants behind a credential, or a 401. */
  private authenticate(
    identity: string,
  ): { name: string; allowed(name: string, write: boolean): boolean } | undefined {
    const m = /^ApiKey (.+)$/.exec(identity);
    if (!m) {
      const grants = this.users.get(identity);
      if (!grants) return undefined;
      return {
        name: identity,
        allowed: (n, write) =>
          (write ? grants.write : [...grants.read, ...grants.write]).some((g) => covers(g, n)),
      };
    }
    const [id, secret] = Buffer.from(m[1]!, 'base64').toString('utf8').split(':');
    const key = this.keys.get(id ?? '');
    if (!key || key.invalidated || key.secret !== secret) return undefined;
    const owner = this.users.get(key.owner);
    if (!owner) return undefined;
    return {
      name: `api_key:${key.id}`,
      allowed: (n, write) =>
        !write &&
        key.privileges.includes('read') &&
        key.names.some((g) => covers(g, n)) &&
        [...owner.read, ...owner.write].some((g) => covers(g, n)),
    };
  }

  answer(
    identity: string,
    method: string,
    path: string,
    body: string,
    querystring = '',
  ): ConnectionRequestResponse {
    const who = this.authenticate(identity);
    const first = path.split('/')[1] ?? '';
    const indices = first && !first.startsWith('_') ? decodeURIComponent(first).split(',') : [];
    const record = (status: number) =>
      this.calls.push({ identity: who?.name ?? identity, method, path, indices, status, body });
    if (!who) {
      record(401);
      return securityException(401, 'unable to authenticate with provided credentials');
    }
    if (path.startsWith('/_security/user/_has_privileges')) {
      record(200);
      const req = JSON.parse(body || '{}') as {
        index?: { names: string[]; privileges: string[] }[];
      };
      const index: Record<string, Record<string, boolean>> = {};
      for (const entry of req.index ?? [])
        for (const n of entry.names)
          index[n] = Object.fromEntries(
            entry.privileges.map((p) => [
              p,
              who.allowed(n, p !== 'read' && p !== 'view_index_metadata'),
            ]),
          );
      return esJson(200, {
        username: who.name,
        has_all_requested: Object.values(index).every((p) => Object.values(p).every(Boolean)),
        cluster: {},
        index,
        application: {},
      });
    }
    const write = isWrite(method, path);
    // Lenient requests drop the concrete indices they may not use, as missing ones are dropped.
    const lenient = /(^|&)ignore_unavailable=true(&|$)/.test(querystring);
    const refused = lenient
      ? undefined
      : indices.find((n) => !n.includes('*') && !who.allowed(n, write));
    if (refused !== undefined) {
      record(403);
      const action = write ? 'indices:data/write/index' : 'indices:data/read/search';
      return securityException(
        403,
        `action [${action}] is unauthorized for user [${who.name}] with effective roles [] on indices [${refused}], this action is granted by the index privileges [${write ? 'write,all' : 'read,all'}]`,
      );
    }
    record(200);
    return emptyCluster(method, path, body);
  }
}
