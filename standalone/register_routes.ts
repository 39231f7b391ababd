/**
 * Serves the shared RouteDefs from Fastify with Kibana's conventions: the same paths, zod
 * validation with field-level 400s, the kbn-xsrf header on writes, and an optional API key.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { formatZodError } from '../common/schemas';
import type { Logger } from '../server/ports';
import { errorResponse } from '../server/routes/errors';
import type { RouteContext, RouteDef } from '../server/routes/route_types';
import { withRequestSignal } from '../server/stores/duckdb/request_scope';

export interface StandaloneRouteOptions {
  routes: readonly RouteDef[];
  /** Builds the per-request context (the standalone host has one user: the key holder). */
  context: (req: FastifyRequest) => RouteContext;
  /** When set, every API call must carry it in `x-api-key` or `Authorization: ApiKey <key>`. */
  apiKey?: string;
  logger: Logger;
  /** A request's time budget; its store reads are interrupted past it (default 30 s). */
  requestTimeoutMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Why a request's store reads were stopped: its time budget ran out. */
class RequestTimeout extends Error {}

/**
 * Aborts when the client goes away before the answer is sent, or when the time budget is
 * spent. The response's `close` also fires after a normal answer; then nothing is aborted.
 */
function requestLifetime(
  reply: FastifyReply,
  timeoutMs: number,
): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const onClose = (): void => {
    if (!reply.raw.writableFinished) controller.abort(new Error('the client went away'));
  };
  reply.raw.once('close', onClose);
  const timer = setTimeout(
    () => controller.abort(new RequestTimeout(`the request took longer than ${timeoutMs} ms`)),
    timeoutMs,
  );
  timer.unref?.();
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      reply.raw.off('close', onClose);
    },
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time comparison: hashing first makes the lengths equal, so timing leaks nothing. */
export function apiKeyMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(expected), digest(given));
}

function presentedKey(req: FastifyRequest): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string') return header;
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('ApiKey ')) return auth.slice('ApiKey '.length);
  return undefined;
}

function send(reply: FastifyReply, status: number, body: unknown) {
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

function badRequest(reply: FastifyReply, where: string, err: z.ZodError) {
  const { message, errors } = formatZodError(where, err);
  return send(reply, 400, { statusCode: 400, error: 'Bad Request', message, errors });
}

export function registerStandaloneRoutes(app: FastifyInstance, opts: StandaloneRouteOptions): void {
  for (const route of opts.routes) {
    app.route({
      method: route.method.toUpperCase() as 'GET' | 'POST' | 'PUT' | 'DELETE',
      url: route.path.replace(/\{(\w+)\}/g, ':$1'),
      // Before the body is read: a caller without the key gets nothing parsed, and learns
      // nothing from parser errors.
      onRequest: async (req, reply) => {
        if (opts.apiKey !== undefined && !apiKeyMatches(opts.apiKey, presentedKey(req))) {
          return send(reply, 401, {
            statusCode: 401,
            error: 'Unauthorized',
            message: 'missing or invalid API key (send it in the x-api-key header)',
          });
        }
        // As Kibana's XSRF check (http/server-internal lifecycle_handlers.ts): either kbn-xsrf or
        // kbn-version, which Kibana's own browser fetch sends; a cross-site form can send neither.
        if (
          route.method !== 'get' &&
          req.headers['kbn-xsrf'] === undefined &&
          req.headers['kbn-version'] === undefined
        ) {
          return send(reply, 400, {
            statusCode: 400,
            error: 'Bad Request',
            message: '[headers.kbn-xsrf]: Request must contain a kbn-xsrf header.',
            errors: [
              { field: 'headers.kbn-xsrf', message: 'Request must contain a kbn-xsrf header.' },
            ],
          });
        }
      },
      handler: async (req, reply) => {
        const input: Record<'params' | 'query' | 'body', unknown> = {
          params: req.params ?? {},
          query: req.query ?? {},
          body: req.body,
        };
        const parsed: Record<string, unknown> = {};
        for (const where of ['params', 'query', 'body'] as const) {
          const schema = route.validate[where];
          if (!schema) {
            parsed[where] = where === 'body' ? undefined : {};
            continue;
          }
          const r = schema.safeParse(input[where]);
          if (!r.success) return badRequest(reply, where, r.error);
          parsed[where] = r.data;
        }
        const life = requestLifetime(reply, opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
        try {
          const res = await withRequestSignal(life.signal, () =>
            route.handler(opts.context(req), parsed as never),
          );
          return send(reply, res.status, res.body);
        } catch (e) {
          if (life.signal.aborted && life.signal.reason instanceof RequestTimeout) {
            return send(reply, 503, {
              statusCode: 503,
              error: 'Service Unavailable',
              message: `${life.signal.reason.message}; narrow the query and retry`,
            });
          }
          const res = errorResponse(e);
          if (res.status >= 500) {
            opts.logger.error(`${route.method.toUpperCase()} ${route.path} failed`, {
              error: e instanceof Error ? e.message : String(e),
            });
          }
          return send(reply, res.status, res.body);
        } finally {
          life.done();
        }
      },
    });
  }
}
