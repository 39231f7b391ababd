import { Client } from '@elastic/elasticsearch';

type ClientOptions = NonNullable<ConstructorParameters<typeof Client>[0]>;

export interface EsConnectionConfig {
  node: string;
  apiKey?: string;
  username?: string;
  password?: string;
  requestTimeoutMs?: number;
  maxRetries?: number;
}

/**
 * A plain client for a real Elasticsearch 9 cluster: no product-check or header overrides, so a
 * server that is not Elasticsearch is refused rather than silently half-working.
 */
export function createEsClient(cfg: EsConnectionConfig): Client {
  const opts: ClientOptions = {
    node: cfg.node,
    requestTimeout: cfg.requestTimeoutMs ?? 30_000,
    maxRetries: cfg.maxRetries ?? 3,
  };
  if (cfg.apiKey) opts.auth = { apiKey: cfg.apiKey };
  else if (cfg.username && cfg.password)
    opts.auth = { username: cfg.username, password: cfg.password };
  return new Client(opts);
}
