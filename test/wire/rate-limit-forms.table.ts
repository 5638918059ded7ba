/**
 * The table of rate-limit waits, shared by the unit tests of src/wire/rate-limit-forms.ts and the
 * tests through both clients: every form, and what each hostile value must be read as.
 */

/** The clock of the table: RFC 9110's example instant is 37 s after it. */
export const RETRY_AFTER_NOW = Date.parse('1994-11-06T08:49:00Z');

/** Every form of a wait, and what it is read as at {@link RETRY_AFTER_NOW}. Shared with the client tests. */
export const RETRY_AFTER_FORMS: [string, number][] = [
  ['10', 10_000],
  ['0', 0],
  ['9.61', 9_610],
  ['9.61-seconds', 9_610],
  ['9.61s', 9_610],
  ['9.61 seconds', 9_610],
  ['9.61 - seconds', 9_610],
  ['1 second', 1_000],
  ['2 secs', 2_000],
  ['9.61SECONDS', 9_610],
  ['  10  ', 10_000],
  ['007', 7_000],
  // Worked on the digits: 0.57 * 1000 is 570.0000000000001 in floating point.
  ['0.57', 570],
  // Rounded up to whole ms: a wait is never shorter than asked.
  ['0.0001', 1],
  ['1.0000', 1_000],
  ['3600', 3_600_000],
  ['Sun, 06 Nov 1994 08:49:37 GMT', 37_000],
  ['Sun, 06 Nov 1994 08:49:37 UTC', 37_000],
  ['Sun, 06 Nov 1994 08:49:37 +0000', 37_000],
  ['Sun, 06 Nov 1994 09:49:37 +0100', 37_000],
  ['Sun, 6 Nov 1994 08:49:37 GMT', 37_000],
  ['sun, 06 nov 1994 08:49:37 gmt', 37_000],
  ['Sunday, 06-Nov-94 08:49:37 GMT', 37_000],
  ['Sun Nov  6 08:49:37 1994', 37_000],
  ['Sun Nov 06 08:49:37 1994', 37_000],
  // A date already past is no wait.
  ['Sun, 06 Nov 1994 08:00:00 GMT', 0],
  ['Sunday, 06-Nov-94 08:00:00 GMT', 0],
  ['Thu, 01 Jan 1970 00:00:00 GMT', 0],
];

/** Waits longer than the cap, however long, by name: each is read as `MAX_RETRY_AFTER_MS`. */
export const CAPPED_RETRY_AFTER: [string, string][] = [
  ['one second past the hour', '3601'],
  ['1e10 seconds, in digits', '10000000000'],
  ['400 digits', '9'.repeat(400)],
  ['400 digits in the zkEVM form', `${'9'.repeat(400)}.5-seconds`],
  ['a date a day ahead', 'Mon, 07 Nov 1994 08:49:37 GMT'],
  ['a date in year 9999', 'Fri, 31 Dec 9999 23:59:59 GMT'],
];

/** Values that say nothing: undefined, never 0 (which would mean "retry now"). */
export const UNSAID_RETRY_AFTER: string[] = [
  '',
  '   ',
  '-5',
  '-0',
  '-0.5',
  '+5',
  '1e10',
  '1E3',
  'Infinity',
  '-Infinity',
  'NaN',
  '0x10',
  '0b1',
  '1_000',
  '1,000',
  '10 10',
  '.5',
  '5.',
  '9.61ms',
  '9.61-secondsx',
  'seconds',
  'soon',
  'null',
  '١٠',
  '2024-04-16T11:00:30Z',
  'Sun, 31 Feb 1994 08:49:37 GMT',
  'Xyz, 06 Nov 1994 08:49:37 GMT',
  'Sun, 06 Foo 1994 08:49:37 GMT',
  'Sun, 06 Nov 1994 24:00:00 GMT',
  'Sun, 06 Nov 1994 08:49:37 PST',
  'Sun, 06 Nov 1994 08:49:37 +2400',
  'Sun, 06 Nov 94 08:49:37 GMT',
  'Sun, 06-Nov-94 08:49:37 GMT',
  'Tue, 01 Jan 999999 00:00:00 GMT',
];
