/**
 * One place that picks and initialises the TensorFlow.js backend for the whole process.
 *
 * Order: tfjs-node when it happens to be installed (native, fastest; it cannot be installed
 * offline so normally absent), else wasm (SIMD, ~17× faster than the pure-JS cpu backend),
 * else cpu with a logged reason. The wasm binaries are loaded from the installed package's
 * dist folder so nothing is fetched over the network, and bundling cannot break the lookup.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendLogger = (message: string) => void;

let ready: Promise<BackendName> | undefined;

const require = createRequire(import.meta.url);

/** Directory holding tfjs-backend-wasm*.wasm, resolved from the installed package. */
export function wasmDistDir(): string {
  // The package's `main` lives in dist/, next to the .wasm files.
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
}

function hasModule(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

async function pickBackend(log: BackendLogger): Promise<BackendName> {
  if (hasModule('@tensorflow/tfjs-node')) {
    try {
      const moduleName = '@tensorflow/tfjs-node';
      await import(/* @vite-ignore */ moduleName);
      if (await tf.setBackend('tensorflow')) {
        await tf.ready();
        return 'tensorflow';
      }
      log('tfjs-node is installed but its backend did not register; trying wasm');
    } catch (err) {
      log(`tfjs-node is installed but failed to load (${(err as Error).message}); trying wasm`);
    }
  }
  try {
    setWasmPaths(`${wasmDistDir()}${path.sep}`);
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return 'wasm';
    }
    log('wasm backend refused to initialise; falling back to the slower cpu backend');
  } catch (err) {
    log(`wasm backend failed (${(err as Error).message}); falling back to the slower cpu backend`);
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}

/** Initialises the backend once per process; later calls return the same result. */
export function initTf(
  log: BackendLogger = (m) => console.warn(`[problemchild/model] ${m}`),
): Promise<BackendName> {
  if (!ready) {
    ready = pickBackend(log).catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
  }
  return ready;
}

export { tf };
