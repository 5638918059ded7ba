/** How one token's Metadata API answer maps to success or one of the service's error codes. */
import type { RefreshErrorCode } from '../wire/schemas.js';
import { MAX_ERROR_BODY_LENGTH } from './limits.js';
import type { MetadataFetchResult } from './types.js';

/** The outcome of fetching one token. */
export type FetchOutcome =
  | { ok: true; metadata: Record<string, unknown> }
  | {
      ok: false;
      errorCode: RefreshErrorCode;
      statusCode: number | null;
      body: string | null;
    };

/**
 * Classifies one attempt: no answer → `unable_to_retrieve_metadata`; not 200 →
 * `invalid_response_status_code` (with status and body, cut); 200 whose body is longer than
 * `maxBytes` (the fetcher stopped reading, or returned more) or is not a JSON object →
 * `unable_to_decode_response`; 200 with a JSON object → success. An over-long body is a decoding
 * failure, not a missing answer: the Metadata API did answer, with something the service refuses
 * to decode.
 */
export function classifyFetch(result: MetadataFetchResult, maxBytes: number): FetchOutcome {
  // A fetcher that returns something malformed counts as no answer, never as a crash.
  if (
    typeof result?.status !== 'number' ||
    typeof (result as { body?: unknown | undefined }).body !== 'string'
  ) {
    return { ok: false, errorCode: 'unable_to_retrieve_metadata', statusCode: null, body: null };
  }
  if (result.status !== 200) {
    return {
      ok: false,
      errorCode: 'invalid_response_status_code',
      statusCode: result.status,
      body: result.body.slice(0, MAX_ERROR_BODY_LENGTH),
    };
  }
  const overLong =
    (result as { truncated?: unknown | undefined }).truncated === true ||
    // Cheap bound first: a string of n UTF-16 units holds at most 3n UTF-8 bytes.
    (result.body.length * 3 > maxBytes && Buffer.byteLength(result.body, 'utf8') > maxBytes);
  let parsed: unknown;
  try {
    parsed = overLong ? undefined : JSON.parse(result.body);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return {
      ok: false,
      errorCode: 'unable_to_decode_response',
      statusCode: 200,
      body: result.body.slice(0, MAX_ERROR_BODY_LENGTH),
    };
  }
  return { ok: true, metadata: parsed as Record<string, unknown> };
}

/**
 * Whether a token's failure to be read may pass on its own, so a later refresh is worth a try: no
 * answer at all, or a 429 or 5xx from the Metadata API. A 4xx, or a body that is not a JSON
 * object, fails the same way every time.
 */
export function isTransientFetchFailure(errorCode: string, statusCode: number | null): boolean {
  return (
    errorCode === 'unable_to_retrieve_metadata' ||
    (errorCode === 'invalid_response_status_code' &&
      statusCode !== null &&
      (statusCode === 429 || statusCode >= 500))
  );
}
