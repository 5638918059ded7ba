import { Wallet } from 'ethers';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AuthenticationError,
  ConnectionError,
  InternalServerError,
  imxAuthHeaders,
  MetadataRefreshClient,
  PermissionDeniedError,
  RateLimitError,
  type RefreshError,
} from '../../src/index.js';
import { createMetadataRefreshMock, metadataAnswer } from '../../src/msw/index.js';
import { BASE_URL, COLLECTION, OWNER, PRIVATE_KEY } from '../support/fixtures.js';

const mock = createMetadataRefreshMock({
  baseURL: BASE_URL,
  resolveMetadata: (_collection, tokenId) => {
    if (tokenId === 'missing') return { status: 404, body: '404 page not found\n' };
    if (tokenId === 'down') throw new Error('ECONNREFUSED');
    if (tokenId === 'array') return [1, 2];
    if (tokenId === 'status-field') return { status: 3, level: 9 };
    if (tokenId === 'explicit') return metadataAnswer(500, { error: 'boom' });
    return { name: `Hero ${tokenId}` };
  },
});
const server = setupServer(...mock.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  mock.reset();
  vi.useRealTimers();
});
afterAll(() => server.close());

const client = (signer: string = PRIVATE_KEY) =>
  new MetadataRefreshClient({ signer, baseURL: BASE_URL, clock: mock.clock });

async function errorsOf(refreshId: string): Promise<RefreshError[]> {
  const rows: RefreshError[] = [];
  for await (const row of client().iterateRefreshErrors(refreshId, { pageSize: 1000 }))
    rows.push(row);
  return rows;
}

describe('the engine behind msw handlers', () => {
  it('runs a refresh to completion; settled() replaces sleeping', async () => {
    const { refreshId, rateLimit } = await client().requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['1', '2', 'missing', 'down', 'array', 'status-field', 'explicit'],
    });
    expect(rateLimit).toMatchObject({ limit: 10, remaining: 9 });
    await mock.service.settled();
    const refresh = await client().getRefresh(refreshId);
    expect(refresh).toMatchObject({
      status: 'completed',
      summary: { succeeded: 3, failed: 4, pending: 0 },
    });
    const byToken = Object.fromEntries((await errorsOf(refreshId)).map((e) => [e.tokenId, e]));
    expect(byToken.missing).toMatchObject({
      errorCode: 'invalid_response_status_code',
      clientResponseStatusCode: 404,
      clientResponseBody: '404 page not found\n',
    });
    expect(byToken.down).toMatchObject({
      errorCode: 'unable_to_retrieve_metadata',
      clientResponseStatusCode: null,
    });
    expect(byToken.array?.errorCode).toBe('unable_to_decode_response');
    expect(byToken.explicit).toMatchObject({
      clientResponseStatusCode: 500,
      clientResponseBody: '{"error":"boom"}',
    });
    expect(mock.service.getTokenMetadata(COLLECTION, 'status-field')?.metadata).toEqual({
      status: 3,
      level: 9,
    });
  });

  it('waitForRefresh on the mock clock returns without real waiting', async () => {
    const c = client();
    const { refreshId } = await c.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['1'],
    });
    await expect(c.waitForRefresh(refreshId)).resolves.toMatchObject({ status: 'completed' });
  });

  it('answers on the production and sandbox base URLs too', async () => {
    for (const environment of ['production', 'sandbox'] as const) {
      const c = new MetadataRefreshClient({ signer: PRIVATE_KEY, environment, clock: mock.clock });
      await expect(c.listRefreshes()).resolves.toMatchObject({ result: [] });
    }
  });

  it('refuses what the real API refuses: unsigned calls and 1001 ids', async () => {
    const unsigned = await fetch(`${BASE_URL}/v1/metadata-refreshes`);
    expect(unsigned.status).toBe(401);
    const headers = await imxAuthHeaders(PRIVATE_KEY);
    const tooMany = await fetch(`${BASE_URL}/v1/metadata-refreshes`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        collection_address: COLLECTION,
        token_ids: Array.from({ length: 1001 }, (_, i) => String(i)),
      }),
    });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toEqual({
      code: 'bad_request',
      message: 'token_ids must hold at most 1000 ids',
    });
  });

  it('refuses the 11th refresh in an hour, and restores the budget when time moves on', async () => {
    const c = client();
    for (let i = 0; i < 10; i++)
      await c.requestRefresh({ collectionAddress: COLLECTION, tokenIds: [String(i)] });
    const error = await c
      .requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['x'] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).rateLimit?.remaining).toBe(0);
    mock.advanceTime(3_600_000);
    await expect(
      c.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['x'] }),
    ).resolves.toMatchObject({
      rateLimit: { remaining: 9 },
    });
  });

  it('follows vitest fake timers through Date', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T10:59:00Z'));
    const c = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: BASE_URL });
    mock.setRemainingRefreshes(0);
    await expect(
      c.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] }),
    ).rejects.toMatchObject({
      rateLimit: { resetAt: new Date('2030-01-01T11:00:00Z') },
    });
    vi.setSystemTime(new Date('2030-01-01T11:00:00Z'));
    await expect(
      c.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] }),
    ).resolves.toBeDefined();
  });

  it('checks the owner when one is given', async () => {
    const owned = createMetadataRefreshMock({ owner: OWNER, baseURL: 'https://owned.test' });
    server.use(...owned.handlers);
    const stranger = new MetadataRefreshClient({
      signer: Wallet.createRandom().privateKey,
      baseURL: 'https://owned.test',
    });
    await expect(stranger.listRefreshes()).rejects.toBeInstanceOf(PermissionDeniedError);
    const owner = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: 'https://owned.test' });
    await expect(owner.listRefreshes()).resolves.toMatchObject({ hasMore: false });
  });

  it('knows only the configured collections and tokens when given', async () => {
    const scoped = createMetadataRefreshMock({
      baseURL: 'https://scoped.test',
      collections: [{ address: COLLECTION, tokenIds: ['1'] }],
    });
    server.use(...scoped.handlers);
    const c = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: 'https://scoped.test' });
    await expect(
      c.requestRefresh({ collectionAddress: `0x${'ab'.repeat(20)}`, tokenIds: ['1'] }),
    ).rejects.toMatchObject({ status: 404 });
    const { refreshId } = await c.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['1', '2'],
    });
    await scoped.service.settled();
    const errors = await c.getRefreshErrors(refreshId);
    expect(errors.result).toEqual([
      expect.objectContaining({
        tokenId: '2',
        errorCode: 'token_not_found',
        clientTokenMetadataUrl: `https://metadata.mock/${COLLECTION}/2`,
      }),
    ]);
  });
});

describe('test controls', () => {
  it('failNext: a 503 on a GET is retried by the client; the POST is not resent', async () => {
    const c = client();
    mock.failNext({ status: 503, method: 'GET' });
    await expect(c.listRefreshes()).resolves.toMatchObject({ result: [] });
    expect(mock.requests.map((r) => r.method)).toEqual(['GET', 'GET']);

    mock.failNext({ status: 503, method: 'POST' });
    await expect(
      c.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] }),
    ).rejects.toBeInstanceOf(InternalServerError);
    expect(mock.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('failNext: a 429 carries the rate-limit headers; a network error is a ConnectionError', async () => {
    mock.failNext({ status: 429 });
    const error = (await client()
      .requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] })
      .catch((e: unknown) => e)) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.code).toBe('refresh_limit_exceeded');
    expect(error.rateLimit).toMatchObject({ limit: 10, remaining: 0 });

    mock.failNext({ network: true, times: 3 });
    await expect(client().getRefresh('any')).rejects.toBeInstanceOf(ConnectionError);
  });

  it('setRemainingRefreshes sets the budget left this window', async () => {
    mock.setRemainingRefreshes(1);
    const c = client();
    await expect(
      c.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] }),
    ).resolves.toMatchObject({
      rateLimit: { remaining: 0 },
    });
    await expect(
      c.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['2'] }),
    ).rejects.toBeInstanceOf(RateLimitError);
  });

  it('seedRefresh: 2,500 errors paged through without running the worker', async () => {
    const refreshId = mock.seedRefresh({
      collectionAddress: COLLECTION,
      succeeded: 10,
      failed: 2500,
    });
    const refresh = await client().getRefresh(refreshId);
    expect(refresh).toMatchObject({
      status: 'completed',
      summary: { succeeded: 10, failed: 2500, pending: 0 },
    });
    const errors = await errorsOf(refreshId);
    expect(errors).toHaveLength(2500);
    expect(new Set(errors.map((e) => e.tokenId)).size).toBe(2500);
    expect(mock.requests.filter((r) => r.path.endsWith('/errors'))).toHaveLength(3);
  });

  it('seedRefresh: pending tokens keep a refresh in progress', async () => {
    const refreshId = mock.seedRefresh({
      collectionAddress: COLLECTION,
      succeeded: ['1'],
      failed: [{ tokenId: '2', errorCode: 'unable_to_retrieve_metadata' }],
      pending: 3,
    });
    await expect(client().getRefresh(refreshId)).resolves.toMatchObject({
      status: 'in_progress',
      completedAt: null,
      summary: { succeeded: 1, failed: 1, pending: 3 },
    });
    const [row] = await errorsOf(refreshId);
    expect(row).toMatchObject({ clientResponseStatusCode: null, clientResponseBody: null });
  });

  it('records what the code under test sent', async () => {
    await client().requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['7'] });
    await client()
      .getRefreshErrors('abc', { pageSize: 5 })
      .catch(() => undefined);
    const [post, get] = mock.requests;
    expect(post).toMatchObject({
      method: 'POST',
      path: '/v1/metadata-refreshes',
      body: { collection_address: COLLECTION, token_ids: ['7'] },
    });
    expect(post?.headers['x-imx-eth-address']).toBe(OWNER);
    expect(get).toMatchObject({
      method: 'GET',
      path: '/v1/metadata-refreshes/abc/errors',
      query: { page_size: '5' },
    });
  });

  it('reset forgets refreshes, spending, failures, requests and time', async () => {
    const { refreshId } = await client().requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['1'],
    });
    mock.failNext({ status: 500, times: 5 });
    mock.advanceTime(10_000_000);
    mock.reset();
    expect(mock.requests).toEqual([]);
    expect(mock.service.getRefresh(refreshId)).toBeUndefined();
    expect(Math.abs(mock.clock.now() - Date.now())).toBeLessThan(1000);
    await expect(
      client().requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] }),
    ).resolves.toMatchObject({
      rateLimit: { remaining: 9 },
    });
  });

  it('a client left on the wall clock after advanceTime is refused: pass mock.clock', async () => {
    mock.advanceTime(3_600_000);
    const wallClock = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: BASE_URL });
    await expect(wallClock.listRefreshes()).rejects.toBeInstanceOf(AuthenticationError);
  });
});
