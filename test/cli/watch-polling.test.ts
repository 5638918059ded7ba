/** `watch`'s polling on a test clock: `--interval-ms` is the normal interval, sooner near completion. */
import { PassThrough } from 'node:stream';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { watchCommand } from '../../src/cli/commands.js';
import { MetadataRefreshClient } from '../../src/index.js';
import {
  BASE_URL,
  createTestClock,
  PRIVATE_KEY,
  REFRESH_ID,
  refreshWire,
} from '../support/fixtures.js';
import { server } from '../support/msw.js';

/** Answers each poll with the next counts (done, pending); the last one repeats. */
function serveCounts(counts: [number, number][]) {
  let poll = 0;
  server.use(
    http.get(`${BASE_URL}/v1/metadata-refreshes/:id`, () => {
      const [done, pending] = counts[Math.min(poll++, counts.length - 1)] as [number, number];
      return HttpResponse.json(
        refreshWire('service', {
          status: pending === 0 ? 'completed' : 'in_progress',
          summary: { succeeded: done, failed: 0, pending },
        }),
      );
    }),
  );
  return () => poll;
}

describe('watch polling', () => {
  it('polls every --interval-ms, and when the rate says the refresh will be done', async () => {
    const polls = serveCounts([
      [0, 10],
      [2, 8],
      [9, 1],
      [10, 0],
    ]);
    const clock = createTestClock();
    const client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: BASE_URL, clock });
    const out = new PassThrough();
    const io = { out, err: new PassThrough(), env: {} };
    const code = await watchCommand(client, REFRESH_ID, { intervalMs: 2_000 }, io);
    expect(code).toBe(0);
    expect(polls()).toBe(4);
    // 2 of 10 in 2 s says 8 s more: the interval. 9 of 10 in 4 s says 0.44 s: the 500 ms floor.
    expect(clock.sleeps).toEqual([2_000, 2_000, 500]);
  });
});
