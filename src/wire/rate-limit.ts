/** The Immutable X refresh budget on the wire: its header names and its parser. */
import { type HeadersLike, readHeader } from './headers.js';
import { type MAX_RESET_AHEAD_MS, parseBelievableReset, parseCount } from './rate-limit-forms.js';

/** The project's refresh budget as the last response reported it. */
export interface RateLimit {
  /** Refresh requests allowed per window (`x-imx-refreshes-limit`). */
  limit: number;
  /** Refresh requests left in the current window (`x-imx-remaining-refreshes`). */
  remaining: number;
  /** When the current window ends and the budget is restored (`x-imx-refresh-limit-reset`). */
  resetAt: Date;
}

/** Header names of the refresh budget, as the service sends them. */
export const RATE_LIMIT_HEADERS = {
  limit: 'x-imx-refreshes-limit',
  remaining: 'x-imx-remaining-refreshes',
  reset: 'x-imx-refresh-limit-reset',
} as const;

/**
 * Reads the refresh budget from response headers. Returns undefined unless all three headers are
 * present and valid (the service sends them on every refresh request and on 429): the counts
 * non-negative safe integers, the reset in a form `parseResetTime` reads, and the reset
 * is at most {@link MAX_RESET_AHEAD_MS} after `nowMs` (default `Date.now()`). Without a believable
 * reset nothing is returned: a `remaining` without the time it holds until cannot be acted on.
 * Never throws: unreadable headers are `undefined`.
 *
 * @example
 * ```ts
 * parseRateLimit({ 'x-imx-refreshes-limit': '10', 'x-imx-remaining-refreshes': '7',
 *   'x-imx-refresh-limit-reset': '1662433200' });
 * // { limit: 10, remaining: 7, resetAt: 2022-09-06T03:00:00.000Z }
 * ```
 */
export function parseRateLimit(
  headers: HeadersLike,
  nowMs: number = Date.now(),
): RateLimit | undefined {
  const limit = parseCount(readHeader(headers, RATE_LIMIT_HEADERS.limit));
  const remaining = parseCount(readHeader(headers, RATE_LIMIT_HEADERS.remaining));
  const resetAt = parseBelievableReset(readHeader(headers, RATE_LIMIT_HEADERS.reset), nowMs);
  if (limit === undefined || remaining === undefined || resetAt === undefined) return undefined;
  return { limit, remaining, resetAt };
}
