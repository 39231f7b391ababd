/**
 * Turns an API failure into words an analyst can act on: what went wrong and what to do next.
 * Never includes markup; every string is rendered as text.
 */
import { ApiError } from '../api_client';

export interface ErrorDescription {
  title: string;
  message: string;
  status?: number;
}

export function describeError(e: unknown, what: string): ErrorDescription {
  if (e instanceof ApiError) {
    const fields = e.fieldErrors.map((f) => `${f.field}: ${f.message}`).join('; ');
    switch (true) {
      case e.status === 0:
        return { title: `Could not ${what}`, message: e.message, status: 0 };
      case e.status === 401:
        return {
          title: `Could not ${what}: not signed in`,
          message: 'Your session has ended or the API key is missing. Sign in again and retry.',
          status: 401,
        };
      case e.status === 403:
        return {
          title: `Could not ${what}: not allowed`,
          message: `${e.message} Ask an administrator for the ProblemChild privilege this needs.`,
          status: 403,
        };
      case e.status === 400:
        return {
          title: `Could not ${what}: the request was rejected`,
          message: fields || e.message,
          status: 400,
        };
      case e.status >= 500:
        return {
          title: `Could not ${what}: the server failed`,
          message: `${e.message} Try again; if it keeps failing, check the server log.`,
          status: e.status,
        };
      default:
        return { title: `Could not ${what}`, message: e.message, status: e.status };
    }
  }
  return {
    title: `Could not ${what}`,
    message: e instanceof Error ? e.message : String(e),
  };
}
