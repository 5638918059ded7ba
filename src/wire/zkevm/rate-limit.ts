/**
 * The zkEVM refresh budget on the wire: the engine's formatters, and the budget's parsers, which
 * read every value with the forms both APIs share (`../rate-limit-forms.ts`).
 *
 * Forms the engine writes, decided here once:
 * - `imx-refresh-limit-reset` and the body's `imx_refresh_limit_reset`: Go's default time format
 *   in UTC (`2024-04-16 11:06:07.401 +0000 UTC`), as the platform sends. Go trims trailing zeros
 *   of the fraction and drops the dot when it is zero; so does {@link formatGoTime}.
 * - `retry-after` header: whole seconds, rounded up (RFC 9110's delay-seconds), `0` when a
 *   request may be made now.
 * - the body's `retry_after`: the platform's `"9.61-seconds"` form, two decimals.
 */
import { type HeadersLike, readHeader } from '../headers.js';
import {
  type MAX_RESET_AHEAD_MS,
  parseBelievableReset,
  parseCount,
  parseRetryAfter,
  readRetryAfterMs,
} from '../rate-limit-forms.js';
import { ZKEVM_RATE_LIMIT_HEADERS } from './limits.js';
import type { RateLimitResultWire } from './schemas.js';

/** The project's refresh budget as the platform reported it. */
export interface ZkEvmRateLimit {
  /** Refresh requests allowed per window. */
  limit: number;
  /** Refresh requests left in the current window. */
  remaining: number;
  /** When the current window expires. */
  resetAt: Date;
  /**
   * How long to wait before the next refresh request, in ms, at most `MAX_RETRY_AFTER_MS`;
   * undefined when not sent or unreadable.
   */
  retryAfterMs: number | undefined;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Formats a time as Go's `time.Time.String()` does for a UTC time with millisecond precision. */
export function formatGoTime(ms: number): string {
  const d = new Date(ms);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const fraction = pad(d.getUTCMilliseconds(), 3).replace(/0+$/, '');
  return `${date} ${time}${fraction === '' ? '' : `.${fraction}`} +0000 UTC`;
}

/** The `retry-after` header for a wait of `ms`: whole seconds, rounded up, never negative. */
export function formatRetryAfterHeader(ms: number): string {
  return String(Math.max(0, Math.ceil(ms / 1000)));
}

/** The 202 body's `retry_after` for a wait of `ms`, in the platform's `"9.61-seconds"` form. */
export function formatRetryAfterBody(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(2)}-seconds`;
}

function rateLimitOf(
  limitText: string | undefined,
  remainingText: string | undefined,
  resetText: string | undefined,
  retryAfterMs: number | undefined,
  nowMs: number,
): ZkEvmRateLimit | undefined {
  const limit = parseCount(limitText);
  const remaining = parseCount(remainingText);
  const resetAt = parseBelievableReset(resetText, nowMs);
  if (limit === undefined || remaining === undefined || resetAt === undefined) return undefined;
  return { limit, remaining, resetAt, retryAfterMs };
}

/**
 * Reads the budget from a refresh answer's headers (202 or 429). Undefined unless the limit and
 * remaining are non-negative safe integers and the reset is readable (Go's format, ISO 8601, unix
 * seconds or an HTTP date) and at most {@link MAX_RESET_AHEAD_MS} after `nowMs`. The wait is a
 * proxy's `retry-after-ms`, else `retry-after`, in any form `parseRetryAfter` reads.
 */
export function parseZkEvmRateLimit(
  headers: HeadersLike,
  nowMs: number = Date.now(),
): ZkEvmRateLimit | undefined {
  const h = ZKEVM_RATE_LIMIT_HEADERS;
  return rateLimitOf(
    readHeader(headers, h.limit),
    readHeader(headers, h.remaining),
    readHeader(headers, h.reset),
    readRetryAfterMs(headers, nowMs),
    nowMs,
  );
}

/** Reads the budget from a 202 body's string copies, as {@link parseZkEvmRateLimit} does. */
export function rateLimitFromResultBody(
  body: RateLimitResultWire,
  nowMs: number = Date.now(),
): ZkEvmRateLimit | undefined {
  return rateLimitOf(
    body.imx_refreshes_limit,
    body.imx_remaining_refreshes,
    body.imx_refresh_limit_reset,
    parseRetryAfter(body.retry_after, nowMs),
    nowMs,
  );
}
