import { defineConfig } from '@playwright/test';
import { chromiumExecutable } from './harness/chromium';

export default defineConfig({
  testDir: './ui',
  outputDir: '../test-results/ui',
  timeout: 60_000,
  workers: 1,
  reporter: [['list']],
  use: {
    // EUI and Kibana tag elements with data-test-subj, not data-testid.
    testIdAttribute: 'data-test-subj',
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: chromiumExecutable(),
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    },
  },
});
