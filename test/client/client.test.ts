import axios from 'axios';
import { delay, HttpResponse, http } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  InternalServerError,
  InvalidRequestError,
  MetadataRefreshClient,
  type MetadataRefreshClientOptions,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ResponseValidationError,
  verifyImxSignature,
} from '../../src/index.js';
import {
  BASE_URL,
  COLLECTION,
  createTestClock,
  OWNER,
  PRIVATE_KEY,
  REFRESH_ID,
  rateLimitHeaders,
  refreshWire,
  type Variant,
} from '../support/fixtures.js';
import { useMock } from '../support/mock.js';
import { recorded, server } from '../support/msw.js';

const REFRESHES = `${BASE_URL}/v1/metadata-refreshes`;

function makeClient(options: Partial<MetadataRefreshClientOptions> = {}) {
  const clock = createTestClock();
  const client = new MetadataRefreshClient({
    signer: PRIVATE_KEY,
    baseURL: BASE_URL,
    clock,
    ...options,
  } as MetadataRefreshClientOptions);
  return { client, clock };
}

describe('wire variant: service (the mock)', () => {
  const api = useMock();

  it('getRefresh returns the refresh in camelCase with a summary object', async () => {
    api.mock.seedRefresh({
      collectionAddress: COLLECTION,
      refreshId: REFRESH_ID,
      succeeded: 2,
      startedAt: new Date('2022-08-31T01:59:59.806Z'),
    });
    await expect(api.client().getRefresh(REFRESH_ID)).resolves.toEqual({
      refreshId: REFRESH_ID,
      status: 'completed',
      collectionAddress: COLLECTION,
      startedAt: '2022-08-31T01:59:59.806Z',
      completedAt: '2022-08-31T01:59:59.806Z',
      summary: { succeeded: 2, failed: 0, pending: 0 },
    });
  });

  it('requestRefresh sends snake_case and returns the id and the rate limit', async () => {
    api.mock.setRemainingRefreshes(8);
    const client = api.client();
    expect(client.rateLimit).toBeUndefined();
    const result = await client.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['1', '2'],
    });
    expect(api.mock.requests.map((r) => r.body)).toEqual([
      { collection_address: COLLECTION, token_ids: ['1', '2'] },
    ]);
    const rateLimit = { limit: 10, remaining: 7, resetAt: new Date('2022-09-06T03:00:00Z') };
    expect(result).toEqual({ refreshId: 'refresh-1', rateLimit });
    expect(client.rateLimit).toEqual(rateLimit);
    expect(api.mock.service.getRefresh('refresh-1')).toMatchObject({
      collection_address: COLLECTION,
    });
  });
});

describe('wire variant: upstream (hand-written fixtures)', () => {
  const variant: Variant = 'upstream';

  it('getRefresh returns the refresh in camelCase with a summary object', async () => {
    server.use(http.get(`${REFRESHES}/:id`, () => HttpResponse.json(refreshWire(variant))));
    const { client } = makeClient();
    await expect(client.getRefresh(REFRESH_ID)).resolves.toEqual({
      refreshId: REFRESH_ID,
      status: 'completed',
      collectionAddress: COLLECTION,
      startedAt: '2022-08-31T01:59:59.806449Z',
      completedAt: '2022-08-31T02:00:09.786143Z',
      summary: { succeeded: 2, failed: 0, pending: 0 },
    });
  });

  it('requestRefresh sends snake_case and returns the id and the rate limit', async () => {
    let body: unknown;
    server.use(
      http.post(REFRESHES, async ({ request }) => {
        body = await request.json();
        return HttpResponse.json(
          { refresh_id: REFRESH_ID },
          { status: 202, headers: rateLimitHeaders(variant, 7) },
        );
      }),
    );
    const { client } = makeClient();
    expect(client.rateLimit).toBeUndefined();
    const result = await client.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['1', '2'],
    });
    expect(body).toEqual({ collection_address: COLLECTION, token_ids: ['1', '2'] });
    const rateLimit = { limit: 10, remaining: 7, resetAt: new Date('2022-09-06T03:00:00Z') };
    expect(result).toEqual({ refreshId: REFRESH_ID, rateLimit });
    expect(client.rateLimit).toEqual(rateLimit);
  });
});

describe('signing', () => {
  const api = useMock();

  it('signs every request as the owner with the current unix second', async () => {
    api.mock.seedRefresh({ collectionAddress: COLLECTION, refreshId: REFRESH_ID, succeeded: 2 });
    await api.client().getRefresh(REFRESH_ID);
    const headers = api.mock.requests[0]?.headers ?? {};
    const timestamp = headers['x-imx-eth-timestamp'] as string;
    expect(timestamp).toBe(String(Math.floor(api.clock.now() / 1000)));
    expect(headers['x-imx-eth-address']).toBe(OWNER);
    const signature = headers['x-imx-eth-signature'] as string;
    expect(signature).toMatch(/^0x[0-9a-f]{128}0[01]$/);
    expect(verifyImxSignature({ address: OWNER, timestamp, signature })).toBe(true);
  });

  it('signs each attempt with a fresh timestamp', async () => {
    api.mock.seedRefresh({ collectionAddress: COLLECTION, refreshId: REFRESH_ID, succeeded: 2 });
    api.mock.failNext({ status: 503, method: 'GET', headers: { 'retry-after': '2' } });
    await api.client().getRefresh(REFRESH_ID);
    const [first, second] = api.mock.requests.map((r) => Number(r.headers['x-imx-eth-timestamp']));
    expect(second).toBeGreaterThan(first as number);
  });
});

describe('validation before sending', () => {
  const cases: [string, (c: MetadataRefreshClient) => Promise<unknown>, RegExp][] = [
    [
      'a malformed collection address',
      (c) => c.requestRefresh({ collectionAddress: '0x123', tokenIds: ['1'] }),
      /collectionAddress must be 0x followed by 40 hex/,
    ],
    [
      'no token ids',
      (c) => c.requestRefresh({ collectionAddress: COLLECTION, tokenIds: [] }),
      /must not be empty/,
    ],
    [
      '1001 token ids',
      (c) =>
        c.requestRefresh({
          collectionAddress: COLLECTION,
          tokenIds: Array.from({ length: 1001 }, (_, i) => String(i)),
        }),
      /1001 ids; one request takes at most 1000/,
    ],
    [
      'duplicate ids (named)',
      (c) =>
        c.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1', '2', '1', '3', '2'] }),
      /duplicates: "1", "2"/,
    ],
    [
      'non-string and empty ids (named)',
      (c) =>
        c.requestRefresh({
          collectionAddress: COLLECTION,
          tokenIds: ['1', 2, ''] as unknown as string[],
        }),
      /invalid: \[1\] 2, \[2\] ""/,
    ],
    ['an empty refresh id', (c) => c.getRefresh(''), /refreshId must be a non-empty string/],
    [
      'a zero page size',
      (c) => c.getRefreshErrors(REFRESH_ID, { pageSize: 0 }),
      /pageSize must be a positive integer/,
    ],
    [
      'a fractional page size',
      (c) => c.listRefreshes({ pageSize: 2.5 }),
      /pageSize must be a positive integer/,
    ],
    [
      'a bad collection filter',
      (c) => c.listRefreshes({ collectionAddress: 'nope' }),
      /collectionAddress must be/,
    ],
  ];
  it.each(cases)(
    'refuses %s with InvalidRequestError and sends nothing',
    async (_, call, message) => {
      const { client } = makeClient();
      const error = await call(client).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as Error).message).toMatch(message);
      expect(recorded).toHaveLength(0);
    },
  );

  it('refuses bad client options at construction', () => {
    expect(() => new MetadataRefreshClient({ signer: PRIVATE_KEY })).toThrow(InvalidRequestError);
    expect(
      () =>
        new MetadataRefreshClient({
          signer: PRIVATE_KEY,
          baseURL: BASE_URL,
          environment: 'sandbox',
        }),
    ).toThrow(/not both/);
    expect(() => new MetadataRefreshClient({ signer: '0x1234', baseURL: BASE_URL })).toThrow(
      /private key string/,
    );
    expect(() => new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: 'ftp://x' })).toThrow(
      /http or https/,
    );
    expect(
      () => new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: BASE_URL, maxRetries: -1 }),
    ).toThrow(/maxRetries/);
  });

  it('uses the documented environment base URLs', () => {
    expect(
      new MetadataRefreshClient({ signer: PRIVATE_KEY, environment: 'production' }).baseURL,
    ).toBe('https://api.x.immutable.com');
    expect(new MetadataRefreshClient({ signer: PRIVATE_KEY, environment: 'sandbox' }).baseURL).toBe(
      'https://api.sandbox.x.immutable.com',
    );
  });
});

describe('errors', () => {
  it.each([
    [400, BadRequestError],
    [401, AuthenticationError],
    [403, PermissionDeniedError],
    [404, NotFoundError],
    [409, ApiError],
    [500, InternalServerError],
    [502, InternalServerError],
  ] as const)(
    'status %i becomes %o with code, message, details and headers',
    async (status, ErrorClass) => {
      server.use(
        http.post(REFRESHES, () =>
          HttpResponse.json(
            { code: 'some_code', message: 'Something is off', details: 'more' },
            { status, headers: { 'x-request-id': 'abc' } },
          ),
        ),
      );
      const { client } = makeClient({ maxRetries: 0 });
      const error = await client
        .requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ErrorClass);
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({
        status,
        code: 'some_code',
        details: 'more',
        apiMessage: 'Something is off',
      });
      expect((error as ApiError).headers['x-request-id']).toBe('abc');
    },
  );

  it('an error body that is not JSON still gives a typed error with the text', async () => {
    server.use(
      http.get(
        `${REFRESHES}/:id`,
        () => new HttpResponse('<html>Bad gateway</html>', { status: 502 }),
      ),
    );
    const { client } = makeClient({ maxRetries: 0 });
    const error = await client.getRefresh(REFRESH_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toMatchObject({
      code: 'unknown_error',
      status: 502,
      body: '<html>Bad gateway</html>',
    });
  });

  it('a 200 with an unexpected body throws ResponseValidationError carrying the raw body', async () => {
    const body = { refresh_id: REFRESH_ID, status: 'exploded' };
    server.use(http.get(`${REFRESHES}/:id`, () => HttpResponse.json(body)));
    const { client } = makeClient();
    const error = await client.getRefresh(REFRESH_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect((error as ResponseValidationError).body).toEqual(body);
    expect((error as Error).cause).toBeDefined();
  });
});

describe('errors from the engine (the mock)', () => {
  const api = useMock();

  it('429 becomes RateLimitError with the rate limit and the wait until reset', async () => {
    api.mock.setRemainingRefreshes(0);
    const client = api.client();
    const error = (await client
      .requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] })
      .catch((e: unknown) => e)) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.code).toBe('refresh_limit_exceeded');
    expect(error.rateLimit).toEqual({
      limit: 10,
      remaining: 0,
      resetAt: new Date('2022-09-06T03:00:00Z'),
    });
    expect(error.retryAfterMs).toBe(Date.parse('2022-09-06T03:00:00Z') - api.clock.now());
    expect(client.rateLimit?.remaining).toBe(0);
    expect(api.mock.requests).toHaveLength(1);
  });

  it('a network error becomes ConnectionError, never a raw AxiosError', async () => {
    api.mock.failNext({ network: true, method: 'GET' });
    const client = api.client({ maxRetries: 0 });
    const error = await client.getRefresh(REFRESH_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(axios.isAxiosError(error)).toBe(false);
    // The axios error holds the request config (signed headers): only a summary of it is kept.
    expect(axios.isAxiosError((error as Error).cause)).toBe(false);
    expect((error as Error).cause).toMatchObject({ message: 'Network error' });
  });
});

describe('retries against the engine (the mock)', () => {
  const api = useMock();
  const seed = () =>
    api.mock.seedRefresh({ collectionAddress: COLLECTION, refreshId: REFRESH_ID, succeeded: 2 });

  it('retries a GET on 503 with backoff, then succeeds', async () => {
    seed();
    api.mock.failNext({ status: 503, method: 'GET', times: 2 });
    const client = api.client();
    await expect(client.getRefresh(REFRESH_ID)).resolves.toMatchObject({ status: 'completed' });
    expect(api.mock.requests).toHaveLength(3);
    const { sleeps } = api.clock;
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(375);
    expect(sleeps[0]).toBeLessThanOrEqual(500);
    expect(sleeps[1]).toBeGreaterThanOrEqual(750);
    expect(sleeps[1]).toBeLessThanOrEqual(1000);
  });

  it('gives up after maxRetries and throws the last error', async () => {
    seed();
    api.mock.failNext({ status: 503, method: 'GET', times: 10 });
    const client = api.client({ maxRetries: 3 });
    await expect(client.getRefresh(REFRESH_ID)).rejects.toBeInstanceOf(InternalServerError);
    expect(api.mock.requests).toHaveLength(4);
  });

  it('retries a GET after a network error', async () => {
    seed();
    api.mock.failNext({ network: true, method: 'GET' });
    const client = api.client();
    await expect(client.getRefresh(REFRESH_ID)).resolves.toMatchObject({ refreshId: REFRESH_ID });
    expect(api.mock.requests).toHaveLength(2);
  });

  it.each([
    ['a 500', { status: 500 }, InternalServerError],
    ['a 503', { status: 503 }, InternalServerError],
    ['a broken connection', { network: true }, ConnectionError],
  ] as const)('sends the POST exactly once on %s', async (_, failure, ErrorClass) => {
    api.mock.failNext({ ...failure, method: 'POST' });
    const client = api.client({ maxRetries: 5 });
    await expect(
      client.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] }),
    ).rejects.toBeInstanceOf(ErrorClass);
    expect(api.mock.requests.map((r) => r.method)).toEqual(['POST']);
  });
});

describe('retries on exact Retry-After values (hand-written fixtures)', () => {
  it('honours Retry-After on a GET, and does not retry a 404', async () => {
    let calls = 0;
    server.use(
      http.get(`${REFRESHES}/:id`, () =>
        ++calls === 1
          ? HttpResponse.json(
              { code: 'too_many_requests', message: 'slow down' },
              { status: 429, headers: { 'retry-after': '2' } },
            )
          : HttpResponse.json({ code: 'not_found', message: 'no such refresh' }, { status: 404 }),
      ),
    );
    const { client, clock } = makeClient();
    await expect(client.getRefresh(REFRESH_ID)).rejects.toBeInstanceOf(NotFoundError);
    expect(clock.sleeps).toEqual([2000]);
    expect(calls).toBe(2);
  });

  it('does not wait out a Retry-After longer than a minute', async () => {
    server.use(
      http.get(`${REFRESHES}/:id`, () =>
        HttpResponse.json(
          { code: 'too_many_requests', message: 'slow down' },
          { status: 429, headers: { 'retry-after': '3600' } },
        ),
      ),
    );
    const { client, clock } = makeClient();
    await expect(client.getRefresh(REFRESH_ID)).rejects.toBeInstanceOf(RateLimitError);
    expect(clock.sleeps).toEqual([]);
  });
});

describe('options', () => {
  const api = useMock();
  const seed = () =>
    api.mock.seedRefresh({ collectionAddress: COLLECTION, refreshId: REFRESH_ID, succeeded: 2 });

  it('sends through a caller-supplied axios instance', async () => {
    seed();
    const instance = axios.create();
    const seen = vi.fn();
    instance.interceptors.request.use((config) => {
      seen(config.url);
      config.headers.set('x-studio', 'tower-defence');
      return config;
    });
    const client = api.client({ axiosInstance: instance });
    await client.getRefresh(REFRESH_ID);
    expect(seen).toHaveBeenCalledWith(`/v1/metadata-refreshes/${REFRESH_ID}`);
    expect(api.mock.requests[0]?.headers['x-studio']).toBe('tower-defence');
  });

  it('reports every response to onResponse', async () => {
    seed();
    const onResponse = vi.fn();
    const client = api.client({ onResponse });
    await client.getRefresh(REFRESH_ID);
    expect(onResponse).toHaveBeenCalledWith(
      expect.objectContaining({
        method: 'GET',
        status: 200,
        attempt: 0,
        path: `/v1/metadata-refreshes/${REFRESH_ID}`,
      }),
    );
  });

  it('encodes the refresh id into the path', async () => {
    api.mock.seedRefresh({ collectionAddress: COLLECTION, refreshId: 'a/b?c', succeeded: 1 });
    const client = api.client();
    await expect(client.getRefresh('a/b?c')).resolves.toMatchObject({ refreshId: 'a/b?c' });
    expect(api.mock.requests[0]?.path).toBe('/v1/metadata-refreshes/a%2Fb%3Fc');
  });

  // A real 30 ms axios timeout against a handler that delays: nothing the engine does.
  it('times out a slow attempt with TimeoutError', async () => {
    server.use(
      http.post(REFRESHES, async () => {
        await delay(1_000);
        return HttpResponse.json({ refresh_id: REFRESH_ID }, { status: 202 });
      }),
    );
    const { client } = makeClient({ timeoutMs: 30 });
    const error = await client
      .requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(recorded).toHaveLength(1);
  });
});

describe('ids that are not text', () => {
  it('refuses a lone surrogate before sending', async () => {
    const client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: BASE_URL });
    await expect(
      client.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1', '\ud800'] }),
    ).rejects.toThrow(/well-formed strings other than "." and ".."; invalid: \[1\]/);
  });

  it('refuses "." and ".." before sending: as a URL segment they name another path', async () => {
    const client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: BASE_URL });
    for (const id of ['.', '..']) {
      await expect(
        client.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1', id] }),
      ).rejects.toThrow(/invalid: \[1\] "\.\.?"/);
    }
  });
});
