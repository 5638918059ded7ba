/** `ApiError.from`: the one status→class mapping, and what an error response keeps. */
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  MetadataRefreshError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  RedirectError,
} from '../../src/index.js';
import { everyRendering } from '../support/errors.js';

const SIGNATURE = `0x${'ab12'.repeat(32)}cd`;
const API_KEY = 'sk_imapik-factory-7hW3kP9sQ1SecretKeyValue';

describe('ApiError.from picks the class by status', () => {
  const cases: [number, typeof ApiError][] = [
    [301, RedirectError],
    [302, RedirectError],
    [303, RedirectError],
    [307, RedirectError],
    [308, RedirectError],
    [400, BadRequestError],
    [401, AuthenticationError],
    [403, PermissionDeniedError],
    [404, NotFoundError],
    [429, RateLimitError],
    [500, InternalServerError],
    [502, InternalServerError],
    [503, InternalServerError],
    [504, InternalServerError],
    [599, InternalServerError],
    // No class of their own: a plain ApiError.
    [402, ApiError],
    [405, ApiError],
    [408, ApiError],
    [409, ApiError],
    [413, ApiError],
    [422, ApiError],
    [499, ApiError],
  ];

  it.each(cases)('%i → %o', (status, ErrorClass) => {
    const error = ApiError.from({ status, code: 'some_code', message: 'some message' });
    expect(error.constructor).toBe(ErrorClass);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(MetadataRefreshError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(ErrorClass.name);
    expect(error.status).toBe(status);
  });

  it('a subclass called as RateLimitError.from still maps by status', () => {
    expect(RateLimitError.from({ status: 404 }).constructor).toBe(NotFoundError);
  });
});

describe('what the error keeps', () => {
  it("the API's message as its own field; message adds the status and code", () => {
    const error = ApiError.from({
      status: 400,
      code: 'invalid_token_ids',
      message: 'token_ids: 1001 ids (at most 1000)',
      details: 'split the request',
      body: { code: 'invalid_token_ids', message: 'token_ids: 1001 ids (at most 1000)' },
    });
    expect(error.message).toBe('400 invalid_token_ids: token_ids: 1001 ids (at most 1000)');
    expect(error.apiMessage).toBe('token_ids: 1001 ids (at most 1000)');
    expect(Object.getOwnPropertyDescriptor(error, 'apiMessage')?.value).toBe(error.apiMessage);
    expect(error).toMatchObject({ code: 'invalid_token_ids', details: 'split the request' });
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({
      status: 400,
      code: 'invalid_token_ids',
      apiMessage: 'token_ids: 1001 ids (at most 1000)',
    });
  });

  it('an API message that itself starts like the prefix is kept whole', () => {
    const error = ApiError.from({ status: 500, code: 'x', message: '500 x: nested' });
    expect(error.message).toBe('500 x: 500 x: nested');
    expect(error.apiMessage).toBe('500 x: nested');
  });

  it('zkEVM fields: the platform code, message, trace id and link', () => {
    const body = {
      code: 'VALIDATION_ERROR',
      message: 'nft_metadata[0].token_id is required',
      trace_id: '8f0e6c1d2b3a49587f6e5d4c3b2a1908',
      link: 'https://docs.immutable.com',
      details: { field: 'nft_metadata[0].token_id' },
    };
    const error = ApiError.from({
      status: 400,
      body,
      code: body.code,
      message: body.message,
      traceId: body.trace_id,
      link: body.link,
    });
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({
      code: 'VALIDATION_ERROR',
      apiMessage: 'nft_metadata[0].token_id is required',
      traceId: '8f0e6c1d2b3a49587f6e5d4c3b2a1908',
      link: 'https://docs.immutable.com',
      details: undefined,
      body,
    });
  });

  it('a body in no known shape: unknown_error, and the text body or HTTP <status> as message', () => {
    const html = ApiError.from({ status: 502, body: `  <html>${'x'.repeat(600)}</html>\n` });
    expect(html.code).toBe('unknown_error');
    expect(html.apiMessage).toBe(`<html>${'x'.repeat(494)}`);
    expect(html.apiMessage).toHaveLength(500);
    const empty = ApiError.from({ status: 503, body: '   ' });
    expect(empty.message).toBe('503 unknown_error: HTTP 503');
    expect(ApiError.from({ status: 418, body: { unexpected: true } }).apiMessage).toBe('HTTP 418');
  });

  it('the raw response headers, and the request target', () => {
    const headers = { 'x-request-id': 'req-42', 'content-type': 'application/json' };
    const error = ApiError.from({ status: 404, headers, method: 'GET', path: '/v1/x?a=1' });
    expect(error.headers).toEqual(headers);
    expect(error).toMatchObject({ method: 'GET', path: '/v1/x?a=1' });
    expect(ApiError.from({ status: 404 }).headers).toEqual({});
  });

  it('429: the budget, and the wait from Retry-After or else until the reset', () => {
    const rateLimit = { limit: 10, remaining: 0, resetAt: new Date(60_000) };
    const told = ApiError.from({ status: 429, rateLimit, retryAfterMs: 5_000, nowMs: 0 });
    expect(told).toBeInstanceOf(RateLimitError);
    expect(told).toMatchObject({ rateLimit, retryAfterMs: 5_000 });
    const untilReset = ApiError.from({ status: 429, rateLimit, nowMs: 20_000 });
    expect((untilReset as RateLimitError).retryAfterMs).toBe(40_000);
    const past = ApiError.from({ status: 429, rateLimit, nowMs: 90_000 });
    expect((past as RateLimitError).retryAfterMs).toBe(0);
    const unknown = ApiError.from({ status: 429 });
    expect(unknown).toMatchObject({ rateLimit: undefined, retryAfterMs: undefined });
  });

  it('a budget on any other status is not kept (only a 429 is a RateLimitError)', () => {
    const rateLimit = { limit: 10, remaining: 3, resetAt: new Date(60_000) };
    const error = ApiError.from({ status: 503, rateLimit, retryAfterMs: 1_000, nowMs: 0 });
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).not.toHaveProperty('rateLimit');
    expect(error).not.toHaveProperty('retryAfterMs');
  });

  it('3xx: where Location pointed (resolved against the URL), and the refusal as message', () => {
    const absolute = ApiError.from({
      status: 302,
      headers: { location: 'https://elsewhere.example:8443/steal' },
      message: 'Found',
    });
    expect(absolute).toBeInstanceOf(RedirectError);
    expect((absolute as RedirectError).locationHost).toBe('elsewhere.example:8443');
    expect(absolute.message).toBe(
      '302 unknown_error: redirect to elsewhere.example:8443 refused: the client never follows redirects',
    );
    const relative = ApiError.from({
      status: 307,
      headers: { location: '/v1/other' },
      url: 'http://127.0.0.1:4000/v1/metadata-refreshes',
    });
    expect((relative as RedirectError).locationHost).toBe('127.0.0.1:4000');
    const none = ApiError.from({ status: 301 });
    expect((none as RedirectError).locationHost).toBeUndefined();
    expect(none.apiMessage).toBe(
      'redirect to an unnamed location refused: the client never follows redirects',
    );
    const known = ApiError.from({ status: 302, locationHost: 'next.example' });
    expect((known as RedirectError).locationHost).toBe('next.example');
  });
});

describe('never a credential', () => {
  it('a cause holding the request (as an axios error does) is kept as a summary only', () => {
    const axiosLike = Object.assign(new Error('Request failed with status code 500'), {
      name: 'AxiosError',
      code: 'ERR_BAD_RESPONSE',
      config: {
        headers: { 'x-imx-eth-signature': SIGNATURE, 'x-immutable-api-key': API_KEY },
      },
      request: { _header: `POST / HTTP/1.1\r\nx-immutable-api-key: ${API_KEY}\r\n` },
    });
    const error = ApiError.from({
      status: 500,
      code: 'internal',
      message: 'boom',
      headers: { 'x-request-id': 'r-1' },
      cause: axiosLike,
    });
    expect(error.cause).toEqual({
      name: 'AxiosError',
      message: 'Request failed with status code 500',
      code: 'ERR_BAD_RESPONSE',
    });
    const text = everyRendering(error);
    expect(text).not.toContain(SIGNATURE);
    expect(text).not.toContain(SIGNATURE.slice(2, 40));
    expect(text).not.toContain(API_KEY);
    expect(text.toLowerCase()).not.toContain('x-imx-eth-signature');
    expect(text.toLowerCase()).not.toContain('x-immutable-api-key');
    // What it does keep is there, however it is logged.
    expect(text).toContain('500 internal: boom');
    expect(text).toContain('r-1');
  });

  it('an error response carries no progress unless a multi-request call set it', () => {
    const error = ApiError.from({ status: 429 });
    expect(error.progress).toBeUndefined();
    expect(Object.keys(error)).not.toContain('progress');
    expect(everyRendering(error)).not.toMatch(/accepted|notSent|uncertain/);
  });
});
