/**
 * The zkEVM client's stacked-metadata and collection methods against the reference engine
 * (through msw) on one injected clock, under each reading of a collection refresh's cost. Every
 * answer the engine gives here is checked against the OpenAPI file.
 */
import { HttpResponse, http } from 'msw';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ZkEvmServiceOptions } from '../../src/engine/zkevm/index.js';
import {
  type CollectionMetadata,
  InvalidRequestError,
  NotFoundError,
  RateLimitError,
} from '../../src/index.js';
import { openApiProblems } from '../engine/zkevm/openapi.js';
import { rejection } from '../support/errors.js';
import { server } from '../support/msw.js';
import { CONTRACT, useZkEvm, ZK_BASE_URL, ZK_CHAIN } from '../support/zkevm-engine.js';

const STACK_1 = '00000000-0000-4000-8000-000000000001';
const STACK_2 = '00000000-0000-4000-8000-000000000002';
const COLLECTION_PATH = `/v1/chains/${ZK_CHAIN}/collections/${CONTRACT}`;

const lizards: CollectionMetadata = {
  name: 'Gigantic Lizards',
  symbol: 'GLZ',
  description: 'Lizards, gigantic',
  image: 'https://img.test/glz.png',
  externalLink: 'https://glz.test',
  contractUri: 'https://glz.test/contract.json',
  baseUri: 'https://glz.test/nfts/',
};

/** The engine of `useZkEvm`, answering through a handler that checks each answer. */
function useCheckedZkEvm(options: Partial<ZkEvmServiceOptions> = {}) {
  const api = useZkEvm(options);
  const problems: string[] = [];
  beforeEach(() => {
    problems.length = 0;
    server.use(
      http.all(`${ZK_BASE_URL}/v1/*`, async ({ request }) => {
        const url = new URL(request.url);
        const bytes = new Uint8Array(await request.arrayBuffer());
        const text = bytes.byteLength === 0 ? undefined : new TextDecoder().decode(bytes);
        api.requests.push({
          method: request.method,
          path: url.pathname,
          query: url.searchParams,
          headers: request.headers,
          body: text === undefined ? undefined : JSON.parse(text),
        });
        const path = url.pathname + url.search;
        const answer = await api.service.handle({
          method: request.method,
          path,
          headers: request.headers,
          body: text,
        });
        problems.push(...openApiProblems({ method: request.method, path }, answer));
        return HttpResponse.json(answer.body as never, {
          status: answer.status,
          headers: answer.headers,
        });
      }),
    );
  });
  afterEach(() => expect(problems).toEqual([]));
  return api;
}

describe('getMetadata and iterateNfts({ metadataId }): from a stack to its NFTs', () => {
  const api = useCheckedZkEvm();

  it('reads a stack in camelCase, and walks the NFTs that share it', async () => {
    api.service.mint(CONTRACT, [
      { tokenId: '1', name: 'Potion', attributes: [{ traitType: 'hp', value: 5 }] },
      { tokenId: '2', name: 'Potion', attributes: [{ traitType: 'hp', value: 5 }] },
      { tokenId: '3', name: 'Sword' },
      { tokenId: '4', name: 'Potion', attributes: [{ traitType: 'hp', value: 5 }] },
    ]);
    const zk = api.client();
    const { metadataId } = await zk.getNft({ contractAddress: CONTRACT, tokenId: '2' });
    expect(metadataId).toBe(STACK_1);
    const stack = await zk.getMetadata({ contractAddress: CONTRACT, metadataId: STACK_1 });
    expect(stack).toEqual({
      id: STACK_1,
      chain: { id: 'eip155:13473', name: ZK_CHAIN },
      contractAddress: CONTRACT,
      createdAt: new Date(api.clock.now()).toISOString(),
      updatedAt: new Date(api.clock.now()).toISOString(),
      name: 'Potion',
      description: null,
      image: null,
      externalUrl: null,
      animationUrl: null,
      youtubeUrl: null,
      attributes: [{ traitType: 'hp', value: 5 }],
    });
    const walk = zk.iterateNfts({
      contractAddress: CONTRACT,
      metadataId: STACK_1.toUpperCase(),
      pageSize: 2,
    });
    const tokenIds: string[] = [];
    for await (const nft of walk) {
      tokenIds.push(nft.tokenId);
      if (tokenIds.length === 2) break;
    }
    // Resuming after token 2 (the first page's last match) yields only what is left.
    for await (const nft of zk.iterateNfts({
      contractAddress: CONTRACT,
      metadataId: STACK_1,
      cursor: walk.cursor,
    })) {
      tokenIds.push(nft.tokenId);
    }
    expect(tokenIds).toEqual(['1', '2', '4']);
  });

  it('an unknown id is NotFoundError; a malformed one is refused before sending', async () => {
    const zk = api.client();
    const missing = await rejection(
      zk.getMetadata({ contractAddress: CONTRACT, metadataId: STACK_2 }),
    );
    expect(missing).toBeInstanceOf(NotFoundError);
    const sent = api.requests.length;
    for (const call of [
      () => zk.getMetadata({ contractAddress: CONTRACT, metadataId: 'potion' }),
      () => zk.iterateNfts({ contractAddress: CONTRACT, metadataId: '42' }),
    ]) {
      expect(await rejection((async () => call())())).toBeInstanceOf(InvalidRequestError);
    }
    expect(api.requests.length).toBe(sent);
  });
});

describe('listMetadata and iterateMetadata', () => {
  const api = useCheckedZkEvm();

  it('pages through every stack, oldest first, resumable, filtered by fromUpdatedAt', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      api.service.mint(CONTRACT, [{ tokenId: String(name.charCodeAt(0)), name }]);
      await api.clock.sleep(1_000);
    }
    const zk = api.client();
    const first = await zk.listMetadata({ contractAddress: CONTRACT, pageSize: 2 });
    expect(first.result.map((m) => m.name)).toEqual(['a', 'b']);
    expect(first.previousCursor).toBeNull();
    const names: string[] = [];
    const walk = zk.iterateMetadata({ contractAddress: CONTRACT, pageSize: 2 });
    for await (const m of walk) {
      names.push(m.name as string);
      if (names.length === 3) break;
    }
    for await (const m of zk.iterateMetadata({ contractAddress: CONTRACT, cursor: walk.cursor })) {
      names.push(m.name as string);
    }
    expect(names).toEqual(['a', 'b', 'c', 'd', 'e']);
    const recent = await zk.listMetadata({
      contractAddress: CONTRACT,
      fromUpdatedAt: new Date(api.clock.now() - 2_000),
    });
    expect(recent.result.map((m) => m.name)).toEqual(['d', 'e']);
    expect(recent.nextCursor).toBeNull();
  });

  it('refuses a bad pageSize or fromUpdatedAt before sending', async () => {
    const zk = api.client();
    await expect(zk.listMetadata({ contractAddress: CONTRACT, pageSize: 201 })).rejects.toThrow(
      InvalidRequestError,
    );
    expect(() => zk.iterateMetadata({ contractAddress: CONTRACT, fromUpdatedAt: 'soon' })).toThrow(
      InvalidRequestError,
    );
    expect(api.requests).toEqual([]);
  });
});

describe('getCollection and refreshCollectionMetadata', () => {
  const api = useCheckedZkEvm({
    collections: [{ address: CONTRACT, metadata: { name: 'Lizards', symbol: 'GLZ' } }],
    limits: { refreshesPerHour: 3 },
  });

  it('reads the collection; a refresh of the whole metadata shows after the sync', async () => {
    const zk = api.client();
    const before = await zk.getCollection({ contractAddress: CONTRACT });
    expect(before).toMatchObject({
      contractAddress: CONTRACT,
      contractType: 'ERC721',
      verificationStatus: 'verified',
      name: 'Lizards',
      symbol: 'GLZ',
      baseUri: null,
      metadataSyncedAt: null,
    });
    // A read-modify-write: the whole Collection is taken, only its seven fields are sent.
    const result = await zk.refreshCollectionMetadata({
      contractAddress: CONTRACT,
      collectionMetadata: { ...before, image: 'https://img.test/season-2.png' },
    });
    const post = api.requests.find((r) => r.method === 'POST');
    expect(post?.path).toBe(`${COLLECTION_PATH}/refresh-metadata`);
    expect(post?.body).toEqual({
      collection_metadata: {
        name: 'Lizards',
        symbol: 'GLZ',
        description: null,
        image: 'https://img.test/season-2.png',
        external_link: null,
        contract_uri: null,
        base_uri: null,
      },
    });
    expect(result.contractAddress).toBe(CONTRACT);
    expect(result.collectionMetadata.image).toBe('https://img.test/season-2.png');
    await api.service.settled();
    const after = await zk.getCollection({ contractAddress: CONTRACT });
    expect(after.image).toBe('https://img.test/season-2.png');
    expect(after.metadataSyncedAt).toBe(new Date(api.clock.now()).toISOString());
  });

  it('refuses a missing field (null clears, leaving out does not), an unknown or a bad one', async () => {
    const zk = api.client();
    const { baseUri: _, ...noBaseUri } = lizards;
    const cases: [unknown, RegExp][] = [
      [noBaseUri, /collectionMetadata\.baseUri is required: give every field, null to clear it/],
      [{ ...lizards, logo: 'x' }, /unknown field "logo"/],
      [{ ...lizards, name: 7 }, /collectionMetadata\.name must be a string or null/],
      [null, /collectionMetadata must be an object/],
    ];
    for (const [collectionMetadata, message] of cases) {
      const error = await rejection(
        zk.refreshCollectionMetadata({
          contractAddress: CONTRACT,
          collectionMetadata: collectionMetadata as CollectionMetadata,
        }),
      );
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.message).toMatch(message);
    }
    expect(api.requests).toEqual([]);
    await expect(
      zk.getCollection({ contractAddress: `0x${'ef'.repeat(20)}` }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it("'shared' (the engine's default): learns the budget from it, and a spent one is RateLimitError", async () => {
    const zk = api.client();
    const result = await zk.refreshCollectionMetadata({
      contractAddress: CONTRACT,
      collectionMetadata: lizards,
    });
    expect(result.rateLimit).toMatchObject({ limit: 3, remaining: 2 });
    expect(zk.rateLimit?.remaining).toBe(2);
    api.service.setRemainingRefreshes(0);
    const refused = await rejection(
      zk.refreshCollectionMetadata({ contractAddress: CONTRACT, collectionMetadata: lizards }),
    );
    expect(refused).toBeInstanceOf(RateLimitError);
    expect((refused as RateLimitError).code).toBe('TOO_MANY_REQUESTS_ERROR');
    // Known spent: the next NFT push is refused before a request is sent.
    const posts = api.requests.filter((r) => r.method === 'POST').length;
    await expect(
      zk.refreshNftsMetadata({ contractAddress: CONTRACT, nfts: [{ tokenId: '1' }] }),
    ).rejects.toBeInstanceOf(RateLimitError);
    expect(api.requests.filter((r) => r.method === 'POST').length).toBe(posts);
  });

  it('an answer in an unexpected shape is still an accepted refresh: what was sent is returned', async () => {
    server.use(
      http.post(`${ZK_BASE_URL}${COLLECTION_PATH}/refresh-metadata`, () =>
        HttpResponse.json({ ok: true }),
      ),
    );
    const result = await api.client().refreshCollectionMetadata({
      contractAddress: CONTRACT,
      collectionMetadata: lizards,
    });
    expect(result).toEqual({
      contractAddress: CONTRACT,
      collectionMetadata: lizards,
      rateLimit: undefined,
    });
  });
});

describe("refreshCollectionMetadata under 'separate'", () => {
  const api = useCheckedZkEvm({ limits: { refreshesPerHour: 1, collectionRefresh: 'separate' } });

  it('no budget in the answer, none learned; accepted though the push budget is spent', async () => {
    api.service.setRemainingRefreshes(0);
    const zk = api.client();
    const result = await zk.refreshCollectionMetadata({
      contractAddress: CONTRACT,
      collectionMetadata: lizards,
    });
    expect(result.rateLimit).toBeUndefined();
    expect(zk.rateLimit).toBeUndefined();
    await api.service.settled();
    expect((await zk.getCollection({ contractAddress: CONTRACT })).name).toBe('Gigantic Lizards');
  });
});
