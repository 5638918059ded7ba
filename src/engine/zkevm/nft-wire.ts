/** The records in the wire forms the reads answer: NFTs, stacked metadata, collections. */
import type { CollectionState, NftRecord, StackRecord } from './state.js';

/** The chain as an NFT names it. */
export interface ChainWire {
  id: string;
  name: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The NFT as the platform sends it; `external_link` repeats `external_url` (its old name). */
export function nftToWire(nft: NftRecord, collection: CollectionState, chain: ChainWire) {
  const f = nft.fields;
  return {
    chain: { id: chain.id, name: chain.name },
    token_id: nft.tokenId,
    contract_address: collection.address,
    contract_type: collection.contractType,
    indexed_at: iso(nft.indexedAtMs),
    updated_at: iso(nft.updatedAtMs),
    metadata_synced_at: nft.metadataSyncedAtMs === null ? null : iso(nft.metadataSyncedAtMs),
    metadata_id: nft.metadataId,
    name: f.name,
    description: f.description,
    image: f.image,
    external_link: f.external_url,
    external_url: f.external_url,
    animation_url: f.animation_url,
    youtube_url: f.youtube_url,
    attributes: (f.attributes ?? []).map((a) => ({ ...a })),
    total_supply: null,
  };
}

/**
 * A stacked metadata as `GetMetadata` and `ListMetadata` answer it. The OpenAPI file requires
 * `external_link` and defines `external_url`: both are sent, as on an NFT.
 */
export function stackToWire(stack: StackRecord, collection: CollectionState, chain: ChainWire) {
  const f = stack.fields;
  return {
    id: stack.id,
    chain: { id: chain.id, name: chain.name },
    contract_address: collection.address,
    created_at: iso(stack.createdAtMs),
    updated_at: iso(stack.updatedAtMs),
    name: f.name,
    description: f.description,
    image: f.image,
    external_link: f.external_url,
    external_url: f.external_url,
    animation_url: f.animation_url,
    youtube_url: f.youtube_url,
    attributes: f.attributes === null ? null : f.attributes.map((a) => ({ ...a })),
  };
}

/**
 * A collection as `GetCollection` answers it. The OpenAPI file requires `metadata_uri` without
 * defining it: it is sent as `contract_uri`'s other name (the URI of the collection's metadata).
 */
export function collectionToWire(collection: CollectionState, chain: ChainWire) {
  const m = collection.metadata;
  return {
    chain: { id: chain.id, name: chain.name },
    name: m.name,
    symbol: m.symbol,
    contract_type: collection.contractType,
    contract_address: collection.address,
    description: m.description,
    image: m.image,
    external_link: m.external_link,
    contract_uri: m.contract_uri,
    metadata_uri: m.contract_uri,
    base_uri: m.base_uri,
    verification_status: collection.verificationStatus,
    indexed_at: iso(collection.indexedAtMs),
    updated_at: iso(collection.updatedAtMs),
    metadata_synced_at:
      collection.metadataSyncedAtMs === null ? null : iso(collection.metadataSyncedAtMs),
  };
}
