import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

// Suites that run on the wall clock: real servers and child processes. Most of their time is
// spent waiting (a child starting, a server answering), so two run at once.
const REAL_TIME = [
  'test/e2e/**/*.test.ts',
  'test/cli/**/*.test.ts',
  'test/redis/**/*.test.ts',
  'examples/**/*.test.ts',
  'test/docs/readme-run.test.ts',
];
// Those whose margins are timings (deadlines, kills mid-flight, a fleet sharing a window, an
// outage's length) run one file at a time, last, so a loaded 2-core machine cannot squeeze
// their margins.
const SERIAL = [
  'test/fleet/**/*.test.ts',
  'test/client/deadlines.test.ts',
  'test/cli/interrupt.test.ts',
  'test/cli/watch-terminal.test.ts',
  'test/redis/redis-unavailable.test.ts',
  'test/redis/store-fails-after-answer.test.ts',
  'test/e2e/worker-fault-injection.test.ts',
  'test/e2e/worker-faults.test.ts',
  'test/e2e/hostile-metadata-api.test.ts',
];

export default defineConfig({
  // Examples import the package by name, as a consumer would; point the names at the source.
  resolve: {
    alias: [
      { find: /^imx-metadata-refresh\/server$/, replacement: src('server/index.ts') },
      { find: /^imx-metadata-refresh\/msw$/, replacement: src('msw/index.ts') },
      { find: /^imx-metadata-refresh$/, replacement: src('index.ts') },
    ],
  },
  test: {
    environment: 'node',
    testTimeout: 10_000,
    // Vitest leaves one core to its main process, which on a 2-core machine means one worker.
    // The injected-clock files barely use that main process, so two workers halve their wall
    // time (118 s → 68 s here). The serial project stays one file at a time regardless.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        extends: true,
        test: {
          name: 'virtual-clock',
          include: ['test/**/*.test.ts'],
          exclude: [...REAL_TIME, ...SERIAL],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'real-time',
          include: REAL_TIME,
          exclude: SERIAL,
          testTimeout: 30_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'serial',
          include: SERIAL,
          fileParallelism: false,
          testTimeout: 30_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
    },
  },
});
