/** The platform's error shape, and the other answers every route shares. */

import type { ZkEvmErrorCode } from '../../wire/zkevm/schemas.js';
import type { ServiceResponse } from '../types.js';

/** The documentation link every error carries (the platform's own). */
export const ERROR_LINK = 'https://docs.immutable.com/zkevm/api/reference/';

/** Status of each error code, as the OpenAPI file pairs them. */
const STATUS_OF: Record<ZkEvmErrorCode, number> = {
  VALIDATION_ERROR: 400,
  UNAUTHORISED_REQUEST: 401,
  AUTHENTICATION_ERROR: 403,
  RESOURCE_NOT_FOUND: 404,
  TOO_MANY_REQUESTS_ERROR: 429,
  INTERNAL_SERVER_ERROR: 500,
};

/** An error to answer, before it gets its trace id. */
export interface ZkEvmErrorSpec {
  code: ZkEvmErrorCode;
  message: string;
  details?: Record<string, unknown> | null | undefined;
  headers?: Record<string, string> | undefined;
}

/** Builds `{ message, link, trace_id, code, details }` with the status its code implies. */
export function errorResponse(spec: ZkEvmErrorSpec, traceId: string): ServiceResponse {
  return {
    status: STATUS_OF[spec.code],
    headers: spec.headers ?? {},
    body: {
      message: spec.message,
      link: ERROR_LINK,
      trace_id: traceId,
      code: spec.code,
      details: spec.details ?? null,
    },
  };
}

/** What a route returns: an answer, or an error that `handle` stamps with a trace id. */
export type RouteResult = ServiceResponse | { error: ZkEvmErrorSpec };

/** Shorthand for a route's error. */
export function fail(
  code: ZkEvmErrorCode,
  message: string,
  details?: Record<string, unknown> | null,
): { error: ZkEvmErrorSpec } {
  return { error: { code, message, details: details ?? null } };
}

/** A 404 in the platform's words. */
export const notFound = (what: string, details?: Record<string, unknown>) =>
  fail('RESOURCE_NOT_FOUND', `${what} not found`, details);
