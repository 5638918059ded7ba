/** An NFT record in the wire form `GetNFT` and `ListNFTs` answer. */
import type { CollectionState, NftRecord } from './state.js';

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
