/** The retry policy, as pure functions: which failures are retried, and after how long. */
import { ApiError, ConnectionError, RateLimitError, TimeoutError } from '../errors.js';
import { readHeader } from '../wire/rate-limit.js';

/** HTTP methods the client sends. */
export type HttpMethod = 'GET' | 'POST';

/** The longest server-requested wait the client honours before giving up instead. */
export const MAX_RETRY_DELAY_MS = 60_000;
const BASE_DELAY_MS = 500;
const MAX_BACKOFF_MS = 8_000;

/**
 * Whether a failed attempt may be sent again. GETs are safe to repeat: they retry on connection
 * errors, timeouts, 429 and 5xx. The POST creates a refresh and spends budget, and the API has no
 * idempotency key, so it is retried only when the failure proves nothing was sent.
 */
export function isRetryable(method: HttpMethod, error: unknown): boolean {
  if (method === 'POST') return error instanceof ConnectionError && error.nothingSent;
  if (error instanceof ConnectionError || error instanceof TimeoutError) return true;
  return error instanceof ApiError && (error.status === 429 || error.status >= 500);
}

/**
 * How long the server asked us to wait, from `retry-after-ms`, or `retry-after` as seconds or an
 * HTTP date. Undefined when it did not ask.
 */
export function serverRetryDelayMs(
  headers: Record<string, string>,
  nowMs: number,
): number | undefined {
  const ms = readHeader(headers, 'retry-after-ms');
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Number(ms);
  const after = readHeader(headers, 'retry-after');
  if (after === undefined) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(after)) return Number(after) * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * The wait before retry number `retry` (0-based): the server's `Retry-After` when it sent one,
 * else exponential backoff from 0.5 s to 8 s with up to 25% jitter. Undefined when the server
 * asked for longer than {@link MAX_RETRY_DELAY_MS}: the caller gets the error instead of a hang.
 */
export function retryDelayMs(
  retry: number,
  error: unknown,
  nowMs: number,
  random: () => number,
): number | undefined {
  let requested: number | undefined;
  if (error instanceof RateLimitError) requested = error.retryAfterMs;
  else if (error instanceof ApiError) requested = serverRetryDelayMs(error.headers, nowMs);
  if (requested !== undefined) return requested <= MAX_RETRY_DELAY_MS ? requested : undefined;
  const backoff = Math.min(BASE_DELAY_MS * 2 ** retry, MAX_BACKOFF_MS);
  return backoff * (1 - 0.25 * random());
}
