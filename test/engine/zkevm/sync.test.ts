import { describe, expect, it } from 'vitest';
import { createZkEvmService } from '../../../src/engine/zkevm/service.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { COLLECTION, item, KEY, paths, START, setup, stackedItem } from './harness.js';

const sword = {
  name: 'Sword',
  description: 'Sharp',
  image: 'https://img.test/sword.png',
  external_url: 'https://game.test/sword',
  animation_url: null,
  youtube_url: null,
  attributes: [{ trait_type: 'Level', value: 1, display_type: 'number' }],
};

const nftBody = (res: { body: unknown }) =>
  (res.body as { result: Record<string, unknown> }).result;

describe('a push takes effect after syncDelayMs, by the clock', () => {
  it('shows nothing before the delay, everything after, and stamps metadata_synced_at', async () => {
    const { post, get, clock } = setup({ syncDelayMs: 1_000 });
    expect((await post(paths.refreshNfts(), { nft_metadata: [item('5', sword)] })).status).toBe(
      202,
    );
    clock.advance(999);
    expect(nftBody(await get(paths.nft('5')))).toMatchObject({
      name: null,
      metadata_synced_at: null,
    });
    clock.advance(1);
    expect(nftBody(await get(paths.nft('5')))).toMatchObject({
      ...sword,
      external_link: sword.external_url,
      metadata_synced_at: new Date(START + 1_000).toISOString(),
      metadata_id: '00000000-0000-4000-8000-000000000001',
    });
  });

  it('settled() waits through the clock until every push is in effect', async () => {
    const { post, service, clock } = setup({ syncDelayMs: 700 });
    await post(paths.refreshNfts(), { nft_metadata: [item('1', sword)] });
    clock.advance(300);
    await post(paths.refreshNfts(), { nft_metadata: [item('2', sword)] });
    expect(service.pendingPushes()).toBe(2);
    await service.settled();
    expect(clock.sleeps).toEqual([400, 300]);
    expect(service.pendingPushes()).toBe(0);
    expect(service.nft(COLLECTION, '2')?.metadataSyncedAt).toBe(
      new Date(START + 1_000).toISOString(),
    );
  });

  it('settled() ends even when the clock does not move on sleep', async () => {
    const frozen = { now: () => START, sleep: async () => {} };
    const service = createZkEvmService({ apiKey: KEY, clock: frozen, syncDelayMs: 5_000 });
    await service.handle({
      method: 'POST',
      path: paths.refreshNfts(),
      headers: { 'x-immutable-api-key': KEY },
      body: JSON.stringify({ nft_metadata: [item('1', sword)] }),
    });
    await service.settled();
    expect(service.nft(COLLECTION, '1')?.name).toBe('Sword');
  });

  it('applies pushes in the order they were accepted', async () => {
    const { post, service } = setup({ syncDelayMs: 0 });
    await post(paths.refreshNfts(), { nft_metadata: [item('1', { name: 'a' })] });
    await post(paths.refreshNfts(), { nft_metadata: [item('1', { name: 'b' })] });
    expect(service.nft(COLLECTION, '1')?.name).toBe('b');
  });

  it('clears a field pushed as null by default, and can keep it instead', async () => {
    for (const [nullFields, expected] of [
      ['clear', null],
      ['keep', 'Sharp'],
    ] as const) {
      const { post, service } = setup({ nullFields, syncDelayMs: 0 });
      service.mint(COLLECTION, [{ tokenId: '1', name: 'Sword', description: 'Sharp' }]);
      await post(paths.refreshNfts(), { nft_metadata: [item('1', { name: 'Sword+1' })] });
      const nft = service.nft(COLLECTION, '1');
      expect(nft?.name).toBe('Sword+1');
      expect(nft?.description).toBe(expected);
    }
  });

  it('reset() forgets pushes, NFTs and spending', async () => {
    const { post, service } = setup({ collections: [{ address: COLLECTION, tokenIds: ['1'] }] });
    await post(paths.refreshNfts(), { nft_metadata: [item('1', sword)] });
    service.mint(COLLECTION, [{ tokenId: '2' }]);
    service.reset();
    expect(service.pendingPushes()).toBe(0);
    await service.settled();
    expect(service.nft(COLLECTION, '1')?.name).toBeNull();
    expect(service.nft(COLLECTION, '2')).toBeUndefined();
    expect(service.budget().remaining).toBe(100);
  });
});

describe('stacked metadata', () => {
  it('gives NFTs minted with identical metadata one metadata_id, and others their own', async () => {
    const { service } = setup();
    service.mint(COLLECTION, [
      { tokenId: '1', name: 'Potion', attributes: [{ traitType: 'Heal', value: 10 }] },
      { tokenId: '2', name: 'Potion', attributes: [{ traitType: 'Heal', value: 10 }] },
      { tokenId: '3', name: 'Elixir' },
      { tokenId: '4' },
    ]);
    const ids = ['1', '2', '3', '4'].map((id) => service.nft(COLLECTION, id)?.metadataId);
    expect(ids).toEqual([
      '00000000-0000-4000-8000-000000000001',
      '00000000-0000-4000-8000-000000000001',
      '00000000-0000-4000-8000-000000000002',
      null,
    ]);
    expect(service.nft(COLLECTION, '1')?.metadataSyncedAt).toBe(new Date(START).toISOString());
  });

  it('updates every NFT of a stack by its metadata_id, and only them', async () => {
    const { post, service, clock } = setup({ syncDelayMs: 200 });
    service.mint(COLLECTION, [
      { tokenId: '1', name: 'Potion' },
      { tokenId: '2', name: 'Potion' },
      { tokenId: '3', name: 'Elixir' },
    ]);
    const stack = service.nft(COLLECTION, '1')?.metadataId as string;
    clock.advance(1_000);
    const res = await post(paths.refreshStacks(), {
      metadata: [stackedItem(stack.toUpperCase(), { name: 'Greater Potion' })],
    });
    expect(res.status).toBe(202);
    expect(service.nft(COLLECTION, '1')?.name).toBe('Potion');
    await service.settled();
    for (const id of ['1', '2']) {
      expect(service.nft(COLLECTION, id)).toMatchObject({
        name: 'Greater Potion',
        metadataId: stack,
        metadataSyncedAt: new Date(START + 1_200).toISOString(),
      });
    }
    expect(service.nft(COLLECTION, '3')).toMatchObject({
      name: 'Elixir',
      metadataSyncedAt: new Date(START).toISOString(),
    });
  });

  it('moves an NFT refreshed by token id to the stack of its new metadata', async () => {
    const { post, service } = setup({ syncDelayMs: 0 });
    service.mint(COLLECTION, [
      { tokenId: '1', name: 'Potion' },
      { tokenId: '2', name: 'Potion' },
      { tokenId: '3', name: 'Elixir' },
    ]);
    const potion = service.nft(COLLECTION, '1')?.metadataId;
    const elixir = service.nft(COLLECTION, '3')?.metadataId;
    await post(paths.refreshNfts(), { nft_metadata: [item('2', { name: 'Elixir' })] });
    expect(service.nft(COLLECTION, '2')?.metadataId).toBe(elixir);
    await post(paths.refreshStacks(), {
      metadata: [stackedItem(potion as string, { name: 'Old' })],
    });
    expect(service.nft(COLLECTION, '1')?.name).toBe('Old');
    expect(service.nft(COLLECTION, '2')?.name).toBe('Elixir');
  });

  it('answers an unknown metadata id 404 and a duplicate 400, at no cost', async () => {
    const { post, service } = setup();
    service.mint(COLLECTION, [{ tokenId: '1', name: 'Potion' }]);
    const stack = service.nft(COLLECTION, '1')?.metadataId as string;
    const unknown = await post(paths.refreshStacks(), {
      metadata: [stackedItem(stack), stackedItem('4e28df8d-f65c-4c11-ba04-6a9dd47b179b')],
    });
    expect(unknown.status).toBe(404);
    expect((unknown.body as { details: unknown }).details).toEqual({
      metadata_ids: ['4e28df8d-f65c-4c11-ba04-6a9dd47b179b'],
    });
    const twice = await post(paths.refreshStacks(), {
      metadata: [stackedItem(stack), stackedItem(stack.toUpperCase())],
    });
    expect((twice.body as { details: unknown }).details).toEqual({
      field: 'metadata[1].metadata_id',
    });
    const eleven = await post(paths.refreshStacks(), {
      metadata: Array.from({ length: 11 }, () => stackedItem(stack)),
    });
    expect((eleven.body as { message: string }).message).toBe(
      'metadata: metadata must hold at most 10 items',
    );
    expect(service.budget().remaining).toBe(100);
  });
});

describe('test controls', () => {
  it('refuse bad input instead of corrupting state', () => {
    const { service } = setup({ collections: [{ address: COLLECTION }] });
    expect(() => service.mint('0x1', [{ tokenId: '1' }])).toThrow(TypeError);
    expect(() => service.mint(COLLECTION, [{ tokenId: '01' }])).toThrow('leading zeros');
    expect(() => service.mint(`0x${'ab'.repeat(20)}`, [{ tokenId: '1' }])).toThrow(
      'not configured',
    );
    expect(service.nft(COLLECTION, 'x')).toBeUndefined();
    expect(() => setup({ collections: [{ address: COLLECTION, tokenIds: ['-1'] }] })).toThrow(
      TypeError,
    );
    expect(() => setup({ syncDelayMs: -1 })).toThrow(InvalidOptionError);
    expect(() => setup({ limits: { refreshesPerHour: 0 } })).toThrow(InvalidOptionError);
  });
});
