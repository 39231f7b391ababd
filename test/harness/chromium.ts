import fs from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** Debian's chromium (Playwright's own browser download is not available here). */
export function chromiumExecutable(): string {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit) return explicit;
  const found = CANDIDATES.find((p) => fs.existsSync(p));
  if (!found) {
    throw new Error(
      'No Chromium found (looked in ' +
        CANDIDATES.join(', ') +
        '). Run `npx tsx scripts/provision.ts` as root, or `apt-get install chromium`, or set CHROMIUM_PATH.',
    );
  }
  return found;
}
