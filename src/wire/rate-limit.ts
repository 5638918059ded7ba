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

/** Anything that holds headers: a `Headers`, axios headers, or a plain object. */
export type HeadersLike =
  | {
      /**
       * A header's value by name, case-insensitively. Never throws, and an implementation must
       * not: {@link parseRateLimit} lets what it throws through.
       */
      get(name: string): string | null | undefined;
    }
  | Record<string, unknown>
  | null
  | undefined;

/** Reads one header case-insensitively from any {@link HeadersLike}. */
export function readHeader(headers: HeadersLike, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  let value: unknown;
  if (typeof (headers as Headers).get === 'function') {
    value = (headers as Headers).get(lower);
  } else {
    const record = headers as Record<string, unknown>;
    value = record[lower] ?? record[name];
    if (value === undefined) {
      const key = Object.keys(record).find((k) => k.toLowerCase() === lower);
      if (key !== undefined) value = record[key];
    }
  }
  if (Array.isArray(value)) value = value[0];
  if (value === undefined || value === null) return undefined;
  return String(value);
}

// Go's default time format, e.g. "2022-09-06 03:00:00 +0000 UTC" or with fractional seconds.
// A trailing monotonic-clock reading (" m=+1.0") is dropped.
const GO_TIME =
  /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ([+-])(\d{2})(\d{2})(?: [A-Za-z]+)?(?: m=[+-]\d+(?:\.\d+)?)?$/;
// Only these shapes go to Date.parse, which otherwise reads junk such as "-5" as a year.
const ISO_DATE =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;
const HTTP_DATE =
  /^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} (?:GMT|UTC|[+-]\d{4})$/;

/**
 * Parses the reset header, which the service documents as unix seconds and the wire schema as a
 * date. Accepts unix seconds, unix milliseconds, ISO 8601 / RFC 1123 dates and Go's default time
 * format. Returns undefined for anything else. Never throws on a string.
 */
export function parseResetTime(value: string): Date | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const n = Number(trimmed);
    // 1e12 ms is 2001; seconds will not reach it for another 30,000 years.
    return validDate(n >= 1e12 ? n : n * 1000);
  }
  const go = GO_TIME.exec(trimmed);
  const text = go ? `${go[1]}T${go[2]}${go[3]}${go[4]}:${go[5]}` : trimmed;
  if (!go && !ISO_DATE.test(text) && !HTTP_DATE.test(text)) return undefined;
  return validDate(Date.parse(text));
}

// Beyond ±8.64e15 ms a Date is `Invalid Date`, whose comparisons are all false.
function validDate(ms: number): Date | undefined {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * How far ahead a reset may lie and still be believed: the IMX budget window is one hour, plus
 * an hour for clock skew. A later reset (year 9999) would stall a sender for ever.
 */
export const MAX_RESET_AHEAD_MS = 2 * 60 * 60 * 1000;

function parseCount(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  const n = Number(value);
  // Twenty digits parse, but no longer exactly; a count that large is not a budget.
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Reads the refresh budget from response headers. Returns undefined unless all three headers are
 * present and valid (the service sends them on every refresh request and on 429), and the reset
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
  const resetRaw = readHeader(headers, RATE_LIMIT_HEADERS.reset);
  const resetAt = resetRaw === undefined ? undefined : parseResetTime(resetRaw);
  if (limit === undefined || remaining === undefined || resetAt === undefined) return undefined;
  if (resetAt.getTime() - nowMs > MAX_RESET_AHEAD_MS) return undefined;
  return { limit, remaining, resetAt };
}
