import { describe, expect, it } from 'vitest';
import { emptyFields } from '../../src/engine/zkevm/metadata.js';
import { MAX_ITEM_BYTES, MAX_LIST_BYTES, wireByteLength } from '../../src/wire/zkevm/limits.js';
import {
  type NftMetadataRefresh,
  nftFromWire,
  nftMetadataRefreshToWire,
  stackedMetadataRefreshToWire,
  zkEvmErrorFromWire,
} from '../../src/wire/zkevm/mappers.js';
import {
  getNftResultSchema,
  nftMetadataItemSchema,
  refreshNftMetadataRequestSchema,
  refreshStackedMetadataRequestSchema,
  zkEvmErrorBodySchema,
} from '../../src/wire/zkevm/schemas.js';

const EMPTY = emptyFields();
const item = (tokenId: string, extra: Record<string, unknown> = {}) => ({
  token_id: tokenId,
  ...EMPTY,
  ...extra,
});
const firstMessage = (result: { success: boolean; error?: { issues: { message: string }[] } }) =>
  result.error?.issues[0]?.message;

describe('refresh request schemas', () => {
  it('accepts the seven keys as null or typed values', () => {
    const body = {
      nft_metadata: [
        item('1', {
          name: 'Sword',
          attributes: [
            { trait_type: 'Level', value: 3, display_type: 'number' },
            { trait_type: 'Rare', value: true },
            { trait_type: 'Kind', value: 'blade', display_type: null },
          ],
        }),
      ],
    };
    expect(refreshNftMetadataRequestSchema.parse(body)).toEqual(body);
  });

  it('requires every metadata key, refuses unknown keys and bad values', () => {
    const { youtube_url: _, ...missing } = item('1');
    expect(nftMetadataItemSchema.safeParse(missing).success).toBe(false);
    expect(nftMetadataItemSchema.safeParse(item('1', { externalUrl: 'x' })).success).toBe(false);
    expect(firstMessage(nftMetadataItemSchema.safeParse(item('01')))).toContain('leading zeros');
    expect(
      nftMetadataItemSchema.safeParse(
        item('1', { attributes: [{ trait_type: 'a', value: 1, display_type: 'percent' }] }),
      ).success,
    ).toBe(false);
    expect(
      nftMetadataItemSchema.safeParse(item('1', { attributes: [{ trait_type: 'a', value: null }] }))
        .success,
    ).toBe(false);
  });

  it('holds 1 to 250 items and 1 to 10 stacked items', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => item(String(i)));
    expect(refreshNftMetadataRequestSchema.safeParse({ nft_metadata: [] }).success).toBe(false);
    expect(refreshNftMetadataRequestSchema.safeParse({ nft_metadata: ids(250) }).success).toBe(
      true,
    );
    expect(
      firstMessage(refreshNftMetadataRequestSchema.safeParse({ nft_metadata: ids(251) })),
    ).toBe('nft_metadata must hold at most 250 items');
    const stacked = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        metadata_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        ...EMPTY,
      }));
    expect(refreshStackedMetadataRequestSchema.safeParse({ metadata: stacked(10) }).success).toBe(
      true,
    );
    expect(refreshStackedMetadataRequestSchema.safeParse({ metadata: stacked(11) }).success).toBe(
      false,
    );
    expect(
      firstMessage(
        refreshStackedMetadataRequestSchema.safeParse({
          metadata: [{ metadata_id: 'not-a-uuid', ...EMPTY }],
        }),
      ),
    ).toBe('metadata_id must be a UUID');
  });

  it('limits an item to 16 KiB and the list to 228 KiB, to the byte', () => {
    const sized = (tokenId: string, bytes: number) => {
      const base = item(tokenId, { description: '' });
      return item(tokenId, { description: 'd'.repeat(bytes - wireByteLength(base)) });
    };
    expect(wireByteLength(sized('1', MAX_ITEM_BYTES))).toBe(MAX_ITEM_BYTES);
    expect(nftMetadataItemSchema.safeParse(sized('1', MAX_ITEM_BYTES)).success).toBe(true);
    expect(firstMessage(nftMetadataItemSchema.safeParse(sized('1', MAX_ITEM_BYTES + 1)))).toBe(
      `must be at most ${MAX_ITEM_BYTES} bytes as JSON`,
    );
    // 14 full items of 16 KiB plus one sized to land the list exactly on 228 KiB.
    const full = Array.from({ length: 14 }, (_, i) => sized(String(i), MAX_ITEM_BYTES));
    const rest = MAX_LIST_BYTES - wireByteLength(full) - 1; // the comma before the last item
    const list = [...full, sized('99', rest)];
    expect(wireByteLength(list)).toBe(MAX_LIST_BYTES);
    expect(refreshNftMetadataRequestSchema.safeParse({ nft_metadata: list }).success).toBe(true);
    const over = [...full, sized('99', rest + 1)];
    expect(firstMessage(refreshNftMetadataRequestSchema.safeParse({ nft_metadata: over }))).toBe(
      `nft_metadata must be at most ${MAX_LIST_BYTES} bytes as JSON`,
    );
  });
});

describe('mappers', () => {
  const refresh: NftMetadataRefresh = {
    tokenId: '7',
    name: 'Shield',
    description: null,
    image: 'https://img.test/7.png',
    externalUrl: 'https://game.test/7',
    animationUrl: null,
    youtubeUrl: null,
    attributes: [
      { traitType: 'Level', value: 2, displayType: 'number' },
      { traitType: 'Colour', value: 'red' },
    ],
  };

  it('sends camelCase input as a valid snake_case item', () => {
    const wire = nftMetadataRefreshToWire(refresh);
    expect(wire).toEqual({
      token_id: '7',
      name: 'Shield',
      description: null,
      image: 'https://img.test/7.png',
      external_url: 'https://game.test/7',
      animation_url: null,
      youtube_url: null,
      attributes: [
        { trait_type: 'Level', value: 2, display_type: 'number' },
        { trait_type: 'Colour', value: 'red' },
      ],
    });
    expect(nftMetadataItemSchema.parse(wire)).toEqual(wire);
    const { tokenId: _, ...fields } = refresh;
    const id = '4e28df8d-f65c-4c11-ba04-6a9dd47b179b';
    expect(stackedMetadataRefreshToWire({ ...fields, metadataId: id })).toEqual({
      ...wire,
      token_id: undefined,
      metadata_id: id,
    });
  });

  it('reads an NFT tolerantly into camelCase', () => {
    const body = getNftResultSchema.parse({
      result: {
        chain: { id: 'eip155:13473', name: 'imtbl-zkevm-testnet' },
        token_id: '7',
        contract_address: '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e',
        contract_type: 'ERC721',
        indexed_at: '2022-08-16T17:43:26.991388Z',
        updated_at: '2022-08-16T17:43:26.991388Z',
        metadata_synced_at: null,
        name: 'Shield',
        description: null,
        image: null,
        external_link: 'https://game.test/7',
        animation_url: null,
        youtube_url: null,
        attributes: [{ trait_type: 'Level', value: 2, display_type: 'number' }],
        a_field_added_later: 1,
      },
    });
    expect(nftFromWire(body.result)).toMatchObject({
      tokenId: '7',
      contractType: 'ERC721',
      metadataId: null,
      metadataSyncedAt: null,
      externalUrl: 'https://game.test/7',
      attributes: [{ traitType: 'Level', value: 2, displayType: 'number' }],
      totalSupply: null,
    });
  });

  it('reads an error body', () => {
    const wire = zkEvmErrorBodySchema.parse({
      message: 'slow down',
      link: 'https://docs.immutable.com/zkevm/api/reference/',
      trace_id: 'e476',
      code: 'TOO_MANY_REQUESTS_ERROR',
      details: null,
    });
    expect(zkEvmErrorFromWire(wire)).toEqual({
      code: 'TOO_MANY_REQUESTS_ERROR',
      message: 'slow down',
      link: 'https://docs.immutable.com/zkevm/api/reference/',
      traceId: 'e476',
      details: null,
    });
  });
});
