// Mutation testing of the modules the SDK's promise rests on (issue 29): `npm run mutation`.
// Not part of CI. One module: `npm run mutation -- --mutate src/wire/token-id.ts`.
// Quicker, against chosen tests only: add `--testFiles test/wire/token-id.test.ts`; but then a
// static mutant (in a module-level constant, such as a regex) is never switched on and always
// survives (Stryker 9.6), so judge those in a run without --testFiles.
// Reports: reports/mutation/mutation.html (and .json).

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  // Only the fast, injected-clock unit tests (test/wire, test/scheduler, test/client).
  vitest: { configFile: 'vitest.mutation.config.ts' },
  coverageAnalysis: 'perTest',
  mutate: [
    // The budget rules and the rate-limit / Retry-After parsing.
    'src/scheduler/learned-budget.ts',
    // Equivalent and left to survive in rate-limit-forms.ts (15): guards the regexes already make
    // true (a captured group is never undefined: isName's and zoneOffsetMinutes' undefined tests,
    // monthName?., its ?? ''; the gmt|utc anchors on a zone the regex captured whole), NaN that
    // ends as undefined anyway (fullYear's NaN test and the caller's, waitUntil(undefined) and
    // validDate(undefined), an impossible offset), asctime's 'gmt' zone ('' reads as +0000 too),
    // day < 1 (the calendar check refuses day 0 as well), and parseResetTime's empty-value test
    // (no form matches an empty value either).
    'src/wire/rate-limit-forms.ts',
    'src/wire/rate-limit.ts',
    'src/wire/zkevm/rate-limit.ts',
    // Send-failure classification and uncertain-send reconciliation.
    'src/scheduler/send-failure.ts',
    'src/scheduler/reconcile.ts',
    // Token-id and byte-limit checks, and chunking.
    'src/wire/token-id.ts',
    'src/wire/zkevm/limits.ts',
    'src/wire/zkevm/chunk.ts',
    // Of the client's input checks, only the token-id, count and byte-limit ones (the rest check
    // metadata fields). Line ranges: keep them on these functions when the files change.
    // Equivalent and left to survive (see test/client/zkevm-validate.test.ts): the empty hint of
    // assertListBytes (10 stacks of at most 16 KiB never pass 228 KiB), two mutants; Stryker can
    // only disable a whole line.
    'src/client/validate.ts:8-13', // listSome
    'src/client/validate.ts:36-61', // assertTokenIds
    'src/client/zkevm-validate.ts:123-142', // checkList, checkItemBytes
    'src/client/zkevm-validate.ts:160-194', // duplicateCheck, toNftWireItems
    'src/client/zkevm-validate.ts:219-227', // assertListBytes
  ],
  // The machine has 2 cores, shared with other test runs.
  concurrency: 2,
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  // Survivors with the tests that ran against them; not the list of every test.
  clearTextReporter: { reportTests: false },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  thresholds: { high: 90, low: 80, break: null },
  // A later run re-tests only the mutants whose code or tests changed since the last one
  // (reports/stryker-incremental.json); `-- --force` re-tests them all, e.g. after a change to
  // code they call but do not mutate.
  incremental: true,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
