import { describe, expect, it } from 'vitest';
import { MAX_ITEM_BYTES } from '../../src/wire/zkevm/limits.js';
import { metadataPushFromJson } from '../../src/wire/zkevm/mappers.js';
import { CONTRACT, useZkEvm } from '../support/zkevm-engine.js';

describe('metadataPushFromJson', () => {
  it('maps the wire shape to a camelCase push item; omitted keys become null (cleared)', () => {
    const result = metadataPushFromJson({
      token_id: '42',
      name: 'Hero',
      external_url: 'https://game.example/42',
      attributes: [
        { trait_type: 'Level', value: 7, display_type: 'number' },
        { trait_type: 'Class', value: 'mage' },
      ],
    });
    expect(result).toEqual({
      ok: true,
      ignoredKeys: [],
      nft: {
        tokenId: '42',
        name: 'Hero',
        description: null,
        image: null,
        externalUrl: 'https://game.example/42',
        animationUrl: null,
        youtubeUrl: null,
        attributes: [
          { traitType: 'Level', value: 7, displayType: 'number' },
          { traitType: 'Class', value: 'mage' },
        ],
      },
    });
  });

  describe('through the client', () => {
    const api = useZkEvm();
    it('gives an item the client pushes as it is, and the NFT reads back the same', async () => {
      const result = metadataPushFromJson({
        token_id: '5',
        name: 'Hero',
        image: 'https://img.test/5.png',
        attributes: [{ trait_type: 'Level', value: 3, display_type: 'number' }],
      });
      if (!result.ok) throw new Error(result.problem);
      const zk = api.client();
      await zk.refreshNftMetadata({ contractAddress: CONTRACT, nfts: [result.nft] });
      await api.service.settled();
      expect(await zk.getNft({ contractAddress: CONTRACT, tokenId: '5' })).toMatchObject({
        name: 'Hero',
        image: 'https://img.test/5.png',
        attributes: [{ traitType: 'Level', value: 3, displayType: 'number' }],
      });
    });
  });

  it.each([
    [[1], 'must be a JSON object'],
    [null, 'must be a JSON object'],
    [{ name: 'x' }, 'token_id is required'],
    [{ token_id: '01' }, 'token_id must be a uint256 in decimal digits'],
    [{ token_id: 1 }, 'token_id must be a string'],
    [{ token_id: '1', name: 3 }, 'name must be a string or null'],
    [{ token_id: '1', imageUrl: 'x' }, 'has an unknown key "imageUrl"'],
    [{ token_id: '1', attributes: {} }, 'attributes must be an array or null'],
    [
      { token_id: '1', attributes: [{ trait_type: 'a', value: {} }] },
      'attributes[0]: value must be a string, a number or a boolean',
    ],
    [
      { token_id: '1', attributes: [{ trait_type: 'a', value: 1, display_type: 'big' }] },
      'attributes[0]: display_type must be one of',
    ],
    [
      { token_id: '1', attributes: [{ trait_type: 'a', value: 1, traitType: 'a' }] },
      'attributes[0]',
    ],
    [
      { token_id: '1', description: 'x'.repeat(MAX_ITEM_BYTES) },
      `must be at most ${MAX_ITEM_BYTES} bytes`,
    ],
  ])('refuses %j: %s', (value, problem) => {
    const result = metadataPushFromJson(value);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.problem).toContain(problem);
  });

  it('with tokenId: takes the id from the caller, and refuses a document naming another', () => {
    expect(metadataPushFromJson({ name: 'x' }, { tokenId: '7' })).toMatchObject({
      ok: true,
      nft: { tokenId: '7', name: 'x' },
    });
    expect(metadataPushFromJson({ token_id: '7', name: 'x' }, { tokenId: '7' }).ok).toBe(true);
    expect(metadataPushFromJson({ token_id: '8' }, { tokenId: '7' })).toEqual({
      ok: false,
      problem: 'token_id "8" is not the token it was read for (7)',
    });
  });

  it("unknownKeys 'ignore': pushes the known keys and lists the others", () => {
    expect(
      metadataPushFromJson(
        { name: 'x', image_url: 'https://x/1.png', level: 3 },
        { tokenId: '1', unknownKeys: 'ignore' },
      ),
    ).toMatchObject({
      ok: true,
      nft: { name: 'x', image: null },
      ignoredKeys: ['image_url', 'level'],
    });
  });
});
