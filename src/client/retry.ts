/** The retry policy, as pure functions: which failures are retried, and after how long. */
import { ApiError, ConnectionError, RateLimitError, TimeoutError } from '../errors.js';
import { readRetryAfterMs } from '../wire/rate-limit-forms.js';

/** HTTP methods the client sends. */
export type HttpMethod = 'GET' | 'POST';

/** The longest server-requested wait the client honours before giving up instead. */
export const MAX_RETRY_DELAY_MS = 60_000;
const BASE_DELAY_MS = 500;
const MAX_BACKOFF_MS = 8_000;

/**
 * Statuses that say "not now" rather than "no": 5xx, 429, and 408 (a proxy that gave up waiting).
 * The `RedirectError` of a 3xx is not among them: a redirect is refused, not retried. Never throws.
 */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Whether a failed attempt may be sent again. GETs are safe to repeat: they retry on connection
 * errors, timeouts and transient statuses ({@link isTransientStatus}). The POST creates a refresh
 * and spends budget, and the API has no idempotency key, so it is retried only when the failure
 * proves nothing was sent. A `ResponseTooLargeError` is never retried: the same request would get
 * the same body.
 */
export function isRetryable(method: HttpMethod, error: unknown): boolean {
  if (method === 'POST') return error instanceof ConnectionError && error.nothingSent;
  if (error instanceof ConnectionError || error instanceof TimeoutError) return true;
  return error instanceof ApiError && isTransientStatus(error.status);
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
  else if (error instanceof ApiError) requested = readRetryAfterMs(error.headers, nowMs);
  if (requested !== undefined && !(requested >= 0)) requested = undefined;
  if (requested !== undefined) return requested <= MAX_RETRY_DELAY_MS ? requested : undefined;
  const backoff = Math.min(BASE_DELAY_MS * 2 ** Math.max(0, retry), MAX_BACKOFF_MS);
  const jitter = Math.min(1, Math.max(0, random()));
  // NaN from a broken random source (or retry) falls back to the full backoff.
  const delay = backoff * (1 - 0.25 * jitter);
  return Number.isFinite(delay) ? delay : MAX_BACKOFF_MS;
}

/**
 * The retry rule of a zkEVM push, made fresh for each call. A push spends budget on every
 * attempt the platform receives and has no idempotency key, but sending the same metadata twice
 * leaves the same result. So it is retried whenever the failure proves nothing was sent
 * (`ConnectionError.nothingSent`), and at most once after a failure that may have reached the
 * platform (a timeout, a broken connection, a 5xx): that one retry may spend a second request of
 * the budget. Never after a 4xx (refused: the same request gets the same answer) or a redirect.
 */
export function pushRetryRule(): (error: unknown) => boolean {
  let uncertainRetried = false;
  return (error) => {
    if (error instanceof ConnectionError && error.nothingSent) return true;
    const uncertain =
      error instanceof ConnectionError ||
      error instanceof TimeoutError ||
      (error instanceof ApiError && error.status >= 500);
    if (!uncertain || uncertainRetried) return false;
    uncertainRetried = true;
    return true;
  };
}
