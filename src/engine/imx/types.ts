/** Options and seeds of the Immutable X reference service. */
import type { FetchMetadata } from '../../metadata-api/types.js';
import type {
  ServiceClock,
  ServiceErrorContext,
  ServiceRequest,
  ServiceResponse,
} from '../types.js';
import type { RefreshRecordWire } from './store.js';

export type {
  FetchMetadata,
  MetadataFetchRequest,
  MetadataFetchResult,
} from '../../metadata-api/types.js';

/** A collection the service knows. */
export interface CollectionConfig {
  /** The collection's contract address. */
  address: string;
  /** Base URL of its Metadata API; token `N` is fetched from `${metadataApiUrl}/N`. */
  metadataApiUrl: string;
  /** The tokens that exist. Omitted: every token id exists. */
  tokenIds?: string[] | undefined;
}

/** The service's limits. */
export interface ServiceLimits {
  /** Accepted refresh requests per project per window. Default 10. */
  refreshesPerHour?: number | undefined;
  /** Most distinct tokens in one refresh request. Default 1000. */
  tokensPerRefresh?: number | undefined;
  /** Window length in ms, aligned to the epoch (so one clock hour by default). Default 3600000. */
  windowMs?: number | undefined;
}

/** Options of `createRefreshService`. */
export interface RefreshServiceOptions {
  /**
   * The project owner's address: only its signed requests are served (others get 403).
   * Omitted: any correctly signed request counts as the owner.
   */
  owner?: string | undefined;
  /** The collections that exist. Omitted: every collection exists, with a placeholder Metadata API URL. */
  collections?: CollectionConfig[] | undefined;
  limits?: ServiceLimits | undefined;
  /** Per-attempt timeout of a Metadata API request. Default 3000 (the platform's). */
  fetchTimeoutMs?: number | undefined;
  /** Attempts per token before it fails. Default 2 (the platform's: one retry). */
  fetchAttempts?: number | undefined;
  /**
   * Longest Metadata API body the worker reads, in bytes. Default 1 MiB
   * (`DEFAULT_MAX_METADATA_BYTES`). Past it the fetcher stops reading, and the attempt fails with
   * `unable_to_decode_response` (status 200) or, for another status, `invalid_response_status_code`;
   * the error row keeps the first 1000 characters either way.
   */
  maxMetadataBytes?: number | undefined;
  /**
   * Tokens fetched at once, across all refreshes. Default 16: enough to finish a full
   * 1000-token refresh against a 20 ms Metadata API in about 1.3 s, without flooding a studio's
   * development Metadata API.
   */
  concurrency?: number | undefined;
  /** How far `x-imx-eth-timestamp` may be from the clock, in seconds. Default 300. */
  timestampToleranceSeconds?: number | undefined;
  /** The source of time. Default: the system clock. */
  clock?: ServiceClock | undefined;
  /** Makes refresh ids. Default: `crypto.randomUUID`. */
  generateId?: (() => string) | undefined;
  /** How the worker fetches metadata: the server passes an HTTP one, the msw mock its resolver. */
  fetchMetadata: FetchMetadata;
  /**
   * Told of a bug: `handle` threw (the caller gets a 500) or a worker slot failed. Not told of
   * bad input, a client going away or a Metadata API's failure, which are answers and outcomes.
   * Default: a line on stderr with the method and path (never headers, so never a credential).
   */
  onError?: ((error: unknown, context: ServiceErrorContext) => void) | undefined;
}

/** A failed token to seed, in camelCase. */
export interface SeedError {
  tokenId: string;
  /** Default `invalid_response_status_code`. */
  errorCode?: string | undefined;
  /** Default 404 for `invalid_response_status_code`, else null. */
  statusCode?: number | null | undefined;
  /** Default `'404 page not found\n'` with a 404 status code, else null. */
  body?: string | null | undefined;
  /** Default: the refresh's start time. */
  createdAt?: Date | undefined;
}

/**
 * A refresh to put straight into the store, without the worker: to test reading statuses and
 * paging through many errors. Pending tokens are never processed.
 */
export interface RefreshSeed {
  collectionAddress: string;
  /** Tokens that succeeded (ids, or a count of generated ids `s1`, `s2`, ...). */
  succeeded?: string[] | number | undefined;
  /** Tokens that failed: rows, or a count of generated `invalid_response_status_code` rows `f1`, `f2`, .... */
  failed?: SeedError[] | number | undefined;
  /** Tokens still pending (the refresh stays `queued` or `in_progress`). */
  pending?: string[] | number | undefined;
  /** Default: the service's clock. */
  startedAt?: Date | undefined;
  /** Default: a generated id. */
  refreshId?: string | undefined;
}

/** The reference service returned by `createRefreshService`. */
export interface RefreshService {
  /** Answers one API request. Never throws; every error is a `{ code, message }` response. */
  handle(request: ServiceRequest): Promise<ServiceResponse>;
  /**
   * Resolves when no token is queued or being fetched (once stopped: none being fetched). Never
   * rejects.
   */
  settled(): Promise<void>;
  /** A refresh in wire form, or undefined. Never throws. */
  getRefresh(refreshId: string): RefreshRecordWire | undefined;
  /** The last metadata successfully fetched for a token, or undefined. Never throws. */
  getTokenMetadata(
    collectionAddress: string,
    tokenId: string,
  ): { metadata: Record<string, unknown>; updatedAt: string } | undefined;
  /**
   * Registers more existing tokens of a collection configured with `tokenIds` (e.g. after a
   * mint); for a configured collection without `tokenIds` (every token exists), does nothing.
   *
   * @throws {TypeError} the collection is not among `collections` (also when none are configured:
   * then every token exists already), `tokenIds` is not an array, or an id is not a usable token
   * id. Nothing is registered then.
   */
  addTokens(collectionAddress: string, tokenIds: string[]): void;
  /**
   * Puts a refresh straight into the store (no worker) and returns its id.
   *
   * @throws {TypeError} a `collectionAddress` that is not an address, no token at all, an
   * unusable or repeated token id, or a `refreshId` that exists. Nothing is stored then.
   */
  seedRefresh(seed: RefreshSeed): string;
  /**
   * Sets how many refresh requests are left in the current window (more than the limit is
   * allowed).
   *
   * @throws {TypeError} `remaining` is not a non-negative integer.
   */
  setRemainingRefreshes(remaining: number): void;
  /**
   * The rate-limit headers as the next refresh request would see them before spending. Never
   * throws.
   */
  rateLimitHeaders(): Record<string, string>;
  /**
   * Back to the state after construction: forgets every refresh, metadata, spending and token
   * added with `addTokens`; drops queued tokens and abandons those in flight (their fetches are
   * aborted and their outcomes never recorded), so `settled()` resolves at once. Never throws.
   */
  reset(): void;
  /**
   * Stops the worker: fetches in flight are aborted, queued tokens stay pending, and so do tokens
   * of refreshes accepted later (the worker does not restart). Resolves once every fetch has
   * ended. Never rejects.
   */
  stop(): Promise<void>;
}

/**
 * The test controls: set-up and read-back beside the routes, never reachable through `handle`.
 * The msw mock hands out the same functions.
 */
export type RefreshControls = Omit<RefreshService, 'handle' | 'settled' | 'stop'>;
