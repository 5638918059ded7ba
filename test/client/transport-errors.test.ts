/**
 * The transport's error mapping, through each client's public API against a loopback server on
 * 127.0.0.1: every error status of either API becomes its class with the API's own fields, the
 * response's headers and never the request's.
 */
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  MetadataRefreshClient,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  RedirectError,
  ZkEvmMetadataClient,
} from '../../src/index.js';
import { everyRendering, rejection } from '../support/errors.js';
import { createTestClock, PRIVATE_KEY, REFRESH_ID } from '../support/fixtures.js';
import { type SeenRequest, useLoopback } from '../support/loopback.js';

const CONTRACT = '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e';
const ZK_CHAIN = 'imtbl-zkevm-testnet';
const API_KEY = 'sk_imapik-mapping-4bN8vR2xT6SecretKeyValue';
const TRACE_ID = '3c9d1e0f5a6b47c8b9d0e1f2a3b4c5d6';

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const loopback = useLoopback();

/** A server that gives every request the same answer; records the requests it saw. */
async function answering(answer: Answer) {
  const text =
    answer.body === undefined
      ? ''
      : typeof answer.body === 'string'
        ? answer.body
        : JSON.stringify(answer.body);
  const type = typeof answer.body === 'string' ? 'text/html' : 'application/json';
  const server = await loopback.recording((res) => {
    res.writeHead(answer.status, { 'content-type': type, ...answer.headers });
    res.end(text);
  });
  return server;
}

const clock = () => createTestClock();

function imx(url: string) {
  return new MetadataRefreshClient({
    signer: PRIVATE_KEY,
    baseURL: url,
    clock: clock(),
    timeoutMs: 10_000,
    maxRetries: 0,
  });
}

function zkevm(url: string) {
  return new ZkEvmMetadataClient({
    apiKey: API_KEY,
    baseURL: url,
    chainName: ZK_CHAIN,
    clock: clock(),
    timeoutMs: 10_000,
    maxRetries: 0,
  });
}

/** No request header, signature or key in the error, however it is logged. */
function expectNoRequestHeaders(error: Error, seen: SeenRequest[]) {
  const text = everyRendering(error);
  expect(seen.length).toBeGreaterThan(0);
  for (const { headers } of seen) {
    const signature = headers['x-imx-eth-signature'];
    if (typeof signature === 'string') {
      expect(text).not.toContain(signature);
      expect(text).not.toContain(signature.slice(2, 40));
    }
  }
  expect(text).not.toContain(API_KEY);
  expect(text.toLowerCase()).not.toContain('x-imx-eth-signature');
  expect(text.toLowerCase()).not.toContain('x-imx-eth-timestamp');
  expect(text.toLowerCase()).not.toContain('x-immutable-api-key');
  if (error instanceof ApiError) {
    for (const name of Object.keys(error.headers)) {
      expect(name).not.toMatch(/^(x-imx-eth-|x-immutable-api-key|authorization|accept$)/);
    }
  }
}

const STATUS_CLASSES: [number, typeof ApiError][] = [
  [400, BadRequestError],
  [401, AuthenticationError],
  [403, PermissionDeniedError],
  [404, NotFoundError],
  [408, ApiError],
  [409, ApiError],
  [422, ApiError],
  [500, InternalServerError],
  [503, InternalServerError],
];

describe('Immutable X: each status becomes its class with the body and response headers', () => {
  it.each(STATUS_CLASSES)('%i → %o', async (status, ErrorClass) => {
    const api = await answering({
      status,
      body: { code: 'some_code', message: `the ${status} message`, details: 'more' },
      headers: { 'x-request-id': `req-${status}` },
    });
    const error = await rejection(imx(api.url).getRefresh(REFRESH_ID));
    expect(error.constructor).toBe(ErrorClass);
    const e = error as ApiError;
    expect(e).toMatchObject({
      status,
      code: 'some_code',
      apiMessage: `the ${status} message`,
      message: `${status} some_code: the ${status} message`,
      details: 'more',
      traceId: undefined,
      method: 'GET',
      path: `/v1/metadata-refreshes/${REFRESH_ID}`,
    });
    expect(e.headers['x-request-id']).toBe(`req-${status}`);
    expect(e.headers['content-type']).toBe('application/json');
    expectNoRequestHeaders(error, api.requests);
  });

  it('429: RateLimitError with the budget headers and the wait until the reset', async () => {
    const api = await answering({
      status: 429,
      body: { code: 'refresh_limit_exceeded', message: 'Refresh limit exceeded' },
      headers: {
        'x-imx-refreshes-limit': '10',
        'x-imx-remaining-refreshes': '0',
        'x-imx-refresh-limit-reset': '2022-09-06T03:00:00Z',
      },
    });
    const client = imx(api.url);
    const error = await rejection(client.getRefresh(REFRESH_ID));
    expect(error).toBeInstanceOf(RateLimitError);
    const e = error as RateLimitError;
    expect(e).toMatchObject({
      status: 429,
      code: 'refresh_limit_exceeded',
      apiMessage: 'Refresh limit exceeded',
      rateLimit: { limit: 10, remaining: 0, resetAt: new Date('2022-09-06T03:00:00Z') },
      // The test clock stands at 02:30.
      retryAfterMs: 30 * 60_000,
    });
    expect(e.headers['x-imx-remaining-refreshes']).toBe('0');
    expectNoRequestHeaders(error, api.requests);
  });

  it('a body in no known shape: unknown_error and the text as message', async () => {
    const api = await answering({ status: 502, body: '<html>Bad Gateway</html>' });
    const error = await rejection(imx(api.url).getRefresh(REFRESH_ID));
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toMatchObject({
      code: 'unknown_error',
      apiMessage: '<html>Bad Gateway</html>',
      body: '<html>Bad Gateway</html>',
    });
  });

  it('a 3xx: RedirectError naming where it pointed, never followed', async () => {
    const api = await answering({
      status: 302,
      headers: { location: 'http://elsewhere.invalid:9/steal' },
    });
    const error = await rejection(imx(api.url).getRefresh(REFRESH_ID));
    expect(error).toBeInstanceOf(RedirectError);
    expect(error).toMatchObject({ status: 302, locationHost: 'elsewhere.invalid:9' });
    expect(api.requests).toHaveLength(1);
    expectNoRequestHeaders(error, api.requests);
  });
});

describe('zkEVM: each status becomes its class with the platform code, message and trace id', () => {
  const zkBody = (status: number) => ({
    message: `the ${status} message`,
    link: 'https://docs.immutable.com',
    trace_id: TRACE_ID,
    code: `CODE_${status}`,
    details: { field: 'token_id' },
  });

  it.each(STATUS_CLASSES)('%i → %o', async (status, ErrorClass) => {
    const api = await answering({
      status,
      body: zkBody(status),
      headers: { 'x-request-id': `zk-${status}` },
    });
    const error = await rejection(
      zkevm(api.url).getNft({ contractAddress: CONTRACT, tokenId: '1' }),
    );
    expect(error.constructor).toBe(ErrorClass);
    const e = error as ApiError;
    expect(e).toMatchObject({
      status,
      code: `CODE_${status}`,
      apiMessage: `the ${status} message`,
      message: `${status} CODE_${status}: the ${status} message`,
      traceId: TRACE_ID,
      link: 'https://docs.immutable.com',
      details: undefined,
      body: zkBody(status),
      method: 'GET',
    });
    expect(e.headers['x-request-id']).toBe(`zk-${status}`);
    expectNoRequestHeaders(error, api.requests);
  });

  it('a gateway body without link or trace id keeps its code and message', async () => {
    const api = await answering({
      status: 503,
      body: { code: 'SERVICE_UNAVAILABLE', message: 'Service Unavailable' },
    });
    const error = await rejection(
      zkevm(api.url).getNft({ contractAddress: CONTRACT, tokenId: '1' }),
    );
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      apiMessage: 'Service Unavailable',
      traceId: undefined,
      link: undefined,
    });
  });

  it('429 on a push: RateLimitError with Retry-After and the budget headers', async () => {
    const api = await answering({
      status: 429,
      body: zkBody(429),
      headers: {
        'imx-refreshes-limit': '100',
        'imx-remaining-refreshes': '0',
        'retry-after': '30',
      },
    });
    const error = await rejection(
      zkevm(api.url).refreshNftMetadata({
        contractAddress: CONTRACT,
        nfts: [{ tokenId: '1', name: 'a' }],
      }),
    );
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({
      code: 'CODE_429',
      traceId: TRACE_ID,
      retryAfterMs: 30_000,
      method: 'POST',
    });
    expect((error as RateLimitError).headers['retry-after']).toBe('30');
    expectNoRequestHeaders(error, api.requests);
  });

  it('a server echoing the api key: redacted in the body and the headers', async () => {
    const api = await answering({
      status: 401,
      body: { ...zkBody(401), message: `unknown key ${API_KEY}` },
      headers: { 'x-echo': API_KEY },
    });
    const error = await rejection(
      zkevm(api.url).getNft({ contractAddress: CONTRACT, tokenId: '1' }),
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({
      apiMessage: 'unknown key [redacted]',
      headers: expect.objectContaining({ 'x-echo': '[redacted]' }),
    });
    expectNoRequestHeaders(error, api.requests);
  });
});
