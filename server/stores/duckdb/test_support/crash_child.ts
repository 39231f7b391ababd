/**
 * Child process for the crash test: imports a file (or writes communities in a loop) and prints
 * one line per committed batch, so the parent can SIGKILL it mid-work. Not a test itself.
 *
 *   node --import tsx crash_child.ts import <db> <file> <batchSize>
 *   node --import tsx crash_child.ts communities <db> <perWrite>
 */
import { fixtureCommunity } from '../../testing/fixtures';
import { openEmbeddedStore } from '../embedded_store';

const [mode, dbPath, arg1, arg2] = process.argv.slice(2);
if (!mode || !dbPath) throw new Error('usage: crash_child.ts import|communities <db> ...');

const store = await openEmbeddedStore(dbPath, { threads: 2 });
if (mode === 'import') {
  const report = await store.importEvents(arg1 as string, {
    batchSize: Number(arg2),
    onBatch: (p) => process.stdout.write(`batch ${p.batches} ${p.inserted}\n`),
  });
  process.stdout.write(`done ${JSON.stringify({ inserted: report.inserted })}\n`);
} else if (mode === 'communities') {
  const per = Number(arg1);
  for (let round = 0; ; round++) {
    const cs = Array.from({ length: per }, (_, i) =>
      fixtureCommunity({
        host: `h${i % 7}.example.local`,
        tag: `r${round}-${i}`,
        score: 0.5 + (i % 50) / 100,
      }),
    );
    await store.communities.writeCommunities(cs, {
      runId: `run-${round}`,
      detectedAt: new Date().toISOString(),
      replaced: [],
    });
    process.stdout.write(`batch ${round + 1} ${per}\n`);
  }
}
await store.close();
