/** Metadata fields as the engine keeps them: normalised, comparable, merged by the null rule. */
import type { CollectionMetadataWire, MetadataFieldsWire } from '../../wire/zkevm/schemas.js';
import { COLLECTION_METADATA_KEYS, METADATA_KEYS } from '../../wire/zkevm/schemas.js';

/** Metadata with every field null: what an NFT has before anything is known of it. */
export function emptyFields(): MetadataFieldsWire {
  return {
    name: null,
    description: null,
    image: null,
    external_url: null,
    animation_url: null,
    youtube_url: null,
    attributes: null,
  };
}

/** A copy with keys in one order, attributes included, so equal metadata has equal JSON. */
export function normaliseFields(fields: MetadataFieldsWire): MetadataFieldsWire {
  return {
    name: fields.name,
    description: fields.description,
    image: fields.image,
    external_url: fields.external_url,
    animation_url: fields.animation_url,
    youtube_url: fields.youtube_url,
    attributes:
      fields.attributes?.map((a) =>
        a.display_type === undefined
          ? { trait_type: a.trait_type, value: a.value }
          : { trait_type: a.trait_type, value: a.value, display_type: a.display_type },
      ) ?? null,
  };
}

/** A key equal for equal metadata: what stacks NFTs under one metadata id. */
export function contentKey(fields: MetadataFieldsWire): string {
  return JSON.stringify(normaliseFields(fields));
}

/**
 * The metadata after a push. `clear`: the push replaces everything (null means none). `keep`:
 * a null field leaves the previous value.
 */
export function applyPush(
  previous: MetadataFieldsWire,
  pushed: MetadataFieldsWire,
  nullFields: 'clear' | 'keep',
): MetadataFieldsWire {
  const next = normaliseFields(pushed);
  if (nullFields === 'clear') return next;
  const merged = { ...next } as Record<string, unknown>;
  for (const key of METADATA_KEYS) if (next[key] === null) merged[key] = previous[key];
  return normaliseFields(merged as MetadataFieldsWire);
}

/** A collection's metadata with every field null. */
export function emptyCollectionFields(): CollectionMetadataWire {
  return {
    name: null,
    symbol: null,
    description: null,
    image: null,
    external_link: null,
    contract_uri: null,
    base_uri: null,
  };
}

/** A collection's metadata after a refresh, by the same null rule as an NFT push. */
export function applyCollectionPush(
  previous: CollectionMetadataWire,
  pushed: CollectionMetadataWire,
  nullFields: 'clear' | 'keep',
): CollectionMetadataWire {
  const next = { ...emptyCollectionFields() };
  for (const key of COLLECTION_METADATA_KEYS) {
    next[key] = pushed[key] === null && nullFields === 'keep' ? previous[key] : pushed[key];
  }
  return next;
}
