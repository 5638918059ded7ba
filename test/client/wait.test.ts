import { HttpResponse, http } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import { AbortError, MetadataRefreshClient, TimeoutError } from '../../src/index.js';
import {
  BASE_URL,
  createTestClock,
  PRIVATE_KEY,
  REFRESH_ID,
  refreshWire,
} from '../support/fixtures.js';
import { server } from '../support/msw.js';

type Step = Parameters<typeof refreshWire>[1];

/** Answers each poll with the next step; the last one repeats. */
function serveSteps(steps: Step[]) {
  let poll = 0;
  server.use(
    http.get(`${BASE_URL}/v1/metadata-refreshes/:id`, () =>
      HttpResponse.json(refreshWire('upstream', steps[Math.min(poll++, steps.length - 1)])),
    ),
  );
  return () => poll;
}

const queued: Step = { status: 'queued', summary: { succeeded: 0, failed: 0, pending: 3 } };
const halfway: Step = { status: 'in_progress', summary: { succeeded: 1, failed: 1, pending: 1 } };
const done: Step = { status: 'completed', summary: { succeeded: 2, failed: 1, pending: 0 } };

function setup() {
  const clock = createTestClock();
  const client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: BASE_URL, clock });
  return { clock, client };
}

describe('waitForRefresh', () => {
  it('polls until completed and reports each change of progress', async () => {
    const polls = serveSteps([queued, queued, halfway, halfway, done]);
    const { client, clock } = setup();
    const onProgress = vi.fn();
    const refresh = await client.waitForRefresh(REFRESH_ID, { onProgress });
    expect(refresh.status).toBe('completed');
    expect(refresh.summary).toEqual({ succeeded: 2, failed: 1, pending: 0 });
    expect(polls()).toBe(5);
    expect(onProgress.mock.calls.map(([r]) => r.status)).toEqual([
      'queued',
      'in_progress',
      'completed',
    ]);
    // 5 s at first, half as long again after a poll without progress, back to 5 s on progress.
    expect(clock.sleeps).toEqual([5000, 7500, 5000, 7500]);
  });

  it('backs off to the maximum interval while nothing changes', async () => {
    serveSteps([...Array.from({ length: 12 }, () => queued), done]);
    const { client, clock } = setup();
    await client.waitForRefresh(REFRESH_ID);
    expect(Math.max(...clock.sleeps)).toBe(60_000);
    expect(clock.sleeps.slice(0, 3)).toEqual([5000, 7500, 11250]);
  });

  it('returns at once for a completed refresh', async () => {
    serveSteps([done]);
    const { client, clock } = setup();
    await expect(client.waitForRefresh(REFRESH_ID)).resolves.toMatchObject({ status: 'completed' });
    expect(clock.sleeps).toEqual([]);
  });

  it('rejects with TimeoutError at timeoutMs, after a last poll at the deadline', async () => {
    const polls = serveSteps([queued]);
    const { client, clock } = setup();
    const start = clock.now();
    const error = await client
      .waitForRefresh(REFRESH_ID, { pollIntervalMs: 1000, timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toContain('3 pending');
    expect(clock.now() - start).toBe(10_000);
    expect(polls()).toBe(clock.sleeps.length + 1);
  });

  it('rejects with AbortError when the signal aborts', async () => {
    serveSteps([queued]);
    const { client } = setup();
    const controller = new AbortController();
    let calls = 0;
    const wait = client.waitForRefresh(REFRESH_ID, {
      signal: controller.signal,
      onProgress: () => {
        if (++calls === 1) controller.abort(new Error('player left'));
      },
    });
    const error = await wait.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as Error).cause).toEqual(new Error('player left'));
  });

  it('refuses a non-positive poll interval', async () => {
    const { client } = setup();
    await expect(client.waitForRefresh(REFRESH_ID, { pollIntervalMs: 0 })).rejects.toThrow(
      /pollIntervalMs must be a positive number/,
    );
  });
});
