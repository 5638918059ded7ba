import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortError, MetadataRefreshClient, REFRESH_POLL, TimeoutError } from '../../src/index.js';
import { metadataAnswer } from '../../src/msw/index.js';
import {
  BASE_URL,
  COLLECTION,
  createTestClock,
  PRIVATE_KEY,
  REFRESH_ID,
  refreshWire,
} from '../support/fixtures.js';
import { useMock } from '../support/mock.js';
import { server } from '../support/msw.js';

describe('waitForRefresh against the engine (the mock)', () => {
  // Every token's metadata is held back until the test releases it, so the test decides when
  // the real worker makes progress; one attempt per token keeps that to one answer each.
  const held = new Map<string, (answer: unknown) => void>();
  const api = useMock({
    fetchAttempts: 1,
    fetchTimeoutMs: 60_000,
    resolveMetadata: (_collection, tokenId) => new Promise((resolve) => held.set(tokenId, resolve)),
  });
  afterEach(() => {
    for (const release of held.values()) release({});
    held.clear();
  });

  /** Waits (on real time, briefly) until `condition` holds. */
  async function until(condition: () => boolean) {
    for (let i = 0; i < 1000 && !condition(); i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(condition()).toBe(true);
  }

  /** Answers a held token and waits until the engine has recorded its outcome. */
  async function answer(refreshId: string, tokenId: string, value: unknown) {
    await until(() => held.has(tokenId));
    const before = api.mock.service.getRefresh(refreshId)?.summary.pending;
    held.get(tokenId)?.(value);
    held.delete(tokenId);
    await until(() => api.mock.service.getRefresh(refreshId)?.summary.pending !== before);
  }

  /** A client on the test clock that runs `steps[n]` after its n-th sleep, before polling again. */
  function clientWithSteps(steps: Record<number, () => Promise<void>>) {
    const { clock } = api;
    return api.client({
      clock: {
        now: () => clock.now(),
        sleep: async (ms, signal) => {
          await clock.sleep(ms, signal);
          await steps[clock.sleeps.length]?.();
        },
      },
    });
  }

  const polls = () => api.mock.requests.filter((r) => r.method === 'GET').length;

  it('polls until completed and reports each change of progress', async () => {
    let refreshId = '';
    const client = clientWithSteps({
      2: async () => {
        await answer(refreshId, '1', { name: 'one' });
        await answer(refreshId, '2', metadataAnswer(404, 'not found'));
      },
      4: () => answer(refreshId, '3', { name: 'three' }),
    });
    ({ refreshId } = await client.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['1', '2', '3'],
    }));
    const onProgress = vi.fn();
    const refresh = await client.waitForRefresh(refreshId, { onProgress });
    expect(refresh.status).toBe('completed');
    expect(refresh.summary).toEqual({ succeeded: 2, failed: 1, pending: 0 });
    expect(polls()).toBe(5);
    expect(onProgress.mock.calls.map(([r]) => r.status)).toEqual([
      'queued',
      'in_progress',
      'completed',
    ]);
    expect(onProgress.mock.calls.map(([r]) => r.summary)).toEqual([
      { succeeded: 0, failed: 0, pending: 3 },
      { succeeded: 1, failed: 1, pending: 1 },
      { succeeded: 2, failed: 1, pending: 0 },
    ]);
    // 5 s at first, half as long again after a poll without progress, back to 5 s on progress.
    expect(api.clock.sleeps).toEqual([5000, 7500, 5000, 7500]);
  });

  it('backs off to the maximum interval while nothing changes', async () => {
    let refreshId = '';
    const client = clientWithSteps({ 12: () => answer(refreshId, '1', { name: 'one' }) });
    ({ refreshId } = await client.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['1'],
    }));
    await expect(client.waitForRefresh(refreshId)).resolves.toMatchObject({
      status: 'completed',
    });
    expect(polls()).toBe(13);
    const { sleeps } = api.clock;
    expect(Math.max(...sleeps)).toBe(60_000);
    expect(sleeps.slice(0, 3)).toEqual([5000, 7500, 11250]);
  });

  it('returns at once for a completed refresh', async () => {
    api.mock.seedRefresh({
      collectionAddress: COLLECTION,
      refreshId: REFRESH_ID,
      succeeded: 2,
      failed: 1,
    });
    await expect(api.client().waitForRefresh(REFRESH_ID)).resolves.toMatchObject({
      status: 'completed',
    });
    expect(api.clock.sleeps).toEqual([]);
    expect(polls()).toBe(1);
  });

  it('rejects with TimeoutError at timeoutMs, after a last poll at the deadline', async () => {
    api.mock.seedRefresh({ collectionAddress: COLLECTION, refreshId: REFRESH_ID, pending: 3 });
    const { clock } = api;
    const start = clock.now();
    const error = await api
      .client()
      .waitForRefresh(REFRESH_ID, { pollIntervalMs: 1000, timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toContain('3 pending');
    expect(clock.now() - start).toBe(10_000);
    expect(polls()).toBe(clock.sleeps.length + 1);
  });

  it('rejects with AbortError when the signal aborts', async () => {
    api.mock.seedRefresh({ collectionAddress: COLLECTION, refreshId: REFRESH_ID, pending: 3 });
    const controller = new AbortController();
    let calls = 0;
    const wait = api.client().waitForRefresh(REFRESH_ID, {
      signal: controller.signal,
      onProgress: () => {
        if (++calls === 1) controller.abort(new Error('player left'));
      },
    });
    const error = await wait.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as Error).cause).toEqual(new Error('player left'));
    expect(polls()).toBe(1);
  });

  it('refuses a non-positive poll interval', async () => {
    await expect(api.client().waitForRefresh(REFRESH_ID, { pollIntervalMs: 0 })).rejects.toThrow(
      /pollIntervalMs must be a positive number/,
    );
    expect(api.mock.requests).toEqual([]);
  });
});

describe('waitForRefresh on the upstream form (hand-written fixtures)', () => {
  type Step = Parameters<typeof refreshWire>[1];

  /** Answers each poll with the next step, in the upstream form; the last one repeats. */
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

  it('polls until completed and reports each change of progress (summary as an array)', async () => {
    const polls = serveSteps([queued, queued, halfway, halfway, done]);
    const clock = createTestClock();
    const client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: BASE_URL, clock });
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
    expect(clock.sleeps).toEqual([5000, 7500, 5000, 7500]);
  });

  const counts = (done: number, pending: number): Step => ({
    status: pending === 0 ? 'completed' : 'in_progress',
    summary: { succeeded: done, failed: 0, pending },
  });

  /** Waits with the default options on a test clock; the waits between polls. */
  async function sleepsOf(steps: Step[]) {
    const polls = serveSteps(steps);
    const clock = createTestClock();
    const client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: BASE_URL, clock });
    await expect(client.waitForRefresh(REFRESH_ID)).resolves.toMatchObject({
      status: 'completed',
    });
    expect(polls()).toBe(clock.sleeps.length + 1);
    return clock.sleeps;
  }

  it('polls when the rate of progress says the refresh will be done, not a whole interval later', async () => {
    // 8 of 10 done in 5 s: the last 2 should take 1.25 s.
    expect(await sleepsOf([counts(0, 10), counts(8, 2), counts(10, 0)])).toEqual([5000, 1250]);
  });

  it('never polls sooner than REFRESH_POLL.minMs, and backs off from there while nothing changes', async () => {
    expect(REFRESH_POLL).toMatchObject({ minMs: 500, nearFactor: 1.25 });
    // 99 of 100 in 5 s says 51 ms for the last one; it is slower (a token being retried).
    const steps = [counts(0, 100), counts(99, 1), counts(99, 1), counts(99, 1), counts(100, 0)];
    expect(await sleepsOf(steps)).toEqual([5000, 500, 625, 781.25]);
  });

  /**
   * A refresh started at `startedAt` (ISO), 9 of 10 done until poll `donePoll` shows all 10;
   * waits for it with a test clock and returns the clock and the number of polls.
   */
  async function waitNineOfTen(startedAtMs: (now: number) => number, donePoll: number) {
    const clock = createTestClock();
    const startedAt = new Date(startedAtMs(clock.now())).toISOString();
    let poll = 0;
    server.use(
      http.get(`${BASE_URL}/v1/metadata-refreshes/:id`, () => {
        const done = ++poll === donePoll;
        return HttpResponse.json({
          ...refreshWire('service', counts(done ? 10 : 9, done ? 0 : 1)),
          started_at: startedAt,
        });
      }),
    );
    const client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: BASE_URL, clock });
    await client.waitForRefresh(REFRESH_ID);
    return { clock, poll };
  }

  it('a server clock up to 5 s ahead does not bring the polls forward', async () => {
    // Truly started 20 s ago, 9 of 10 done: the last one is due in about 20000 / 9 ms. The
    // server's clock is 4 s ahead, so its startedAt reads as 16 s ago by ours.
    const { clock } = await waitNineOfTen((now) => now + 4000 - 20_000, 2);
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(20_000 / 9);
  });

  it('a waiter that comes late knows the rate from startedAt, on its first poll', async () => {
    // Started a second ago; 9 of 10 done, the last one slow.
    const { clock, poll } = await waitNineOfTen((now) => now - 1000, 4);
    expect(poll).toBe(4);
    // 9 done in 1 s, counted from 5 s before startedAt (the server's clock may run ahead of
    // ours): the last one in about (1000 + 5000) / 9 ms, then a quarter more each quiet poll.
    expect(clock.sleeps).toEqual([667, 833.75, 1042.1875]);
  });
});
