import type { ApiErrorBodyWire } from '../../wire/schemas.js';
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
