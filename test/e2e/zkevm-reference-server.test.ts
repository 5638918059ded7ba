/**
 * The zkEVM reference server through real sockets with plain `fetch`: push, sync, read, list,
 * auth (before the body), the budget, and every answer checked against the OpenAPI file; and the
 * combined server, where the Immutable X routes keep working on the same port.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceResponse } from '../../src/engine/types.js';
import { imxAuthHeaders } from '../../src/index.js';
import {
  createCombinedReferenceServer,
  createZkEvmReferenceServer,
  MAX_BODY_BYTES,
  type ZkEvmReferenceServerOptions,
} from '../../src/server/index.js';
import {
  CHAIN,
  COLLECTION,
  item,
  KEY,
  manualClock,
  paths,
  sequentialIds,
} from '../engine/zkevm/harness.js';
import { openApiProblems } from '../engine/zkevm/openapi.js';
import { COLLECTION as IMX_COLLECTION, OWNER, PRIVATE_KEY } from '../support/fixtures.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

interface Call {
  method?: string;
  key?: string | null;
  body?: unknown;
}

/** One request with plain fetch; the answer must match the OpenAPI file. */
async function call(url: string, path: string, init: Call = {}): Promise<ServiceResponse> {
  const method = init.method ?? (init.body === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = {};
  if (init.key !== null && init.key !== undefined) headers['x-immutable-api-key'] = init.key;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    body:
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : JSON.stringify(init.body),
  });
  const answerHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    answerHeaders[name] = value;
  });
  const answer: ServiceResponse = {
    status: response.status,
    headers: answerHeaders,
    body: await response.json(),
  };
  expect(openApiProblems({ method, path }, answer)).toEqual([]);
  return answer;
}

async function start(options: Partial<ZkEvmReferenceServerOptions> = {}) {
  const clock = manualClock();
  const server = createZkEvmReferenceServer({
    apiKey: KEY,
    clock,
    generateId: sequentialIds(),
    collections: [{ address: COLLECTION, tokenIds: ['1', '2', '3'] }],
    ...options,
  });
  closers.push(() => server.close());
  const { url, port } = await server.listen();
  return { server, clock, url, port };
}

const push = (url: string, tokenId: string, fields: Record<string, unknown>, key = KEY) =>
  call(url, paths.refreshNfts(), { key, body: { nft_metadata: [item(tokenId, fields)] } });

describe('the zkEVM reference server', () => {
  it('accepts a push with the budget headers, applies it after syncDelayMs, reads and lists', async () => {
    const { url, clock, port } = await start({ syncDelayMs: 1_000 });
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const accepted = await push(url, '2', {
      name: 'Hero',
      attributes: [{ trait_type: 'level', value: 2 }],
    });
    expect(accepted.status).toBe(202);
    expect(accepted.headers).toMatchObject({
      'imx-refreshes-limit': '100',
      'imx-remaining-refreshes': '99',
      'imx-refresh-limit-reset': expect.stringMatching(/ \+0000 UTC$/),
      // The default (window) reading: the seconds left to the reset, on every answer.
      'retry-after': expect.stringMatching(/^\d+$/),
    });
    expect(accepted.body).toMatchObject({
      imx_refreshes_limit: '100',
      imx_remaining_refreshes: '99',
    });

    const before = await call(url, paths.nft('2'));
    expect(before.body).toMatchObject({ result: { token_id: '2', name: null } });
    clock.advance(999);
    expect((await call(url, paths.nft('2'))).body).toMatchObject({ result: { name: null } });
    clock.advance(1);
    const after = await call(url, paths.nft('2'));
    expect(after.body).toMatchObject({
      result: {
        name: 'Hero',
        attributes: [{ trait_type: 'level', value: 2 }],
        metadata_synced_at: new Date(clock.now()).toISOString(),
      },
    });

    const list = await call(url, paths.nfts('page_size=2'));
    const page = list.body as {
      result: { token_id: string }[];
      page: { next_cursor: string | null };
    };
    expect(page.result.map((n) => n.token_id)).toHaveLength(2);
    expect(page.page.next_cursor).not.toBeNull();
    const rest = await call(
      url,
      paths.nfts(`page_size=2&page_cursor=${encodeURIComponent(page.page.next_cursor as string)}`),
    );
    expect((rest.body as { result: unknown[] }).result).toHaveLength(1);
  });

  it('answers 401 without a key and 403 for another key, spending nothing', async () => {
    const { url, server } = await start();
    const missing = await push(url, '1', {}, '');
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ code: 'UNAUTHORISED_REQUEST' });
    const wrong = await push(url, '1', {}, 'sk_imapik-test-someone-else');
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ code: 'AUTHENTICATION_ERROR' });
    expect(JSON.stringify(wrong.body)).not.toContain('someone-else');
    expect(server.service.budget().remaining).toBe(100);
  });

  it('answers 429 with retry-after once the budget is spent, and again after the window', async () => {
    const { url, clock } = await start({ limits: { refreshesPerHour: 1, windowMs: 60_000 } });
    expect((await push(url, '1', { name: 'a' })).status).toBe(202);
    clock.advance(15_000);
    const refused = await push(url, '1', { name: 'b' });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'TOO_MANY_REQUESTS_ERROR' });
    expect(refused.headers).toMatchObject({
      'imx-refreshes-limit': '1',
      'imx-remaining-refreshes': '0',
      'retry-after': '45',
    });
    clock.advance(45_000);
    expect((await push(url, '1', { name: 'c' })).status).toBe(202);
  });

  it('answers the errors the OpenAPI file lists: 400, 404, unknown routes', async () => {
    const { url } = await start();
    expect((await call(url, paths.refreshNfts(), { key: KEY, body: '{' })).status).toBe(400);
    expect((await push(url, '9', {})).status).toBe(404);
    expect((await call(url, paths.nft('1', COLLECTION, 'imtbl-zkevm-mainnet'))).status).toBe(404);
    expect((await call(url, paths.nft('1', 'not-an-address'))).status).toBe(400);
    expect((await call(url, `/v1/chains/${CHAIN}/collections`)).status).toBe(404);
    expect((await call(url, paths.nft('1'), { method: 'DELETE' })).status).toBe(404);
  });
});

/** Sends a request head on a raw socket and collects what the server sends until it closes. */
function rawExchange(port: number, head: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    socket.on('close', () => resolve(text));
    // The head and a first part of the body; the rest is never sent.
    socket.write(head);
    socket.write('{"nft_metadata":['.padEnd(16 * 1024, ' '));
  });
}

const postHead = (headers: Record<string, string>) =>
  `POST ${paths.refreshNfts()} HTTP/1.1\r\n${Object.entries({
    host: '127.0.0.1',
    'content-type': 'application/json',
    ...headers,
  })
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n`;

describe('auth before body', () => {
  it('answers an unauthenticated push with a huge declared body 401, unread, and closes', async () => {
    const { port, server } = await start();
    const keys: Record<string, string>[] = [{}, { 'x-immutable-api-key': 'sk_imapik-wrong' }];
    for (const key of keys) {
      const text = await rawExchange(
        port,
        postHead({ ...key, 'content-length': String(64 * MAX_BODY_BYTES) }),
      );
      expect(text).toMatch(/^HTTP\/1\.1 40[13] /);
      expect(text.toLowerCase()).toContain('connection: close');
    }
    expect(server.service.budget().remaining).toBe(100);
  });

  it('refuses an authenticated push declaring more than the limit without reading it', async () => {
    const { port } = await start();
    const text = await rawExchange(
      port,
      postHead({ 'x-immutable-api-key': KEY, 'content-length': String(MAX_BODY_BYTES + 1) }),
    );
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toContain('"field":"body"');
    expect(text.toLowerCase()).toContain('connection: close');
  });
});

describe('the combined server', () => {
  it('serves both APIs on one port: Immutable X routes keep working beside /v1/chains/', async () => {
    const clock = manualClock(Date.parse('2022-09-06T02:30:00Z'));
    const server = createCombinedReferenceServer({
      imx: {
        owner: OWNER,
        clock,
        collections: [{ address: IMX_COLLECTION, metadataApiUrl: 'http://metadata.test' }],
        fetchMetadata: async () => ({ status: 200, body: '{"name":"x"}' }),
      },
      zkevm: { apiKey: KEY, clock, syncDelayMs: 0 },
    });
    closers.push(() => server.close());
    const { url } = await server.listen();

    const signed = await imxAuthHeaders(PRIVATE_KEY, { timestamp: Math.floor(clock.now() / 1000) });
    const imxPost = await fetch(`${url}/v1/metadata-refreshes`, {
      method: 'POST',
      headers: { ...signed, 'content-type': 'application/json' },
      body: JSON.stringify({ collection_address: IMX_COLLECTION, token_ids: ['1'] }),
    });
    expect(imxPost.status).toBe(202);
    expect(imxPost.headers.get('x-imx-remaining-refreshes')).toBe('9');
    const { refresh_id } = (await imxPost.json()) as { refresh_id: string };
    await server.imx.settled();
    const imxGet = await fetch(`${url}/v1/metadata-refreshes/${refresh_id}`, { headers: signed });
    expect(await imxGet.json()).toMatchObject({ status: 'completed' });
    const asset = await fetch(`${url}/v1/assets/${IMX_COLLECTION}/1`);
    expect(asset.status).toBe(200);

    expect((await push(url, '5', { name: 'Pushed' })).status).toBe(202);
    await server.zkevm.settled();
    expect((await call(url, paths.nft('5'))).body).toMatchObject({ result: { name: 'Pushed' } });
    // Each API's own budget.
    expect(server.zkevm.budget().remaining).toBe(99);
    expect(server.imx.rateLimitHeaders()['x-imx-remaining-refreshes']).toBe('9');
  });
});
