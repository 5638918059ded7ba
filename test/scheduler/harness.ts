/** A scheduler on the msw mock, a real client and one virtual clock shared by all three. */
import { setupServer } from 'msw/node';
import {
  MetadataRefreshClient,
  RefreshScheduler,
  type RefreshSchedulerOptions,
  type SchedulerClient,
  type SchedulerEvent,
} from '../../src/index.js';
import { createMetadataRefreshMock, type MetadataRefreshMockOptions } from '../../src/msw/index.js';
import { BASE_URL, createTestClock, PRIVATE_KEY } from '../support/fixtures.js';

export const server = setupServer();

export interface Harness {
  scheduler: RefreshScheduler;
  client: MetadataRefreshClient;
  mock: ReturnType<typeof createMetadataRefreshMock>;
  clock: ReturnType<typeof createTestClock>;
  events: (SchedulerEvent & { at: number })[];
  /** Status of every response to a POST, with the clock time. */
  posts: { status: number; at: number }[];
  /** Final events per token id. */
  finals(): Map<string, (SchedulerEvent & { at: number })[]>;
}

export function harness(
  options: Partial<RefreshSchedulerOptions> = {},
  mockOptions: MetadataRefreshMockOptions = {},
  start = Date.parse('2030-01-01T10:00:00Z'),
  /** Wraps the real client, e.g. to make an accepted POST look like a timeout. */
  wrapClient: (client: MetadataRefreshClient) => SchedulerClient = (client) => client,
): Harness {
  const clock = createTestClock(start);
  const mock = createMetadataRefreshMock({
    baseURL: BASE_URL,
    clock: { now: () => clock.now() },
    ...mockOptions,
  });
  server.use(...mock.handlers);
  const posts: Harness['posts'] = [];
  const client = new MetadataRefreshClient({
    signer: PRIVATE_KEY,
    baseURL: BASE_URL,
    clock,
    onResponse: (r) => {
      if (r.method === 'POST') posts.push({ status: r.status, at: clock.now() });
    },
  });
  const events: Harness['events'] = [];
  const scheduler = new RefreshScheduler({
    client: wrapClient(client),
    clock,
    pollIntervalMs: 1_000,
    onEvent: (e) => events.push({ ...e, at: clock.now() }),
    ...options,
  });
  return {
    scheduler,
    client,
    mock,
    clock,
    events,
    posts,
    finals() {
      const out = new Map<string, (SchedulerEvent & { at: number })[]>();
      for (const e of events) {
        if (e.type === 'tokenSucceeded' || e.type === 'tokenFailed') {
          out.set(e.tokenId, [...(out.get(e.tokenId) ?? []), e]);
        }
      }
      return out;
    },
  };
}
