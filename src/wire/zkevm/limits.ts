/**
 * Every rule and limit of the Immutable zkEVM metadata refresh API in one place, so the client
 * (checking before it sends) and the reference engine (refusing what the platform refuses) can
 * never disagree.
 */
import { COLLECTION_ADDRESS_PATTERN } from '../schemas.js';

/** Most items in one `nft_metadata` list (refresh by token id). */
export const MAX_NFTS_PER_REFRESH = 250;
/** Fewest items in either refresh list. */
export const MIN_ITEMS_PER_REFRESH = 1;
/** Most items in one `metadata` list (refresh of stacked metadata by id). */
export const MAX_STACKED_METADATA_PER_REFRESH = 10;
/** Largest single item: 16 KiB, measured by {@link wireByteLength}. */
export const MAX_ITEM_BYTES = 16 * 1024;
/** Largest refresh list: 228 KiB, measured by {@link wireByteLength} on the list itself. */
export const MAX_LIST_BYTES = 228 * 1024;

/**
 * The size of a value as the limits count it: the byte length of the UTF-8 encoding of
 * `JSON.stringify(value)`, with no whitespace.
 *
 * Applied to one item (`{ token_id, name, … }`) for {@link MAX_ITEM_BYTES}, and to the list
 * (the `nft_metadata` or `metadata` array, not the whole body) for {@link MAX_LIST_BYTES}: the
 * OpenAPI file states both limits on those objects. The engine re-serialises what it parsed, so
 * insignificant whitespace in a body never counts, and a client that measures what it is about to
 * send with this function gets exactly the engine's number.
 */
export function wireByteLength(value: unknown): number {
  const text = JSON.stringify(value);
  // Buffer.byteLength counts UTF-8 for an encoding name it does not know, such as ''.
  // Stryker disable next-line StringLiteral: equivalent, see above
  return text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
}

/**
 * How `waitForNftMetadata` polls by default: the first wait (the platform applies a push in about
 * 8 s), the growth after a round in which no NFT newly synced, the longest wait, and the NFTs
 * read at once in a round.
 */
export const NFT_SYNC_POLL = {
  initialMs: 2_000,
  factor: 1.5,
  maxMs: 30_000,
  concurrency: 4,
} as const;

/** The rate-limit headers of both refresh operations (no `x-` prefix, unlike Immutable X). */
export const ZKEVM_RATE_LIMIT_HEADERS = {
  /** Refresh requests allowed to the project per window. */
  limit: 'imx-refreshes-limit',
  /** Refresh requests left in the current window. */
  remaining: 'imx-remaining-refreshes',
  /** When the current window expires, in Go's time format. */
  reset: 'imx-refresh-limit-reset',
  /** Seconds until the next refresh request may be made (`Retry-After` on a 429). */
  retryAfter: 'retry-after',
} as const;

/** The header that carries the project's secret API key. */
export const API_KEY_HEADER = 'x-immutable-api-key';

/** The prefix of a secret API key issued by the platform's Hub. */
export const SECRET_API_KEY_PREFIX = 'sk_imapik-';

/** One platform environment. */
export interface ZkEvmEnvironment {
  /** The API's base URL, without a trailing slash. */
  baseUrl: string;
  /** The `chain_name` path segment. */
  chainName: string;
  /** The chain's CAIP-2 id, as the NFT's `chain.id` carries it. */
  chainId: string;
}

/** The two environments of the platform. */
export const ZKEVM_ENVIRONMENTS = {
  sandbox: {
    baseUrl: 'https://api.sandbox.immutable.com',
    chainName: 'imtbl-zkevm-testnet',
    chainId: 'eip155:13473',
  },
  production: {
    baseUrl: 'https://api.immutable.com',
    chainName: 'imtbl-zkevm-mainnet',
    chainId: 'eip155:13371',
  },
} as const satisfies Record<string, ZkEvmEnvironment>;

/** The name of an environment: `sandbox` or `production`. */
export type ZkEvmEnvironmentName = keyof typeof ZKEVM_ENVIRONMENTS;

/** The contract address rule: `0x` and 40 hex characters (the OpenAPI file's `Address`). */
export const CONTRACT_ADDRESS_PATTERN = COLLECTION_ADDRESS_PATTERN;

/** Largest uint256: 2^256 - 1. */
export const MAX_UINT256 = (1n << 256n) - 1n;

/**
 * Why `value` is not a uint256 token id in decimal, or `undefined` when it is one. Leading zeros
 * are refused: `"01"` and `"1"` would name one token under two ids.
 */
export function uint256Problem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value === '') return 'must not be empty';
  // 78 digits is the length of 2^256 - 1; checking first keeps BigInt away from huge strings.
  if (!/^(0|[1-9][0-9]{0,77})$/.test(value)) {
    return 'must be a uint256 in decimal digits, without sign or leading zeros';
  }
  if (BigInt(value) > MAX_UINT256) return 'must be at most 2^256 - 1';
  return undefined;
}

/** Most NFTs one page of `ListNFTs` may hold (`page_size`). */
export const MAX_PAGE_SIZE = 200;
/** Page size of `ListNFTs` when `page_size` is not given. */
export const DEFAULT_PAGE_SIZE = 100;
/** Most `token_id` filters one `ListNFTs` request may carry. */
export const MAX_TOKEN_ID_FILTERS = 30;

/**
 * Largest `collection_metadata` of `RefreshCollectionMetadata` the reference engine accepts by
 * default, measured by {@link wireByteLength}. **An assumption, not the platform's**: the OpenAPI
 * file states no limit for it, so the engine makes it an option (`limits.collectionMetadataMaxBytes`)
 * and takes one NFT item's limit as the default. The client checks no size here: refusing a
 * collection the platform would take costs more than the platform's own 400, which spends nothing.
 */
export const DEFAULT_COLLECTION_METADATA_MAX_BYTES = MAX_ITEM_BYTES;
