/**
 * The zkEVM mock serves the whole OpenAPI subset: the stacked-metadata reads, the collection
 * read and the collection refresh, with plain fetch and with the client, each answer checked
 * against the OpenAPI file; and its controls read collections and stacks back.
 */
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceResponse } from '../../src/engine/types.js';
import { ZkEvmMetadataClient } from '../../src/index.js';
import { createZkEvmMock } from '../../src/msw/index.js';
import { CHAIN, COLLECTION, KEY, START } from '../engine/zkevm/harness.js';
import { openApiProblems } from '../engine/zkevm/openapi.js';

const BASE = 'https://zkevm.test/api';
const STACK = '00000000-0000-4000-8000-000000000001';
const path = (rest = '') => `/v1/chains/${CHAIN}/collections/${COLLECTION}${rest}`;

/** Every row of an iterator (Node 20 has no `Array.fromAsync`). */
async function all<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

let ids = 0;
const mock = createZkEvmMock({
  baseURL: BASE,
  clock: { now: () => START },
  generateId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
});
const server = setupServer(...mock.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  mock.reset();
  ids = 0;
  server.resetHandlers();
});
afterAll(() => server.close());

async function call(p: string, body?: unknown): Promise<ServiceResponse> {
  const method = body === undefined ? 'GET' : 'POST';
  const response = await fetch(`${BASE}${p}`, {
    method,
    headers:
      body === undefined ? {} : { 'x-immutable-api-key': KEY, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const answer = { status: response.status, headers, body: await response.json() };
  expect(openApiProblems({ method, path: p }, answer)).toEqual([]);
  return answer;
}

const collectionMetadata = {
  name: 'Lizards',
  symbol: 'GLZ',
  description: null,
  image: 'https://img.test/glz.png',
  external_link: null,
  contract_uri: null,
  base_uri: 'https://glz.test/nfts/',
};

describe('the zkEVM mock serves the whole OpenAPI subset', () => {
  it('GetMetadata and ListMetadata: the stacks minted NFTs share', async () => {
    mock.service.mint(COLLECTION, [
      { tokenId: '1', name: 'Potion' },
      { tokenId: '2', name: 'Potion' },
    ]);
    expect((await call(path(`/metadata/${STACK}`))).body).toMatchObject({
      result: { id: STACK, name: 'Potion' },
    });
    const list = await call(path('/metadata?page_size=10'));
    expect(list.body).toMatchObject({
      result: [{ id: STACK }],
      page: { next_cursor: null, previous_cursor: null },
    });
    expect(mock.service.metadata(COLLECTION, STACK)?.name).toBe('Potion');
    expect(mock.service.metadata(COLLECTION, 'potion')).toBeUndefined();
  });

  it('GetCollection and RefreshCollectionMetadata: 200, then in effect once settled', async () => {
    expect((await call(path())).body).toMatchObject({ result: { name: null } });
    const refreshed = await call(path('/refresh-metadata'), {
      collection_metadata: collectionMetadata,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers['imx-remaining-refreshes']).toBe('99');
    await mock.service.settled();
    expect(mock.service.collection(COLLECTION)).toMatchObject({
      name: 'Lizards',
      baseUri: 'https://glz.test/nfts/',
      metadataSyncedAt: new Date(START + 500).toISOString(),
    });
  });

  it('the client, on the mock clock: a collection read-modify-write and a stack to its NFTs', async () => {
    const zk = new ZkEvmMetadataClient({
      apiKey: KEY,
      baseURL: BASE,
      chainName: CHAIN,
      clock: mock.clock,
    });
    mock.service.mint(COLLECTION, [
      { tokenId: '7', name: 'Shield' },
      { tokenId: '8', name: 'Shield' },
      { tokenId: '9', name: 'Helmet' },
    ]);
    const [stack] = await all(zk.iterateMetadata({ contractAddress: COLLECTION }));
    const nfts = await all(zk.iterateNfts({ contractAddress: COLLECTION, metadataId: stack?.id }));
    expect(nfts.map((n) => n.tokenId)).toEqual(['7', '8']);
    const current = await zk.getCollection({ contractAddress: COLLECTION });
    await zk.refreshCollectionMetadata({
      contractAddress: COLLECTION,
      collectionMetadata: { ...current, name: 'Armoury' },
    });
    await mock.service.settled();
    expect((await zk.getCollection({ contractAddress: COLLECTION })).name).toBe('Armoury');
  });

  it("limits.collectionRefresh 'separate' through the mock: no budget spent", async () => {
    const separate = createZkEvmMock({
      baseURL: BASE,
      limits: { collectionRefresh: 'separate' },
    });
    server.use(...separate.handlers);
    separate.setRemainingRefreshes(0);
    const res = await call(path('/refresh-metadata'), { collection_metadata: collectionMetadata });
    expect(res.status).toBe(200);
    expect(res.headers['imx-remaining-refreshes']).toBeUndefined();
  });
});
