import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { chunkRefreshItems } from '../../src/wire/zkevm/chunk.js';
import {
  MAX_ITEM_BYTES,
  MAX_LIST_BYTES,
  MAX_NFTS_PER_REFRESH,
  MAX_STACKED_METADATA_PER_REFRESH,
  wireByteLength,
} from '../../src/wire/zkevm/limits.js';
import { refreshNftMetadataRequestSchema } from '../../src/wire/zkevm/schemas.js';

const item = (tokenId: string, description = '') => ({
  token_id: tokenId,
  name: null,
  description,
  image: null,
  external_url: null,
  animation_url: null,
  youtube_url: null,
  attributes: null,
});

describe('chunkRefreshItems', () => {
  it('splits by count: 251 items are 250 and 1', () => {
    const items = Array.from({ length: 251 }, (_, i) => item(String(i)));
    const { chunks } = chunkRefreshItems(items, MAX_NFTS_PER_REFRESH);
    expect(chunks.map((c) => c.length)).toEqual([250, 1]);
    expect(
      chunkRefreshItems(items.slice(0, 21), MAX_STACKED_METADATA_PER_REFRESH).chunks.map(
        (c) => c.length,
      ),
    ).toEqual([10, 10, 1]);
  });

  it('splits by bytes, filling a list to exactly 228 KiB', () => {
    const big = (id: string) => item(id, 'd'.repeat(MAX_ITEM_BYTES - wireByteLength(item(id))));
    const full = Array.from({ length: 14 }, (_, i) => big(String(i)));
    const rest = MAX_LIST_BYTES - wireByteLength(full) - 1;
    const last = item('99', 'd'.repeat(rest - wireByteLength(item('99'))));
    const { chunks } = chunkRefreshItems([...full, last, item('100')], MAX_NFTS_PER_REFRESH);
    expect(chunks.map((c) => c.length)).toEqual([15, 1]);
    expect(wireByteLength(chunks[0])).toBe(MAX_LIST_BYTES);
  });

  it('sets aside items no list can carry, keeping the others in order', () => {
    const huge = item('2', 'd'.repeat(MAX_ITEM_BYTES));
    const { chunks, oversized } = chunkRefreshItems([item('1'), huge, item('3')], 250);
    expect(chunks).toEqual([[item('1'), item('3')]]);
    expect(oversized).toEqual([huge]);
    expect(() => chunkRefreshItems([], 0)).toThrow(InvalidOptionError);
  });

  it('only makes lists the engine accepts, and loses nothing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 20_000 }), { maxLength: 60 }),
        fc.constantFrom(MAX_NFTS_PER_REFRESH, 7),
        (sizes, maxItems) => {
          const items = sizes.map((n, i) => item(String(i), 'x'.repeat(n)));
          const { chunks, oversized } = chunkRefreshItems(items, maxItems);
          expect([...chunks.flat(), ...oversized].length).toBe(items.length);
          expect(chunks.flat().map((i) => Number(i.token_id))).toEqual(
            [...chunks.flat()].map((i) => Number(i.token_id)).sort((a, b) => a - b),
          );
          for (const chunk of chunks) {
            expect(chunk.length).toBeLessThanOrEqual(maxItems);
            expect(refreshNftMetadataRequestSchema.safeParse({ nft_metadata: chunk }).success).toBe(
              true,
            );
          }
          for (const o of oversized) expect(wireByteLength(o)).toBeGreaterThan(MAX_ITEM_BYTES);
        },
      ),
      { numRuns: 100 },
    );
  });

  // The platform's numbers, written out: a test that read them from limits.ts would follow them.
  const ITEM_LIMIT = 16_384;
  const LIST_LIMIT = 233_472;
  /** Bytes as the platform counts them, measured here without the SDK's own function. */
  const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');
  const sized = (id: string, bytes: number) => item(id, 'd'.repeat(bytes - bytesOf(item(id))));

  it('sends an item of exactly 16 KiB, and sets aside one of a byte more', () => {
    const edge = sized('1', ITEM_LIMIT);
    const over = sized('2', ITEM_LIMIT + 1);
    expect([bytesOf(edge), bytesOf(over)]).toEqual([ITEM_LIMIT, ITEM_LIMIT + 1]);
    expect(chunkRefreshItems([edge, over], MAX_NFTS_PER_REFRESH)).toEqual({
      chunks: [[edge]],
      oversized: [over],
    });
  });

  it('starts a new list when one more byte would pass 228 KiB', () => {
    const full = Array.from({ length: 14 }, (_, i) => sized(String(i), ITEM_LIMIT));
    // 14 items, 13 commas and the brackets; then a comma and the last item. A list that left
    // out its commas would take the 1-byte-larger item too.
    const rest = LIST_LIMIT - (2 + 14 * ITEM_LIMIT + 13) - 1;
    const fits = chunkRefreshItems([...full, sized('99', rest)], MAX_NFTS_PER_REFRESH);
    expect(fits.chunks.map((c) => c.length)).toEqual([15]);
    expect(bytesOf(fits.chunks[0])).toBe(LIST_LIMIT);
    const spills = chunkRefreshItems([...full, sized('99', rest + 1)], MAX_NFTS_PER_REFRESH);
    expect(spills.chunks.map((c) => c.length)).toEqual([14, 1]);
    expect(spills.oversized).toEqual([]);
  });

  it('makes a list of each item when a request takes one', () => {
    const items = [item('1'), item('2'), item('3')];
    expect(chunkRefreshItems(items, 1).chunks).toEqual([[item('1')], [item('2')], [item('3')]]);
  });

  it('makes no request for nothing, nor for items that are all too big', () => {
    expect(chunkRefreshItems([], MAX_NFTS_PER_REFRESH)).toEqual({ chunks: [], oversized: [] });
    const huge = sized('1', ITEM_LIMIT + 1);
    expect(chunkRefreshItems([huge], MAX_NFTS_PER_REFRESH)).toEqual({
      chunks: [],
      oversized: [huge],
    });
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses %s items a request: a caller bug, not a size',
    (maxItems) => {
      expect(() => chunkRefreshItems([item('1')], maxItems)).toThrow(
        /^chunkRefreshItems: maxItems must be a positive integer, got /,
      );
    },
  );
});
