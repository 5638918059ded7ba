import { describe, expect, it } from 'vitest';
import { MAX_RESET_AHEAD_MS, parseRateLimit, parseResetTime } from '../../src/index.js';
import { RATE_LIMIT_HEADERS } from '../../src/wire/rate-limit.js';
import { rateLimitHeaders } from '../support/fixtures.js';

const RESET = new Date('2022-09-06T03:00:00Z');

function headersWithReset(reset: string): Record<string, string> {
  return {
    'x-imx-refreshes-limit': '10',
    'x-imx-remaining-refreshes': '7',
    'x-imx-refresh-limit-reset': reset,
  };
}

describe('parseRateLimit', () => {
  it('reads a plain object with lower-case names', () => {
    expect(parseRateLimit(rateLimitHeaders('service', 7))).toEqual({
      limit: 10,
      remaining: 7,
      resetAt: RESET,
    });
  });

  it('reads header names in any case', () => {
    expect(
      parseRateLimit({
        'X-IMX-REFRESHES-LIMIT': '10',
        'X-Imx-Remaining-Refreshes': '7',
        'x-IMX-refresh-limit-RESET': '1662433200',
      }),
    ).toEqual({ limit: 10, remaining: 7, resetAt: RESET });
  });

  it('reads a Headers instance', () => {
    const headers = new Headers({
      'X-Imx-Refreshes-Limit': '10',
      'X-Imx-Remaining-Refreshes': '0',
      'X-Imx-Refresh-Limit-Reset': '1662433200',
    });

    expect(parseRateLimit(headers)).toEqual({ limit: 10, remaining: 0, resetAt: RESET });
  });

  it('reads the first value of array-valued headers', () => {
    expect(
      parseRateLimit({
        [RATE_LIMIT_HEADERS.limit]: ['10'],
        [RATE_LIMIT_HEADERS.remaining]: ['7', '6'],
        [RATE_LIMIT_HEADERS.reset]: ['1662433200'],
      }),
    ).toEqual({ limit: 10, remaining: 7, resetAt: RESET });
  });

  it.each([
    ['unix seconds', '1662433200', '2022-09-06T03:00:00.000Z'],
    ['unix milliseconds', '1662433200000', '2022-09-06T03:00:00.000Z'],
    ['an ISO 8601 date', '2022-09-06T03:00:00Z', '2022-09-06T03:00:00.000Z'],
    ['an ISO 8601 date with an offset', '2022-09-06T13:00:00+10:00', '2022-09-06T03:00:00.000Z'],
    ['an RFC 1123 date', 'Tue, 06 Sep 2022 03:00:00 GMT', '2022-09-06T03:00:00.000Z'],
    ["Go's default format", '2022-09-06 03:00:00 +0000 UTC', '2022-09-06T03:00:00.000Z'],
    [
      "Go's format with fractional seconds and an offset",
      '2022-09-06 13:00:00.123 +1000 AEST',
      '2022-09-06T03:00:00.123Z',
    ],
  ])('parses a reset given as %s', (_name, reset, expected) => {
    expect(parseRateLimit(headersWithReset(reset))?.resetAt.toISOString()).toBe(expected);
  });

  it('parses the upstream variant, whose reset is an ISO date', () => {
    expect(parseRateLimit(rateLimitHeaders('upstream', 3))).toEqual({
      limit: 10,
      remaining: 3,
      resetAt: RESET,
    });
  });

  it.each(Object.values(RATE_LIMIT_HEADERS))('returns undefined when %s is missing', (name) => {
    const headers: Record<string, string> = rateLimitHeaders('service', 7);
    delete headers[name];

    expect(parseRateLimit(headers)).toBeUndefined();
  });

  it.each([
    ['limit is empty', { [RATE_LIMIT_HEADERS.limit]: '' }],
    ['limit is negative', { [RATE_LIMIT_HEADERS.limit]: '-1' }],
    ['limit is fractional', { [RATE_LIMIT_HEADERS.limit]: '10.5' }],
    ['remaining is not a number', { [RATE_LIMIT_HEADERS.remaining]: 'abc' }],
    ['reset is a word', { [RATE_LIMIT_HEADERS.reset]: 'soon' }],
    ['reset is empty', { [RATE_LIMIT_HEADERS.reset]: '' }],
  ])('returns undefined when %s', (_name, override) => {
    expect(parseRateLimit({ ...rateLimitHeaders('service', 7), ...override })).toBeUndefined();
  });

  it.each([null, undefined])('returns undefined for %s', (headers) => {
    expect(parseRateLimit(headers)).toBeUndefined();
  });

  it('returns undefined for an empty Headers instance', () => {
    expect(parseRateLimit(new Headers())).toBeUndefined();
  });
});

describe('parseResetTime refuses what only looks like a date to Date.parse', () => {
  it.each(['-5', 'abc 1', '12abc', 'next hour'])('%s', (value) => {
    expect(parseResetTime(value)).toBeUndefined();
  });

  it("drops Go's monotonic clock reading", () => {
    expect(parseResetTime('2022-09-06 03:00:00.123 +0000 UTC m=+1.000000001')).toEqual(
      new Date('2022-09-06T03:00:00.123Z'),
    );
  });
});

describe('a reset is a valid date, at most one window and a margin ahead', () => {
  const NOW = Date.parse('2022-09-06T02:30:00Z');

  it.each([
    ['year 9999 as unix seconds', '253402300799'],
    ['year 9999 as an ISO date', '9999-12-31T23:59:59Z'],
    ['a day ahead', String(NOW / 1000 + 86_400)],
    ['just past the margin', String((NOW + MAX_RESET_AHEAD_MS) / 1000 + 1)],
    ['beyond the range of Date', '99999999999999999999'],
    ['400 digits (Infinity)', '9'.repeat(400)],
  ])('%s: no rate limit at all, not an Invalid Date', (_, reset) => {
    expect(parseRateLimit(headersWithReset(reset), NOW)).toBeUndefined();
  });

  it('a limit or remaining too large to be exact is refused', () => {
    const headers = {
      ...headersWithReset('1662433200'),
      [RATE_LIMIT_HEADERS.limit]: '9'.repeat(20),
    };
    expect(parseRateLimit(headers, NOW)).toBeUndefined();
  });

  it('accepts a reset up to the margin ahead, and any reset already past', () => {
    const edge = new Date(NOW + MAX_RESET_AHEAD_MS);
    expect(parseRateLimit(headersWithReset(String(edge.getTime() / 1000)), NOW)?.resetAt).toEqual(
      edge,
    );
    expect(parseRateLimit(headersWithReset('1662433200'), NOW)?.resetAt).toEqual(RESET);
    expect(parseRateLimit(headersWithReset('1000000000'), NOW)?.resetAt).toEqual(new Date(1e12));
  });

  it('parseResetTime returns only valid dates', () => {
    for (const value of ['99999999999999999999', '+275760-09-13T00:00:00.001Z', '9'.repeat(400)]) {
      const date = parseResetTime(value);
      expect(date === undefined || !Number.isNaN(date.getTime())).toBe(true);
    }
    expect(parseResetTime('99999999999999999999')).toBeUndefined();
  });
});
