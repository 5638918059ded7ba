/**
 * Nothing waits for ever by accident: long sleeps are split under the platform's timer limit,
 * and absurd server-sent waits and resets never become NaN, Infinity or an Invalid Date.
 */
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS } from '../../src/clock.js';
import {
  AbortError,
  MAX_RETRY_AFTER_MS,
  MetadataRefreshClient,
  RateLimitError,
  systemClock,
} from '../../src/index.js';
import {
  BASE_URL,
  COLLECTION,
  createTestClock,
  PRIVATE_KEY,
  REFRESH_ID,
} from '../support/fixtures.js';
import { server } from '../support/msw.js';

const REFRESHES = `${BASE_URL}/v1/metadata-refreshes`;

/** Collects the process warnings emitted while `run` runs (they are delivered on a later tick). */
async function warningsDuring(run: () => Promise<void>): Promise<string[]> {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
  process.on('warning', onWarning);
  try {
    await run();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('systemClock.sleep', () => {
  it('a wait beyond 2^31-1 ms sets no overflowing timer (no TimeoutOverflowWarning)', async () => {
    const warnings = await warningsDuring(async () => {
      const controller = new AbortController();
      const sleeping = systemClock.sleep(2 ** 33, controller.signal);
      let settled = false;
      sleeping.then(
        () => {
          settled = true;
        },
        () => {
          settled = true;
        },
      );
      // An overflowing timer fires after 1 ms: the sleep would end at once.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(settled).toBe(false);
      controller.abort();
      await expect(sleeping).rejects.toBeInstanceOf(AbortError);
    });
    expect(warnings.filter((w) => w.startsWith('TimeoutOverflowWarning'))).toEqual([]);
  });

  it('waits the whole time in timers of at most 2^31-1 ms', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const delays: number[] = [];
    const fakeSetTimeout = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return fakeSetTimeout(fn, ms);
    }) as typeof setTimeout);
    const total = 3 * MAX_TIMER_MS + 5;
    let done = false;
    const sleeping = systemClock.sleep(total).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(total - 1);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await sleeping;
    expect(done).toBe(true);
    expect(delays.reduce((a, b) => a + b, 0)).toBe(total);
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_MS);
  });

  it('NaN and negative waits are no wait; Infinity lasts until the signal aborts', async () => {
    await expect(systemClock.sleep(Number.NaN)).resolves.toBeUndefined();
    await expect(systemClock.sleep(-5)).resolves.toBeUndefined();
    const warnings = await warningsDuring(async () => {
      const controller = new AbortController();
      const forever = systemClock.sleep(Number.POSITIVE_INFINITY, controller.signal);
      controller.abort();
      await expect(forever).rejects.toBeInstanceOf(AbortError);
    });
    expect(warnings).toEqual([]);
  });
});

describe('server-sent waits and resets that cannot be kept', () => {
  const YEAR_9999 = {
    'x-imx-refreshes-limit': '10',
    'x-imx-remaining-refreshes': '0',
    'x-imx-refresh-limit-reset': '253402300799',
  };

  it('a year-9999 reset on a 202 leaves no rate limit (not an Invalid Date)', async () => {
    server.use(
      http.post(REFRESHES, () =>
        HttpResponse.json({ refresh_id: REFRESH_ID }, { status: 202, headers: YEAR_9999 }),
      ),
    );
    const client = new MetadataRefreshClient({
      signer: PRIVATE_KEY,
      baseURL: BASE_URL,
      clock: createTestClock(),
    });
    const result = await client.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] });
    expect(result).toEqual({ refreshId: REFRESH_ID, rateLimit: undefined });
    expect(client.rateLimit).toBeUndefined();
  });

  async function getAnswered429(headers: Record<string, string>) {
    server.use(
      http.get(`${REFRESHES}/:id`, () =>
        HttpResponse.json({ code: 'too_many', message: 'slow down' }, { status: 429, headers }),
      ),
    );
    const clock = createTestClock();
    const client = new MetadataRefreshClient({
      signer: PRIVATE_KEY,
      baseURL: BASE_URL,
      clock,
      maxRetries: 2,
    });
    const error = (await client.getRefresh(REFRESH_ID).catch((e: unknown) => e)) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.rateLimit).toBeUndefined();
    return { error, sleeps: clock.sleeps };
  }

  it.each([
    ['a year-9999 reset', YEAR_9999],
    [
      'a retry-after date beyond the range of Date',
      { 'retry-after': 'Tue, 01 Jan 999999 00:00:00 GMT' },
    ],
  ])('%s on a GET 429: no retryAfterMs, finite backoff', async (_, headers) => {
    const { error, sleeps } = await getAnswered429(headers);
    expect(error.retryAfterMs).toBeUndefined();
    expect(sleeps).toHaveLength(2);
    for (const ms of sleeps) {
      expect(Number.isFinite(ms)).toBe(true);
      expect(ms).toBeLessThanOrEqual(8_000);
    }
  });

  it.each([
    ['a 400-digit retry-after-ms', { 'retry-after-ms': '9'.repeat(400) }],
    ['a 400-digit retry-after', { 'retry-after': '9'.repeat(400) }],
  ])('%s on a GET 429: the capped wait, too long to retry after', async (_, headers) => {
    const { error, sleeps } = await getAnswered429(headers);
    expect(error.retryAfterMs).toBe(MAX_RETRY_AFTER_MS);
    expect(sleeps).toEqual([]);
  });
});
