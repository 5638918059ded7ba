/**
 * Every form in which Immutable X, Immutable zkEVM or a proxy in front of them states a rate
 * limit, read here once so the two clients can never disagree:
 * - a wait: `Retry-After` ({@link parseRetryAfter}), a proxy's `retry-after-ms`
 *   ({@link parseRetryAfterMsHeader}), both headers in their order ({@link readRetryAfterMs});
 * - a count, `limit` or `remaining` ({@link parseCount});
 * - a reset time ({@link parseResetTime}, and {@link parseBelievableReset} for a budget).
 *
 * What is not one of these forms is "not said" (undefined), never 0: a 0 read from junk would
 * send a client straight back to a server that asked it to wait. Every wait is a whole number of
 * ms in [0, {@link MAX_RETRY_AFTER_MS}], so a hostile header can neither fire a timer at once
 * (Infinity or 1e13 ms, which `setTimeout` clamps to 1 ms) nor park a sender for ever.
 */
import { type HeadersLike, readHeader } from './headers.js';

/**
 * The longest wait a `Retry-After` (in any form) is read as: one hour, one budget window of both
 * APIs. A longer value, up to a 400-digit one, reads as this.
 */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * How far ahead a reset may lie and still be believed: the budget window of both APIs is one
 * hour, plus an hour for clock skew. A later reset (year 9999) would stall a sender for ever.
 */
export const MAX_RESET_AHEAD_MS = 2 * 60 * 60 * 1000;

const RETRY_AFTER = 'retry-after';
const RETRY_AFTER_MS = 'retry-after-ms';

// RFC 9110's delay-seconds ("10"), decimal seconds ("9.61"), and the units the zkEVM platform
// appends ("9.61-seconds", "9.61s", "9.61 seconds"). A single `\s*` before the unit, so no run of
// spaces can be matched two ways: a long header cannot make the match backtrack for long.
const DELAY_SECONDS = /^(\d+)(?:\.(\d+))?(?:\s*(?:-\s*)?(?:s|secs?|seconds?))?$/i;
const DELAY_MS = /^(\d+)(?:\.(\d+))?$/;

/**
 * A decimal `whole.fraction` in units of 10^-`scale` seconds as whole ms, rounded up, at most
 * {@link MAX_RETRY_AFTER_MS}. Worked on the digits, not in floating point, where 0.57 * 1000 is
 * 570.0000000000001; a whole part of hundreds of digits is Infinity here, hence the cap.
 */
function decimalToWaitMs(whole: string, fraction: string | undefined, scale: number): number {
  const rest = fraction ?? '';
  const kept = rest.slice(0, scale).padEnd(scale, '0');
  const roundUp = /[1-9]/.test(rest.slice(scale)) ? 1 : 0;
  return Math.min(Number(whole + kept) + roundUp, MAX_RETRY_AFTER_MS);
}

/** The wait until `atMs`: 0 when it is past, capped, undefined when the clock is unreadable. */
function waitUntil(atMs: number, nowMs: number): number | undefined {
  const ms = atMs - nowMs;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(0, Math.ceil(ms)), MAX_RETRY_AFTER_MS);
}

/**
 * Reads a `Retry-After` value (or the zkEVM 202 body's `retry_after`) as a wait in ms. Accepts
 * delay-seconds (`"10"`), decimal seconds (`"9.61"`), the zkEVM platform's `"9.61-seconds"`, and
 * `"9.61s"` / `"9.61 seconds"`; and an HTTP date in the three forms RFC 9110 asks a recipient to
 * accept (`Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT`,
 * `Sun Nov  6 08:49:37 1994`), the first also with `UTC` or a numeric offset such as `+0000`.
 * A date is read against `nowMs`, and one already past is 0.
 *
 * Returns whole ms, rounded up, in [0, {@link MAX_RETRY_AFTER_MS}]: a larger value (even 400
 * digits) is the cap. Returns undefined, never 0, for anything else: negative numbers, `+5`,
 * `1e10`, `0x10`, `Infinity`, `NaN`, an empty value, junk. Never throws.
 *
 * @example
 * ```ts
 * parseRetryAfter('9.61-seconds', Date.now()); // 9610
 * parseRetryAfter('-5', Date.now()); // undefined
 * parseRetryAfter('9'.repeat(400), Date.now()); // 3_600_000 (MAX_RETRY_AFTER_MS)
 * ```
 */
export function parseRetryAfter(value: string, nowMs: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const delay = DELAY_SECONDS.exec(text);
  if (delay) return decimalToWaitMs(delay[1] as string, delay[2], 3);
  const atMs = parseHttpDate(text, nowMs);
  return atMs === undefined ? undefined : waitUntil(atMs, nowMs);
}

/**
 * Reads a proxy's `retry-after-ms` value: a non-negative decimal number of ms, rounded up to
 * whole ms and capped as {@link parseRetryAfter} is; undefined for anything else. Never throws.
 */
export function parseRetryAfterMsHeader(value: string): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = DELAY_MS.exec(value.trim());
  return ms ? decimalToWaitMs(ms[1] as string, ms[2], 0) : undefined;
}

/**
 * How long a response asked to wait, in ms: a proxy's `retry-after-ms` when it is readable, else
 * `Retry-After` ({@link parseRetryAfter}). Undefined when neither says. Never throws on headers
 * that do not ({@link HeadersLike}).
 */
export function readRetryAfterMs(headers: HeadersLike, nowMs: number): number | undefined {
  const ms = readHeader(headers, RETRY_AFTER_MS);
  const fromProxy = ms === undefined ? undefined : parseRetryAfterMsHeader(ms);
  if (fromProxy !== undefined) return fromProxy;
  const after = readHeader(headers, RETRY_AFTER);
  return after === undefined ? undefined : parseRetryAfter(after, nowMs);
}

/**
 * Reads a budget count (`limit`, `remaining`): a non-negative safe integer, or undefined. Twenty
 * digits parse, but no longer exactly, and 400 are Infinity: a count that large is not a budget,
 * and a scheduler doing arithmetic with it would get NaN. Never throws.
 */
export function parseCount(value: string | undefined): number | undefined {
  if (typeof value !== 'string' || !/^\s*\d+\s*$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

// Go's default time format, e.g. "2022-09-06 03:00:00 +0000 UTC" or with fractional seconds.
// A trailing monotonic-clock reading (" m=+1.0") is dropped.
const GO_TIME =
  /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ([+-])(\d{2})(\d{2})(?: [A-Za-z]+)?(?: m=[+-]\d+(?:\.\d+)?)?$/;
// Only these shapes go to Date.parse, which otherwise reads junk such as "-5" as a year.
const ISO_DATE =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses a budget's reset time, which Immutable X documents as unix seconds and both APIs have
 * sent as a date. Accepts unix seconds, unix milliseconds, ISO 8601, Go's default time format
 * (`2024-04-16 11:06:07.401 +0000 UTC`), and an HTTP date in any form {@link parseRetryAfter}
 * reads (RFC 1123 among them). `nowMs` (default `Date.now()`) only places the two-digit year of
 * an obsolete RFC 850 date. Returns undefined for anything else, and never an `Invalid Date`.
 * Never throws.
 */
export function parseResetTime(value: string, nowMs: number = Date.now()): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const n = Number(trimmed);
    // 1e12 ms is 2001; seconds will not reach it for another 30,000 years.
    return validDate(n >= 1e12 ? n : n * 1000);
  }
  const go = GO_TIME.exec(trimmed);
  if (go) return validDate(Date.parse(`${go[1]}T${go[2]}${go[3]}${go[4]}:${go[5]}`));
  if (ISO_DATE.test(trimmed)) return validDate(Date.parse(trimmed));
  const httpMs = parseHttpDate(trimmed, nowMs);
  return httpMs === undefined ? undefined : validDate(httpMs);
}

/**
 * A budget's reset as {@link parseResetTime} reads it, when it lies at most
 * {@link MAX_RESET_AHEAD_MS} after `nowMs` (any past reset is believed); else undefined. Without
 * a believable reset a budget cannot be acted on, so both APIs' budget parsers drop it.
 */
export function parseBelievableReset(value: string | undefined, nowMs: number): Date | undefined {
  if (value === undefined) return undefined;
  const resetAt = parseResetTime(value, nowMs);
  if (resetAt === undefined || !(resetAt.getTime() - nowMs <= MAX_RESET_AHEAD_MS)) return undefined;
  return resetAt;
}

// Beyond ±8.64e15 ms a Date is `Invalid Date`, whose comparisons are all false.
function validDate(ms: number): Date | undefined {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const LONG_DAY_NAMES = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

// RFC 9110 section 5.6.7. IMF-fixdate, also with the `UTC` or numeric offset of RFC 1123 senders.
const IMF_FIXDATE =
  /^([a-z]{3}), (\d{1,2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (gmt|utc|[+-]\d{4})$/i;
// Obsolete RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`.
const RFC850_DATE =
  /^([a-z]{6,9}), (\d{2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) (gmt|utc|[+-]\d{4})$/i;
// ANSI C's asctime(): `Sun Nov  6 08:49:37 1994`, in UTC; the day is space-padded.
const ASCTIME_DATE = /^([a-z]{3}) ([a-z]{3}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/i;

/** An HTTP date in any of RFC 9110's three forms, as ms since the epoch; undefined otherwise. */
function parseHttpDate(text: string, nowMs: number): number | undefined {
  const imf = IMF_FIXDATE.exec(text);
  if (imf) {
    const [, day, date, month, year, h, m, s, zone] = imf as unknown as string[];
    return isName(day, DAY_NAMES) ? utcMs(Number(year), month, date, h, m, s, zone) : undefined;
  }
  const rfc850 = RFC850_DATE.exec(text);
  if (rfc850) {
    const [, day, date, month, yy, h, m, s, zone] = rfc850 as unknown as string[];
    const year = fullYear(Number(yy), nowMs);
    if (!isName(day, LONG_DAY_NAMES) || year === undefined) return undefined;
    return utcMs(year, month, date, h, m, s, zone);
  }
  const asctime = ASCTIME_DATE.exec(text);
  if (asctime) {
    const [, day, month, date, h, m, s, year] = asctime as unknown as string[];
    return isName(day, DAY_NAMES) ? utcMs(Number(year), month, date, h, m, s, 'gmt') : undefined;
  }
  return undefined;
}

function isName(text: string | undefined, names: readonly string[]): boolean {
  return text !== undefined && names.includes(text.toLowerCase());
}

/**
 * RFC 9110: a two-digit year that would be more than 50 years in the future is the most recent
 * past year with those digits.
 */
function fullYear(yy: number, nowMs: number): number | undefined {
  const nowYear = new Date(nowMs).getUTCFullYear();
  if (Number.isNaN(nowYear)) return undefined;
  const year = nowYear - (nowYear % 100) + yy;
  return year > nowYear + 50 ? year - 100 : year;
}

/** The instant of a calendar time and zone, or undefined when no such time exists (31 Feb). */
function utcMs(
  year: number,
  monthName: string | undefined,
  dayText: string | undefined,
  hText: string | undefined,
  mText: string | undefined,
  sText: string | undefined,
  zone: string | undefined,
): number | undefined {
  const month = MONTHS.indexOf(monthName?.toLowerCase() ?? '');
  const [day, h, m, s] = [dayText, hText, mText, sText].map(Number) as [
    number,
    number,
    number,
    number,
  ];
  const offsetMin = zoneOffsetMinutes(zone);
  // 60 is a leap second (RFC 5322), read as the next minute's first.
  if (month < 0 || day < 1 || h > 23 || m > 59 || s > 60 || offsetMin === undefined) {
    return undefined;
  }
  // setUTCFullYear, not Date.UTC, which reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  if (date.getUTCDate() !== day) return undefined;
  date.setUTCHours(h, m, s, 0);
  return date.getTime() - offsetMin * 60_000;
}

/** `GMT`/`UTC` is 0, `+hhmm`/`-hhmm` its minutes; undefined for an impossible offset. */
function zoneOffsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined) return undefined;
  if (/^(gmt|utc)$/i.test(zone)) return 0;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(3, 5));
  if (hours > 23 || minutes > 59) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}
