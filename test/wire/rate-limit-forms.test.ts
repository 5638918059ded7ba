/**
 * The one reader of every rate-limit form both clients meet: each form of a wait, each hostile
 * value a server or proxy might send, counts, believable resets; then properties over any string
 * and any clock. Fixed seeds: the properties run the same cases every time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_RESET_AHEAD_MS,
  MAX_RETRY_AFTER_MS,
  parseResetTime,
  parseRetryAfter,
} from '../../src/index.js';
import {
  parseBelievableReset,
  parseCount,
  parseRetryAfterMsHeader,
  readRetryAfterMs,
} from '../../src/wire/rate-limit-forms.js';
import {
  CAPPED_RETRY_AFTER,
  RETRY_AFTER_NOW as NOW,
  RETRY_AFTER_FORMS,
  UNSAID_RETRY_AFTER,
} from './rate-limit-forms.table.js';

const CAP = MAX_RETRY_AFTER_MS;
const FIXED = { seed: 20_221, numRuns: 2_000 } as const;

describe('parseRetryAfter', () => {
  it.each(RETRY_AFTER_FORMS)('%j is %i ms', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it.each(CAPPED_RETRY_AFTER)('%s is the cap, one hour', (_name, value) => {
    expect(CAP).toBe(3_600_000);
    expect(parseRetryAfter(value, NOW)).toBe(CAP);
  });

  it.each(UNSAID_RETRY_AFTER)('%j is not said (undefined, not 0)', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });

  it('reads a date against the injected now', () => {
    const at = 'Sun, 06 Nov 1994 08:49:37 GMT';
    expect(parseRetryAfter(at, NOW + 30_000)).toBe(7_000);
    expect(parseRetryAfter(at, NOW + 60_000)).toBe(0);
    // A clock that cannot be read gives no date-based wait; a number needs no clock.
    expect(parseRetryAfter(at, Number.NaN)).toBeUndefined();
    expect(parseRetryAfter('10', Number.NaN)).toBe(10_000);
  });

  it("places an RFC 850 date's two-digit year at most 50 years ahead (RFC 9110)", () => {
    const in2024 = Date.parse('2024-04-16T11:00:00Z');
    // 2074 is 50 years ahead: still read as 2074, a wait beyond the cap.
    expect(parseRetryAfter('Monday, 16-Apr-74 11:00:00 GMT', in2024)).toBe(CAP);
    // 2075 would be 51 years ahead: it is 1975, long past.
    expect(parseRetryAfter('Wednesday, 16-Apr-75 11:00:00 GMT', in2024)).toBe(0);
    expect(parseRetryAfter('Tuesday, 16-Apr-24 11:00:30 GMT', in2024)).toBe(30_000);
  });

  it('is undefined for a value that is not a string (a JavaScript caller)', () => {
    expect(parseRetryAfter(10 as unknown as string, NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined as unknown as string, NOW)).toBeUndefined();
  });

  it('reads a long header of spaces and digits quickly (no backtracking blow-up)', () => {
    const started = performance.now();
    for (const value of [`1${' '.repeat(20_000)}x`, `${'1'.repeat(20_000)} -x`]) {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    }
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('HTTP dates, field by field (each case pins one rule of the parser)', () => {
  const wait = (value: string) => parseRetryAfter(value, NOW);

  it('a date is the whole value: nothing before or after it', () => {
    for (const date of [
      'Sun, 06 Nov 1994 08:49:37 GMT',
      'Sunday, 06-Nov-94 08:49:37 GMT',
      'Sun Nov  6 08:49:37 1994',
    ]) {
      expect(wait(date), date).toBe(37_000);
      expect(wait(`x${date}`), `x${date}`).toBeUndefined();
      expect(wait(`${date}x`), `${date}x`).toBeUndefined();
    }
  });

  it('every weekday name of an RFC 850 date is read, and only weekday names', () => {
    for (const day of ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']) {
      // The name is not checked against the date (RFC 9110 leaves that to the recipient).
      expect(wait(`${day}, 06-Nov-94 08:49:37 GMT`), day).toBe(37_000);
    }
    expect(wait('Funday, 06-Nov-94 08:49:37 GMT')).toBeUndefined();
  });

  it('numeric offsets: east and west, minutes included, up to +2359', () => {
    expect(wait('Sun, 06 Nov 1994 07:49:37 -0100')).toBe(37_000);
    expect(wait('Sun, 06 Nov 1994 10:19:37 +0130')).toBe(37_000);
    expect(wait('Sun, 06 Nov 1994 09:48:37 +0059')).toBe(37_000);
    expect(wait('Mon, 07 Nov 1994 07:49:37 +2300')).toBe(37_000);
    expect(wait('Sunday, 06-Nov-94 09:49:37 +0100')).toBe(37_000);
    for (const zone of ['+2400', '+0060', '-9999']) {
      expect(wait(`Sun, 06 Nov 1994 08:49:37 ${zone}`), zone).toBeUndefined();
    }
  });

  it('a clock time that does not exist is no date; second 60 is a leap second', () => {
    expect(wait('Sun, 06 Nov 1994 08:60:37 GMT')).toBeUndefined();
    expect(wait('Sun, 06 Nov 1994 08:49:61 GMT')).toBeUndefined();
    expect(wait('Sun, 06 Nov 1994 24:49:37 GMT')).toBeUndefined();
    expect(wait('Sun, 06 Nov 1994 08:49:60 GMT')).toBe(60_000);
  });

  it('reset times: 1e12 is milliseconds, Go time without a fraction, ISO offsets without a colon', () => {
    expect(parseResetTime('1000000000000')).toEqual(new Date(1e12));
    expect(parseResetTime('999999999999')).toEqual(new Date(999_999_999_999_000));
    expect(parseResetTime('2030-01-01 10:00:00 +0000 UTC m=+5')).toEqual(
      new Date('2030-01-01T10:00:00Z'),
    );
    expect(parseResetTime('x2030-01-01 10:00:00 +0000 UTC')).toBeUndefined();
    expect(parseResetTime('2030-01-01T10:00:00+0100')).toEqual(new Date('2030-01-01T09:00:00Z'));
    // Unix seconds with a fraction of more than one digit; spaces around any form.
    expect(parseResetTime('1700000000.25')).toEqual(new Date(1_700_000_000_250));
    expect(parseResetTime('  2030-01-01T10:00:00Z  ')).toEqual(new Date('2030-01-01T10:00:00Z'));
    // Only the listed shapes reach Date.parse, which reads junk such as "-5" as a year.
    for (const junk of ['-5', '5 May', 'Nov 6 1994'])
      expect(parseResetTime(junk), junk).toBeUndefined();
    // A JavaScript caller's non-string: undefined, never a throw.
    expect(parseResetTime(1_700_000_000 as unknown as string)).toBeUndefined();
  });
});

describe('parseRetryAfterMsHeader (a proxy’s retry-after-ms)', () => {
  it.each([
    ['1500', 1_500],
    ['0', 0],
    ['2.5', 3],
    [' 7 ', 7],
    ['3600000', CAP],
    ['3600001', CAP],
    ['9'.repeat(400), CAP],
  ])('%j is %i ms', (value, ms) => {
    expect(parseRetryAfterMsHeader(value)).toBe(ms);
  });

  it.each(['', '-5', '-0', '+5', '1e3', 'Infinity', 'NaN', '0x10', '5s', 'soon'])(
    '%j is not said',
    (value) => {
      expect(parseRetryAfterMsHeader(value)).toBeUndefined();
    },
  );

  it('is undefined for a value that is not a string (a JavaScript caller), never a throw', () => {
    expect(parseRetryAfterMsHeader(1500 as unknown as string)).toBeUndefined();
    expect(parseRetryAfterMsHeader(undefined as unknown as string)).toBeUndefined();
  });
});

describe('readRetryAfterMs', () => {
  it('reads retry-after-ms first, then retry-after in any form', () => {
    expect(readRetryAfterMs({ 'retry-after-ms': '1500', 'retry-after': '9' }, NOW)).toBe(1_500);
    expect(readRetryAfterMs({ 'retry-after': '9.61-seconds' }, NOW)).toBe(9_610);
    expect(readRetryAfterMs({ 'Retry-After': 'Sun Nov  6 08:49:37 1994' }, NOW)).toBe(37_000);
    expect(readRetryAfterMs(new Headers({ 'Retry-After-Ms': '5' }), NOW)).toBe(5);
  });

  it('falls back to retry-after when retry-after-ms says nothing', () => {
    expect(readRetryAfterMs({ 'retry-after-ms': 'soon', 'retry-after': '2' }, NOW)).toBe(2_000);
    expect(readRetryAfterMs({ 'retry-after-ms': '-5', 'retry-after': '2' }, NOW)).toBe(2_000);
  });

  it('is undefined when neither header says anything', () => {
    expect(readRetryAfterMs({}, NOW)).toBeUndefined();
    expect(readRetryAfterMs(undefined, NOW)).toBeUndefined();
    expect(readRetryAfterMs({ 'retry-after-ms': '-5' }, NOW)).toBeUndefined();
    expect(readRetryAfterMs({ 'retry-after': '-5' }, NOW)).toBeUndefined();
  });
});

describe('parseCount', () => {
  it.each([
    ['0', 0],
    ['7', 7],
    [' 7 ', 7],
    ['007', 7],
    [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
  ])('%j is %i', (value, n) => {
    expect(parseCount(value)).toBe(n);
  });

  it.each([
    undefined,
    '',
    ' ',
    '-1',
    '-0',
    '+5',
    '1e3',
    '0x10',
    '1.0',
    '10.5',
    'NaN',
    'Infinity',
    '1 0',
    String(Number.MAX_SAFE_INTEGER + 1),
    '9'.repeat(20),
    '9'.repeat(400),
  ])('%j is not a count', (value) => {
    expect(parseCount(value)).toBeUndefined();
  });
});

describe('reset times', () => {
  const RESET = new Date('1994-11-06T08:49:37Z');

  it('reads every HTTP-date form, as Retry-After does', () => {
    for (const value of [
      'Sun, 06 Nov 1994 08:49:37 GMT',
      'Sunday, 06-Nov-94 08:49:37 GMT',
      'Sun Nov  6 08:49:37 1994',
    ]) {
      expect(parseResetTime(value, NOW), value).toEqual(RESET);
    }
  });

  it('believes a reset up to MAX_RESET_AHEAD_MS ahead, and any reset past', () => {
    expect(MAX_RESET_AHEAD_MS).toBe(2 * CAP);
    const edge = NOW + MAX_RESET_AHEAD_MS;
    expect(parseBelievableReset(String(edge / 1000), NOW)).toEqual(new Date(edge));
    expect(parseBelievableReset(String(edge / 1000 + 1), NOW)).toBeUndefined();
    expect(parseBelievableReset('9999-12-31T23:59:59Z', NOW)).toBeUndefined();
    expect(parseBelievableReset('0', NOW)).toEqual(new Date(0));
    expect(parseBelievableReset(undefined, NOW)).toBeUndefined();
    expect(parseBelievableReset('soon', NOW)).toBeUndefined();
    // A clock that cannot be read believes no reset.
    expect(parseBelievableReset('0', Number.NaN)).toBeUndefined();
  });
});

// Strings near the forms, more often than fc.string() alone would make them.
const nearWaits = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc
    .tuple(
      fc.constantFrom('', '-', '+', ' ', '0x'),
      fc.stringMatching(/^\d{0,400}$/),
      fc.constantFrom('', '.', '.5', '.000001', 'e10', '.9999'),
      fc.constantFrom('', 's', '-seconds', ' seconds', 'ms', ' ', 'x'),
    )
    .map((parts) => parts.join('')),
  fc
    .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
    .chain((d) =>
      fc.constantFrom(
        d.toUTCString(),
        d.toUTCString().replace('GMT', 'UTC'),
        d.toUTCString().replace('GMT', '+0000'),
        d.toString(),
        d.toISOString(),
      ),
    ),
);
const anyNow = fc.oneof(
  fc.integer({ min: -8.64e15, max: 8.64e15 }),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0),
);
const isWait = (ms: number | undefined) =>
  ms === undefined || (Number.isInteger(ms) && ms >= 0 && ms <= CAP);

describe('properties', () => {
  it('any string, any clock: a wait is undefined or whole ms in [0, cap]', () => {
    fc.assert(
      fc.property(nearWaits, anyNow, (value, nowMs) => {
        expect(isWait(parseRetryAfter(value, nowMs))).toBe(true);
        expect(isWait(parseRetryAfterMsHeader(value))).toBe(true);
        expect(
          isWait(readRetryAfterMs({ 'retry-after-ms': value, 'retry-after': value }, nowMs)),
        ).toBe(true);
      }),
      FIXED,
    );
  });

  it('whole seconds up to the cap read exactly, and beyond it as the cap', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10 * 3_600 }), (seconds) => {
        expect(parseRetryAfter(String(seconds), NOW)).toBe(Math.min(seconds * 1000, CAP));
      }),
      FIXED,
    );
  });

  it('an IMF-fixdate is the time until it, clamped to [0, cap]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 253_402_300_799 }),
        fc.integer({ min: 0, max: 253_402_300_799_999 }),
        (atSeconds, nowMs) => {
          const at = atSeconds * 1000;
          const expected = Math.min(Math.max(0, Math.ceil(at - nowMs)), CAP);
          expect(parseRetryAfter(new Date(at).toUTCString(), nowMs)).toBe(expected);
        },
      ),
      FIXED,
    );
  });

  it('a count is undefined or a non-negative safe integer; every such integer reads back', () => {
    fc.assert(
      fc.property(nearWaits, (value) => {
        const n = parseCount(value);
        expect(n === undefined || (Number.isSafeInteger(n) && n >= 0)).toBe(true);
      }),
      FIXED,
    );
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(parseCount(String(n))).toBe(n);
      }),
      FIXED,
    );
  });

  it('a believable reset is a valid date at most MAX_RESET_AHEAD_MS ahead', () => {
    fc.assert(
      fc.property(nearWaits, anyNow, (value, nowMs) => {
        const reset = parseBelievableReset(value, nowMs);
        if (reset === undefined) return;
        expect(Number.isNaN(reset.getTime())).toBe(false);
        expect(reset.getTime() - nowMs).toBeLessThanOrEqual(MAX_RESET_AHEAD_MS);
      }),
      FIXED,
    );
  });
});
