/**
 * The token-id, count and byte-limit checks of a zkEVM push, at their exact edges: what is
 * within the platform's limits is sent, one item or one byte more is refused before sending,
 * with a message that says what to change.
 *
 * One branch of these checks cannot be reached, so its mutants are equivalent (they survive
 * `npm run mutation` and are left in the source): the empty hint of a stacked-metadata list over
 * 228 KiB (10 items of at most 16 KiB each are under 161 KiB).
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, NotFoundError } from '../../src/index.js';
import { rejection } from '../support/errors.js';
import { CONTRACT, useZkEvm } from '../support/zkevm-engine.js';

// The platform's numbers, written out: read from limits.ts they would follow a mutated constant.
const ITEM_LIMIT = 16_384;
const LIST_LIMIT = 233_472;

/** The item as it is sent: all seven fields, the omitted ones as null. */
const wire = (tokenId: string, description: string) => ({
  token_id: tokenId,
  name: null,
  description,
  image: null,
  external_url: null,
  animation_url: null,
  youtube_url: null,
  attributes: null,
});
const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');
/** An NFT whose item is exactly `bytes` long as sent. */
const sized = (tokenId: string, bytes: number) => ({
  tokenId,
  description: 'd'.repeat(bytes - bytesOf(wire(tokenId, ''))),
});
const nfts = (n: number) => Array.from({ length: n }, (_, i) => ({ tokenId: String(i + 1) }));

describe('checks of a zkEVM push', () => {
  const api = useZkEvm();
  const posts = () => api.requests.filter((r) => r.method === 'POST');

  async function refused(nftsInput: unknown) {
    const error = await rejection(
      api.client().refreshNftMetadata({ contractAddress: CONTRACT, nfts: nftsInput as never }),
    );
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(posts()).toEqual([]);
    return error.message;
  }

  it('pushes an NFT of exactly 16 KiB as sent, and refuses one a byte larger', async () => {
    const edge = sized('1', ITEM_LIMIT);
    expect(bytesOf(wire('1', edge.description))).toBe(ITEM_LIMIT);
    await api.client().refreshNftMetadata({ contractAddress: CONTRACT, nfts: [edge] });
    expect(posts()).toHaveLength(1);
    api.requests.length = 0;
    expect(await refused([sized('7', ITEM_LIMIT + 1)])).toBe(
      `nfts[0] (tokenId 7) is ${ITEM_LIMIT + 1} bytes as sent; one item may be at most ${ITEM_LIMIT}`,
    );
  });

  it('pushes a list of exactly 228 KiB as sent, and refuses one a byte larger', async () => {
    // 14 items of 16 KiB, the brackets and 14 commas; the 15th fills the list to the byte.
    const full = Array.from({ length: 14 }, (_, i) => sized(String(i + 1), ITEM_LIMIT));
    const rest = LIST_LIMIT - (2 + 14 * ITEM_LIMIT + 14);
    await api
      .client()
      .refreshNftMetadata({ contractAddress: CONTRACT, nfts: [...full, sized('15', rest)] });
    expect(posts()).toHaveLength(1);
    const sent = posts()[0]?.body as { nft_metadata: unknown[] } | undefined;
    expect(bytesOf(sent?.nft_metadata)).toBe(LIST_LIMIT);
    api.requests.length = 0;
    expect(await refused([...full, sized('15', rest + 1)])).toBe(
      `nfts is ${LIST_LIMIT + 1} bytes as sent; one request may carry at most ${LIST_LIMIT} (refreshNftsMetadata splits by size)`,
    );
  });

  it('pushes 250 NFTs in one request, and refuses 251 pointing to the call that splits', async () => {
    await api.client().refreshNftMetadata({ contractAddress: CONTRACT, nfts: nfts(250) });
    expect(posts()).toHaveLength(1);
    api.requests.length = 0;
    expect(await refused(nfts(251))).toBe(
      'nfts holds 251 items; one request takes at most 250 (refreshNftsMetadata splits any number)',
    );
  });

  it('sends 10 stacks in one request, and refuses 11', async () => {
    const uuid = (n: number) => `7f1d9c36-6a1c-4f40-9d0e-${String(n).padStart(12, '0')}`;
    const zk = api.client();
    const stacks = (n: number) => Array.from({ length: n }, (_, i) => ({ metadataId: uuid(i) }));
    // The engine knows none of these stacks (404): what matters here is that the push left.
    await expect(
      zk.refreshStackedMetadata({ contractAddress: CONTRACT, metadata: stacks(10) }),
    ).rejects.toThrow(NotFoundError);
    expect(posts()).toHaveLength(1);
    await expect(
      zk.refreshStackedMetadata({ contractAddress: CONTRACT, metadata: stacks(11) }),
    ).rejects.toThrow(/^metadata holds 11 items; one request takes at most 10$/);
  });

  it.each<[string, unknown, string]>([
    ['a list that is not an array', { tokenId: '1' }, 'nfts must be an array'],
    ['an empty list', [], 'nfts must hold at least 1 item'],
    [
      'an item that is not an object',
      [{ tokenId: '1' }, '2'],
      'nfts[1] must be an object { tokenId, name, ... }',
    ],
    [
      'a token id with a leading zero',
      [{ tokenId: '01' }],
      'nfts[0].tokenId must be a uint256 in decimal digits, without sign or leading zeros, got "01"',
    ],
    [
      'a token id that is a number',
      [{ tokenId: '1' }, { tokenId: 2 }],
      'nfts[1].tokenId must be a string, got 2',
    ],
    [
      'a token id past 2^256 - 1',
      [{ tokenId: (2n ** 256n).toString() }],
      `nfts[0].tokenId must be at most 2^256 - 1, got "${(2n ** 256n).toString()}"`,
    ],
    [
      'a token id named twice',
      [{ tokenId: '3' }, { tokenId: '4' }, { tokenId: '3' }],
      'nfts[2].tokenId "3" repeats nfts[0]; name each once',
    ],
  ])('refuses %s, naming it', async (_name, input, message) => {
    expect(await refused(input)).toBe(message);
  });

  it('names the first repeat of an id, however often it repeats', async () => {
    expect(
      await refused([{ tokenId: '5' }, { tokenId: '6' }, { tokenId: '5' }, { tokenId: '5' }]),
    ).toBe('nfts[2].tokenId "5" repeats nfts[0]; name each once');
  });

  it('names every NFT of refreshNftsMetadata by its place in the whole list', async () => {
    const error = await rejection(
      api.client().refreshNftsMetadata({
        contractAddress: CONTRACT,
        nfts: [...nfts(300), { tokenId: '-1' }],
      }),
    );
    expect(error.message).toBe(
      'nfts[300].tokenId must be a uint256 in decimal digits, without sign or leading zeros, got "-1"',
    );
  });
});
