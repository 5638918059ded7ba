/**
 * The service's state: collections, their NFTs, stacked metadata, and pushes accepted but not
 * yet in effect. No routes and no HTTP here; time comes in as arguments.
 */
import type { CollectionMetadataWire, MetadataFieldsWire } from '../../wire/zkevm/schemas.js';
import {
  applyCollectionPush,
  applyPush,
  contentKey,
  emptyCollectionFields,
  emptyFields,
  normaliseFields,
} from './metadata.js';
import type { ZkEvmVerificationStatus } from './types.js';

/** One NFT. */
export interface NftRecord {
  tokenId: string;
  indexedAtMs: number;
  updatedAtMs: number;
  metadataSyncedAtMs: number | null;
  metadataId: string | null;
  fields: MetadataFieldsWire;
}

/** One stacked metadata: the fields every NFT with its id shares. */
export interface StackRecord {
  /** Lower case. */
  id: string;
  fields: MetadataFieldsWire;
  createdAtMs: number;
  updatedAtMs: number;
}

/** One collection and everything in it. */
export interface CollectionState {
  /** Lower case. */
  address: string;
  contractType: 'ERC721' | 'ERC1155';
  verificationStatus: ZkEvmVerificationStatus;
  /** The collection's own metadata (`GetCollection`). */
  metadata: CollectionMetadataWire;
  indexedAtMs: number;
  updatedAtMs: number;
  metadataSyncedAtMs: number | null;
  /** Minted token ids; undefined when every token id counts as minted. */
  minted: Set<string> | undefined;
  nfts: Map<string, NftRecord>;
  /** Stacked metadata by id, in creation order. */
  stacks: Map<string, StackRecord>;
  /** Stack id by content key, for stacking NFTs of identical metadata. */
  stackByContent: Map<string, string>;
  /** Token ids in numeric order; rebuilt after an NFT is added. */
  sortedIds: string[] | undefined;
}

/** A push accepted by a refresh, waiting for its `dueMs`. */
export type Push =
  | {
      kind: 'tokens';
      address: string;
      dueMs: number;
      items: Array<{ tokenId: string; fields: MetadataFieldsWire }>;
    }
  | {
      kind: 'stacks';
      address: string;
      dueMs: number;
      items: Array<{ metadataId: string; fields: MetadataFieldsWire }>;
    }
  | { kind: 'collection'; address: string; dueMs: number; fields: CollectionMetadataWire };

/** How a collection starts out. */
export interface CollectionSeed {
  address: string;
  contractType: 'ERC721' | 'ERC1155';
  tokenIds: string[] | undefined;
  metadata?: CollectionMetadataWire | undefined;
  verificationStatus?: ZkEvmVerificationStatus | undefined;
}

/** Options of {@link ZkEvmState}. */
export interface StateOptions {
  /** Undefined: every collection exists, every token id minted. */
  collections: CollectionSeed[] | undefined;
  nullFields: 'clear' | 'keep';
  generateId: () => string;
}

const byTokenId = (a: string, b: string) => {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** In-memory state of one project on one chain. */
export class ZkEvmState {
  #collections = new Map<string, CollectionState>();
  #pushes: Push[] = [];
  /** The latest time seen (by `reset` or `applyDue`): when a collection first seen is indexed. */
  #nowMs = 0;

  constructor(private readonly options: StateOptions) {}

  /** Back to the configured collections, each holding its configured NFTs without metadata. */
  reset(nowMs: number): void {
    this.#collections.clear();
    this.#pushes = [];
    this.#nowMs = nowMs;
    for (const seed of this.options.collections ?? []) {
      const collection = this.#create(seed.address, seed.contractType, seed.tokenIds);
      if (seed.metadata) collection.metadata = { ...seed.metadata };
      if (seed.verificationStatus) collection.verificationStatus = seed.verificationStatus;
      for (const tokenId of seed.tokenIds ?? []) this.#blankNft(collection, tokenId, nowMs);
    }
  }

  #create(address: string, contractType: CollectionState['contractType'], tokenIds?: string[]) {
    const collection: CollectionState = {
      address: address.toLowerCase(),
      contractType,
      verificationStatus: 'verified',
      metadata: emptyCollectionFields(),
      indexedAtMs: this.#nowMs,
      updatedAtMs: this.#nowMs,
      metadataSyncedAtMs: null,
      minted: tokenIds ? new Set(tokenIds) : undefined,
      nfts: new Map(),
      stacks: new Map(),
      stackByContent: new Map(),
      sortedIds: undefined,
    };
    this.#collections.set(collection.address, collection);
    return collection;
  }

  #blankNft(collection: CollectionState, tokenId: string, nowMs: number): NftRecord {
    const nft: NftRecord = {
      tokenId,
      indexedAtMs: nowMs,
      updatedAtMs: nowMs,
      metadataSyncedAtMs: null,
      metadataId: null,
      fields: emptyFields(),
    };
    collection.nfts.set(tokenId, nft);
    collection.sortedIds = undefined;
    return nft;
  }

  /** A collection by address (any case); without configured collections, every one exists. */
  collection(address: string): CollectionState | undefined {
    const lower = address.toLowerCase();
    const known = this.#collections.get(lower);
    if (known || this.options.collections) return known;
    return this.#create(lower, 'ERC721');
  }

  /** Whether a token id is minted in the collection. */
  isMinted(collection: CollectionState, tokenId: string): boolean {
    return collection.minted === undefined || collection.minted.has(tokenId);
  }

  /** A minted NFT (made on first sight when every id counts as minted), or undefined. */
  nft(collection: CollectionState, tokenId: string, nowMs: number): NftRecord | undefined {
    if (!this.isMinted(collection, tokenId)) return undefined;
    return collection.nfts.get(tokenId) ?? this.#blankNft(collection, tokenId, nowMs);
  }

  /** The NFTs that have a record, in numeric token id order. */
  sortedNfts(collection: CollectionState): NftRecord[] {
    collection.sortedIds ??= [...collection.nfts.keys()].sort(byTokenId);
    return collection.sortedIds.map((id) => collection.nfts.get(id) as NftRecord);
  }

  /** The stack id for this metadata, made (created at `nowMs`) when no stack holds it yet. */
  #stackFor(collection: CollectionState, fields: MetadataFieldsWire, nowMs: number): string {
    const key = contentKey(fields);
    let id = collection.stackByContent.get(key);
    if (id === undefined) {
      id = this.options.generateId().toLowerCase();
      collection.stackByContent.set(key, id);
      const stack = { id, fields: normaliseFields(fields), createdAtMs: nowMs, updatedAtMs: nowMs };
      collection.stacks.set(id, stack);
    }
    return id;
  }

  /** A stacked metadata by id (any case), or undefined. */
  stack(collection: CollectionState, metadataId: string): StackRecord | undefined {
    return collection.stacks.get(metadataId.toLowerCase());
  }

  /** The collection's stacks, in creation order. */
  stacks(collection: CollectionState): StackRecord[] {
    return [...collection.stacks.values()];
  }

  /** Mints NFTs with the given metadata, synced at `nowMs`; without metadata they have no stack. */
  mint(
    collection: CollectionState,
    nfts: Array<{ tokenId: string; fields: MetadataFieldsWire | undefined }>,
    nowMs: number,
  ): void {
    for (const { tokenId, fields } of nfts) {
      collection.minted?.add(tokenId);
      const nft = this.#blankNft(collection, tokenId, nowMs);
      if (fields) {
        nft.fields = normaliseFields(fields);
        nft.metadataId = this.#stackFor(collection, fields, nowMs);
        nft.metadataSyncedAtMs = nowMs;
      }
    }
  }

  /** Whether a metadata id names a stack of the collection. */
  hasStack(collection: CollectionState, metadataId: string): boolean {
    return collection.stacks.has(metadataId.toLowerCase());
  }

  /** Queues a push; it takes effect at its `dueMs`, in acceptance order among equal times. */
  enqueue(push: Push): void {
    const last = this.#pushes.at(-1);
    this.#pushes.push(push);
    // Stable: equal due times keep acceptance order. Only a clock set backwards gets here.
    if (last && last.dueMs > push.dueMs) this.#pushes.sort((a, b) => a.dueMs - b.dueMs);
  }

  /** How many pushes wait. */
  get pendingCount(): number {
    return this.#pushes.length;
  }

  /** When the next push is due, or undefined when none waits. */
  nextDueMs(): number | undefined {
    return this.#pushes[0]?.dueMs;
  }

  /** Applies every push due at or before `untilMs`, each stamped with its own due time. */
  applyDue(untilMs: number): void {
    this.#nowMs = Math.max(this.#nowMs, untilMs);
    while (this.#pushes.length > 0 && (this.#pushes[0] as Push).dueMs <= untilMs) {
      this.#apply(this.#pushes.shift() as Push);
    }
  }

  #apply(push: Push): void {
    const collection = this.collection(push.address);
    if (!collection) return;
    const at = push.dueMs;
    if (push.kind === 'collection') {
      collection.metadata = applyCollectionPush(
        collection.metadata,
        push.fields,
        this.options.nullFields,
      );
      collection.metadataSyncedAtMs = at;
      collection.updatedAtMs = at;
      return;
    }
    if (push.kind === 'tokens') {
      for (const { tokenId, fields } of push.items) {
        const nft = this.nft(collection, tokenId, at);
        if (!nft) continue;
        nft.fields = applyPush(nft.fields, fields, this.options.nullFields);
        // The NFT leaves its stack for the one holding its new metadata (made if none does).
        nft.metadataId = this.#stackFor(collection, nft.fields, at);
        nft.metadataSyncedAtMs = at;
        nft.updatedAtMs = at;
      }
      return;
    }
    for (const { metadataId, fields } of push.items) {
      const id = metadataId.toLowerCase();
      const stack = collection.stacks.get(id);
      if (!stack) continue;
      const previous = stack.fields;
      const next = applyPush(previous, fields, this.options.nullFields);
      const oldKey = contentKey(previous);
      if (collection.stackByContent.get(oldKey) === id) collection.stackByContent.delete(oldKey);
      const newKey = contentKey(next);
      if (!collection.stackByContent.has(newKey)) collection.stackByContent.set(newKey, id);
      stack.fields = next;
      stack.updatedAtMs = at;
      for (const nft of collection.nfts.values()) {
        if (nft.metadataId !== id) continue;
        nft.fields = next;
        nft.metadataSyncedAtMs = at;
        nft.updatedAtMs = at;
      }
    }
  }
}
