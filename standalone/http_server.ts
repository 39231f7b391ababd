/**
 * The standalone host's HTTP server: the analyst app's static bundle now, the same API routes
 * as the Kibana plugin as they land.
 */
import fs from 'node:fs';
import { STATUS_CODES } from 'node:http';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { registerStandaloneRoutes, type StandaloneRouteOptions } from './register_routes';

export interface HttpServerOptions {
  /** Folder holding the built app (index.html and assets/). */
  staticDir: string;
  host?: string;
  port?: number;
  /** The API; without it only the app is served. */
  routes?: StandaloneRouteOptions;
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

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('Content-Security-Policy', CSP)
    .header('X-Content-Type-Options', 'nosniff')
    .header('X-Frame-Options', 'DENY')
    .header('Referrer-Policy', 'no-referrer');
}

/** Names and addresses that reach this machine only. */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1']);

/** The host name of a Host header, without port or IPv6 brackets, lower-cased. */
function hostHeaderName(h: string | undefined): string {
  if (!h) return '';
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']')).toLowerCase();
  const colon = h.indexOf(':');
  return (colon < 0 ? h : h.slice(0, colon)).toLowerCase();
}

/** A 4xx in the API's shape: a message, and the part of the request it is about. */
function clientError(status: number, field: string, message: string) {
  return {
    statusCode: status,
    error: STATUS_CODES[status] ?? 'Bad Request',
    message: `[${field}]: ${message}`,
    errors: [{ field, message }],
  };
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  if (!fs.existsSync(path.join(opts.staticDir, 'index.html'))) {
    throw new Error(
      `The analyst app is not built: ${path.join(opts.staticDir, 'index.html')} is missing. ` +
        'Run `npm run build:public` first.',
    );
  }
  // Bodies above 1 MiB are refused before parsing (triage notes are capped far below that).
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    // Longer than any id the schemas accept, so an overlong id gets a 400 naming the field
    // instead of falling through to "no route".
    routerOptions: { maxParamLength: 1024 },
    // A path that does not percent-decode never reaches a route: answer in the API's shape.
    frameworkErrors: (err, _req, res) => {
      // These replies skip the onSend hooks.
      const reply = securityHeaders(res as FastifyReply);
      const status =
        err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
      return reply
        .code(status)
        .type('application/json; charset=utf-8')
        .send(clientError(status, 'path', err.message));
    },
  });
  app.setErrorHandler(
    (err: { statusCode?: number; message?: string; code?: string }, _req, reply) => {
      // Fastify's own errors (malformed JSON, body too large, wrong content type) are the client's
      // fault: say so. Anything else is ours: log it, answer without internals.
      const status =
        err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) {
        opts.routes?.logger.error('unhandled server error', { error: String(err.message) });
        return reply.code(500).type('application/json; charset=utf-8').send({
          statusCode: 500,
          error: 'Internal Server Error',
          message: 'An internal error occurred; see the server log.',
        });
      }
      // Content-parser errors (FST_ERR_CTP_*) are about the body; the rest (a null byte in a static
      // path, say) about the path.
      const field = err.code?.startsWith('FST_ERR_CTP_') ? 'body' : 'path';
      return reply
        .code(status)
        .type('application/json; charset=utf-8')
        .send(clientError(status, field, String(err.message)));
    },
  );
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/internal/') || req.url.startsWith('/api/')) {
      return reply
        .code(404)
        .type('application/json; charset=utf-8')
        .send({
          statusCode: 404,
          error: 'Not Found',
          message: `no route ${req.method} ${req.url.split('?')[0]}`,
        });
    }
    // The app is a single page: unknown paths get it, and it shows its own not-found state.
    return reply.type('text/html; charset=utf-8').sendFile('index.html');
  });
  app.addHook('onSend', async (_req, reply) => {
    securityHeaders(reply);
  });
  const host = opts.host ?? '127.0.0.1';
  if (LOOPBACK_HOSTS.has(host)) {
    // On loopback a page from any site can still reach us through DNS rebinding (its own name,
    // re-pointed at 127.0.0.1, makes it same-origin): serve loopback names only.
    app.addHook('onRequest', async (req, reply) => {
      const name = hostHeaderName(req.headers.host);
      if (LOOPBACK_HOSTS.has(name)) return;
      return reply
        .code(403)
        .type('application/json; charset=utf-8')
        .send({
          statusCode: 403,
          error: 'Forbidden',
          message: `this server answers to 127.0.0.1 and localhost only, not to the host name "${name}"`,
        });
    });
  }
  await app.register(fastifyStatic, { root: path.resolve(opts.staticDir), index: ['index.html'] });
  if (opts.routes) registerStandaloneRoutes(app, opts.routes);
  await app.listen({ host, port: opts.port ?? 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return { url: `http://${host}:${port}`, app, close: () => app.close() };
}
