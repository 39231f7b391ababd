/**
 * The standalone host's `http` for the ApiClient: same-origin fetch with Kibana's conventions
 * (`elastic-api-version`, `kbn-xsrf` on writes) so one server-side route table serves both hosts.
 */
import { ApiError, type ApiErrorBody, type HttpFn } from '../../public/app/api_client';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

function queryString(query: Record<string, string | number | boolean | undefined> | undefined) {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.append(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { message: text.slice(0, 500) };
  }
}

export function createFetchHttp(fetchImpl: FetchLike = (i, init) => fetch(i, init)): HttpFn {
  return async (method, path, { query, body, version }) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (version) headers['elastic-api-version'] = version;
    if (method !== 'GET') headers['kbn-xsrf'] = 'true';
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetchImpl(`${path}${queryString(query)}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
      });
    } catch (e) {
      throw new ApiError(
        0,
        `Could not reach the ProblemChild server (${e instanceof Error ? e.message : String(e)}). ` +
          'Check that it is still running, then try again.',
      );
    }
    const parsed = await readBody(res);
    if (!res.ok) {
      const errBody = (parsed && typeof parsed === 'object' ? parsed : {}) as ApiErrorBody;
      const message =
        typeof errBody.message === 'string' && errBody.message
          ? errBody.message
          : `${res.status} ${res.statusText || 'request failed'}`;
      throw new ApiError(res.status, message, errBody);
    }
    return parsed;
  };
}
