import { SigningKey } from 'ethers/crypto';
import { computeAddress } from 'ethers/transaction';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  imxAuthHeaders,
  MetadataRefreshClient,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  type RefreshError,
} from '../../src/index.js';
import {
  createReferenceServer,
  DEFAULT_PAGE_SIZE,
  type FetchMetadata,
  MAX_BODY_BYTES,
  type MetadataFetchResult,
  type ReferenceServer,
  type ReferenceServerOptions,
} from '../../src/server/index.js';
import {
  COLLECTION,
  createTestClock,
  OWNER,
  PRIVATE_KEY,
  type TestClock,
} from '../support/fixtures.js';

const OTHER_KEY = `0x${'22'.repeat(32)}`;
const OTHER = computeAddress(new SigningKey(OTHER_KEY));
const COLLECTION_B = `0x${'b2'.repeat(20)}`;
const UNKNOWN_COLLECTION = `0x${'cd'.repeat(20)}`;
const START = Date.parse('2022-09-06T02:30:00Z');
const NEXT_HOUR = Date.parse('2022-09-06T03:00:00Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OK: MetadataFetchResult = { status: 200, body: '{"name":"x"}' };
const NOT_FOUND: MetadataFetchResult = { status: 404, body: '404 page not found\n' };

const okFetch: FetchMetadata = async () => OK;

interface Started {
  server: ReferenceServer;
  url: string;
  clock: TestClock;
  client: MetadataRefreshClient;
  clientFor(key: string): MetadataRefreshClient;
}

interface RawResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

const running: ReferenceServer[] = [];
let shared: Started;

beforeAll(async () => {
  shared = await launch({
    owner: OWNER,
    collections: [{ address: COLLECTION, metadataApiUrl: 'http://metadata.test' }],
  });
});

afterAll(async () => {
  await shared.server.close();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function launch(
  options: Partial<ReferenceServerOptions> = {},
  clock: TestClock = createTestClock(START),
): Promise<Started> {
  const server = createReferenceServer({ clock, fetchMetadata: okFetch, ...options });
  const { url } = await server.listen();
  const clientFor = (key: string) =>
    new MetadataRefreshClient({ signer: key, baseURL: url, clock, maxRetries: 0 });
  return { server, url, clock, client: clientFor(PRIVATE_KEY), clientFor };
}

async function start(
  options: Partial<ReferenceServerOptions> = {},
  clock: TestClock = createTestClock(START),
): Promise<Started> {
  const s = await launch(options, clock);
  running.push(s.server);
  return s;
}

function signed(clock: TestClock, key = PRIVATE_KEY, offsetSeconds = 0) {
  return imxAuthHeaders(key, { timestamp: Math.floor(clock.now() / 1000) + offsetSeconds });
}

async function raw(
  url: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const response = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    body: init.body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) };
}

async function post(s: Started, body: unknown, key = PRIVATE_KEY): Promise<RawResponse> {
  return raw(s.url, '/v1/metadata-refreshes', {
    method: 'POST',
    headers: { ...(await signed(s.clock, key)) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function get(s: Started, path: string, key = PRIVATE_KEY): Promise<RawResponse> {
  return raw(s.url, path, { headers: { ...(await signed(s.clock, key)) } });
}

function expectError(
  response: RawResponse,
  status: number,
  code: string,
  message?: string | RegExp,
): void {
  expect(response.status).toBe(status);
  const body = response.body as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['code', 'message']);
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe('string');
  if (message !== undefined) expect(body.message).toMatch(message);
}

function rateLimitOf(response: RawResponse) {
  return {
    limit: response.headers.get('x-imx-refreshes-limit'),
    remaining: response.headers.get('x-imx-remaining-refreshes'),
    reset: response.headers.get('x-imx-refresh-limit-reset'),
  };
}

function gatedFetch() {
  const pending = new Map<string, () => void>();
  const fetchMetadata: FetchMetadata = ({ tokenId, signal }) =>
    new Promise((resolve) => {
      pending.set(tokenId, () => resolve(OK));
      signal.addEventListener('abort', () => resolve({ status: null, reason: 'aborted' }), {
        once: true,
      });
    });
  const release = (tokenId: string) => {
    const resolve = pending.get(tokenId);
    if (!resolve) throw new Error(`token ${tokenId} is not being fetched`);
    pending.delete(tokenId);
    resolve();
  };
  return { fetchMetadata, pending, release };
}

const seconds = (ms: number) => String(ms / 1000);

describe('routes', () => {
  it('POST answers 202 with a UUID refresh_id and the budget headers', async () => {
    const s = await start({ owner: OWNER });
    const response = await post(s, { collection_address: COLLECTION, token_ids: ['1', '2'] });
    expect(response.status).toBe(202);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(Object.keys(response.body as object)).toEqual(['refresh_id']);
    expect((response.body as { refresh_id: string }).refresh_id).toMatch(UUID);
    expect(rateLimitOf(response)).toEqual({
      limit: '10',
      remaining: '9',
      reset: seconds(NEXT_HOUR),
    });
  });

  it('moves a refresh from queued through in_progress to completed', async () => {
    const gate = gatedFetch();
    const s = await start({ owner: OWNER, fetchMetadata: gate.fetchMetadata });
    const { refreshId } = await s.client.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['1', '2', '3'],
    });
    const path = `/v1/metadata-refreshes/${refreshId}`;

    expect([...gate.pending.keys()].sort()).toEqual(['1', '2', '3']);
    const queued = await get(s, path);
    expect(queued.status).toBe(200);
    expect(queued.body).toEqual({
      refresh_id: refreshId,
      status: 'queued',
      collection_address: COLLECTION,
      started_at: new Date(START).toISOString(),
      completed_at: null,
      summary: { succeeded: 0, failed: 0, pending: 3 },
    });

    gate.release('2');
    const halfway = await s.client.getRefresh(refreshId);
    expect(halfway).toMatchObject({
      status: 'in_progress',
      completedAt: null,
      summary: { succeeded: 1, failed: 0, pending: 2 },
    });

    s.clock.set(START + 5_000);
    gate.release('1');
    gate.release('3');
    await s.server.service.settled();
    const done = await get(s, path);
    expect(done.body).toEqual({
      refresh_id: refreshId,
      status: 'completed',
      collection_address: COLLECTION,
      started_at: new Date(START).toISOString(),
      completed_at: new Date(START + 5_000).toISOString(),
      summary: { succeeded: 3, failed: 0, pending: 0 },
    });
  });

  it('serves the errors of a refresh in the service form', async () => {
    const s = await start({
      owner: OWNER,
      collections: [{ address: COLLECTION, metadataApiUrl: 'http://metadata.test/api/' }],
      fetchMetadata: async ({ tokenId }) => (tokenId === '404' ? NOT_FOUND : OK),
    });
    const { refreshId } = await s.client.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['1', '404'],
    });
    await s.server.service.settled();
    const response = await get(s, `/v1/metadata-refreshes/${refreshId}/errors`);
    expect(response.status).toBe(200);
    const body = response.body as { result: unknown[]; cursor: string; remaining: number };
    expect(body.result).toEqual([
      {
        token_id: '404',
        collection_address: COLLECTION,
        client_token_metadata_url: 'http://metadata.test/api/404',
        client_response_status_code: 404,
        client_response_body: '404 page not found\n',
        error_code: 'invalid_response_status_code',
        created_at: new Date(START).toISOString(),
      },
    ]);
    expect(body.remaining).toBe(0);
    expect(typeof body.cursor).toBe('string');
  });

  it('lists refreshes through the client and raw', async () => {
    const s = await start({ owner: OWNER });
    const { refreshId } = await s.client.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['1'],
    });
    await s.server.service.settled();
    const response = await get(s, '/v1/metadata-refreshes');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      result: [
        {
          refresh_id: refreshId,
          status: 'completed',
          collection_address: COLLECTION,
          started_at: new Date(START).toISOString(),
          completed_at: new Date(START).toISOString(),
        },
      ],
      cursor: expect.any(String),
      remaining: 0,
    });
    const page = await s.client.listRefreshes();
    expect(page.result.map((r) => r.refreshId)).toEqual([refreshId]);
    expect(page.hasMore).toBe(false);
  });

  it('serves refreshed asset metadata publicly, 404 before a refresh', async () => {
    const s = await start({ owner: OWNER });
    const before = await raw(s.url, `/v1/assets/${COLLECTION}/1`);
    expectError(before, 404, 'not_found', /has no refreshed metadata/);

    s.clock.set(START + 1_234);
    await s.client.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] });
    await s.server.service.settled();
    const after = await raw(s.url, `/v1/assets/${COLLECTION}/1`);
    expect(after.status).toBe(200);
    expect(after.body).toEqual({
      token_address: COLLECTION,
      token_id: '1',
      metadata: { name: 'x' },
      updated_at: new Date(START + 1_234).toISOString(),
    });
    const upper = await raw(s.url, `/v1/assets/0x${COLLECTION.slice(2).toUpperCase()}/1`);
    expect(upper.status).toBe(200);
    expect((upper.body as { token_address: string }).token_address).toBe(COLLECTION);
    expectError(await raw(s.url, `/v1/assets/${COLLECTION}/2`), 404, 'not_found');
  });

  it('answers 404 for an unknown refresh id', async () => {
    const s = shared;
    const id = globalThis.crypto.randomUUID();
    expectError(await get(s, `/v1/metadata-refreshes/${id}`), 404, 'not_found', id);
    expectError(await get(s, `/v1/metadata-refreshes/${id}/errors`), 404, 'not_found');
    await expect(s.client.getRefresh(id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('answers 400 for a path that is not valid percent-encoding', async () => {
    expectError(
      await raw(shared.url, '/v1/metadata-refreshes/%E0%A4%A'),
      400,
      'bad_request',
      /percent-encoding/,
    );
  });

  it.each([
    '/',
    '/v1',
    '/v2/metadata-refreshes',
    '/v1/nothing',
    '/v1/assets/0xabc',
    '/v1/assets/a/b/c',
    '/v1/metadata-refreshes/some-id/other',
    '/v1/metadata-refreshes/some-id/errors/more',
  ])('answers 404 for the unknown route %s', async (path) => {
    const s = shared;
    expectError(await raw(s.url, path), 404, 'not_found', 'No such route');
    expectError(await get(s, path), 404, 'not_found');
  });

  it.each([
    ['DELETE', '/v1/metadata-refreshes', 'GET, POST'],
    ['PUT', '/v1/metadata-refreshes', 'GET, POST'],
    ['POST', '/v1/metadata-refreshes/some-id', 'GET'],
    ['PATCH', '/v1/metadata-refreshes/some-id/errors', 'GET'],
    ['POST', `/v1/assets/${COLLECTION}/1`, 'GET'],
  ])('answers %s %s with 405 and allow: %s', async (method, path, allow) => {
    const s = shared;
    const response = await raw(s.url, path, { method });
    expectError(response, 405, 'method_not_allowed');
    expect(response.headers.get('allow')).toBe(allow);
  });

  it('answers 413 for a POST body over 1 MiB, and accepts exactly 1 MiB', async () => {
    const s = await start({ owner: OWNER });
    const tooLarge = await post(s, 'x'.repeat(MAX_BODY_BYTES + 1));
    expectError(tooLarge, 413, 'payload_too_large', String(MAX_BODY_BYTES));

    const base = JSON.stringify({ collection_address: COLLECTION, token_ids: ['1'], pad: '' });
    const padded = base.replace('"pad":""', `"pad":"${'p'.repeat(MAX_BODY_BYTES - base.length)}"`);
    expect(Buffer.byteLength(padded)).toBe(MAX_BODY_BYTES);
    const exact = await post(s, padded);
    expect(exact.status).toBe(202);
    expect(rateLimitOf(exact).remaining).toBe('9');
  });
});

describe('POST validation', () => {
  it.each([
    ['missing collection_address', { token_ids: ['1'] }, /collection_address/],
    [
      'invalid collection_address',
      { collection_address: '0x1234', token_ids: ['1'] },
      /collection_address/,
    ],
    [
      'collection_address of the wrong type',
      { collection_address: 42, token_ids: ['1'] },
      /collection_address/,
    ],
    ['missing token_ids', { collection_address: COLLECTION }, /token_ids/],
    ['empty token_ids', { collection_address: COLLECTION, token_ids: [] }, /token_ids/],
    [
      '1001 token_ids',
      {
        collection_address: COLLECTION,
        token_ids: Array.from({ length: 1001 }, (_, i) => String(i)),
      },
      /token_ids.*1000/,
    ],
    ['a non-string id', { collection_address: COLLECTION, token_ids: ['1', 2] }, /token_ids/],
    ['an empty-string id', { collection_address: COLLECTION, token_ids: [''] }, /token_ids/],
    ['token_ids not an array', { collection_address: COLLECTION, token_ids: '1' }, /token_ids/],
  ])('answers 400 for %s, naming the field', async (_name, body, message) => {
    const s = shared;
    expectError(await post(s, body), 400, 'bad_request', message);
  });

  it.each([
    ['malformed JSON', '{"collection_address":', /not valid JSON/],
    ['a JSON array', JSON.stringify([COLLECTION, ['1']]), /JSON object/],
    ['a JSON string', JSON.stringify('hello'), /JSON object/],
    ['JSON null', 'null', /JSON object/],
  ])('answers 400 for %s', async (_name, body, message) => {
    const s = shared;
    expectError(await post(s, body), 400, 'bad_request', message);
  });

  it('answers 400 for a POST without a body', async () => {
    const s = shared;
    const response = await raw(s.url, '/v1/metadata-refreshes', {
      method: 'POST',
      headers: { ...(await signed(s.clock)) },
    });
    expectError(response, 400, 'bad_request', /collection_address, token_ids/);
  });

  it('answers 404 for a collection the server does not know', async () => {
    const s = shared;
    const response = await post(s, { collection_address: UNKNOWN_COLLECTION, token_ids: ['1'] });
    expectError(response, 404, 'not_found', UNKNOWN_COLLECTION);
    await expect(
      s.client.requestRefresh({ collectionAddress: UNKNOWN_COLLECTION, tokenIds: ['1'] }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('collapses duplicate token ids', async () => {
    const fetched: string[] = [];
    const s = await start({
      owner: OWNER,
      fetchMetadata: async ({ tokenId }) => {
        fetched.push(tokenId);
        return OK;
      },
    });
    const response = await post(s, { collection_address: COLLECTION, token_ids: ['1', '1', '2'] });
    expect(response.status).toBe(202);
    await s.server.service.settled();
    const id = (response.body as { refresh_id: string }).refresh_id;
    const done = await s.client.getRefresh(id);
    expect(done.summary).toEqual({ succeeded: 2, failed: 0, pending: 0 });
    expect(fetched.sort()).toEqual(['1', '2']);
  });

  it('does not spend the budget on refused requests', async () => {
    const s = await start({
      owner: OWNER,
      collections: [{ address: COLLECTION, metadataApiUrl: 'http://metadata.test' }],
    });
    const valid = { collection_address: COLLECTION, token_ids: ['1'] };
    const refusals: RawResponse[] = [
      await post(s, '{not json'),
      await post(s, { collection_address: COLLECTION, token_ids: [] }),
      await post(s, [valid]),
      await raw(s.url, '/v1/metadata-refreshes', { method: 'POST', body: JSON.stringify(valid) }),
      await post(s, valid, OTHER_KEY),
      await post(s, { collection_address: UNKNOWN_COLLECTION, token_ids: ['1'] }),
      await post(s, 'x'.repeat(MAX_BODY_BYTES + 10)),
    ];
    expect(refusals.map((r) => r.status)).toEqual([400, 400, 400, 401, 403, 404, 413]);
    for (const r of refusals) expect(r.headers.get('x-imx-remaining-refreshes')).toBeNull();

    const { rateLimit } = await s.client.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['1'],
    });
    expect(rateLimit).toEqual({ limit: 10, remaining: 9, resetAt: new Date(NEXT_HOUR) });
  });
});

describe('authentication', () => {
  const LIST = '/v1/metadata-refreshes';

  async function probe(s: Started, headers: Record<string, string>): Promise<RawResponse> {
    return raw(s.url, LIST, { headers });
  }

  it('answers 401 without the headers, naming the missing ones', async () => {
    const s = shared;
    expectError(await probe(s, {}), 401, 'unauthorised_request', /x-imx-eth-address/);
    const { 'x-imx-eth-address': _address, ...rest } = await signed(s.clock);
    expectError(await probe(s, rest), 401, 'unauthorised_request', 'x-imx-eth-address');
  });

  it('answers 401 for a signature by another key claiming the owner', async () => {
    const s = shared;
    const forged = { ...(await signed(s.clock, OTHER_KEY)), 'x-imx-eth-address': OWNER };
    expectError(await probe(s, forged), 401, 'unauthorised_request', /signature/);
  });

  it('answers 401 for a malformed signature or timestamp', async () => {
    const s = shared;
    const headers = await signed(s.clock);
    expectError(
      await probe(s, { ...headers, 'x-imx-eth-signature': '0x1234' }),
      401,
      'unauthorised_request',
    );
    expectError(
      await probe(s, { ...headers, 'x-imx-eth-timestamp': 'yesterday' }),
      401,
      'unauthorised_request',
      /unix seconds/,
    );
  });

  it('answers 403 for another wallet correctly signed', async () => {
    const s = shared;
    const other = await signed(s.clock, OTHER_KEY);
    expect(other['x-imx-eth-address']).toBe(OTHER);
    expectError(
      await probe(s, { ...other }),
      403,
      'forbidden',
      'Only the project owner may manage metadata refreshes',
    );
    await expect(s.clientFor(OTHER_KEY).listRefreshes()).rejects.toBeInstanceOf(
      PermissionDeniedError,
    );
    expect((await probe(s, { ...(await signed(s.clock)) })).status).toBe(200);
  });

  it('accepts a timestamp up to the tolerance old or ahead, and refuses one past it', async () => {
    const s = shared;
    const at = async (offset: number) =>
      (await probe(s, { ...(await signed(s.clock, PRIVATE_KEY, offset)) })).status;
    expect(await at(-299)).toBe(200);
    expect(await at(-300)).toBe(200);
    expect(await at(299)).toBe(200);
    expect(await at(300)).toBe(200);
    expectError(
      await probe(s, { ...(await signed(s.clock, PRIVATE_KEY, -301)) }),
      401,
      'unauthorised_request',
      /301 s/,
    );
    expect(await at(301)).toBe(401);
  });

  it('honours timestampToleranceSeconds', async () => {
    const s = await start({ owner: OWNER, timestampToleranceSeconds: 10 });
    const at = async (offset: number) =>
      (await probe(s, { ...(await signed(s.clock, PRIVATE_KEY, offset)) })).status;
    expect(await at(-10)).toBe(200);
    expect(await at(-11)).toBe(401);
    expect(await at(11)).toBe(401);
  });

  it('refuses the client once its clock drifts past the tolerance', async () => {
    const s = shared;
    const drifted = new MetadataRefreshClient({
      signer: PRIVATE_KEY,
      baseURL: s.url,
      clock: createTestClock(START - 301_000),
      maxRetries: 0,
    });
    await expect(drifted.listRefreshes()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('accepts the address in lower case', async () => {
    const s = shared;
    const headers = await signed(s.clock);
    expect(headers['x-imx-eth-address']).not.toBe(OWNER.toLowerCase());
    const response = await probe(s, {
      ...headers,
      'x-imx-eth-address': OWNER.toLowerCase(),
    });
    expect(response.status).toBe(200);
  });

  it('accepts a v byte of 1b/1c as well as 00/01', async () => {
    const s = shared;
    const seen = new Set<string>();
    for (let offset = 0; offset < 8 && seen.size < 2; offset++) {
      const headers = await signed(s.clock, PRIVATE_KEY, -offset);
      const signature = headers['x-imx-eth-signature'];
      const v = signature.slice(130);
      expect(['00', '01']).toContain(v);
      seen.add(v);
      const legacy = `${signature.slice(0, 130)}${v === '00' ? '1b' : '1c'}`;
      expect((await probe(s, { ...headers })).status).toBe(200);
      expect((await probe(s, { ...headers, 'x-imx-eth-signature': legacy })).status).toBe(200);
      const flipped = `${signature.slice(0, 130)}${v === '00' ? '1c' : '1b'}`;
      expect((await probe(s, { ...headers, 'x-imx-eth-signature': flipped })).status).toBe(401);
    }
    expect(seen).toEqual(new Set(['00', '01']));
  });

  it('treats every correctly signed caller as the owner when no owner is configured', async () => {
    const s = await start();
    const a = s.client;
    const b = s.clientFor(OTHER_KEY);
    const { refreshId } = await a.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['1'],
    });
    await s.server.service.settled();

    expect((await b.getRefresh(refreshId)).status).toBe('completed');
    expect((await b.getRefreshErrors(refreshId)).result).toEqual([]);
    const { refreshId: own } = await b.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['2'],
    });
    expect((await a.listRefreshes()).result.map((r) => r.refreshId).sort()).toEqual(
      [refreshId, own].sort(),
    );
  });
});

describe('refresh budget', () => {
  const body = JSON.stringify({ collection_address: COLLECTION, token_ids: ['1'] });

  it('accepts exactly 10 of 50 concurrent requests and reports the budget on all 50', async () => {
    const s = await start({ owner: OWNER });
    const headers = { ...(await signed(s.clock)) };
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        raw(s.url, '/v1/metadata-refreshes', { method: 'POST', headers, body }),
      ),
    );
    const accepted = responses.filter((r) => r.status === 202);
    const refused = responses.filter((r) => r.status === 429);
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(40);

    for (const r of responses) {
      expect(rateLimitOf(r)).toEqual({
        limit: '10',
        remaining: expect.stringMatching(/^\d+$/),
        reset: seconds(NEXT_HOUR),
      });
    }
    expect(accepted.map((r) => Number(rateLimitOf(r).remaining)).sort((x, y) => x - y)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    for (const r of refused) {
      expect(rateLimitOf(r).remaining).toBe('0');
      expect(r.body).toEqual({ code: 'refresh_limit_exceeded', message: 'Refresh limit exceeded' });
    }
    const ids = new Set(accepted.map((r) => (r.body as { refresh_id: string }).refresh_id));
    expect(ids.size).toBe(10);

    const error = await s.client
      .requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).code).toBe('refresh_limit_exceeded');
    expect((error as RateLimitError).rateLimit).toEqual({
      limit: 10,
      remaining: 0,
      resetAt: new Date(NEXT_HOUR),
    });
    expect(s.client.rateLimit?.remaining).toBe(0);
  });

  it('restores the budget when the clock reaches the next hour', async () => {
    const s = await start({ owner: OWNER });
    const request = () =>
      s.client.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] });
    for (let i = 9; i >= 0; i--) expect((await request()).rateLimit?.remaining).toBe(i);
    await expect(request()).rejects.toBeInstanceOf(RateLimitError);

    s.clock.set(NEXT_HOUR - 1);
    await expect(request()).rejects.toBeInstanceOf(RateLimitError);

    const signedAtStart = { ...(await signed(createTestClock(START))) };
    s.clock.set(NEXT_HOUR);
    const stale = await raw(s.url, '/v1/metadata-refreshes', {
      method: 'POST',
      headers: signedAtStart,
      body,
    });
    expectError(stale, 401, 'unauthorised_request');

    const { rateLimit } = await request();
    expect(rateLimit).toEqual({
      limit: 10,
      remaining: 9,
      resetAt: new Date(NEXT_HOUR + 3_600_000),
    });
    const raw202 = await post(s, JSON.parse(body));
    expect(raw202.status).toBe(202);
    expect(rateLimitOf(raw202)).toEqual({
      limit: '10',
      remaining: '8',
      reset: seconds(NEXT_HOUR + 3_600_000),
    });
  });

  it('applies custom limits: 3 per 10 s window', async () => {
    const s = await start(
      { owner: OWNER, limits: { refreshesPerHour: 3, windowMs: 10_000 } },
      createTestClock(START + 4_000),
    );
    const windowEnd = START + 10_000;
    const send = async () => post(s, JSON.parse(body));
    for (const remaining of ['2', '1', '0']) {
      const r = await send();
      expect(r.status).toBe(202);
      expect(rateLimitOf(r)).toEqual({ limit: '3', remaining, reset: seconds(windowEnd) });
    }
    const refused = await send();
    expectError(refused, 429, 'refresh_limit_exceeded', 'Refresh limit exceeded');
    expect(rateLimitOf(refused)).toEqual({ limit: '3', remaining: '0', reset: seconds(windowEnd) });

    s.clock.set(windowEnd);
    const next = await send();
    expect(next.status).toBe(202);
    expect(rateLimitOf(next)).toEqual({
      limit: '3',
      remaining: '2',
      reset: seconds(windowEnd + 10_000),
    });
  });

  it('keeps one project budget across signers when no owner is configured', async () => {
    const s = await start();
    const a = s.client;
    const b = s.clientFor(OTHER_KEY);
    for (let i = 0; i < 9; i++) {
      await a.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] });
    }
    const { rateLimit } = await b.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['1'],
    });
    expect(rateLimit?.remaining).toBe(0);
    await expect(
      a.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] }),
    ).rejects.toBeInstanceOf(RateLimitError);
  });
});

describe('paging the errors of a refresh with 250 failed tokens', () => {
  const TOKENS = Array.from({ length: 250 }, (_, i) => String(i + 1));
  let s: Started;
  let refreshId: string;
  const errorsPath = () => `/v1/metadata-refreshes/${refreshId}/errors`;

  beforeAll(async () => {
    const clock = createTestClock(START);
    let calls = 0;
    s = await launch(
      {
        owner: OWNER,
        collections: [{ address: COLLECTION, metadataApiUrl: 'http://metadata.test' }],
        fetchMetadata: async () => {
          calls++;
          if (calls % 3 === 0) clock.set(clock.now() + 1);
          return NOT_FOUND;
        },
      },
      clock,
    );
    ({ refreshId } = await s.client.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: TOKENS,
    }));
    await s.server.service.settled();
  });

  afterAll(async () => {
    await s.server.close();
  });

  const before = (a: RefreshError, b: RefreshError) =>
    a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.tokenId < b.tokenId);

  it('iterates them 7 at a time, once each, in (created_at, token_id) order', async () => {
    expect((await s.client.getRefresh(refreshId)).summary).toEqual({
      succeeded: 0,
      failed: 250,
      pending: 0,
    });

    const pages: string[] = [];
    const client = new MetadataRefreshClient({
      signer: PRIVATE_KEY,
      baseURL: s.url,
      clock: s.clock,
      onResponse: (info) => pages.push(info.path),
    });
    const rows: RefreshError[] = [];
    for await (const row of client.iterateRefreshErrors(refreshId, { pageSize: 7 })) {
      rows.push(row);
    }
    expect(rows).toHaveLength(250);
    expect(new Set(rows.map((r) => r.tokenId))).toEqual(new Set(TOKENS));
    for (let i = 1; i < rows.length; i++) {
      expect(before(rows[i - 1] as RefreshError, rows[i] as RefreshError)).toBe(true);
    }
    const createdAt = new Set(rows.map((r) => r.createdAt));
    expect(createdAt.size).toBeGreaterThan(1);
    expect(createdAt.size).toBeLessThan(250);
    expect(rows[0]).toMatchObject({
      collectionAddress: COLLECTION,
      clientResponseStatusCode: 404,
      errorCode: 'invalid_response_status_code',
    });
    expect(pages).toHaveLength(36);
    expect(pages.every((p) => p.includes('page_size=7'))).toBe(true);
  });

  it('pages by DEFAULT_PAGE_SIZE when page_size is not given', async () => {
    expect(DEFAULT_PAGE_SIZE).toBe(100);
    type Page = { result: { token_id: string }[]; cursor: string; remaining: number };
    const seen: string[] = [];
    const remaining: number[] = [];
    let cursor = '';
    for (const size of [100, 100, 50]) {
      const r = await get(s, cursor ? `${errorsPath()}?cursor=${cursor}` : errorsPath());
      expect(r.status).toBe(200);
      const page = r.body as Page;
      expect(page.result).toHaveLength(size);
      remaining.push(page.remaining);
      seen.push(...page.result.map((e) => e.token_id));
      cursor = page.cursor;
    }
    expect(remaining).toEqual([1, 1, 0]);
    expect(new Set(seen).size).toBe(250);

    const all = (await get(s, `${errorsPath()}?page_size=1000`)).body as Page;
    expect(all.result.map((e) => e.token_id)).toEqual(seen);
    expect(all.remaining).toBe(0);
  });

  it.each([
    ['page_size=0', /page_size/],
    ['page_size=abc', /page_size/],
    ['page_size=1001', /page_size/],
    ['page_size=-1', /page_size/],
    ['page_size=1.5', /page_size/],
    ['cursor=garbage', /cursor/],
    ['cursor=not!base64', /cursor/],
    [`cursor=${Buffer.from('{"foo":"bar"}').toString('base64url')}`, /cursor/],
    [`cursor=${Buffer.from('[1,2]').toString('base64url')}`, /cursor/],
    [`cursor=${Buffer.from('{"created_at":1,"token_id":"2"}').toString('base64url')}`, /cursor/],
    [
      `cursor=${Buffer.from('{"created_at":"a","token_id":"2","x":"y"}').toString('base64url')}`,
      /cursor/,
    ],
  ])('answers 400 for ?%s', async (query, message) => {
    expectError(await get(s, `${errorsPath()}?${query}`), 400, 'bad_request', message);
  });
});

describe('paging the list of refreshes', () => {
  it.each([
    ['page_size=0', /page_size/],
    ['page_size=1001', /page_size/],
    ['cursor=garbage', /cursor/],
    [`cursor=${Buffer.from('{"created_at":"a","token_id":"b"}').toString('base64url')}`, /cursor/],
    [
      `cursor=${Buffer.from('{"started_at":"not a date","refresh_id":"x"}').toString('base64url')}`,
      /cursor/,
    ],
    ['collection_address=0x1234', /collection_address/],
  ])('answers 400 for the list with %s', async (query, message) => {
    const s = shared;
    expectError(await get(s, `/v1/metadata-refreshes?${query}`), 400, 'bad_request', message);
  });

  it('lists 10 refreshes across two collections newest first, and filters by collection', async () => {
    const s = await start({
      owner: OWNER,
      collections: [
        { address: COLLECTION, metadataApiUrl: 'http://metadata.test/a' },
        { address: COLLECTION_B, metadataApiUrl: 'http://metadata.test/b' },
      ],
    });
    const created: { id: string; collection: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const collection = i % 3 === 0 ? COLLECTION_B : COLLECTION;
      const { refreshId } = await s.client.requestRefresh({
        collectionAddress: collection,
        tokenIds: [String(i)],
      });
      created.push({ id: refreshId, collection });
      s.clock.set(s.clock.now() + 1_000);
    }
    await s.server.service.settled();
    const newestFirst = [...created].reverse();

    const all = [];
    for await (const r of s.client.iterateRefreshes({ pageSize: 3 })) all.push(r);
    expect(all.map((r) => r.refreshId)).toEqual(newestFirst.map((r) => r.id));
    expect(all.map((r) => r.startedAt)).toEqual(
      Array.from({ length: 10 }, (_, i) => new Date(START + (9 - i) * 1_000).toISOString()),
    );

    const pages: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await s.client.listRefreshes({ pageSize: 3, cursor });
      pages.push(page.result.length);
      cursor = page.hasMore ? page.cursor : undefined;
    } while (cursor !== undefined);
    expect(pages).toEqual([3, 3, 3, 1]);

    for (const collection of [COLLECTION, COLLECTION_B]) {
      const filtered = [];
      for await (const r of s.client.iterateRefreshes({
        pageSize: 3,
        collectionAddress: collection,
      }))
        filtered.push(r);
      const expected = newestFirst.filter((r) => r.collection === collection).map((r) => r.id);
      expect(filtered.map((r) => r.refreshId)).toEqual(expected);
      expect(filtered.every((r) => r.collectionAddress === collection)).toBe(true);
    }
    expect(created.filter((r) => r.collection === COLLECTION_B)).toHaveLength(4);

    const upper = `0x${COLLECTION_B.slice(2).toUpperCase()}`;
    const response = await get(s, `/v1/metadata-refreshes?collection_address=${upper}`);
    expect(response.status).toBe(200);
    expect((response.body as { result: unknown[] }).result).toHaveLength(4);
  });

  it('pages refreshes started in the same millisecond without duplicates or gaps', async () => {
    const s = await start({ owner: OWNER });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const { refreshId } = await s.client.requestRefresh({
        collectionAddress: COLLECTION,
        tokenIds: [String(i)],
      });
      ids.push(refreshId);
    }
    const listed = [];
    for await (const r of s.client.iterateRefreshes({ pageSize: 3 })) listed.push(r.refreshId);
    expect(listed).toEqual([...ids].sort().reverse());
  });
});

describe('token limit', () => {
  it('applies a configured tokensPerRefresh above 1000 to distinct ids', async () => {
    const server = createReferenceServer({
      owner: OWNER,
      limits: { tokensPerRefresh: 2000 },
      fetchMetadata: async () => ({ status: 200, body: '{}' }),
    });
    const { url } = await server.listen();
    try {
      const post = async (tokenIds: string[]) => {
        const headers = await imxAuthHeaders(PRIVATE_KEY);
        return fetch(`${url}/v1/metadata-refreshes`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ collection_address: COLLECTION, token_ids: tokenIds }),
        });
      };
      expect((await post(Array.from({ length: 1500 }, (_, i) => String(i)))).status).toBe(202);
      expect((await post(Array.from({ length: 1501 }, () => '1'))).status).toBe(202);
      const tooMany = await post(Array.from({ length: 2001 }, (_, i) => String(i)));
      expect(tooMany.status).toBe(400);
      expect(await tooMany.json()).toEqual({
        code: 'bad_request',
        message: 'token_ids must hold at most 2000 ids',
      });
    } finally {
      await server.close();
    }
  });
});

describe('ids that are not text', () => {
  it('refuses a lone UTF-16 surrogate with 400, spending no budget and storing nothing', async () => {
    const server = createReferenceServer({
      owner: OWNER,
      fetchMetadata: async () => ({ status: 200, body: '{}' }),
    });
    const { url } = await server.listen();
    try {
      const post = async (body: string) =>
        fetch(`${url}/v1/metadata-refreshes`, {
          method: 'POST',
          headers: { ...(await imxAuthHeaders(PRIVATE_KEY)), 'content-type': 'application/json' },
          body,
        });
      const bad = await post(`{"collection_address":"${COLLECTION}","token_ids":["1","\\ud800"]}`);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({
        code: 'bad_request',
        message: 'token_ids must hold well-formed Unicode strings',
      });
      const good = await post(
        JSON.stringify({ collection_address: COLLECTION, token_ids: ['1', '😀'] }),
      );
      expect(good.status).toBe(202);
      expect(good.headers.get('x-imx-remaining-refreshes')).toBe('9');
    } finally {
      await server.close();
    }
  });
});
