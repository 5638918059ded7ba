// The retry policy of src/client/retry.ts, as pure functions with injected time and randomness,
// then once through the client on a test clock. pushRetryRule has its own zkevm-retry.test.ts.
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  isRetryable,
  isTransientStatus,
  MAX_RETRY_DELAY_MS,
  retryDelayMs,
} from '../../src/client/retry.js';
import {
  AbortError,
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  InternalServerError,
  InvalidRequestError,
  MetadataRefreshClient,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  RedirectError,
  type ResponseHeaders,
  ResponseTooLargeError,
  ResponseValidationError,
  TimeoutError,
} from '../../src/index.js';
import {
  BASE_URL,
  COLLECTION,
  createTestClock,
  PRIVATE_KEY,
  REFRESH_ID,
  refreshWire,
} from '../support/fixtures.js';
import { recorded, server } from '../support/msw.js';

const NOW = Date.parse('2022-09-06T02:30:00Z');

const apiError = (
  ErrorClass: typeof ApiError,
  status: number,
  headers: ResponseHeaders = {},
): ApiError => new ErrorClass({ status, code: 'some_code', message: 'some message', headers });

const refused = () =>
  new ConnectionError('connect ECONNREFUSED', { code: 'ECONNREFUSED', nothingSent: true });
const reset = () =>
  new ConnectionError('socket hang up', { code: 'ECONNRESET', nothingSent: false });

describe('isTransientStatus', () => {
  it('is 408, 429 and every 5xx; no other status', () => {
    const transient = [408, 429, 500, 502, 503, 504, 599];
    for (const status of transient) expect(isTransientStatus(status), String(status)).toBe(true);
    for (const status of [200, 202, 301, 303, 400, 401, 403, 404, 409, 413, 422, 499]) {
      expect(isTransientStatus(status), String(status)).toBe(false);
    }
  });
});

describe('isRetryable', () => {
  it('GET: connection errors of either kind, timeouts and transient statuses', () => {
    for (const error of [
      refused(),
      reset(),
      new TimeoutError('timed out'),
      apiError(ApiError, 408),
      new RateLimitError({ status: 429, code: 'x', message: 'y', headers: {} }),
      apiError(InternalServerError, 500),
      apiError(InternalServerError, 503),
    ]) {
      expect(isRetryable('GET', error), error.message).toBe(true);
    }
  });

  it('GET: never a refusal, a redirect, a too-large or malformed body, an abort or a bug', () => {
    for (const error of [
      apiError(BadRequestError, 400),
      apiError(AuthenticationError, 401),
      apiError(PermissionDeniedError, 403),
      apiError(NotFoundError, 404),
      apiError(RedirectError, 302),
      new ResponseTooLargeError('too large', { maxResponseBytes: 10 }),
      new ResponseValidationError('bad body', { body: {} }),
      new AbortError('aborted'),
      new InvalidRequestError('bad input'),
      new TypeError('a bug'),
      'a string',
      undefined,
    ]) {
      expect(isRetryable('GET', error), String(error)).toBe(false);
    }
  });

  it('POST: only a connection error that proves nothing was sent', () => {
    expect(isRetryable('POST', refused())).toBe(true);
    for (const error of [
      reset(),
      new TimeoutError('timed out'),
      apiError(InternalServerError, 503),
      apiError(ApiError, 408),
      new RateLimitError({ status: 429, code: 'x', message: 'y', headers: {}, retryAfterMs: 0 }),
      apiError(BadRequestError, 400),
    ]) {
      expect(isRetryable('POST', error), error.message).toBe(false);
    }
  });
});

describe('retryDelayMs', () => {
  const noJitter = () => 0;
  const fullJitter = () => 1;

  it('backs off exponentially from 0.5 s, doubling up to a cap of 8 s', () => {
    const delays = [0, 1, 2, 3, 4, 5, 10, 50].map((retry) =>
      retryDelayMs(retry, reset(), NOW, noJitter),
    );
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
  });

  it('takes off up to 25% as jitter, from the injected random source', () => {
    expect(retryDelayMs(2, reset(), NOW, fullJitter)).toBe(1500);
    expect(retryDelayMs(2, reset(), NOW, () => 0.5)).toBe(1750);
    // Out-of-range and broken random sources are clamped, or mean the full backoff.
    expect(retryDelayMs(2, reset(), NOW, () => 7)).toBe(1500);
    expect(retryDelayMs(2, reset(), NOW, () => -1)).toBe(2000);
    expect(retryDelayMs(2, reset(), NOW, () => Number.NaN)).toBe(8000);
  });

  it('honours a RateLimitError.retryAfterMs exactly, without jitter', () => {
    const error = new RateLimitError({
      status: 429,
      code: 'too_many',
      message: 'slow down',
      headers: { 'retry-after': '1' },
      retryAfterMs: 12_345,
    });
    expect(retryDelayMs(0, error, NOW, fullJitter)).toBe(12_345);
    expect(retryDelayMs(7, error, NOW, fullJitter)).toBe(12_345);
  });

  it('honours the Retry-After headers of any other ApiError, read at the injected now', () => {
    const at = new Date(NOW + 4_000).toUTCString();
    expect(
      retryDelayMs(0, apiError(InternalServerError, 503, { 'retry-after': '3' }), NOW, fullJitter),
    ).toBe(3_000);
    expect(
      retryDelayMs(0, apiError(InternalServerError, 503, { 'retry-after': at }), NOW, noJitter),
    ).toBe(4_000);
  });

  it('gives up (undefined) when the server asks for longer than MAX_RETRY_DELAY_MS', () => {
    expect(MAX_RETRY_DELAY_MS).toBe(60_000);
    const ask = (ms: number) =>
      new RateLimitError({ status: 429, code: 'x', message: 'y', headers: {}, retryAfterMs: ms });
    expect(retryDelayMs(0, ask(MAX_RETRY_DELAY_MS), NOW, noJitter)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs(0, ask(MAX_RETRY_DELAY_MS + 1), NOW, noJitter)).toBeUndefined();
    const header = apiError(InternalServerError, 503, { 'retry-after': '61' });
    expect(retryDelayMs(0, header, NOW, noJitter)).toBeUndefined();
  });

  it('falls back to backoff when the requested wait is unusable or absent', () => {
    const ask = (ms: number | undefined) =>
      new RateLimitError({ status: 429, code: 'x', message: 'y', headers: {}, retryAfterMs: ms });
    expect(retryDelayMs(1, ask(undefined), NOW, noJitter)).toBe(1000);
    expect(retryDelayMs(1, ask(-1), NOW, noJitter)).toBe(1000);
    expect(retryDelayMs(1, ask(Number.NaN), NOW, noJitter)).toBe(1000);
    expect(retryDelayMs(1, apiError(InternalServerError, 500), NOW, noJitter)).toBe(1000);
    expect(retryDelayMs(1, new TimeoutError('timed out'), NOW, noJitter)).toBe(1000);
  });
});

describe('the policy through the client, on a test clock', () => {
  const GET_URL = `${BASE_URL}/v1/metadata-refreshes/:id`;
  const client = (clock = createTestClock(), maxRetries?: number) =>
    new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: BASE_URL, clock, maxRetries });
  const failing = (status: number, headers: Record<string, string> = {}) =>
    HttpResponse.json({ code: 'unavailable', message: 'try later' }, { status, headers });

  it('a GET is retried maxRetries times, each wait a jittered backoff step', async () => {
    server.use(http.get(GET_URL, () => failing(503)));
    const clock = createTestClock();
    await expect(client(clock, 3).getRefresh(REFRESH_ID)).rejects.toBeInstanceOf(
      InternalServerError,
    );
    expect(recorded).toHaveLength(4);
    expect(clock.sleeps).toHaveLength(3);
    clock.sleeps.forEach((ms, retry) => {
      const step = 500 * 2 ** retry;
      expect(ms).toBeGreaterThanOrEqual(step * 0.75);
      expect(ms).toBeLessThanOrEqual(step);
    });
  });

  it('waits exactly the Retry-After the server sent, then succeeds', async () => {
    let calls = 0;
    server.use(
      http.get(GET_URL, () =>
        ++calls === 1
          ? failing(503, { 'retry-after': '2' })
          : HttpResponse.json(refreshWire('service')),
      ),
    );
    const clock = createTestClock();
    await client(clock).getRefresh(REFRESH_ID);
    expect(clock.sleeps).toEqual([2_000]);
    expect(recorded).toHaveLength(2);
  });

  it('a Retry-After beyond the bound is not waited for: the error comes at once', async () => {
    server.use(http.get(GET_URL, () => failing(503, { 'retry-after': '3600' })));
    const clock = createTestClock();
    await expect(client(clock).getRefresh(REFRESH_ID)).rejects.toMatchObject({ status: 503 });
    expect(clock.sleeps).toEqual([]);
    expect(recorded).toHaveLength(1);
  });

  it('the refresh POST is sent once after a 503: it may have been created', async () => {
    server.use(http.post(`${BASE_URL}/v1/metadata-refreshes`, () => failing(503)));
    const clock = createTestClock();
    await expect(
      client(clock).requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] }),
    ).rejects.toBeInstanceOf(InternalServerError);
    expect(recorded.map((r) => r.method)).toEqual(['POST']);
    expect(clock.sleeps).toEqual([]);
  });
});
