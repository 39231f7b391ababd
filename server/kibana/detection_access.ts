/**
 * [Kibana glue] Detection access under Kibana. Kibana's internal user may not read most source
 * indices (kibana_system reads only logs-endpoint.* among them), so detection reads with an API
 * key an administrator creates by enabling detection in the app:
 *
 *  - enable: core.security grants, as the internal user, a key for the administrator limited by
 *    `role_descriptors` to read + view_index_metadata on the source index patterns (Elasticsearch
 *    limits it further to what the administrator may do); it is kept in one hidden,
 *    space-agnostic saved object with the key encrypted by the encryptedSavedObjects plugin;
 *  - the task decrypts it and reads through `asScoped({ headers: { authorization } })`;
 *  - a 401/403 from that client (key invalidated, expired or no longer allowed) marks access
 *    stopped: runs are skipped and the app says "detection stopped: re-enable";
 *  - disable invalidates the key as the internal user and deletes the saved object.
 */
import type { Client } from '@elastic/elasticsearch';
import {
  DETECTION_API_KEY_NAME,
  DETECTION_CREDENTIALS_ID,
  DETECTION_CREDENTIALS_TYPE,
  SOURCE_READER_ROLE,
  SOURCE_READ_PRIVILEGES,
} from '../../common/constants';
import { ALERT_INDEX } from '../alerts/ecs_alert';
import { ALERT_INDEX_PRIVILEGES } from '../alerts/ecs_alert_sink';
import { RefusedError } from '../ports';
import type { DetectionAccess, DetectionAccessStatus, Logger } from '../ports';
import type {
  CoreStart,
  EncryptedSavedObjectsSetup,
  EncryptedSavedObjectsStart,
  KibanaRequest,
  SavedObjectsType,
} from './contracts';
import { httpStatusOf } from './run_now';
import { apiKeyAuthorization } from './source_client';

/** Stored attributes; only `apiKey` is secret (encrypted, never sent to a browser). */
export interface CredentialAttributes {
  apiKeyId: string;
  apiKeyName: string;
  apiKey: string;
  enabledBy: string;
  enabledAt: string;
  indices: string[];
  privileges: string[];
  readable?: Record<string, boolean>;
  stoppedAt?: string | null;
  stoppedReason?: string | null;
}

export type PublicCredentials = Omit<CredentialAttributes, 'apiKey'>;

/** Nothing in it is searched, so nothing is mapped (and the key never is). */
export const DETECTION_CREDENTIALS_SAVED_OBJECT: SavedObjectsType = {
  name: DETECTION_CREDENTIALS_TYPE,
  hidden: true,
  namespaceType: 'agnostic',
  mappings: { dynamic: false, properties: {} },
  management: { importableAndExportable: false },
};

export function registerDetectionCredentials(
  savedObjects: { registerType(type: SavedObjectsType): void },
  eso: EncryptedSavedObjectsSetup | undefined,
): void {
  savedObjects.registerType(DETECTION_CREDENTIALS_SAVED_OBJECT);
  eso?.registerType({
    type: DETECTION_CREDENTIALS_TYPE,
    attributesToEncrypt: new Set(['apiKey']),
  });
}

/** The detection key's second grant: the one index its findings are written to. */
export const ALERT_INDEX_GRANT = {
  names: [ALERT_INDEX],
  privileges: [...ALERT_INDEX_PRIVILEGES],
  allow_restricted_indices: false,
};

export const ENCRYPTION_KEY_MISSING =
  'Detection cannot be enabled until xpack.encryptedSavedObjects.encryptionKey (32 or more characters) is set in kibana.yml: Kibana stores the detection API key encrypted with it. Set it and restart Kibana.';

export function splitPatterns(indices: string): string[] {
  return [
    ...new Set(
      indices
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    ),
  ];
}

const strip = ({ apiKey: _secret, ...rest }: CredentialAttributes): PublicCredentials => rest;

export interface CredentialStoreDeps {
  core: Pick<CoreStart, 'savedObjects' | 'security'>;
  eso: EncryptedSavedObjectsStart | undefined;
  /** xpack.encryptedSavedObjects.encryptionKey is set (ESO setup `canEncrypt`). */
  canEncrypt: boolean;
  logger: Logger;
}

/** The stored credentials, as the task and the routes both need them. */
export class DetectionCredentials {
  constructor(private readonly deps: CredentialStoreDeps) {}

  get canEncrypt(): boolean {
    return this.deps.canEncrypt && this.deps.eso !== undefined;
  }

  private get repository() {
    return this.deps.core.savedObjects.createInternalRepository([DETECTION_CREDENTIALS_TYPE]);
  }

  /** The non-secret attributes, or undefined when detection was never enabled. */
  async read(): Promise<PublicCredentials | undefined> {
    try {
      const so = await this.repository.get<CredentialAttributes>(
        DETECTION_CREDENTIALS_TYPE,
        DETECTION_CREDENTIALS_ID,
      );
      return strip(so.attributes);
    } catch (e) {
      if (httpStatusOf(e) === 404) return undefined;
      throw e;
    }
  }

  /** The decrypted key for the task; undefined when there is none. */
  async decrypted(): Promise<CredentialAttributes | undefined> {
    if (!this.canEncrypt) return undefined;
    try {
      const so = await this.deps
        .eso!.getClient({ includedHiddenTypes: [DETECTION_CREDENTIALS_TYPE] })
        .getDecryptedAsInternalUser<CredentialAttributes>(
          DETECTION_CREDENTIALS_TYPE,
          DETECTION_CREDENTIALS_ID,
        );
      return so.attributes;
    } catch (e) {
      if (httpStatusOf(e) === 404) return undefined;
      throw e;
    }
  }

  async markStopped(reason: string): Promise<void> {
    await this.repository.update<CredentialAttributes>(
      DETECTION_CREDENTIALS_TYPE,
      DETECTION_CREDENTIALS_ID,
      { stoppedAt: new Date().toISOString(), stoppedReason: reason },
    );
  }

  /** Through the encryption extension, as the internal user (security extension excluded). */
  async save(request: KibanaRequest, attributes: CredentialAttributes): Promise<void> {
    const client = this.deps.core.savedObjects.getScopedClient(request, {
      includedHiddenTypes: [DETECTION_CREDENTIALS_TYPE],
      excludedExtensions: ['security'],
    });
    await client.create(DETECTION_CREDENTIALS_TYPE, attributes, {
      id: DETECTION_CREDENTIALS_ID,
      overwrite: true,
    });
  }

  async remove(): Promise<void> {
    try {
      await this.repository.delete(DETECTION_CREDENTIALS_TYPE, DETECTION_CREDENTIALS_ID);
    } catch (e) {
      if (httpStatusOf(e) !== 404) throw e;
    }
  }

  async invalidate(apiKeyId: string): Promise<void> {
    const res = await this.deps.core.security.authc.apiKeys.invalidateAsInternalUser({
      ids: [apiKeyId],
    });
    if (res && res.error_count > 0)
      throw new Error(`Elasticsearch reported ${res.error_count} error(s) invalidating the key`);
  }
}

export function statusFrom(
  creds: PublicCredentials | undefined,
  canEncrypt: boolean,
  defaultPatterns: string[],
): DetectionAccessStatus {
  const base = { host: 'kibana' as const, privileges: [...SOURCE_READ_PRIVILEGES] };
  if (!creds)
    return {
      ...base,
      state: 'not_enabled',
      enabled: false,
      indices: defaultPatterns,
      reason: canEncrypt
        ? 'Detection is not enabled: a user with the ProblemChild "all" privilege and read access to the source indices must enable it.'
        : ENCRYPTION_KEY_MISSING,
    };
  const common = {
    ...base,
    enabledBy: creds.enabledBy,
    enabledAt: creds.enabledAt,
    indices: creds.indices,
    privileges: creds.privileges,
    ...(creds.readable ? { readable: creds.readable } : {}),
  };
  if (creds.stoppedAt)
    return {
      ...common,
      state: 'stopped',
      enabled: false,
      stoppedAt: creds.stoppedAt,
      reason: `Detection stopped: re-enable. ${creds.stoppedReason ?? ''}`.trim(),
    };
  return { ...common, state: 'enabled', enabled: true };
}

/** The enabling administrator's view, bound to their request. */
export class KibanaDetectionAccess implements DetectionAccess {
  constructor(
    private readonly credentials: DetectionCredentials,
    private readonly deps: {
      core: Pick<CoreStart, 'elasticsearch' | 'security'>;
      request: KibanaRequest;
      /** The `indices` setting, for a key enabled without explicit patterns. */
      defaultIndices(): Promise<string>;
      logger: Logger;
    },
  ) {}

  async status(): Promise<DetectionAccessStatus> {
    const creds = await this.credentials.read();
    const configured = splitPatterns(await this.deps.defaultIndices());
    const status = statusFrom(creds, this.credentials.canEncrypt, configured);
    // The key reads only what it was created for; a later change of the setting needs a new key.
    const missing = configured.filter((p) => !status.indices.includes(p));
    if (status.state === 'enabled' && missing.length > 0)
      status.reason = `The indices setting also names ${missing.join(', ')}, which the detection key cannot read: enable detection again to include them.`;
    return status;
  }

  async enable(user: string, indices?: string): Promise<DetectionAccessStatus> {
    if (!this.credentials.canEncrypt) throw new RefusedError(400, ENCRYPTION_KEY_MISSING);
    const patterns = splitPatterns(indices ?? (await this.deps.defaultIndices()));
    if (patterns.length === 0)
      throw new RefusedError(400, 'give at least one source index pattern', 'body.indices');
    const key = await this.deps.core.security.authc.apiKeys.grantAsInternalUser(this.deps.request, {
      name: DETECTION_API_KEY_NAME,
      role_descriptors: {
        [SOURCE_READER_ROLE]: {
          cluster: [],
          indices: [
            {
              names: patterns,
              privileges: [...SOURCE_READ_PRIVILEGES],
              allow_restricted_indices: false,
            },
            // The findings published for Elastic Security (server/alerts/ecs_alert_sink.ts):
            // kibana_system may not write logs-*, so the task writes them with this key too.
            ALERT_INDEX_GRANT,
          ],
        },
      },
      metadata: { managed_by: 'problem_child', enabled_by: user },
    });
    if (!key)
      throw new RefusedError(
        400,
        'Elasticsearch granted no API key: API keys are disabled (xpack.security.authc.api_key.enabled) or security is off on the cluster',
      );
    const readable = await this.readable(key, patterns);
    if (readable && !Object.values(readable).some(Boolean)) {
      await this.credentials.invalidate(key.id).catch(() => undefined);
      throw new RefusedError(
        403,
        `Your role cannot read any of ${patterns.join(', ')}, so the detection key would read nothing: grant read and view_index_metadata on them, then enable again`,
      );
    }
    const previous = await this.credentials.read();
    await this.credentials.save(this.deps.request, {
      apiKeyId: key.id,
      apiKeyName: key.name,
      apiKey: key.api_key,
      enabledBy: user,
      enabledAt: new Date().toISOString(),
      indices: patterns,
      privileges: [...SOURCE_READ_PRIVILEGES],
      ...(readable ? { readable } : {}),
      stoppedAt: null,
      stoppedReason: null,
    });
    // The replaced key must not keep working: it may read indices no longer configured.
    if (previous && previous.apiKeyId !== key.id) {
      await this.credentials.invalidate(previous.apiKeyId).catch((e: unknown) =>
        this.deps.logger.warn('could not invalidate the replaced detection API key', {
          apiKeyId: previous.apiKeyId,
          error: e instanceof Error ? e.message : String(e),
        }),
      );
    }
    this.deps.logger.info(`detection enabled by ${user}`, { indices: patterns });
    return this.status();
  }

  async disable(user: string): Promise<DetectionAccessStatus> {
    const current = await this.credentials.read();
    if (current) {
      try {
        await this.credentials.invalidate(current.apiKeyId);
      } catch (e) {
        // The record stays so that disabling can be retried: deleting it would orphan a live key.
        this.deps.logger.error('could not invalidate the detection API key', {
          error: e instanceof Error ? e.message : String(e),
        });
        throw new RefusedError(
          503,
          'Elasticsearch did not invalidate the detection API key; detection is still enabled. Try again.',
        );
      }
      await this.credentials.remove();
      this.deps.logger.info(`detection disabled by ${user}`);
    }
    return this.status();
  }

  /**
   * What the new key may read, per pattern, as Elasticsearch sees it (the intersection of the
   * administrator's rights and the key's descriptor). Unknown when the check itself fails.
   */
  private async readable(
    key: { id: string; api_key: string },
    patterns: string[],
  ): Promise<Record<string, boolean> | undefined> {
    try {
      const client = this.deps.core.elasticsearch.client.asScoped({
        headers: { authorization: apiKeyAuthorization(key.id, key.api_key) },
      }).asCurrentUser as Client;
      const res = await client.security.hasPrivileges({
        index: [{ names: patterns, privileges: ['read'] }],
      });
      return Object.fromEntries(patterns.map((p) => [p, res.index?.[p]?.read === true]));
    } catch (e) {
      this.deps.logger.warn('could not check what the detection key may read', {
        error: e instanceof Error ? e.message : String(e),
      });
      return undefined;
    }
  }
}
