/**
 * Vitest globalSetup for the `es` project: one real Elasticsearch for the whole run, or the
 * cluster named by ES_URL when set (then nothing is started).
 */
import type { TestProject } from 'vitest/node';
import { startElasticsearch, type RunningElasticsearch } from './elasticsearch';

declare module 'vitest' {
  export interface ProvidedContext {
    esUrl: string;
  }
}

let running: RunningElasticsearch | undefined;

export async function setup(project: TestProject): Promise<void> {
  const external = process.env.ES_URL;
  if (external) {
    project.provide('esUrl', external);
    return;
  }
  running = await startElasticsearch();
  console.log(
    `[es] Elasticsearch ${running.version} at ${running.url}, healthy after ${running.bootMs} ms`,
  );
  project.provide('esUrl', running.url);
}

export async function teardown(): Promise<void> {
  await running?.stop();
}
