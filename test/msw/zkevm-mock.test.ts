/**
 * The zkEVM mock: the engine behind msw handlers with plain fetch, its unit-test defaults, every
 * control, and a reset() that is a real reset. Every answer the engine gives is checked against
 * the OpenAPI file.
 */
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceResponse } from '../../src/engine/types.js';
import { InvalidOptionError } from '../../src/errors.js';
import { createMetadataRefreshMock, createZkEvmMock } from '../../src/msw/index.js';
import { ZKEVM_ENVIRONMENTS } from '../../src/wire/zkevm/limits.js';
import { CHAIN, COLLECTION, item, KEY, paths, START } from '../engine/zkevm/harness.js';
import { openApiProblems } from '../engine/zkevm/openapi.js';

const BASE = 'https://zkevm.test/api';
const SANDBOX = ZKEVM_ENVIRONMENTS.sandbox.baseUrl;
const PRODUCTION = ZKEVM_ENVIRONMENTS.production.baseUrl;
const ANY_COLLECTION = `0x${'ab'.repeat(20)}`;

const mock = createZkEvmMock({ baseURL: BASE, clock: { now: () => START } });
const server = setupServer(...mock.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  mock.reset();
  server.resetHandlers();
});
afterAll(() => server.close());

interface Call {
  key?: string | null;
  body?: unknown;
  method?: string;
  base?: string;
  /** Injected failures are outside the OpenAPI file: skip the check. */
  unchecked?: boolean;
}

async function call(path: string, init: Call = {}): Promise<ServiceResponse> {
  const method = init.method ?? (init.body === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = {};
  if (init.key !== null && init.key !== undefined) headers['x-immutable-api-key'] = init.key;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${init.base ?? BASE}${path}`, {
    method,
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const answerHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    answerHeaders[name] = value;
  });
  const answer = { status: response.status, headers: answerHeaders, body: await response.json() };
  if (!init.unchecked) expect(openApiProblems({ method, path }, answer)).toEqual([]);
  return answer;
}

const push = (tokenId: string, fields: Record<string, unknown> = {}, init: Call = {}) =>
  call(paths.refreshNfts(), {
    key: KEY,
    body: { nft_metadata: [item(tokenId, fields)] },
    ...init,
  });

describe('defaults for a unit test', () => {
  it('every collection exists and every token id is minted, on every base URL', async () => {
    for (const base of [BASE, SANDBOX, PRODUCTION]) {
      const nft = await call(paths.nft('123456789', ANY_COLLECTION), { base });
      expect(nft.status).toBe(200);
      expect(nft.body).toMatchObject({ result: { token_id: '123456789', name: null } });
    }
    expect((await push('77', { name: 'Seven' })).status).toBe(202);
  });

  it('accepts any non-empty key; no key or an empty one is 401', async () => {
    expect((await push('1', {}, { key: 'anything' })).status).toBe(202);
    expect((await push('1', {}, { key: '' })).status).toBe(401);
    const none = await push('1', {}, { key: null });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: 'UNAUTHORISED_REQUEST' });
  });

  it('serves the sandbox chain unless told otherwise', async () => {
    expect((await call(paths.nft('1', COLLECTION, CHAIN))).status).toBe(200);
    const mainnet = ZKEVM_ENVIRONMENTS.production.chainName;
    expect((await call(paths.nft('1', COLLECTION, mainnet))).status).toBe(404);
  });

  it('restricts keys, collections and tokens when configured', async () => {
    const strict = createZkEvmMock({
      baseURL: BASE,
      apiKey: KEY,
      collections: [{ address: COLLECTION, tokenIds: ['1'] }],
    });
    server.use(...strict.handlers);
    expect((await push('1', {}, { key: 'sk_imapik-other' })).status).toBe(403);
    expect((await push('1')).status).toBe(202);
    expect((await push('2')).status).toBe(404);
    expect((await call(paths.nft('1', ANY_COLLECTION))).status).toBe(404);
  });
});

describe('controls', () => {
  it('service.settled() applies accepted pushes, moving the clock past the sync delay', async () => {
    const accepted = await push('5', { name: 'Five' });
    expect(accepted.status).toBe(202);
    expect((await call(paths.nft('5'))).body).toMatchObject({ result: { name: null } });
    expect(mock.service.pendingPushes()).toBe(1);
    await mock.service.settled();
    expect(mock.clock.now()).toBe(START + 500);
    const nft = await call(paths.nft('5'));
    expect(nft.body).toMatchObject({
      result: { name: 'Five', metadata_synced_at: new Date(START + 500).toISOString() },
    });
  });

  it('clock: a client sleeping on it moves the mock time at once', async () => {
    await mock.clock.sleep(1_234);
    expect(mock.clock.now()).toBe(START + 1_234);
    const aborted = new AbortController();
    aborted.abort();
    await expect(mock.clock.sleep(1, aborted.signal)).rejects.toThrow(/aborted/);
  });

  it('advanceTime moves the clock: pushes apply, the budget window ends', async () => {
    mock.setRemainingRefreshes(1);
    expect((await push('1', { name: 'a' })).status).toBe(202);
    const refused = await push('1', { name: 'b' });
    expect(refused.status).toBe(429);
    expect(refused.headers['imx-remaining-refreshes']).toBe('0');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(() => mock.advanceTime(-1)).toThrow(InvalidOptionError);
    mock.advanceTime(3_600_000);
    expect((await call(paths.nft('1'))).body).toMatchObject({ result: { name: 'a' } });
    expect((await push('1', { name: 'c' })).status).toBe(202);
  });

  it('setRemainingRefreshes sets what is left in the window', async () => {
    mock.setRemainingRefreshes(3);
    const accepted = await push('1');
    expect(accepted.headers['imx-remaining-refreshes']).toBe('2');
    mock.setRemainingRefreshes(0);
    const refused = await push('1');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'TOO_MANY_REQUESTS_ERROR' });
  });

  it('records requests, with the API key redacted', async () => {
    await push('9', { name: 'Nine' }, { key: 'sk_imapik-secret-value' });
    await call(paths.nfts('page_size=5'));
    expect(mock.requests).toEqual([
      {
        method: 'POST',
        path: paths.refreshNfts(),
        query: {},
        headers: expect.objectContaining({
          'x-immutable-api-key': '[redacted]',
          'content-type': 'application/json',
        }),
        body: { nft_metadata: [item('9', { name: 'Nine' })] },
      },
      {
        method: 'GET',
        path: paths.nfts(),
        query: { page_size: '5' },
        headers: expect.any(Object),
        body: undefined,
      },
    ]);
    expect(JSON.stringify(mock.requests)).not.toContain('secret-value');
  });

  it('failNext: a status, times and method, before the engine (no budget spent)', async () => {
    mock.failNext({ status: 503, times: 2, method: 'post' });
    expect((await call(paths.nft('1'))).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const failed = await push('1', {}, { unchecked: true });
      expect(failed.status).toBe(503);
      expect(failed.body).toMatchObject({
        code: 'INTERNAL_SERVER_ERROR',
        message: 'Injected failure',
        link: expect.any(String),
        trace_id: expect.any(String),
        details: null,
      });
    }
    expect(mock.service.budget().remaining).toBe(100);
    expect((await push('1')).status).toBe(202);
  });

  it('failNext: a 429 in the platform shape with the four headers; codes and headers given', async () => {
    mock.failNext({ status: 429 });
    const limited = await push('1');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ code: 'TOO_MANY_REQUESTS_ERROR' });
    expect(limited.headers).toMatchObject({
      'imx-refreshes-limit': '100',
      'imx-remaining-refreshes': '0',
      'imx-refresh-limit-reset': expect.any(String),
      'retry-after': expect.any(String),
    });
    mock.failNext({ status: 404 });
    expect((await call(paths.nft('1'))).body).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    mock.failNext({
      status: 418,
      code: 'VALIDATION_ERROR',
      message: 'teapot',
      headers: { 'x-a': 'b' },
    });
    const custom = await call(paths.nft('1'), { unchecked: true });
    expect(custom).toMatchObject({
      status: 418,
      headers: { 'x-a': 'b' },
      body: { code: 'VALIDATION_ERROR', message: 'teapot' },
    });
  });

  it('failNext: a network error, and refuses nonsense', async () => {
    mock.failNext({ network: true });
    await expect(fetch(`${BASE}${paths.nft('1')}`)).rejects.toThrow(TypeError);
    expect((await call(paths.nft('1'))).status).toBe(200);
    expect(() => mock.failNext({ status: 200 })).toThrow(InvalidOptionError);
    expect(() => mock.failNext({ status: 500, times: 0 })).toThrow(InvalidOptionError);
  });
});

describe("retry-after: the engine's readings, passed through", () => {
  it('window (the default): the time to the reset on every 202, pushes accepted while any remain', async () => {
    const first = await push('1');
    expect(first.headers['retry-after']).toBe('3600');
    mock.advanceTime(1_500);
    const second = await push('1');
    expect(second.status).toBe(202);
    expect(second.headers['retry-after']).toBe('3599');
    expect(second.body).toMatchObject({ retry_after: '3598.50-seconds' });
  });

  it('pacing: a 202 carries the spacing, a push inside it is a 429 that spends nothing', async () => {
    const paced = createZkEvmMock({
      baseURL: BASE,
      clock: { now: () => START },
      limits: { retryAfter: 'pacing', pacingMs: 10_000 },
    });
    server.use(...paced.handlers);
    const accepted = await push('1');
    expect(accepted.headers).toMatchObject({
      'imx-remaining-refreshes': '99',
      'retry-after': '10',
    });
    paced.advanceTime(4_000);
    const refused = await push('1');
    expect(refused.status).toBe(429);
    expect(refused.headers).toMatchObject({ 'imx-remaining-refreshes': '99', 'retry-after': '6' });
    paced.advanceTime(6_000);
    expect((await push('1')).status).toBe(202);
    // An injected 429 is a spent window's, under either reading.
    paced.failNext({ status: 429 });
    const injected = await push('1');
    expect(injected.headers).toMatchObject({
      'imx-remaining-refreshes': '0',
      'retry-after': '3590',
    });
    expect(() => createZkEvmMock({ limits: { pacingMs: 10_000 } })).toThrow(InvalidOptionError);
  });
});

describe('reset()', () => {
  it('forgets state, budget, failures, requests and time', async () => {
    mock.service.mint(COLLECTION, [{ tokenId: '1', name: 'Minted' }]);
    await push('2', { name: 'Pushed' });
    await push('3', { name: 'Not yet' });
    await mock.service.settled();
    mock.setRemainingRefreshes(0);
    mock.failNext({ status: 500, times: 5 });
    mock.advanceTime(10_000);
    expect(mock.requests).toHaveLength(2);

    mock.reset();

    expect(mock.clock.now()).toBe(START);
    expect(mock.requests).toEqual([]);
    expect(mock.service.pendingPushes()).toBe(0);
    expect(mock.service.budget()).toMatchObject({ limit: 100, remaining: 100 });
    expect((await call(paths.nft('1'))).body).toMatchObject({ result: { name: null } });
    expect((await call(paths.nft('2'))).body).toMatchObject({ result: { name: null } });
    // No injected failure left, and the budget is whole again.
    const accepted = await push('4');
    expect(accepted.status).toBe(202);
    expect(accepted.headers['imx-remaining-refreshes']).toBe('99');
  });

  it('drops pushes accepted but not applied', async () => {
    await push('6', { name: 'Pending' });
    mock.reset();
    mock.advanceTime(60_000);
    expect((await call(paths.nft('6'))).body).toMatchObject({ result: { name: null } });
  });
});

describe('beside the Immutable X mock on one base URL', () => {
  it('each API answers its own paths, whichever handlers come first', async () => {
    const imx = createMetadataRefreshMock({ baseURL: BASE });
    server.use(...imx.handlers);
    expect((await call(paths.nft('1'))).status).toBe(200);
    const imxAnswer = await fetch(`${BASE}/v1/metadata-refreshes`);
    expect(imxAnswer.status).toBe(401);
    expect(await imxAnswer.json()).toMatchObject({ code: 'unauthorised_request' });
    expect(imx.requests.map((r) => r.path)).toEqual(['/v1/metadata-refreshes']);
  });
});
