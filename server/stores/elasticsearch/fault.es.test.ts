/**
 * A cluster that disappears mid-read must fail the read (after bounded retries), never end it
 * early as if the window had no more events. Uses its own short-lived node, so stopping it does
 * not disturb the shared one.
 */
import type { Client } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smokeEvents } from '../../../test/integration/smoke_events';
import { startElasticsearch, type RunningElasticsearch } from '../../../test/harness/elasticsearch';
import { createEsClient } from './client';
import { EsEventSource } from './event_source';
import { ensureEventIndex, indexEvents } from './event_writer';

const INDEX = 'pc-fault-events';
const N = 20_000;

describe('EsEventSource when the cluster goes away', () => {
  let es: RunningElasticsearch;
  let client: Client;

  beforeAll(async () => {
    es = await startElasticsearch();
    client = createEsClient({ node: es.url, requestTimeoutMs: 5_000 });
    await ensureEventIndex(client, INDEX);
    await indexEvents(client, INDEX, smokeEvents(N, 5), { refresh: true });
  });

  afterAll(async () => {
    await client?.close();
    await es?.stop();
  });

  it('rejects with the connection error instead of ending early', async () => {
    const src = new EsEventSource({ client, indices: () => INDEX, pageSize: 500 });
    let n = 0;
    const t0 = Date.now();
    const err = await (async () => {
      for await (const _e of src.readEvents({
        window: { start: '2000-01-01T00:00:00Z', end: '2100-01-01T00:00:00Z' },
      })) {
        if (++n === 1_000) await es.stop();
      }
    })().catch((e: unknown) => e);
    expect(n).toBeGreaterThanOrEqual(1_000);
    expect(n).toBeLessThan(N);
    expect(err).toBeInstanceOf(errors.ConnectionError);
    // Bounded: a few backoff rounds, not a hang.
    expect(Date.now() - t0).toBeLessThan(60_000);
  });
});
