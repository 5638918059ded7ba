/**
 * The four operations the engine serves beside the pushes and NFT reads: GetMetadata,
 * ListMetadata, GetCollection and RefreshCollectionMetadata, under each reading of what the
 * platform leaves unsaid. Every answer is checked against the OpenAPI file (the harness does).
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { CHAIN, COLLECTION, errorOf, item, paths, START, setup } from './harness.js';

const base = (address = COLLECTION) => `/v1/chains/${CHAIN}/collections/${address}`;
const at = {
  metadata: (id: string, address = COLLECTION) => `${base(address)}/metadata/${id}`,
  metadataList: (query = '', address = COLLECTION) =>
    `${base(address)}/metadata${query === '' ? '' : `?${query}`}`,
  collection: (address = COLLECTION) => base(address),
  refreshCollection: (address = COLLECTION) => `${base(address)}/refresh-metadata`,
};
const STACK_1 = '00000000-0000-4000-8000-000000000001';
const STACK_2 = '00000000-0000-4000-8000-000000000002';
const UNKNOWN = '4e28df8d-f65c-4c11-ba04-6a9dd47b179b';
const iso = (ms: number) => new Date(ms).toISOString();

const collectionMetadata = (fields: Record<string, unknown> = {}) => ({
  name: 'Gigantic Lizards',
  symbol: 'GLZ',
  description: 'Lizards, gigantic',
  image: 'https://img.test/glz.png',
  external_link: 'https://glz.test',
  contract_uri: 'https://glz.test/contract.json',
  base_uri: 'https://glz.test/nfts/',
  ...fields,
});

interface Page {
  result: { id: string; name: string | null; updated_at: string }[];
  page: { next_cursor: string | null; previous_cursor: string | null };
}

describe('GetMetadata', () => {
  it('answers the stack NFTs share, by its id in any case', async () => {
    const { get, service } = setup();
    service.mint(COLLECTION, [
      { tokenId: '1', name: 'Potion', attributes: [{ traitType: 'hp', value: 5 }] },
      { tokenId: '2', name: 'Potion', attributes: [{ traitType: 'hp', value: 5 }] },
    ]);
    const nft = service.nft(COLLECTION, '2');
    expect(nft?.metadataId).toBe(STACK_1);
    const res = await get(at.metadata(STACK_1.toUpperCase()));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      result: {
        id: STACK_1,
        chain: { id: 'eip155:13473', name: CHAIN },
        contract_address: COLLECTION,
        created_at: iso(START),
        updated_at: iso(START),
        name: 'Potion',
        description: null,
        image: null,
        external_link: null,
        external_url: null,
        animation_url: null,
        youtube_url: null,
        attributes: [{ trait_type: 'hp', value: 5 }],
      },
    });
    expect(service.metadata(COLLECTION, STACK_1)?.name).toBe('Potion');
  });

  it('a refresh by metadata id moves its updated_at; a token push moves the NFT to another stack', async () => {
    const { get, post, service, clock } = setup({ syncDelayMs: 0 });
    service.mint(COLLECTION, [
      { tokenId: '1', name: 'Potion' },
      { tokenId: '2', name: 'Potion' },
    ]);
    clock.advance(1_000);
    await post(paths.refreshStacks(), {
      metadata: [{ ...item('0'), token_id: undefined, metadata_id: STACK_1, name: 'Elixir' }],
    });
    clock.advance(1_000);
    await post(paths.refreshNfts(), { nft_metadata: [item('2', { name: 'Poison' })] });
    await service.settled();
    const first = (await get(at.metadata(STACK_1))).body as { result: Record<string, unknown> };
    expect(first.result).toMatchObject({
      name: 'Elixir',
      created_at: iso(START),
      updated_at: iso(START + 1_000),
    });
    expect(service.nft(COLLECTION, '2')?.metadataId).toBe(STACK_2);
    expect((await get(at.metadata(STACK_2))).body).toMatchObject({
      result: { name: 'Poison', created_at: iso(START + 2_000) },
    });
  });

  it('400 for an id that is not a UUID, 404 for an unknown one or collection', async () => {
    const { get } = setup({ collections: [{ address: COLLECTION }] });
    const bad = await get(at.metadata('not-a-uuid'));
    expect(bad.status).toBe(400);
    expect(errorOf(bad).details).toEqual({ field: 'metadata_id' });
    expect((await get(at.metadata(UNKNOWN))).status).toBe(404);
    const other = `0x${'ef'.repeat(20)}`;
    expect(errorOf(await get(at.metadata(UNKNOWN, other))).code).toBe('RESOURCE_NOT_FOUND');
  });
});

describe('ListMetadata', () => {
  it('pages oldest first with next and previous cursors', async () => {
    const { get, service, clock } = setup();
    for (const name of ['a', 'b', 'c']) {
      service.mint(COLLECTION, [{ tokenId: String(name.charCodeAt(0)), name }]);
      clock.advance(10);
    }
    const first = (await get(at.metadataList('page_size=2'))).body as Page;
    expect(first.result.map((m) => m.name)).toEqual(['a', 'b']);
    expect(first.page.previous_cursor).toBeNull();
    const cursor = first.page.next_cursor as string;
    const second = (await get(at.metadataList(`page_size=2&page_cursor=${cursor}`))).body as Page;
    expect(second.result.map((m) => m.name)).toEqual(['c']);
    expect(second.page.next_cursor).toBeNull();
    const back = second.page.previous_cursor as string;
    const again = (await get(at.metadataList(`page_size=2&page_cursor=${back}`))).body as Page;
    expect(again.result.map((m) => m.name)).toEqual(['a', 'b']);
    expect(((await get(at.metadataList())).body as Page).result).toHaveLength(3);
  });

  it('from_updated_at keeps what changed since; bad parameters are 400 naming them', async () => {
    const { get, post, service, clock } = setup({ syncDelayMs: 0 });
    service.mint(COLLECTION, [{ tokenId: '1', name: 'a' }]);
    service.mint(COLLECTION, [{ tokenId: '2', name: 'b' }]);
    clock.advance(5_000);
    const since = iso(clock.now());
    await post(paths.refreshStacks(), {
      metadata: [{ ...item('0'), token_id: undefined, metadata_id: STACK_2, name: 'B' }],
    });
    await service.settled();
    const changed = (await get(at.metadataList(`from_updated_at=${since}`))).body as Page;
    expect(changed.result.map((m) => [m.id, m.name])).toEqual([[STACK_2, 'B']]);
    for (const [query, field] of [
      ['page_size=0', 'page_size'],
      ['page_size=201', 'page_size'],
      ['page_cursor=bm9wZQ', 'page_cursor'],
      ['from_updated_at=yesterday', 'from_updated_at'],
    ]) {
      const res = await get(at.metadataList(query));
      expect([res.status, errorOf(res).details]).toEqual([400, { field }]);
    }
  });

  it('an empty collection: no metadata, no cursors', async () => {
    const { get } = setup();
    expect((await get(at.metadataList())).body).toEqual({
      result: [],
      page: { previous_cursor: null, next_cursor: null },
    });
  });
});

describe('GetCollection', () => {
  it('answers the configured metadata and verification status', async () => {
    const { get, service } = setup({
      collections: [
        {
          address: COLLECTION,
          contractType: 'ERC1155',
          verificationStatus: 'unverified',
          metadata: { name: 'Lizards', baseUri: 'https://glz.test/nfts/' },
        },
      ],
    });
    const res = await get(at.collection(COLLECTION.toUpperCase().replace('0X', '0x')));
    expect(res.body).toEqual({
      result: {
        chain: { id: 'eip155:13473', name: CHAIN },
        name: 'Lizards',
        symbol: null,
        contract_type: 'ERC1155',
        contract_address: COLLECTION,
        description: null,
        image: null,
        external_link: null,
        contract_uri: null,
        metadata_uri: null,
        base_uri: 'https://glz.test/nfts/',
        verification_status: 'unverified',
        indexed_at: iso(START),
        updated_at: iso(START),
        metadata_synced_at: null,
      },
    });
    expect(service.collection(COLLECTION)?.baseUri).toBe('https://glz.test/nfts/');
    expect((await get(at.collection(`0x${'ef'.repeat(20)}`))).status).toBe(404);
  });

  it('without configured collections, any collection exists, its metadata null', async () => {
    const { get } = setup();
    const res = await get(at.collection(`0x${'ef'.repeat(20)}`));
    expect(res.body).toMatchObject({ result: { name: null, verification_status: 'verified' } });
  });

  it('refuses a bad verificationStatus option', () => {
    expect(() =>
      setup({ collections: [{ address: COLLECTION, verificationStatus: 'great' as never }] }),
    ).toThrow(/verificationStatus/);
  });
});

describe('RefreshCollectionMetadata', () => {
  it('needs the key, then the whole collection_metadata; answers 200 echoing it', async () => {
    const { post } = setup();
    const body = { collection_metadata: collectionMetadata() };
    expect((await post(at.refreshCollection(), body, null)).status).toBe(401);
    expect((await post(at.refreshCollection(), body, 'sk_imapik-wrong')).status).toBe(403);
    const { base_uri: _, ...missing } = collectionMetadata();
    const refusals = [
      [{ collection_metadata: missing }, 'collection_metadata.base_uri'],
      [{ collection_metadata: collectionMetadata({ logo: 'x' }) }, 'collection_metadata.logo'],
      [{ collection_metadata: collectionMetadata({ name: 7 }) }, 'collection_metadata.name'],
      [{}, 'collection_metadata'],
    ] as const;
    for (const [refused, field] of refusals) {
      const res = await post(at.refreshCollection(), refused);
      expect([res.status, errorOf(res).details]).toEqual([400, { field }]);
    }
    const res = await post(at.refreshCollection(), body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      contract_address: COLLECTION,
      chain: { id: 'eip155:13473', name: CHAIN },
      collection_metadata: collectionMetadata(),
    });
  });

  it('takes effect after syncDelayMs, moving metadata_synced_at; null clears by default', async () => {
    const { get, post, service } = setup({
      collections: [{ address: COLLECTION, metadata: { name: 'Old', symbol: 'OLD' } }],
    });
    await post(at.refreshCollection(), {
      collection_metadata: collectionMetadata({ symbol: null }),
    });
    expect((await get(at.collection())).body).toMatchObject({
      result: { name: 'Old', metadata_synced_at: null },
    });
    expect(service.pendingPushes()).toBe(1);
    await service.settled();
    expect((await get(at.collection())).body).toMatchObject({
      result: {
        name: 'Gigantic Lizards',
        symbol: null,
        contract_uri: 'https://glz.test/contract.json',
        metadata_uri: 'https://glz.test/contract.json',
        metadata_synced_at: iso(START + 500),
        updated_at: iso(START + 500),
      },
    });
  });

  it("nullFields 'keep': a null keeps the field", async () => {
    const { post, service } = setup({
      nullFields: 'keep',
      collections: [{ address: COLLECTION, metadata: { symbol: 'OLD' } }],
    });
    await post(at.refreshCollection(), {
      collection_metadata: collectionMetadata({ symbol: null }),
    });
    await service.settled();
    expect(service.collection(COLLECTION)?.symbol).toBe('OLD');
  });

  it('limits.collectionMetadataMaxBytes: a larger one is a 400 naming collection_metadata', async () => {
    const big = collectionMetadata({ description: 'x'.repeat(16_384) });
    const byDefault = await setup().post(at.refreshCollection(), { collection_metadata: big });
    expect([byDefault.status, errorOf(byDefault).details]).toEqual([
      400,
      { field: 'collection_metadata' },
    ]);
    const { post } = setup({ limits: { collectionMetadataMaxBytes: 64 * 1024 } });
    expect((await post(at.refreshCollection(), { collection_metadata: big })).status).toBe(200);
    expect(() => setup({ limits: { collectionMetadataMaxBytes: 0 } })).toThrow(InvalidOptionError);
  });

  it("collectionRefresh 'shared' (default): spends one push, carries the headers, 429 when spent", async () => {
    const { post, service } = setup({ limits: { refreshesPerHour: 2 } });
    const body = { collection_metadata: collectionMetadata() };
    const first = await post(at.refreshCollection(), body);
    expect(first.headers).toMatchObject({
      'imx-refreshes-limit': '2',
      'imx-remaining-refreshes': '1',
    });
    expect(service.budget().remaining).toBe(1);
    expect((await post(paths.refreshNfts(), { nft_metadata: [item('1')] })).status).toBe(202);
    const refused = await post(at.refreshCollection(), body);
    expect(refused.status).toBe(429);
    expect(errorOf(refused).code).toBe('TOO_MANY_REQUESTS_ERROR');
    expect(refused.headers['imx-remaining-refreshes']).toBe('0');
    expect(service.pendingPushes()).toBe(2);
  });

  it("collectionRefresh 'separate': never spends, never a 429, no rate-limit headers", async () => {
    const { post, service } = setup({
      limits: { refreshesPerHour: 1, collectionRefresh: 'separate' },
    });
    service.setRemainingRefreshes(0);
    const res = await post(at.refreshCollection(), { collection_metadata: collectionMetadata() });
    expect(res.status).toBe(200);
    expect(res.headers).toEqual({});
    expect(service.budget().remaining).toBe(0);
    expect(() => setup({ limits: { collectionRefresh: 'free' as never } })).toThrow(
      /collectionRefresh/,
    );
  });
});

describe('a key is asked only of the refreshes', () => {
  it('the three reads are public', async () => {
    const { call, service } = setup();
    service.mint(COLLECTION, [{ tokenId: '1', name: 'a' }]);
    for (const path of [at.metadata(STACK_1), at.metadataList(), at.collection()]) {
      expect((await call({ method: 'GET', path, headers: {} })).status).toBe(200);
    }
  });
});
