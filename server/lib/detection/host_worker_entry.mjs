// Worker-thread entry of parallel_hosts.ts: loads the TypeScript worker through tsx, as the CLI
// itself runs (bin/problemchild.mjs), so a checkout needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('./host_worker.ts');
