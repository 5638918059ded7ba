/** Options and the public shape of the zkEVM reference service. */
import type { Clock } from '../../clock.js';
import type {
  Collection,
  CollectionMetadata,
  MetadataPushFields,
  Nft,
  StackedMetadata,
} from '../../wire/zkevm/mappers.js';
import type { ServiceErrorContext, ServiceRequest, ServiceResponse } from '../types.js';

/** Which API keys the service accepts: one key, or a predicate (a mock may accept any key). */
export type ApiKeyRule = string | ((key: string) => boolean);

/** A collection the service knows. */
export interface ZkEvmCollectionConfig {
  /** The contract address (`0x` and 40 hex characters, any case). */
  address: string;
  /**
   * The token ids minted so far. Omitted: every token id is minted (an NFT with no metadata
   * until something is pushed for it).
   */
  tokenIds?: string[] | undefined;
  /** Reported as the NFTs' `contract_type`. Default `ERC721`. */
  contractType?: 'ERC721' | 'ERC1155' | undefined;
  /**
   * The collection's metadata before any refresh, as `GetCollection` reports it; a field left
   * out is null. Default: every field null.
   */
  metadata?: ZkEvmCollectionMetadataSeed | undefined;
  /** Reported as `verification_status`. Default `verified`. */
  verificationStatus?: ZkEvmVerificationStatus | undefined;
}

/** A collection's metadata to start with, every field optional (a missing one is null). */
export type ZkEvmCollectionMetadataSeed = {
  [K in keyof CollectionMetadata]?: CollectionMetadata[K] | undefined;
};

/** The verification statuses of the OpenAPI file's `AssetVerificationStatus`. */
export type ZkEvmVerificationStatus = 'verified' | 'unverified' | 'spam' | 'inactive';

/**
 * Whether `RefreshCollectionMetadata` spends the refresh budget of the NFT pushes. The platform
 * does not say (see {@link ZkEvmLimits.collectionRefresh}).
 */
export type ZkEvmCollectionRefreshBudget = 'shared' | 'separate';

/**
 * What `retry-after` on a 202 means: the platform does not document it, so the engine offers
 * both readings (see {@link ZkEvmLimits.retryAfter}).
 */
export type ZkEvmRetryAfterReading = 'window' | 'pacing';

/** The refresh budget. The platform publishes no numbers; these are this engine's. */
export interface ZkEvmLimits {
  /** Refresh requests accepted per window. Default 100 (an assumption, not the platform's). */
  refreshesPerHour?: number | undefined;
  /** Window length in ms; a window starts with the first refresh after the last one ended. Default 3600000. */
  windowMs?: number | undefined;
  /**
   * What `retry-after` on a 202 means. An unknown of the platform, not a fact: its docs say
   * nothing, so a client should be tested against both. Default `window`, the reading the
   * platform's public sample fits (675 of 677 pushes left, yet `retry_after: "9.61-seconds"`,
   * beside a reset time).
   * - `window`: "the current window ends in this long", on every 202 and 429. A push is accepted
   *   while any remain in the window, whatever `retry-after` said.
   * - `pacing`: "wait this long before the next push", even while pushes remain. Accepted pushes
   *   are at least `pacingMs` apart: a 202 carries the spacing, and a push inside it is a 429
   *   carrying the time left (it spends nothing). The spacing ends with its window.
   *
   * Under both, an answer with no push left (the 202 that spent the last, and every 429 after
   * it) carries the time to the reset.
   */
  retryAfter?: ZkEvmRetryAfterReading | undefined;
  /**
   * Under `retryAfter: 'pacing'`, the least time between accepted pushes, in ms. Default
   * `windowMs / refreshesPerHour` rounded up (the budget spread evenly over the window). Only
   * with `pacing`: given under `window` it is an error, since it would do nothing.
   */
  pacingMs?: number | undefined;
  /**
   * Whether a collection refresh (`POST …/collections/{address}/refresh-metadata`) counts against
   * the same budget as the NFT pushes. An unknown of the platform: the OpenAPI file lists
   * neither the rate-limit headers nor a 429 for it, and says nothing of its cost.
   * - `shared` (default): it spends one refresh request of the same window, its 200 carries the
   *   four rate-limit headers, and a spent window refuses it with the same 429 as a push (a status
   *   the file does not list for this operation). The default because it is the cheaper one to be
   *   wrong about: code tested against it handles a 429 it may never meet, while code tested
   *   against `separate` would meet its first 429 in production.
   * - `separate`: it is outside the budget: never a 429, no rate-limit headers, as the file reads.
   */
  collectionRefresh?: ZkEvmCollectionRefreshBudget | undefined;
  /**
   * Largest `collection_metadata` accepted, in bytes of its JSON without whitespace (UTF-8); a
   * larger one is a 400 naming `collection_metadata`. The platform states no limit; default
   * 16384 (one NFT item's limit, an assumption).
   */
  collectionMetadataMaxBytes?: number | undefined;
}

/** Options of `createZkEvmService`. */
export interface ZkEvmServiceOptions {
  /** The accepted API key, or a predicate over the `x-immutable-api-key` header. Required. */
  apiKey: ApiKeyRule;
  /** The chain served; other `chain_name`s answer 404. Default `imtbl-zkevm-testnet`. */
  chainName?: string | undefined;
  /** The chain's CAIP-2 id for `chain.id`. Default: the platform's id for a known chain name. */
  chainId?: string | undefined;
  /** The collections that exist. Omitted: every collection exists and every token id is minted. */
  collections?: ZkEvmCollectionConfig[] | undefined;
  /** The refresh budget. */
  limits?: ZkEvmLimits | undefined;
  /**
   * How long after a 202 a push shows on the NFT (`metadata_synced_at` is set then). Default 500:
   * short for tests, long enough that "accepted" and "applied" can be told apart. The platform
   * documents about 8 s for marketplaces.
   */
  syncDelayMs?: number | undefined;
  /** What a null metadata field in a push does. Default `clear`: the push is the whole metadata. */
  nullFields?: 'clear' | 'keep' | undefined;
  /** What one request naming a token id (or metadata id) twice gets. Default `reject` (400). */
  duplicates?: 'reject' | 'last-wins' | undefined;
  /** The source of time; `settled()` waits through its `sleep`. Default: the system clock. */
  clock?: Clock | undefined;
  /** Makes metadata ids and trace ids; must return UUIDs. Default: `crypto.randomUUID`. */
  generateId?: (() => string) | undefined;
  /**
   * Told of a bug: `handle` threw (the caller gets a 500 `INTERNAL_SERVER_ERROR`). Not told of
   * bad input, which is an answer. Default: a line on stderr with the method and path (never
   * headers, so never the key).
   */
  onError?: ((error: unknown, context: ServiceErrorContext) => void) | undefined;
}

/** An NFT to mint through the test control: its token id, and metadata fields if any. */
export interface MintedNft extends MetadataPushFields {
  /** The token id: a uint256 in decimal. */
  tokenId: string;
}

/** The budget as a refresh request would see it now, before spending. */
export interface ZkEvmBudgetSnapshot {
  /** Requests allowed per window. */
  limit: number;
  /** Requests left. */
  remaining: number;
  /** When the current (or next) window ends, ms since the epoch. */
  resetAtMs: number;
  /**
   * The `retry-after` of an answer sent now, in ms (right after a 202, that 202's own). What it
   * means follows `limits.retryAfter`: under `window`, the time to the reset even while requests
   * remain; under `pacing`, the same as `waitMs`.
   */
  retryAfterMs: number;
  /** How long until a refresh request would be accepted, in ms (0: now), under either reading. */
  waitMs: number;
}

/** The test controls: state set-up and read-back, never reachable through `handle`. */
export interface ZkEvmControls {
  /**
   * Sets how many refresh requests are left in the current window (starting one if none).
   *
   * @throws {TypeError} `remaining` is not a non-negative integer.
   */
  setRemainingRefreshes(remaining: number): void;
  /** The budget now. Never throws. */
  budget(): ZkEvmBudgetSnapshot;
  /**
   * Mints NFTs (indexed now, metadata synced now). NFTs given identical metadata share one
   * metadata id; NFTs minted without metadata have none. Minting an existing id replaces it.
   *
   * @throws {TypeError} an `address` that is not `0x` and 40 hex characters, a collection not
   * among `collections` (when they are given), or a `tokenId` that is not a uint256 in decimal.
   * Nothing is minted then.
   */
  mint(address: string, nfts: MintedNft[]): void;
  /**
   * An NFT as `GetNFT` would answer it now, in camelCase; undefined when not minted (also for a
   * `tokenId` that is not a uint256).
   *
   * @throws {TypeError} an `address` that is not `0x` and 40 hex characters.
   */
  nft(address: string, tokenId: string): Nft | undefined;
  /**
   * A collection as `GetCollection` would answer it now, in camelCase; undefined when it does not
   * exist (only possible with configured `collections`).
   *
   * @throws {TypeError} an `address` that is not `0x` and 40 hex characters.
   */
  collection(address: string): Collection | undefined;
  /**
   * A stacked metadata as `GetMetadata` would answer it now, in camelCase; undefined when the
   * collection has none with that id (also for an id that is not a UUID).
   *
   * @throws {TypeError} an `address` that is not `0x` and 40 hex characters.
   */
  metadata(address: string, metadataId: string): StackedMetadata | undefined;
  /** How many accepted pushes have not taken effect yet. Never throws. */
  pendingPushes(): number;
  /** Back to the configured state: NFTs, stacks, pushes and spending forgotten. Never throws. */
  reset(): void;
}

/** The zkEVM reference service. */
export interface ZkEvmService extends ZkEvmControls {
  /** Answers one API request. Never throws: every failure is an error body. */
  handle(request: ServiceRequest): Promise<ServiceResponse>;
  /**
   * Resolves when every accepted push has taken effect, waiting through the clock's `sleep`.
   * Never rejects with the default clock; with your `clock`, rejects with what its `sleep` does.
   */
  settled(): Promise<void>;
}
