/**
 * ZkEvmMetadataClient against hand-written wire fixtures: every form of the budget the platform
 * (or its public sample) uses, and the error bodies of each status with their trace ids.
 */
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  type ApiError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ZkEvmMetadataClient,
} from '../../src/index.js';
import { rejection } from '../support/errors.js';
import { createTestClock } from '../support/fixtures.js';
import { server } from '../support/msw.js';
import { CONTRACT, ZK_API_KEY, ZK_BASE_URL, ZK_CHAIN } from '../support/zkevm-engine.js';

const PUSH_URL = `${ZK_BASE_URL}/v1/chains/${ZK_CHAIN}/collections/${CONTRACT}/nfts/refresh-metadata`;
// The public sample's window: its reset is 2024-04-16 11:06:07.401553 UTC.
const NOW = Date.parse('2024-04-16T10:30:00Z');
const RESET = Date.parse('2024-04-16T11:06:07.401Z');

function client() {
  const clock = createTestClock(NOW);
  return {
    clock,
    zk: new ZkEvmMetadataClient({
      apiKey: ZK_API_KEY,
      baseURL: ZK_BASE_URL,
      chainName: ZK_CHAIN,
      clock,
      maxRetries: 0,
    }),
  };
}

const push = (zk: ZkEvmMetadataClient) =>
  zk.refreshNftMetadata({ contractAddress: CONTRACT, nfts: [{ tokenId: '1', name: 'a' }] });

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  server.use(http.post(PUSH_URL, () => HttpResponse.json(body as never, { status, headers })));
}

const sampleBody = {
  imx_refreshes_limit: '677',
  imx_refresh_limit_reset: '2024-04-16 11:06:07.401553 +0000 UTC',
  imx_remaining_refreshes: '675',
  retry_after: '9.61-seconds',
};

describe('the budget of a 202', () => {
  it('headers absent: read from the body copies (Go time, "9.61-seconds")', async () => {
    answer(202, sampleBody);
    const { zk } = client();
    const { rateLimit } = await push(zk);
    expect(rateLimit).toEqual({
      limit: 677,
      remaining: 675,
      resetAt: new Date(RESET),
      retryAfterMs: 9_610,
    });
    expect(zk.rateLimit).toEqual(rateLimit);
  });

  const resets: [string, string][] = [
    ['Go format', '2024-04-16 11:06:07.401 +0000 UTC'],
    ['ISO 8601', '2024-04-16T11:06:07.401Z'],
    ['unix seconds', String(RESET / 1000)],
    ['an HTTP date', 'Tue, 16 Apr 2024 11:06:07 GMT'],
  ];
  it.each(resets)('reset header as %s; headers win over the body', async (_name, reset) => {
    answer(
      202,
      { ...sampleBody, imx_remaining_refreshes: '1' },
      {
        'imx-refreshes-limit': '677',
        'imx-remaining-refreshes': '675',
        'imx-refresh-limit-reset': reset,
        'retry-after': '0',
      },
    );
    const { rateLimit } = await push(client().zk);
    expect(rateLimit?.limit).toBe(677);
    expect(rateLimit?.remaining).toBe(675);
    expect(Math.abs((rateLimit?.resetAt.getTime() ?? 0) - RESET)).toBeLessThan(1_000);
    expect(rateLimit?.retryAfterMs).toBe(0);
  });

  it('a limit the platform never published is learned, not assumed', async () => {
    answer(
      202,
      {},
      {
        'imx-refreshes-limit': '5000',
        'imx-remaining-refreshes': '4999',
        'imx-refresh-limit-reset': '2024-04-16 11:06:07 +0000 UTC',
      },
    );
    expect((await push(client().zk)).rateLimit).toMatchObject({
      limit: 5000,
      remaining: 4999,
      retryAfterMs: undefined,
    });
  });

  it('a 202 without any budget, or with an odd body, is still accepted', async () => {
    answer(202, 'accepted');
    const { zk } = client();
    await expect(push(zk)).resolves.toEqual({ rateLimit: undefined });
    expect(zk.rateLimit).toBeUndefined();
  });

  it('a reset years ahead is not believed (it would hold a sender back for ever)', async () => {
    answer(202, { ...sampleBody, imx_refresh_limit_reset: '9999-01-01 00:00:00 +0000 UTC' });
    expect((await push(client().zk)).rateLimit).toBeUndefined();
  });
});

describe('a 429', () => {
  const body = {
    message: 'Too many metadata refreshes',
    link: 'https://docs.immutable.com/zkevm/api/reference/',
    trace_id: 'f3b1c2d4e5f60718293a4b5c6d7e8f90',
    code: 'TOO_MANY_REQUESTS_ERROR',
    details: null,
  };
  const budget = {
    'imx-refreshes-limit': '677',
    'imx-remaining-refreshes': '0',
    'imx-refresh-limit-reset': '2024-04-16 11:06:07.401553 +0000 UTC',
  };
  const waits: [string, string, number][] = [
    ['"9.61-seconds"', '9.61-seconds', 9_610],
    ['seconds', '10', 10_000],
    ['an HTTP date', 'Tue, 16 Apr 2024 10:31:00 GMT', 60_000],
  ];
  it.each(waits)('retry-after as %s', async (_name, retryAfter, ms) => {
    answer(429, body, { ...budget, 'retry-after': retryAfter });
    const { zk } = client();
    const error = await rejection(push(zk));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({
      status: 429,
      code: 'TOO_MANY_REQUESTS_ERROR',
      traceId: body.trace_id,
      link: body.link,
      retryAfterMs: ms,
      rateLimit: { limit: 677, remaining: 0, resetAt: new Date(RESET), retryAfterMs: ms },
    });
    expect((error as RateLimitError).apiMessage).toBe('Too many metadata refreshes');
    expect(zk.rateLimit?.remaining).toBe(0);
  });

  it('without retry-after: the wait until the reset', async () => {
    answer(429, body, budget);
    const error = (await rejection(push(client().zk))) as RateLimitError;
    expect(error.retryAfterMs).toBe(RESET - NOW);
  });

  it('only retry-after, no budget headers', async () => {
    answer(429, body, { 'retry-after': '30' });
    const error = (await rejection(push(client().zk))) as RateLimitError;
    expect(error.rateLimit).toBeUndefined();
    expect(error.retryAfterMs).toBe(30_000);
  });
});

describe('error bodies keep code, message and trace_id', () => {
  const errors: [number, string, typeof ApiError][] = [
    [400, 'VALIDATION_ERROR', BadRequestError],
    [401, 'UNAUTHORISED_REQUEST', AuthenticationError],
    [403, 'AUTHENTICATION_ERROR', PermissionDeniedError],
    [404, 'RESOURCE_NOT_FOUND', NotFoundError],
    [500, 'INTERNAL_SERVER_ERROR', InternalServerError],
  ];
  it.each(errors)('%i %s', async (status, code, ErrorClass) => {
    const body = {
      message: `the ${code} message`,
      link: 'https://docs.immutable.com/zkevm/api/reference/',
      trace_id: `trace-${status}`,
      code,
      details: status === 404 ? { token_ids: ['1'] } : { field: 'nft_metadata[0].token_id' },
    };
    answer(status, body);
    const error = await rejection(push(client().zk));
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toMatchObject({
      status,
      code,
      traceId: `trace-${status}`,
      link: body.link,
      details: undefined,
    });
    expect((error as ApiError).apiMessage).toBe(`the ${code} message`);
    expect(error.message).toBe(`${status} ${code}: the ${code} message`);
    expect(((error as ApiError).body as typeof body).details).toEqual(body.details);
  });

  it("a gateway's body without link or trace_id keeps what it has; plain text becomes the message", async () => {
    answer(502, { code: 'BAD_GATEWAY', message: 'upstream down' });
    expect(await rejection(push(client().zk))).toMatchObject({
      code: 'BAD_GATEWAY',
      traceId: undefined,
    });
    server.use(http.post(PUSH_URL, () => new HttpResponse('Service Unavailable', { status: 503 })));
    expect(await rejection(push(client().zk))).toMatchObject({
      code: 'unknown_error',
      apiMessage: 'Service Unavailable',
    });
  });
});
