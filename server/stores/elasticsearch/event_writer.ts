/**
 * Stores already-normalised ProcessEvents in an event index, by event id (re-indexing the same
 * event overwrites it). Used by tests, the benchmark and imports into a cluster; the detection
 * job itself only reads events.
 */
import type { Client } from '@elastic/elasticsearch';
import type { ProcessEvent } from '../../../common/types/process_event';
import type { Logger } from '../../ports';
import { PROCESS_EVENT_MAPPINGS } from './process_event_mappings';
import { requestOptions, statusOf, withRetry } from './retry';

export interface IndexEventsOptions {
  /** Events per bulk request (default 5,000). */
  batchSize?: number;
  /** Make the events searchable before returning. */
  refresh?: boolean;
  logger?: Logger;
  signal?: AbortSignal;
}

/** Creates an event index with the core-types ECS mapping when it does not exist. */
export async function ensureEventIndex(
  client: Client,
  index: string,
  opts: { shards?: number } = {},
): Promise<void> {
  try {
    await client.indices.create(
      {
        index,
        settings: { number_of_shards: opts.shards ?? 1, auto_expand_replicas: '0-1' },
        mappings: PROCESS_EVENT_MAPPINGS,
      },
      requestOptions(),
    );
  } catch (err) {
    const type = (err as { body?: { error?: { type?: string } } }).body?.error?.type;
    if (!(statusOf(err) === 400 && type === 'resource_already_exists_exception')) throw err;
  }
}

export async function indexEvents(
  client: Client,
  index: string,
  events: Iterable<ProcessEvent> | AsyncIterable<ProcessEvent>,
  opts: IndexEventsOptions = {},
): Promise<{ indexed: number; failed: { id: string; reason: string }[] }> {
  const size = opts.batchSize ?? 5_000;
  let batch: ProcessEvent[] = [];
  let indexed = 0;
  const failed: { id: string; reason: string }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const operations = batch.flatMap((e) => [{ index: { _index: index, _id: e.event.id } }, e]);
    const ids = batch.map((e) => e.event.id);
    batch = [];
    const res = await withRetry(() => client.bulk({ operations }, requestOptions(opts.signal)), {
      signal: opts.signal,
      logger: opts.logger,
      what: 'index events',
    });
    res.items.forEach((item, i) => {
      const r = item.index;
      if (r?.error)
        failed.push({ id: ids[i] ?? '', reason: `${r.error.type}: ${r.error.reason ?? ''}` });
      else indexed++;
    });
  };
  for await (const e of events) {
    batch.push(e);
    if (batch.length >= size) await flush();
  }
  await flush();
  // One refresh at the end instead of one per bulk request.
  if (opts.refresh) await client.indices.refresh({ index }, requestOptions());
  return { indexed, failed };
}
