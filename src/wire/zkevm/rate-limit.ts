/**
 * The zkEVM refresh budget on the wire: the engine's formatters and a client's lenient parsers.
 *
 * Forms, decided here once:
 * - `imx-refresh-limit-reset` and the body's `imx_refresh_limit_reset`: Go's default time format
 *   in UTC (`2024-04-16 11:06:07.401 +0000 UTC`), as the platform sends. Go trims trailing zeros
 *   of the fraction and drops the dot when it is zero; so does {@link formatGoTime}.
 * - `retry-after` header: whole seconds, rounded up (RFC 9110's delay-seconds), `0` when a
 *   request may be made now.
 * - the body's `retry_after`: the platform's `"9.61-seconds"` form, two decimals.
 */
import { type HeadersLike, readHeader } from '../headers.js';
import { parseResetTime } from '../rate-limit-forms.js';
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
  /** How long to wait before the next refresh request, in ms; undefined when not sent. */
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

const HTTP_DATE = /^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Reads a retry-after value in any form seen: `"10"`, `"9.61"`, `"9.61-seconds"`, `"9.61s"`, or
 * an HTTP date (then relative to `nowMs`). Returns ms, or undefined when unreadable.
 */
export function parseRetryAfter(value: string, nowMs: number): number | undefined {
  const trimmed = value.trim();
  const seconds = /^(\d+(?:\.\d+)?)\s*(?:-?\s*(?:s|sec|secs|seconds?))?$/i.exec(trimmed);
  if (seconds) return Math.round(Number(seconds[1]) * 1000);
  if (!HTTP_DATE.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function parseCount(value: string | undefined): number | undefined {
  return value !== undefined && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
}

function rateLimitOf(
  limitText: string | undefined,
  remainingText: string | undefined,
  resetText: string | undefined,
  retryText: string | undefined,
  nowMs: number,
): ZkEvmRateLimit | undefined {
  const limit = parseCount(limitText);
  const remaining = parseCount(remainingText);
  const resetAt = resetText === undefined ? undefined : parseResetTime(resetText);
  if (limit === undefined || remaining === undefined || resetAt === undefined) return undefined;
  const retryAfterMs = retryText === undefined ? undefined : parseRetryAfter(retryText, nowMs);
  return { limit, remaining, resetAt, retryAfterMs };
}

/**
 * Reads the budget from a refresh answer's headers (202 or 429). Undefined unless the limit,
 * remaining and reset headers are all present and readable; the reset may be in Go's format,
 * ISO 8601, unix seconds or an HTTP date.
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
    readHeader(headers, h.retryAfter),
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
    body.retry_after,
    nowMs,
  );
}
