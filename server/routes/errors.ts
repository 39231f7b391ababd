import { ConflictError, NotFoundError } from '../ports';
import type { RouteResponse } from './route_types';

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
  if (e instanceof NotFoundError) {
    return { status: 404, body: { statusCode: 404, error: 'Not Found', message: e.message } };
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
