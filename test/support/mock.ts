/**
 * The msw mock of the refresh API (the reference engine, in the service description's form) for
 * the client tests, answering on BASE_URL through the shared server of ./msw.ts.
 *
 * Call `useMock()` in a describe block (or at the top of a file). Before each test of that block
 * it installs the mock's handlers and a fresh test clock that the mock reads too, so client and
 * mock share one time and every client sleep is recorded; after each test it resets the mock.
 * Handlers a test adds with `server.use` take precedence over the mock's (for upstream variants).
 */
import { afterEach, beforeEach } from 'vitest';
import { MetadataRefreshClient, type MetadataRefreshClientOptions } from '../../src/index.js';
import {
  createMetadataRefreshMock,
  type MetadataRefreshMock,
  type MetadataRefreshMockOptions,
} from '../../src/msw/index.js';
import { BASE_URL, createTestClock, PRIVATE_KEY, type TestClock } from './fixtures.js';
import { server } from './msw.js';

export interface MockSetup {
  /** The mock; the refreshes it creates are `refresh-1`, `refresh-2`, ... within each test. */
  readonly mock: MetadataRefreshMock;
  /** This test's clock (see `createTestClock`); the mock's time is read from it. */
  readonly clock: TestClock;
  /** A client of the mock on this test's clock, signing as OWNER. */
  client(options?: Partial<MetadataRefreshClientOptions>): MetadataRefreshClient;
}

export function useMock(
  options: Omit<MetadataRefreshMockOptions, 'baseURL' | 'clock' | 'generateId'> = {},
): MockSetup {
  let clock = createTestClock();
  let ids = 0;
  const mock = createMetadataRefreshMock({
    ...options,
    baseURL: BASE_URL,
    clock: { now: () => clock.now() },
    generateId: () => `refresh-${++ids}`,
  });
  beforeEach(() => {
    clock = createTestClock();
    ids = 0;
    server.use(...mock.handlers);
  });
  afterEach(() => mock.reset());
  return {
    mock,
    get clock() {
      return clock;
    },
    client: (overrides = {}) =>
      new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: BASE_URL, clock, ...overrides }),
  };
}
