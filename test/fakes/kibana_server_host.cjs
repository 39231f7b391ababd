/**
 * A fake Kibana server host, in plain CommonJS, for the install test: it loads an installed
 * plugin folder the way Kibana 9.3 does and hands it structural fakes of the core services and
 * plugin contracts ProblemChild declares, with real Elasticsearch clients underneath.
 *
 * What each part mirrors (elastic/kibana, read through the search index; one stored commit per
 * file, not necessarily v9.3.2):
 * - loading: src/core/packages/plugins/server-internal/src/plugin.ts @0d38b595cdf2 (PluginWrapper:
 *   `import(join(path, 'server'))`, which Kibana's own Babel build turns into a require;
 *   `plugin` must be a function, its (awaited) result an object with `setup`; `config.schema`
 *   must pass isConfigSchema, i.e. carry `__isKbnConfigSchemaType`);
 * - manifest: src/core/packages/plugins/server-internal/src/discovery/plugin_manifest_parser.ts
 *   @4926f7c08828 (configPath, else lodash snakeCase(id));
 * - core setup/start: the slices in server/kibana/contracts.ts and the files it names:
 *   http router (versioned routes; `security.authz` required, security_route_config_validator.ts),
 *   elasticsearch client (cluster_client.ts: asInternalUser, asScoped(request|FakeRequest)),
 *   saved objects (hidden types need includedHiddenTypes; Boom 404 for a missing object),
 *   core.security.authc (getCurrentUser, apiKeys.grantAsInternalUser / invalidateAsInternalUser,
 *   api_keys.ts @0b22416ad53d);
 * - plugins: task_manager (registerTaskDefinitions; ensureScheduled/schedule/runSoon/get/fetch/
 *   removeIfExists; the 9.3 RunContext `{ taskInstance, abortController }`, task.ts), features
 *   (registerKibanaFeature, kibana_feature.ts), encryptedSavedObjects (canEncrypt, registerType,
 *   getClient().getDecryptedAsInternalUser, encrypted_saved_objects/server/plugin.ts).
 *
 * Elasticsearch: Kibana supplies its own @elastic/elasticsearch client to plugins. The plugin
 * zip does not ship one (nothing on its server path requires it at run time), so the host takes
 * ours, installed outside the plugin's resolution path; every client it hands out records the
 * (API, indices) of each call for the privilege test.
 *
 * Security: the test Elasticsearch runs without security, so API keys cannot be granted there;
 * grantAsInternalUser answers with a made-up key (recording the role descriptors asked for) and
 * Elasticsearch ignores the authorization header the plugin then sends.
 */
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS on purpose: it runs where Kibana runs plugins, with no loader */

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

/** lodash snakeCase for the camelCase ids Kibana accepts (is_camel_case.ts). */
function snakeCase(id) {
  return (id.match(/[A-Z]{2,}(?=[A-Z][a-z]+|\b|\d)|[A-Z]?[a-z]+|[A-Z]+|\d+/g) || [])
    .map((w) => w.toLowerCase())
    .join('_');
}

/** The config prefix Kibana's discovery derives from an installed plugin's kibana.json. */
function configPrefix(manifest) {
  const p = manifest.configPath || snakeCase(manifest.id);
  return Array.isArray(p) ? p.join('.') : p;
}

function boom(statusCode, message) {
  const err = new Error(message);
  err.isBoom = true;
  err.output = { statusCode, payload: { statusCode, message } };
  return err;
}

function createLogger(lines, context) {
  const at = (level) => (message, meta) => {
    lines.push({
      level,
      context,
      message: message instanceof Error ? message.message : String(message),
      meta,
    });
  };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    log: (record) =>
      lines.push({ level: 'log', context, message: String(record && record.message) }),
    isLevelEnabled: () => true,
    get: (...child) => createLogger(lines, [context, ...child].filter(Boolean).join('.')),
  };
}

// ---------------------------------------------------------------- recording Elasticsearch client

/** Client members that are not Elasticsearch APIs. */
const NOT_APIS = new Set([
  'close',
  'child',
  'extend',
  'helpers',
  'transport',
  'diagnostic',
  'connectionPool',
  'serializer',
  'name',
  'then',
  'constructor',
]);
const NAMESPACES = new Set([
  'indices',
  'cluster',
  'security',
  'ingest',
  'tasks',
  'ilm',
  'snapshot',
]);

function asList(v) {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : String(v).split(',')).map((s) => String(s).trim()).filter(Boolean);
}

function indicesOf(api, params, pits) {
  const p = params || {};
  const body = p.body || {};
  if (api === 'bulk') {
    const ops = p.operations || p.body || [];
    const out = new Set(asList(p.index));
    for (const line of ops) {
      if (!line || typeof line !== 'object') continue;
      for (const action of ['index', 'create', 'update', 'delete']) {
        if (line[action] && line[action]._index) out.add(line[action]._index);
      }
    }
    return [...out];
  }
  const pitId =
    (p.pit && p.pit.id) ||
    (body.pit && body.pit.id) ||
    (api === 'closePointInTime' ? p.id || body.id : undefined);
  if (pitId && pits.has(pitId)) return pits.get(pitId);
  if (api === 'indices.putIndexTemplate' || api === 'indices.putComponentTemplate') return [];
  if (api === 'indices.getDataStream') return asList(p.name);
  // Index privileges asked about, not indices acted on.
  if (api === 'security.hasPrivileges') return [];
  if (api === 'indices.existsAlias' || api === 'indices.getAlias') {
    return p.index !== undefined ? asList(p.index) : asList(p.name);
  }
  return asList(p.index);
}

/**
 * Wraps a real client: each API call appends `{ client, api, indices }` to `calls`. Search
 * through a point in time is attributed to the indices the point in time was opened on.
 */
function recordingClient(client, label, calls, pits, phase = () => undefined) {
  const wrap = (target, prefix) =>
    new Proxy(target, {
      get(t, prop) {
        const value = Reflect.get(t, prop, t);
        if (typeof prop !== 'string' || NOT_APIS.has(prop) || prop.startsWith('_')) return value;
        if (!prefix && NAMESPACES.has(prop) && value && typeof value === 'object') {
          return wrap(value, `${prop}.`);
        }
        if (typeof value !== 'function') return value;
        const api = prefix + prop;
        return (...args) => {
          calls.push({
            client: label,
            api,
            indices: indicesOf(api, args[0], pits),
            phase: phase(),
          });
          const out = value.apply(t, args);
          if (api === 'openPointInTime' && out && typeof out.then === 'function') {
            const indices = asList(args[0] && args[0].index);
            return out.then((res) => {
              if (res && res.id) pits.set(res.id, indices);
              return res;
            });
          }
          return out;
        };
      },
    });
  return wrap(client, '');
}

// ------------------------------------------------------------------------ the host

/**
 * @param {object} opts
 * @param {string} opts.pluginDir   installed plugin folder (<kibana>/plugins/<id>)
 * @param {() => object} opts.createClient  a new real @elastic/elasticsearch Client
 * @param {object} [opts.rawConfig] the kibana.yml-shaped settings object (dotted keys nested)
 */
function createKibanaServerHost(opts) {
  const manifest = JSON.parse(fs.readFileSync(path.join(opts.pluginDir, 'kibana.json'), 'utf8'));
  const prefix = configPrefix(manifest);
  const logs = [];
  const calls = [];
  const pits = new Map();
  const routes = [];
  const features = [];
  const taskDefinitions = {};
  const scheduledTasks = new Map();
  const savedObjectTypes = new Map();
  const encryptedTypes = new Map();
  const savedObjects = new Map();
  const grantedKeys = [];
  const invalidatedKeys = [];
  const clients = [];
  const state = { phase: undefined };

  function loadDefinition() {
    // Kibana: `await import(join(this.path, 'server'))`, a require once Kibana is built.
    const definition = require(path.join(opts.pluginDir, 'server'));
    if (!definition || typeof definition.plugin !== 'function') {
      throw new Error(
        `Definition of plugin "${manifest.id}" should be a function (${opts.pluginDir}).`,
      );
    }
    if (
      definition.config &&
      !(definition.config.schema && definition.config.schema.__isKbnConfigSchemaType)
    ) {
      throw new Error('Configuration schema expected to be an instance of Type');
    }
    return definition;
  }

  /** config.schema.validate of the settings under the plugin's prefix, as core does. */
  function validateConfig(rawConfig) {
    const definition = loadDefinition();
    let value = rawConfig;
    for (const key of prefix.split('.')) value = value === undefined ? undefined : value[key];
    return definition.config.schema.validate(value, {}, prefix);
  }

  function esClient(label, client) {
    return recordingClient(client, label, calls, pits, () => state.phase);
  }

  function clusterClient(internal) {
    return {
      asInternalUser: esClient('internal', internal),
      asScoped(request) {
        const auth = request && request.headers && request.headers.authorization;
        const scoped = opts.createClient(auth ? { headers: { authorization: auth } } : {});
        clients.push(scoped);
        const label =
          typeof auth === 'string' && auth.startsWith('ApiKey ') ? 'api-key' : 'current-user';
        return {
          asCurrentUser: esClient(label, scoped),
          asInternalUser: esClient('internal', internal),
        };
      },
    };
  }

  function savedObjectsClient(
    includedHiddenTypes,
    { decrypting = false, stripSecrets = false } = {},
  ) {
    const visible = (type) => {
      const t = savedObjectTypes.get(type);
      if (!t) throw boom(400, `Unsupported saved object type: '${type}': Bad Request`);
      if (t.hidden && !(includedHiddenTypes || []).includes(type)) {
        throw boom(400, `Unsupported saved object type: '${type}': Bad Request`);
      }
    };
    const key = (type, id) => `${type}:${id}`;
    const secrets = (type) =>
      (encryptedTypes.get(type) || { attributesToEncrypt: new Set() }).attributesToEncrypt;
    const encrypt = (type, attrs) => {
      const out = { ...attrs };
      for (const a of secrets(type)) {
        if (out[a] !== undefined)
          out[a] = `encrypted:${Buffer.from(String(out[a])).toString('base64')}`;
      }
      return out;
    };
    const decrypt = (type, attrs) => {
      const out = { ...attrs };
      for (const a of secrets(type)) {
        if (typeof out[a] === 'string' && out[a].startsWith('encrypted:')) {
          out[a] = Buffer.from(out[a].slice('encrypted:'.length), 'base64').toString();
        }
      }
      return out;
    };
    const read = (type, id) => {
      visible(type);
      const so = savedObjects.get(key(type, id));
      if (!so) throw boom(404, `Saved object [${type}/${id}] not found`);
      let attributes = so.attributes;
      if (decrypting) attributes = decrypt(type, attributes);
      else if (stripSecrets) {
        attributes = { ...attributes };
        for (const a of secrets(type)) delete attributes[a];
      }
      return { id, type, attributes };
    };
    return {
      async create(type, attributes, options = {}) {
        visible(type);
        const id = options.id || crypto.randomUUID();
        if (savedObjects.has(key(type, id)) && !options.overwrite) {
          throw boom(409, `Saved object [${type}/${id}] conflict`);
        }
        savedObjects.set(key(type, id), { type, id, attributes: encrypt(type, attributes) });
        return { id, type, attributes };
      },
      async get(type, id) {
        return read(type, id);
      },
      async update(type, id, attributes) {
        visible(type);
        const so = savedObjects.get(key(type, id));
        if (!so) throw boom(404, `Saved object [${type}/${id}] not found`);
        so.attributes = { ...so.attributes, ...encrypt(type, attributes) };
        return { id, type, attributes };
      },
      async delete(type, id) {
        visible(type);
        if (!savedObjects.delete(key(type, id)))
          throw boom(404, `Saved object [${type}/${id}] not found`);
        return {};
      },
      async getDecryptedAsInternalUser(type, id) {
        return read(type, id);
      },
    };
  }

  const versionedRouter = () => {
    const method = (m) => (config) => {
      if (!config || typeof config.path !== 'string' || !config.access) {
        throw new Error(`a versioned route needs path and access (${JSON.stringify(config)})`);
      }
      if (!config.security || !config.security.authz) {
        throw new Error(`route ${m.toUpperCase()} ${config.path}: security.authz is required`);
      }
      const route = {
        addVersion(options, handler) {
          routes.push({
            method: m,
            path: config.path,
            config,
            version: options.version,
            validate: options.validate,
            handler,
          });
          return route;
        },
      };
      return route;
    };
    return {
      get: method('get'),
      post: method('post'),
      put: method('put'),
      delete: method('delete'),
      patch: method('patch'),
    };
  };

  function taskManagerSetup() {
    return {
      registerTaskDefinitions(defs) {
        for (const [type, def] of Object.entries(defs)) {
          if (taskDefinitions[type]) throw new Error(`Task ${type} is already defined!`);
          if (!def.title || typeof def.createTaskRunner !== 'function') {
            throw new Error(
              `Invalid task definition "${type}": title and createTaskRunner are required`,
            );
          }
          if (def.timeout !== undefined && !/^\d+[smhd]$/.test(def.timeout)) {
            throw new Error(`Invalid timeout "${def.timeout}" of task definition "${type}"`);
          }
          taskDefinitions[type] = def;
        }
      },
    };
  }

  function taskManagerStart() {
    const notFound = (id) => boom(404, `Saved object [task/${id}] not found`);
    return {
      async ensureScheduled(task) {
        if (!taskDefinitions[task.taskType])
          throw new Error(`Unsupported task type "${task.taskType}"`);
        const existing = scheduledTasks.get(task.id);
        scheduledTasks.set(task.id, { status: 'idle', runAt: new Date(), ...existing, ...task });
        return scheduledTasks.get(task.id);
      },
      async schedule(task) {
        const id = task.id || crypto.randomUUID();
        if (scheduledTasks.has(id)) throw boom(409, `Saved object [task/${id}] conflict`);
        scheduledTasks.set(id, { status: 'idle', runAt: new Date(), ...task, id });
        return scheduledTasks.get(id);
      },
      async runSoon(id) {
        const t = scheduledTasks.get(id);
        if (!t) throw notFound(id);
        if (t.status === 'running' || t.status === 'claiming') {
          throw new Error(`Failed to run task "${id}" as it is currently running`);
        }
        t.runAt = new Date();
        return { id };
      },
      async get(id) {
        const t = scheduledTasks.get(id);
        if (!t) throw notFound(id);
        return t;
      },
      async fetch() {
        return { docs: [...scheduledTasks.values()] };
      },
      async removeIfExists(id) {
        scheduledTasks.delete(id);
      },
    };
  }

  const currentUser = (request) => {
    const name = request && request.headers && request.headers['x-test-user'];
    return name ? { username: name } : null;
  };

  /** Core and plugin contracts for one plugin instance whose internal user is `internal`. */
  function services(internal) {
    const es = clusterClient(internal);
    const coreStart = {
      elasticsearch: { client: es },
      savedObjects: {
        getScopedClient: (_request, options = {}) =>
          savedObjectsClient(options.includedHiddenTypes, { stripSecrets: true }),
        createInternalRepository: (includedHiddenTypes) => savedObjectsClient(includedHiddenTypes),
      },
      security: {
        authc: {
          getCurrentUser: currentUser,
          apiKeys: {
            async grantAsInternalUser(request, params) {
              if (!currentUser(request)) throw boom(401, 'Unauthorized');
              const key = {
                id: crypto.randomUUID(),
                name: params.name,
                api_key: crypto.randomBytes(16).toString('hex'),
              };
              grantedKeys.push({ id: key.id, user: currentUser(request).username, params });
              return key;
            },
            async invalidateAsInternalUser(params) {
              invalidatedKeys.push(...params.ids);
              return {
                invalidated_api_keys: params.ids,
                previously_invalidated_api_keys: [],
                error_count: 0,
              };
            },
          },
        },
      },
    };
    const pluginsStart = {
      taskManager: taskManagerStart(),
      encryptedSavedObjects: {
        getClient: (options = {}) =>
          savedObjectsClient(options.includedHiddenTypes, { decrypting: true }),
      },
    };
    const coreSetup = {
      http: { createRouter: () => ({ versioned: versionedRouter() }) },
      savedObjects: {
        registerType(type) {
          if (savedObjectTypes.has(type.name))
            throw new Error(`Type '${type.name}' is already registered`);
          savedObjectTypes.set(type.name, type);
        },
      },
      getStartServices: () => started.promise,
    };
    const pluginsSetup = {
      taskManager: taskManagerSetup(),
      features: {
        registerKibanaFeature(feature) {
          if (!feature.id || !feature.name || !feature.category || !feature.privileges) {
            throw new Error(`invalid feature ${JSON.stringify(feature && feature.id)}`);
          }
          for (const s of feature.scope || []) {
            if (s !== 'security' && s !== 'spaces') throw new Error(`Unknown feature scope ${s}`);
          }
          features.push(feature);
        },
      },
      encryptedSavedObjects: {
        canEncrypt: true,
        registerType(registration) {
          encryptedTypes.set(registration.type, registration);
        },
      },
    };
    let resolve;
    const started = { promise: new Promise((r) => (resolve = r)) };
    return {
      coreSetup,
      pluginsSetup,
      coreStart,
      pluginsStart,
      markStarted: () => resolve([coreStart, pluginsStart, {}]),
    };
  }

  /** One plugin instance through Kibana's lifecycle, with `internal` as its internal user. */
  async function instantiate(internal, validatedConfig) {
    const definition = loadDefinition();
    const context = {
      opaqueId: Symbol(manifest.id),
      env: {
        mode: { dev: false, name: 'production', prod: true },
        packageInfo: { version: '9.3.2', branch: '9.3', buildNum: 1, buildSha: 'fake', dist: true },
      },
      logger: { get: (...p) => createLogger(logs, [manifest.id, ...p].join('.')) },
      config: {
        get: () => validatedConfig,
        create: () => ({ subscribe() {} }),
        legacy: { get: () => ({}) },
      },
      node: { roles: { backgroundTasks: true, ui: true, migrator: false } },
    };
    const instance = await definition.plugin(context);
    if (!instance || typeof instance !== 'object' || typeof instance.setup !== 'function') {
      throw new Error(
        `Initializer for plugin "${manifest.id}" is expected to return plugin instance`,
      );
    }
    const s = services(internal);
    return {
      instance,
      services: s,
      setup: () => instance.setup(s.coreSetup, s.pluginsSetup),
      start: () => {
        s.markStarted();
        return instance.start(s.coreStart, s.pluginsStart);
      },
      stop: () => (typeof instance.stop === 'function' ? instance.stop() : undefined),
    };
  }

  /**
   * Calls a registered route the way Kibana's router does: the version's function validators
   * (route_validator.ts: `(data, { ok, badRequest })`) run first and a failure answers 400; the
   * handler gets `context.core` resolving to the request-scoped Elasticsearch client.
   */
  async function callRoute(instanceServices, method, urlPath, request = {}) {
    const match = routes.find((r) => {
      if (r.method !== method) return false;
      const re = new RegExp('^' + r.path.replace(/\{[^}]+\}/g, '([^/]+)') + '$');
      return re.test(urlPath);
    });
    if (!match) throw new Error(`no route ${method.toUpperCase()} ${urlPath}`);
    const names = [...match.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const values = new RegExp('^' + match.path.replace(/\{[^}]+\}/g, '([^/]+)') + '$')
      .exec(urlPath)
      .slice(1);
    const kibanaRequest = {
      headers: request.headers || {},
      params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(values[i])])),
      query: request.query || {},
      body: request.body,
      auth: { isAuthenticated: true },
      route: { path: match.path, method },
    };
    const v = (match.validate && match.validate.request) || {};
    for (const part of ['params', 'query', 'body']) {
      if (typeof v[part] !== 'function') continue;
      const res = v[part](kibanaRequest[part], {
        ok: (value) => ({ value }),
        badRequest: (error) => ({ error: typeof error === 'string' ? new Error(error) : error }),
      });
      if (res.error)
        return { status: 400, payload: { message: `[request ${part}]: ${res.error.message}` } };
      kibanaRequest[part] = res.value;
    }
    const es = instanceServices.coreStart.elasticsearch.client.asScoped(kibanaRequest);
    const context = { core: Promise.resolve({ elasticsearch: { client: es } }) };
    return match.handler(context, kibanaRequest, responseFactory);
  }

  return {
    /** A label stored with every recorded call (setup, start, task, …). */
    get phase() {
      return state.phase;
    },
    set phase(v) {
      state.phase = v;
    },
    callRoute,
    manifest,
    prefix,
    logs,
    calls,
    routes,
    features,
    taskDefinitions,
    scheduledTasks,
    savedObjectTypes,
    savedObjects,
    grantedKeys,
    invalidatedKeys,
    validateConfig,
    instantiate,
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    },
    trackClient(c) {
      clients.push(c);
      return c;
    },
  };
}

/** Kibana's response factory (the parts routes use); customError refuses statuses below 400. */
const responseFactory = {
  ok: ({ body } = {}) => ({ status: 200, payload: body }),
  accepted: ({ body } = {}) => ({ status: 202, payload: body }),
  noContent: () => ({ status: 204 }),
  badRequest: ({ body } = {}) => ({ status: 400, payload: body }),
  notFound: ({ body } = {}) => ({ status: 404, payload: body }),
  conflict: ({ body } = {}) => ({ status: 409, payload: body }),
  custom: ({ statusCode, body }) => ({ status: statusCode, payload: body }),
  customError: ({ statusCode, body }) => {
    if (statusCode < 400 || statusCode >= 600)
      throw new Error(
        `Unexpected Http status code. Expected from 400 to 599, but given: ${statusCode}`,
      );
    return { status: statusCode, payload: body };
  },
};

module.exports = {
  createKibanaServerHost,
  configPrefix,
  snakeCase,
  responseFactory,
  recordingClient,
};
