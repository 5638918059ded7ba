/**
 * The one rule of "same metadata" (the sync's drift, the scheduler's "shows the push"): unit
 * cases for each decision, and a property: whatever metadata the push checks accept reads back
 * from the reference engine as the same canonical metadata.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toNftWireItems } from '../../src/client/zkevm-validate.js';
import {
  canonicalMetadata,
  METADATA_FIELDS,
  metadataDrift,
  type NftMetadata,
} from '../../src/index.js';
import { CONTRACT, useZkEvm } from '../support/zkevm-engine.js';

const base: NftMetadata = {
  name: 'Hero',
  description: null,
  image: 'https://game.test/1.png',
  externalUrl: null,
  animationUrl: null,
  youtubeUrl: null,
  attributes: [{ traitType: 'Level', value: 7, displayType: 'number' }],
};

describe('metadataDrift', () => {
  it('null, a missing field and "" are alike; so are no attributes, null and []', () => {
    expect(metadataDrift(base, { ...base, description: '' })).toEqual([]);
    const { description: _, ...missing } = base;
    expect(metadataDrift(base, missing)).toEqual([]);
    expect(metadataDrift({ ...base, attributes: null }, { ...base, attributes: [] })).toEqual([]);
    expect(metadataDrift({ ...base, attributes: [] }, { name: 'Hero', image: base.image })).toEqual(
      [],
    );
  });

  it('a missing displayType is null; another display type differs', () => {
    const plain = { ...base, attributes: [{ traitType: 'Class', value: 'mage' }] };
    expect(
      metadataDrift(plain, {
        ...base,
        attributes: [{ traitType: 'Class', value: 'mage', displayType: null }],
      }),
    ).toEqual([]);
    expect(
      metadataDrift(base, {
        ...base,
        attributes: [{ traitType: 'Level', value: 7, displayType: 'boost_number' }],
      }),
    ).toEqual(['attributes']);
  });

  it('7 and "7" differ, true and "true" differ, 0 and -0 do not', () => {
    const withValue = (value: string | number | boolean) => ({
      ...base,
      attributes: [{ traitType: 'Level', value, displayType: 'number' as const }],
    });
    expect(metadataDrift(withValue(7), withValue('7'))).toEqual(['attributes']);
    expect(metadataDrift(withValue(true), withValue('true'))).toEqual(['attributes']);
    expect(metadataDrift(withValue(0), withValue(-0))).toEqual([]);
  });

  it('attribute order counts', () => {
    const two = [
      { traitType: 'Level', value: 7 },
      { traitType: 'Class', value: 'mage' },
    ];
    expect(
      metadataDrift({ ...base, attributes: two }, { ...base, attributes: [...two].reverse() }),
    ).toEqual(['attributes']);
  });

  it('names every differing field, in wire order', () => {
    const other: NftMetadata = {
      name: 'Villain',
      description: 'x',
      image: 'https://game.test/2.png',
      externalUrl: 'https://game.test',
      animationUrl: 'https://game.test/a.mp4',
      youtubeUrl: 'https://youtube.test/v',
      attributes: [],
    };
    expect(metadataDrift(base, other)).toEqual([...METADATA_FIELDS]);
    expect(canonicalMetadata({})).toEqual({
      name: null,
      description: null,
      image: null,
      externalUrl: null,
      animationUrl: null,
      youtubeUrl: null,
      attributes: [],
    });
  });
});

describe('canonical(pushed) is canonical(read back from the reference engine)', () => {
  const api = useZkEvm();
  const text = fc
    .option(fc.string({ maxLength: 40 }), { nil: undefined })
    .chain((s) => fc.constantFrom(s, null, ''));
  const attribute = fc.record(
    {
      traitType: fc.string({ minLength: 1, maxLength: 20 }),
      value: fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
      ),
      displayType: fc.constantFrom(
        'number',
        'boost_percentage',
        'boost_number',
        'date',
        null,
        undefined,
      ),
    },
    { requiredKeys: ['traitType', 'value'] },
  );
  const metadata = fc.record(
    {
      name: text,
      description: text,
      image: text,
      externalUrl: text,
      animationUrl: text,
      youtubeUrl: text,
      attributes: fc.option(fc.array(attribute, { maxLength: 6 }), { nil: undefined }),
    },
    { requiredKeys: [] },
  );

  it('for any metadata the push checks accept', async () => {
    const zk = api.client();
    let tokenId = 0;
    await fc.assert(
      fc.asyncProperty(metadata, async (m) => {
        tokenId += 1;
        const nft = { tokenId: String(tokenId), ...m };
        let accepted = true;
        try {
          toNftWireItems([nft], 1);
        } catch {
          accepted = false;
        }
        fc.pre(accepted);
        await zk.refreshNftMetadata({ contractAddress: CONTRACT, nfts: [nft as never] });
        await api.clock.sleep(1_000); // applied
        const back = await zk.getNft({ contractAddress: CONTRACT, tokenId: nft.tokenId });
        expect(metadataDrift(m as never, back)).toEqual([]);
      }),
      { numRuns: 60, seed: 20261208 },
    );
  });
});
