/** stop() resolves promptly whatever the API does, and a broken listing never spins. */
import { delay, HttpResponse, http } from 'msw';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Clock, RefreshScheduler } from '../../src/index.js';
import { metadataAnswer } from '../../src/msw/index.js';
import { BASE_URL, COLLECTION } from '../support/fixtures.js';
import { harness, server } from './harness.js';

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const REFRESHES = `${BASE_URL}/v1/metadata-refreshes`;

/** Resolves 'stopped' when `stop` does, 'hung' if it takes longer than a generous bound. */
function stoppedOrHung(stop: Promise<unknown>): Promise<'stopped' | 'hung'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), 5_000);
  });
  return Promise.race([stop.then(() => 'stopped' as const), hung]).finally(() =>
    clearTimeout(timer),
  );
}

describe('stop()', () => {
  it('resolves while a poll of a sent refresh hangs, and hands the refresh back', async () => {
    const h = harness({ maxDelayMs: 0 });
    let pollsStarted = 0;
    let resolvePoll: () => void = () => {};
    const pollStarted = new Promise<void>((resolve) => {
      resolvePoll = resolve;
    });
    server.use(
      http.get(`${REFRESHES}/:id`, async () => {
        pollsStarted++;
        resolvePoll();
        await delay('infinite');
        return HttpResponse.json({});
      }),
    );
    await h.scheduler.enqueue(COLLECTION, ['1']);
    h.scheduler.start();
    await pollStarted;
    expect(await stoppedOrHung(h.scheduler.stop())).toBe('stopped');
    expect(pollsStarted).toBe(1);
    // Stopping is not an error to report.
    expect(h.events.filter((e) => e.type === 'error')).toEqual([]);
    expect(await h.scheduler.stats()).toMatchObject({ pending: 0, inFlight: 1 });
  });

  it('ends the error follow-up of a listing whose cursor goes round in circles', async () => {
    const h = harness(
      { maxDelayMs: 0 },
      { resolveMetadata: (_c, id) => (id === '1' ? metadataAnswer(404, 'not found') : { id }) },
    );
    let pages = 0;
    server.use(
      http.get(`${REFRESHES}/:id/errors`, ({ request }) => {
        pages++;
        const cursor = new URL(request.url).searchParams.get('cursor');
        return HttpResponse.json({
          result: [
            {
              token_id: '1',
              collection_address: COLLECTION,
              client_token_metadata_url: 'https://game.example/1',
              client_response_status_code: 404,
              client_response_body: 'not found',
              error_code: 'invalid_response_status_code',
              created_at: '2030-01-01T10:00:01Z',
            },
          ],
          cursor: cursor === 'A' ? 'B' : 'A',
          remaining: 1,
        });
      }),
    );
    await h.scheduler.enqueue(COLLECTION, ['1', '2', '3']);
    h.scheduler.start();
    await h.scheduler.drained();
    expect(await stoppedOrHung(h.scheduler.stop())).toBe('stopped');
    expect(pages).toBeLessThanOrEqual(3);
    expect(h.finals().get('1')).toEqual([
      expect.objectContaining({ type: 'tokenFailed', errorCode: 'invalid_response_status_code' }),
    ]);
  });

  it('does not believe a 429 that asks to wait for years: it waits one window at most', async () => {
    const h = harness({ maxDelayMs: 0 });
    h.mock.failNext({
      status: 429,
      method: 'POST',
      headers: { 'retry-after': '999999999', 'x-imx-refresh-limit-reset': '253402300799' },
    });
    await h.scheduler.enqueue(COLLECTION, ['1']);
    const t0 = h.clock.now();
    h.scheduler.start();
    await h.scheduler.drained();
    expect(await stoppedOrHung(h.scheduler.stop())).toBe('stopped');
    expect(h.posts.map((p) => p.status)).toEqual([429, 202]);
    expect(h.posts[1]?.at).toBeLessThanOrEqual(t0 + 3_600_000);
    const wait = h.events.find((e) => e.type === 'budgetWait');
    expect(wait?.type === 'budgetWait' && wait.until.getTime()).toBeLessThanOrEqual(t0 + 3_600_000);
  });
});

/** A scheduler on the harness's client and time, sleeping through `sleep`; counts the sleeps. */
function withSleep(sleep: (counted: () => void) => Clock['sleep']) {
  const h = harness();
  const counter = { sleeps: 0 };
  const scheduler = new RefreshScheduler({
    client: h.client,
    clock: { now: () => h.clock.now(), sleep: sleep(() => counter.sleeps++) },
    pollIntervalMs: 1_000,
    maxDelayMs: 0,
    onEvent: (e) => h.events.push({ ...e, at: h.clock.now() }),
  });
  scheduler.start();
  return { h, scheduler, counter };
}

describe('a clock of your own', () => {
  it("whose aborted sleep rejects with its own error (node:timers' AbortError) is woken, not crashed", async () => {
    // As node:timers/promises does: an aborted wait rejects with a DOMException, not ours.
    const { h, scheduler, counter } = withSleep(
      (counted) => (_ms, signal) =>
        new Promise<void>((_resolve, reject) => {
          counted();
          signal?.addEventListener('abort', () =>
            reject(new DOMException('The operation was aborted', 'AbortError')),
          );
        }),
    );
    await scheduler.enqueue(COLLECTION, ['1']);
    await vi.waitFor(() => expect(h.posts).toHaveLength(1));
    expect(await stoppedOrHung(scheduler.stop())).toBe('stopped');
    expect(counter.sleeps).toBeGreaterThan(0);
    expect(h.events.filter((e) => e.type === 'error')).toEqual([]);
  });

  it('whose sleep fails is reported as an error event, and the loop neither dies nor spins', async () => {
    const { h, scheduler, counter } = withSleep((counted) => async () => {
      counted();
      throw new Error('the clock broke');
    });
    await scheduler.enqueue(COLLECTION, ['1']);
    await vi.waitFor(() => expect(h.events.some((e) => e.type === 'error')).toBe(true));
    const sleepsThen = counter.sleeps;
    await new Promise((resolve) => setImmediate(resolve));
    expect(counter.sleeps).toBe(sleepsThen);
    expect(await stoppedOrHung(scheduler.stop())).toBe('stopped');
  });
});
