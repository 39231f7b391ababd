import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Builds the standalone host's copy of the analyst app; inside Kibana the plugin optimizer
// bundles public/ against Kibana's own React and EUI instead.
export default defineConfig({
  root: path.join(root, 'standalone/web'),
  plugins: [react()],
  build: {
    outDir: path.join(root, 'build/public'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 4096,
  },
});
