/**
 * The standalone host's HTTP server: the analyst app's static bundle now, the same API routes
 * as the Kibana plugin as they land.
 */
import fs from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

export interface HttpServerOptions {
  /** Folder holding the built app (index.html and assets/). */
  staticDir: string;
  host?: string;
  port?: number;
}

export interface RunningHttpServer {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

// Emotion (EUI's CSS-in-JS) writes <style> tags, so styles need 'unsafe-inline'; scripts never do.
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  if (!fs.existsSync(path.join(opts.staticDir, 'index.html'))) {
    throw new Error(
      `The analyst app is not built: ${path.join(opts.staticDir, 'index.html')} is missing. ` +
        'Run `npm run build:public` first.',
    );
  }
  const app = Fastify({ logger: false });
  app.addHook('onSend', async (_req, reply) => {
    reply.header('Content-Security-Policy', CSP);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Referrer-Policy', 'no-referrer');
  });
  await app.register(fastifyStatic, { root: path.resolve(opts.staticDir), index: ['index.html'] });
  const host = opts.host ?? '127.0.0.1';
  await app.listen({ host, port: opts.port ?? 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return { url: `http://${host}:${port}`, app, close: () => app.close() };
}
