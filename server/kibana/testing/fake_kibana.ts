/**
 * Structural fakes of the Kibana contracts in ../contracts.ts, for tests (Kibana cannot run
 * here). Each mirrors the elastic/kibana source and commit its contract names:
 *
 *  - FakeTaskManager: task_manager/server/task_scheduling.ts (@0086c4b627f24a254edaa731e7439c87f1d4c164:
 *    runSoon throws "as it is currently running" for claiming/running tasks, ensureScheduled only
 *    updates the interval of an existing idle task), task_store.ts (@0098ca24d0be64e46c0fba5094394487fe0f46a1:
 *    schedule with an existing id is a saved-objects conflict, get of a missing id a not-found
 *    error, fetch filters on `task.taskType`), lib/remove_if_exists.ts (@1892a8d751518a6e8e8d50fcc8c81b2c44102f9a)
 *    and task_running/task_runner.ts (a one-off task is deleted once it has run; the run context
 *    carries `abortController` on 9.x, `signal` on main, neither on 8.x: task.ts).
 *  - FakeSavedObjects: core saved_objects_service.ts (@00dc6f5ffa263670d2bcd1bcb14a9d76305ba472:
 *    getScopedClient applies the encryption extension unless excluded, createInternalRepository
 *    has none), the repository's rule for encrypted types ("Predefined IDs are not allowed for
 *    saved objects with encrypted attributes unless the ID is a UUID"), hidden types reachable only
 *    when included, Boom errors with `output.statusCode`.
 *  - FakeEncryptedSavedObjects: encrypted_saved_objects/server/plugin.ts (@1dffeba6124f4c40243fbccc304b16f08d900173)
 *    and saved_objects/index.ts (@3825a338b2e8a00a67aa6c2ddc30160e8237a2ba): canEncrypt, registerType,
 *    getClient().getDecryptedAsInternalUser; attributes are stored encrypted (here: an obviously
 *    fake envelope) and stripped from what clients return.
 *  - FakeCoreSecurity: core security authc.ts (@0f3736063368c8a7bde4b4b56516d6f35caa254c) and
 *    authentication/api_keys/api_keys.ts (@0b22416ad53d8a6445c90313c7a755c6437f59cc):
 *    getCurrentUser(request), grantAsInternalUser (null when API keys are disabled),
 *    invalidateAsInternalUser({ ids }); the keys live in the FakeSecuredCluster.
 *  - cluster client: core elasticsearch cluster_client.ts / scopeable_request.ts: asScoped takes a
 *    KibanaRequest (the user's credentials) or a FakeRequest whose `authorization` header is used.
 */
import type {
  ClusterClient,
  CoreStart,
  EncryptedSavedObjectsSetup,
  EncryptedSavedObjectsStart,
  FakeRequest,
  KibanaRequest,
  SavedObject,
  SavedObjectsClientContract,
  SavedObjectsType,
  TaskDefinition,
  TaskManagerSetup,
  TaskManagerStart,
  TaskRunContext,
} from '../contracts';
import type { FakeSecuredCluster } from './fake_cluster';

/** SavedObjectsErrorHelpers' Boom errors: `isBoom`, `output.statusCode`. */
export function savedObjectsError(statusCode: 400 | 404 | 409, message: string): Error {
  const names = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict' };
  return Object.assign(new Error(message), {
    isBoom: true,
    output: { statusCode, payload: { statusCode, error: names[statusCode], message } },
  });
}

export type RunContextFlavour = 'abortController' | 'signal' | 'none';

export interface FakeTask {
  id: string;
  taskType: string;
  params: Record<string, unknown>;
  state: Record<string, unknown>;
  status: string;
  runAt: Date;
  schedule?: { interval: string };
}

export class FakeTaskManager implements TaskManagerSetup, TaskManagerStart {
  readonly definitions: Record<string, TaskDefinition> = {};
  readonly tasks = new Map<string, FakeTask>();
  readonly runSoonCalls: string[] = [];
  private nextId = 1;

  registerTaskDefinitions(defs: Record<string, TaskDefinition>): void {
    for (const type of Object.keys(defs))
      if (this.definitions[type]) throw new Error(`Task ${type} is already defined!`);
    Object.assign(this.definitions, defs);
  }

  async ensureScheduled(task: Parameters<TaskManagerStart['ensureScheduled']>[0]) {
    const existing = this.tasks.get(task.id);
    if (!existing) return this.schedule(task);
    if (existing.status === 'idle') existing.schedule = task.schedule;
    return task;
  }

  async schedule(
    task: Parameters<TaskManagerStart['schedule']>[0] & { schedule?: { interval: string } },
  ) {
    if (!this.definitions[task.taskType])
      throw new Error(`Unsupported task type "${task.taskType}"`);
    const id = task.id ?? `generated-${this.nextId++}`;
    if (this.tasks.has(id)) throw savedObjectsError(409, `Saved object [task/${id}] conflict`);
    const stored: FakeTask = {
      id,
      taskType: task.taskType,
      params: task.params,
      state: task.state,
      status: 'idle',
      runAt: new Date(),
      ...(task.schedule ? { schedule: task.schedule } : {}),
    };
    this.tasks.set(id, stored);
    return stored;
  }

  async runSoon(id: string) {
    this.runSoonCalls.push(id);
    const task = await this.get(id);
    if (task.status === 'unrecognized')
      throw new Error(`Failed to run task "${id}" with status ${task.status}`);
    if (task.status === 'claiming' || task.status === 'running')
      throw new Error(`Failed to run task "${id}" as it is currently running`);
    task.runAt = new Date();
    return { id, forced: false };
  }

  async get(id: string): Promise<FakeTask> {
    const task = this.tasks.get(id);
    if (!task) throw savedObjectsError(404, `Saved object [task/${id}] not found`);
    return task;
  }

  async fetch(opts: { query?: Record<string, unknown>; size?: number }) {
    const filters = ((
      opts.query?.bool as { filter?: { term?: Record<string, string> }[] } | undefined
    )?.filter ?? []) as { term?: Record<string, string> }[];
    const type = filters.find((f) => f.term?.['task.taskType'])?.term?.['task.taskType'];
    const docs = [...this.tasks.values()].filter((t) => type === undefined || t.taskType === type);
    return { docs: docs.slice(0, opts.size ?? 10) };
  }

  async removeIfExists(id: string): Promise<void> {
    this.tasks.delete(id);
  }

  /**
   * Claims and runs a task as Task Manager's runner does, with the run context of one Kibana
   * line. `during` is called while the task is running (its status is then `running`); its
   * `abort` does what Task Manager does on timeout or shutdown: aborts the context's controller
   * where the line passes one, else calls the runner's cancel().
   */
  async run(
    id: string,
    opts: { flavour?: RunContextFlavour; during?: (abort: () => void) => Promise<void> } = {},
  ): Promise<{ state: Record<string, unknown> } | void> {
    const task = await this.get(id);
    const def = this.definitions[task.taskType];
    if (!def) throw new Error(`no definition for ${task.taskType}`);
    const flavour = opts.flavour ?? 'abortController';
    const controller = new AbortController();
    const context: TaskRunContext = {
      taskInstance: { ...task },
      ...(flavour === 'abortController' ? { abortController: controller } : {}),
      ...(flavour === 'signal' ? { signal: controller.signal } : {}),
    };
    task.status = 'running';
    try {
      const runner = def.createTaskRunner(context);
      const running = runner.run();
      await opts.during?.(() =>
        flavour === 'none' ? void runner.cancel?.() : controller.abort(new Error('timed out')),
      );
      const result = await running;
      if (result?.state) task.state = result.state;
      if (!task.schedule) this.tasks.delete(id);
      return result;
    } finally {
      task.status = 'idle';
    }
  }
}

interface EsoRegistration {
  type: string;
  attributesToEncrypt: ReadonlySet<string>;
}

const ENVELOPE = 'fake-eso-encrypted:';

export class FakeEncryptedSavedObjects {
  readonly registrations = new Map<string, EsoRegistration>();
  private objects: FakeSavedObjects | undefined;

  constructor(readonly canEncrypt: boolean) {}

  attach(objects: FakeSavedObjects): void {
    this.objects = objects;
  }

  get setupContract(): EncryptedSavedObjectsSetup {
    return {
      canEncrypt: this.canEncrypt,
      registerType: (r) => {
        this.registrations.set(r.type, r);
      },
    };
  }

  get startContract(): EncryptedSavedObjectsStart {
    return {
      getClient: (options = {}) => ({
        getDecryptedAsInternalUser: async <A>(type: string, id: string) => {
          const so = this.objects!.raw(type, id, options.includedHiddenTypes ?? []);
          return { ...so, attributes: this.decrypt(type, so.attributes) as A };
        },
      }),
    };
  }

  isRegistered(type: string): boolean {
    return this.registrations.has(type);
  }

  encrypt(type: string, attributes: Record<string, unknown>): Record<string, unknown> {
    const r = this.registrations.get(type);
    if (!r) return attributes;
    if (!this.canEncrypt) throw new Error('Unable to encrypt attributes: no encryption key is set');
    return Object.fromEntries(
      Object.entries(attributes).map(([k, v]) =>
        r.attributesToEncrypt.has(k) && v !== undefined
          ? [k, ENVELOPE + Buffer.from(JSON.stringify(v)).toString('base64')]
          : [k, v],
      ),
    );
  }

  decrypt(type: string, attributes: Record<string, unknown>): Record<string, unknown> {
    const r = this.registrations.get(type);
    if (!r) return attributes;
    return Object.fromEntries(
      Object.entries(attributes).map(([k, v]) => {
        if (!r.attributesToEncrypt.has(k) || v === undefined) return [k, v];
        if (typeof v !== 'string' || !v.startsWith(ENVELOPE))
          throw new Error(`Unable to decrypt attribute "${k}"`);
        return [k, JSON.parse(Buffer.from(v.slice(ENVELOPE.length), 'base64').toString())];
      }),
    );
  }

  strip(type: string, attributes: Record<string, unknown>): Record<string, unknown> {
    const r = this.registrations.get(type);
    if (!r) return attributes;
    return Object.fromEntries(
      Object.entries(attributes).filter(([k]) => !r.attributesToEncrypt.has(k)),
    );
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export class FakeSavedObjects {
  readonly types = new Map<string, SavedObjectsType>();
  private readonly docs = new Map<string, SavedObject<Record<string, unknown>>>();

  constructor(private readonly eso: FakeEncryptedSavedObjects) {
    eso.attach(this);
  }

  registerType(type: SavedObjectsType): void {
    if (this.types.has(type.name)) throw new Error(`Type '${type.name}' is already registered`);
    this.types.set(type.name, type);
  }

  /** The document as stored in `.kibana` (encrypted attributes still encrypted). */
  raw(
    type: string,
    id: string,
    includedHiddenTypes: string[],
  ): SavedObject<Record<string, unknown>> {
    this.check(type, includedHiddenTypes);
    const so = this.docs.get(`${type}:${id}`);
    if (!so) throw savedObjectsError(404, `Saved object [${type}/${id}] not found`);
    return so;
  }

  private check(type: string, included: string[]): void {
    const t = this.types.get(type);
    if (!t || (t.hidden && !included.includes(type)))
      throw savedObjectsError(400, `Unsupported saved object type: '${type}'`);
  }

  private client(included: string[], encryption: boolean): SavedObjectsClientContract {
    const eso = this.eso;
    const out = <A>(so: SavedObject<Record<string, unknown>>) =>
      ({
        ...so,
        attributes: (encryption ? eso.strip(so.type, so.attributes) : so.attributes) as A,
      }) as SavedObject<A>;
    return {
      create: async <A>(
        type: string,
        attributes: A,
        options: { id: string; overwrite: boolean },
      ) => {
        this.check(type, included);
        const key = `${type}:${options.id}`;
        if (encryption && eso.isRegistered(type) && !UUID.test(options.id))
          throw savedObjectsError(
            400,
            'Predefined IDs are not allowed for saved objects with encrypted attributes unless the ID is a UUID.',
          );
        if (this.docs.has(key) && !options.overwrite)
          throw savedObjectsError(409, `Saved object [${type}/${options.id}] conflict`);
        const attrs = attributes as Record<string, unknown>;
        const so = {
          id: options.id,
          type,
          attributes: encryption ? eso.encrypt(type, attrs) : attrs,
        };
        this.docs.set(key, so);
        return out<A>(so);
      },
      get: async <A>(type: string, id: string) => out<A>(this.raw(type, id, included)),
      update: async <A>(type: string, id: string, attributes: Partial<A>) => {
        const so = this.raw(type, id, included);
        const patch = attributes as Record<string, unknown>;
        so.attributes = { ...so.attributes, ...(encryption ? eso.encrypt(type, patch) : patch) };
        return out(so);
      },
      delete: async (type: string, id: string) => {
        this.raw(type, id, included);
        this.docs.delete(`${type}:${id}`);
        return {};
      },
    };
  }

  get startContract(): CoreStart['savedObjects'] {
    return {
      getScopedClient: (_request, options) =>
        this.client(
          options.includedHiddenTypes ?? [],
          !(options.excludedExtensions ?? []).includes('encryptedSavedObjects'),
        ),
      createInternalRepository: (includedHiddenTypes = []) =>
        this.client(includedHiddenTypes, false),
    };
  }
}

export class FakeCoreSecurity {
  readonly grants: { user: string; params: Record<string, unknown> }[] = [];
  readonly invalidations: string[][] = [];
  apiKeysEnabled = true;
  private readonly users = new WeakMap<object, string>();

  constructor(private readonly cluster: FakeSecuredCluster) {}

  /** A KibanaRequest authenticated as `user`. */
  request(user: string, parts: Partial<KibanaRequest> = {}): KibanaRequest {
    const req: KibanaRequest = {
      params: {},
      query: {},
      body: undefined,
      auth: { isAuthenticated: true },
      ...parts,
    };
    this.users.set(req, user);
    return req;
  }

  userOf(request: object): string | undefined {
    return this.users.get(request);
  }

  get startContract(): CoreStart['security'] {
    return {
      authc: {
        getCurrentUser: (request) => {
          const username = this.users.get(request);
          return username ? { username } : null;
        },
        apiKeys: {
          grantAsInternalUser: async (request, params) => {
            const user = this.users.get(request);
            if (!user)
              throw new Error('grantAsInternalUser: the request has no authenticated user');
            this.grants.push({ user, params: params as unknown as Record<string, unknown> });
            if (!this.apiKeysEnabled) return null;
            const role = Object.values(params.role_descriptors)[0] as {
              indices: { names: string[]; privileges: string[] }[];
            };
            const key = this.cluster.grantApiKey(user, role.indices[0]!);
            return { id: key.id, name: params.name, api_key: key.api_key };
          },
          invalidateAsInternalUser: async ({ ids }) => {
            this.invalidations.push(ids);
            const r = this.cluster.invalidateApiKeys(ids);
            return {
              invalidated_api_keys: r.invalidated,
              previously_invalidated_api_keys: r.previously,
              error_count: 0,
            };
          },
        },
      },
    };
  }

  /** core.elasticsearch.client over the fake cluster. */
  clusterClient(): ClusterClient {
    const internal = this.cluster.client('kibana_system');
    return {
      asInternalUser: internal,
      asScoped: (request: KibanaRequest | FakeRequest) => {
        const auth = (request as FakeRequest).headers?.authorization;
        const identity = auth ?? this.users.get(request) ?? 'anonymous';
        return { asCurrentUser: this.cluster.client(identity), asInternalUser: internal };
      },
    };
  }
}
