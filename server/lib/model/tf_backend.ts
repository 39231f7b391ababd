/**
 * One place that picks and initialises the TensorFlow.js backend for the whole process.
 *
 * Order: tfjs-node when it happens to be installed (native, fastest; it cannot be installed
 * offline so normally absent), else wasm (SIMD, ~17× faster than the pure-JS cpu backend),
 * else cpu with a logged reason. In Node the wasm package's CommonJS build (its `main`, loaded
 * under ESM too since the package has no `exports`) finds its .wasm files beside itself, so
 * nothing is fetched over the network and no path is computed here.
 *
 * This file is on the Kibana server path, which Kibana loads as Babel-compiled CommonJS: it must
 * not use `import.meta` (a SyntaxError outside ESM) nor `createRequire(import.meta.url)`.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from './tf_api';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendLogger = (message: string) => void;

let ready: Promise<BackendName> | undefined;

/** Loads an optional package; undefined when it is not installed, an error when it is but fails. */
async function loadOptional(name: string): Promise<unknown> {
  try {
    return await import(/* @vite-ignore */ name);
  } catch (err) {
    const code = (err as { code?: string }).code;
    // ESM import says ERR_MODULE_NOT_FOUND, the CommonJS require Babel compiles it to says
    // MODULE_NOT_FOUND; only a miss of the package itself means "not installed".
    if (
      (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
      String((err as Error).message).includes(name)
    ) {
      return undefined;
    }
    throw err;
  }
}

async function pickBackend(log: BackendLogger): Promise<BackendName> {
  try {
    if ((await loadOptional('@tensorflow/tfjs-node')) !== undefined) {
      if (await tf.setBackend('tensorflow')) {
        await tf.ready();
        return 'tensorflow';
      }
      log('tfjs-node is installed but its backend did not register; trying wasm');
    }
  } catch (err) {
    log(`tfjs-node is installed but failed to load (${(err as Error).message}); trying wasm`);
  }
  try {
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
