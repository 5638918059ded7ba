/**
 * The tests Stryker runs against each mutant (`npm run mutation`, see stryker.config.mjs): the
 * fast unit tests of the wire rules, the scheduler and the client, all on an injected clock. No
 * real servers, child processes, Redis, docs or examples: a mutant that makes a loop spin or a
 * wait last forever must time out in seconds, and a full run must take minutes on 2 cores.
 */
import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  // The same package-name aliases as the main config.
  resolve: base.resolve,
  test: {
    environment: 'node',
    testTimeout: 10_000,
    include: ['test/wire/**/*.test.ts', 'test/scheduler/**/*.test.ts', 'test/client/**/*.test.ts'],
    exclude: [
      ...configDefaults.exclude,
      // Runs on the wall clock (it is in vitest.config.ts's SERIAL list).
      'test/client/deadlines.test.ts',
      // 900 calls to a real loopback server, 30 s: a soak test, not a unit test of these rules.
      'test/client/flaky-server.test.ts',
    ],
  },
});
