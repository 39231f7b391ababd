/**
 * The installable archive: `build/<id>-<kibanaVersion>.zip` whose one top-level folder is
 * `kibana/`, holding `kibana/<id>/…`, as Kibana's plugin helpers write it
 * (elastic/kibana packages/kbn-plugin-helpers/src/tasks/create_archive.ts @381eb763f2b0:
 * archiver, zip, zlib level 9, `archive.directory(build/kibana, 'kibana')`). `kibana-plugin
 * install` finds `kibana/<folder>/kibana.json` in it and extracts that folder as
 * `plugins/<id>` (src/cli_plugin/install/zip.js, pack.js in elastic/kibana).
 */
import archiver from 'archiver';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export async function writeZip(kibanaDir: string, zipFile: string): Promise<number> {
  const output = createWriteStream(zipFile);
  const archive = archiver('zip', { zlib: { level: 9 } });
  const done = new Promise<void>((resolve, reject) => {
    output.on('close', () => resolve());
    output.on('error', reject);
    archive.on('error', reject);
    // Warnings are missing files and the like: a broken build, not something to skip.
    archive.on('warning', reject);
  });
  archive.pipe(output);
  archive.directory(kibanaDir, 'kibana');
  await archive.finalize();
  await done;
  return (await stat(zipFile)).size;
}
