/** The Immutable X API's answers: JSON, its `{ code, message }` error, and errors routes share. */

import type { ApiErrorBodyWire } from '../../wire/schemas.js';
import { MAX_BODY_BYTES } from '../request.js';
import type { ServiceResponse } from '../types.js';

/** A JSON response. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): ServiceResponse {
  return { status, headers, body };
}

/** An error response with the API's `{ code, message }` body. */
export function apiError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): ServiceResponse {
  const body: ApiErrorBodyWire = { code, message };
  return { status, headers, body };
}

/** A 405 naming the methods the route allows, in its `allow` header too. */
export function methodNotAllowed(allowed: string[]): ServiceResponse {
  return apiError(405, 'method_not_allowed', `Use ${allowed.join(' or ')}`, {
    allow: allowed.join(', '),
  });
}

/** A 413: the body (declared or read) is over the engine's limit. */
export function payloadTooLarge(): ServiceResponse {
  return apiError(413, 'payload_too_large', `The body must be at most ${MAX_BODY_BYTES} bytes`);
}
