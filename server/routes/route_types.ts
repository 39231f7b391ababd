/**
 * One route definition serves both hosts: the Kibana glue turns it into a versioned router
 * registration, the standalone host into a Fastify route. Handlers see only our ports.
 */
import type { z } from 'zod';
import type { DetectionAccess, Logger, SetupStatus, Stores } from '../ports';

export type HttpMethod = 'get' | 'post' | 'put' | 'delete';
export type RoutePrivilege = 'read' | 'all';

/** What the host hands a handler, already scoped to the calling user. */
export interface RouteContext {
  stores: Stores;
  /** The user name recorded in triage history ("standalone" or an API-key name outside Kibana). */
  user: string;
  logger: Logger;
  /**
   * Starts a detection run now (Task Manager in Kibana, the scheduler standalone). When nothing
   * started, `statusCode` says why: 409 a run in progress or detection not enabled, 503 the
   * scheduler could not be reached.
   */
  runDetection(range?: {
    from?: string;
    to?: string;
  }): Promise<{ started: boolean; message: string; statusCode?: 409 | 503 }>;
  /** When the scheduler will run next, if known. */
  nextRunAt(): Promise<string | undefined>;
  /** Whether detection may read source events, and enabling or disabling it. */
  detectionAccess: DetectionAccess;
  /** The host's background set-up (indices, scheduling). */
  setupStatus(): SetupStatus;
  /**
   * Kibana only: the Discover saved search the drill-down opens, created on first use in the
   * caller's space. Absent in the standalone host, which has no Discover.
   */
  discover?: {
    ensureSavedSearch(indices: string): Promise<{ savedSearchId: string; dataViewId: string }>;
  };
  /**
   * Standalone only: the webhook delivery worker (Kibana notifies through its alerting rule
   * type instead). `testSend` attempts one test notification per configured URL at once.
   */
  webhooks?: {
    testSend(): Promise<
      { id: string; url: string; status: string; httpStatus?: number; error?: string }[]
    >;
    kick(): void;
  };
}

export interface RouteRequest<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

export interface RouteResponse {
  status: number;
  body: unknown;
}

export interface RouteDef<P = unknown, Q = unknown, B = unknown> {
  method: HttpMethod;
  /** Kibana-style path with `{param}` placeholders. */
  path: string;
  privilege: RoutePrivilege;
  validate: {
    params?: z.ZodType<P>;
    query?: z.ZodType<Q>;
    body?: z.ZodType<B>;
  };
  handler(ctx: RouteContext, req: RouteRequest<P, Q, B>): Promise<RouteResponse>;
}

export const ok = (body: unknown): RouteResponse => ({ status: 200, body });
export const notFound = (message: string): RouteResponse => ({
  status: 404,
  body: { statusCode: 404, error: 'Not Found', message },
});

/** Keeps each route's own types while collecting them in one list. */
export function defineRoute<P, Q, B>(def: RouteDef<P, Q, B>): RouteDef {
  return def as unknown as RouteDef;
}
