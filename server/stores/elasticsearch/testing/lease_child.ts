/**
 * A host in the middle of a leased run, as its own process so a test can SIGSTOP it past its
 * lease and SIGCONT it: it takes partition 0/1's lease, prints `held <token>`, then on each stdin
 * line `write <iso>` saves that checkpoint through the fenced stores and prints `written` or
 * `refused <message>`. Not a test itself.
 *
 *   node --import tsx lease_child.ts <esUrl> <prefix> <holder> <ttlMs>
 */
import readline from 'node:readline';
import { createEsClient } from '../client';
import { EsStore } from '../es_store';
import { EsLeases, FencedError, fencedStores } from '../lease';

const [url, prefix, holder, ttl] = process.argv.slice(2);
if (!url || !prefix || !holder || !ttl)
  throw new Error('usage: lease_child.ts URL PREFIX HOLDER TTL_MS');
const client = createEsClient({ node: url });
const store = new EsStore({
  client,
  names: { communities: `${prefix}-communities`, state: `${prefix}-state` },
});
const leases = new EsLeases({ client, index: store.names.state, holder, ttlMs: Number(ttl) });
const partition = { index: 0, count: 1 };
const lease = await leases.acquire(partition);
if (!lease) throw new Error('the lease is held by another host');
const stores = fencedStores(store.stores, leases, lease);
process.stdout.write(`held ${lease.token}\n`);

for await (const line of readline.createInterface({ input: process.stdin })) {
  const [cmd, at] = line.split(' ');
  if (cmd !== 'write' || !at) continue;
  try {
    await stores.state.saveCheckpoint(partition, { processedUntil: at, updatedAt: at });
    process.stdout.write('written\n');
  } catch (e) {
    if (!(e instanceof FencedError)) throw e;
    process.stdout.write(`refused ${e.message}\n`);
  }
}
await client.close();
