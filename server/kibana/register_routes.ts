/**
 * [Kibana glue] Registers the shared RouteDefs on Kibana's versioned router: internal access,
 * version '1', the feature privilege each route declares, and our zod schemas wrapped as
 * Kibana function validators (the same wrapper Kibana's buildRouteValidationWithZod uses).
 */
import type { z } from 'zod';
import { API_PRIVILEGE_ALL, API_PRIVILEGE_READ, API_VERSION } from '../../common/constants';
import { formatZodError } from '../../common/schemas';
import { errorResponse, storeStatus } from '../routes/errors';
import type { RouteContext, RouteDef } from '../routes/route_types';
import type {
  IRouter,
  KibanaLogger,
  KibanaRequest,
  RequestHandlerContext,
  RouteValidationFunction,
} from './contracts';

export function zodValidator<T>(schema: z.ZodType<T>, where: string): RouteValidationFunction<T> {
  return (data, { ok, badRequest }) => {
    const r = schema.safeParse(data ?? (where === 'body' ? undefined : {}));
    return r.success ? ok(r.data) : badRequest(formatZodError(where, r.error).message);
  };
}

export function registerKibanaRoutes(
  router: IRouter,
  routes: readonly RouteDef[],
  contextFor: (context: RequestHandlerContext, request: KibanaRequest) => Promise<RouteContext>,
  logger: KibanaLogger,
): void {
  for (const route of routes) {
    const privilege = route.privilege === 'all' ? API_PRIVILEGE_ALL : API_PRIVILEGE_READ;
    const request: Record<string, RouteValidationFunction<unknown>> = {};
    for (const where of ['params', 'query', 'body'] as const) {
      const schema = route.validate[where];
      if (schema) request[where] = zodValidator(schema, where);
    }
    router.versioned[route.method]({
      path: route.path,
      access: 'internal',
      security: { authz: { requiredPrivileges: [privilege] } },
    }).addVersion(
      { version: API_VERSION, validate: { request } },
      async (context, req, response) => {
        try {
          const ctx = await contextFor(context, req);
          const res = await route.handler(ctx, {
            params: req.params,
            query: req.query,
            body: req.body,
          });
          if (res.status === 200) return response.ok({ body: res.body });
          if (res.status < 400) return response.custom({ statusCode: res.status, body: res.body });
          return response.customError({
            statusCode: res.status,
            body: {
              message: (res.body as { message?: string })?.message ?? '',
              attributes: res.body,
            },
          });
        } catch (e) {
          // The user's credentials no longer hold: 401 so the browser logs in again, as
          // Kibana's router does when such an error escapes a handler.
          if (storeStatus(e) === 401)
            return response.customError({
              statusCode: 401,
              body: { message: 'Elasticsearch did not accept your credentials; log in again' },
            });
          const res = errorResponse(e);
          if (res.status >= 500)
            logger.error(`${route.method.toUpperCase()} ${route.path} failed: ${String(e)}`);
          return response.customError({
            statusCode: res.status,
            body: { message: (res.body as { message: string }).message, attributes: res.body },
          });
        }
      },
    );
  }
}
