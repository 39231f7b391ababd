import { ConflictError, NotFoundError, RefusedError } from '../ports';
import type { RouteResponse } from './route_types';

/**
 * The HTTP status an Elasticsearch client error carries, if any. Read from the error's fields,
 * not its class: Kibana's client is another copy of @elastic/elasticsearch than ours.
 */
export function storeStatus(e: unknown): number | undefined {
  // Elasticsearch client errors carry meta.statusCode; Kibana's saved objects errors are Boom
  // errors with output.statusCode. Read from fields, never classes: Kibana's copies differ.
  const err = e as {
    statusCode?: unknown;
    meta?: { statusCode?: unknown };
    output?: { statusCode?: unknown };
  } | null;
  const s = err?.meta?.statusCode ?? err?.statusCode ?? err?.output?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/**
 * Maps a thrown error to the response both hosts send. Unknown errors become a generic 500 so
 * no internal detail (connection strings, keys, stack) reaches the client; the host logs them.
 */
export function errorResponse(e: unknown): RouteResponse {
  if (e instanceof ConflictError) {
    return {
      status: 409,
      body: { statusCode: 409, error: 'Conflict', message: e.message, current_version: e.current },
    };
  }
  if (e instanceof RefusedError) {
    const error = {
      400: 'Bad Request',
      403: 'Forbidden',
      409: 'Conflict',
      503: 'Service Unavailable',
    };
    const body: Record<string, unknown> = {
      statusCode: e.statusCode,
      error: error[e.statusCode],
      message: e.message,
    };
    if (e.field) body.errors = [{ field: e.field, message: e.message }];
    return { status: e.statusCode, body };
  }
  if (e instanceof NotFoundError) {
    return { status: 404, body: { statusCode: 404, error: 'Not Found', message: e.message } };
  }
  if (storeStatus(e) === 403) {
    // The store's credentials (in Kibana, the user's own) lack index privileges: a refusal, not
    // a fault. The cluster's own wording names users, roles and indices, so it stays out.
    return {
      status: 403,
      body: {
        statusCode: 403,
        error: 'Forbidden',
        message: 'Elasticsearch refused the request: the index privileges in use do not allow it',
      },
    };
  }
  return {
    status: 500,
    body: {
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'An internal error occurred; see the server log.',
    },
  };
}
