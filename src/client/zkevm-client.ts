import { z } from 'zod';
import type { Clock } from '../clock.js';
import { type AcceptedPush, InvalidRequestError } from '../errors.js';
import { optionChecks } from '../option-checks.js';
import { tokenIdListProblem } from '../wire/token-id.js';
import { chunkRefreshItems } from '../wire/zkevm/chunk.js';
import {
  API_KEY_HEADER,
  MAX_NFTS_PER_REFRESH,
  MAX_PAGE_SIZE,
  MAX_STACKED_METADATA_PER_REFRESH,
  uint256Problem,
  ZKEVM_ENVIRONMENTS,
  type ZkEvmEnvironmentName,
} from '../wire/zkevm/limits.js';
import {
  type Collection,
  type CollectionMetadata,
  collectionFromWire,
  collectionMetadataFromWire,
  type Nft,
  nftFromWire,
  type StackedMetadata,
  stackedMetadataFromWire,
} from '../wire/zkevm/mappers.js';
import type { ZkEvmRateLimit } from '../wire/zkevm/rate-limit.js';
import {
  getCollectionResultSchema,
  getMetadataResultSchema,
  getNftResultSchema,
  listMetadataResultSchema,
  listNftsResultSchema,
  METADATA_ID_PATTERN,
  type NftMetadataItemWire,
  refreshCollectionMetadataResultSchema,
  type StackedMetadataItemWire,
} from '../wire/zkevm/schemas.js';
import {
  assertBaseURL,
  longestSendMs,
  type SharedClientOptions,
  sharedSettings,
} from './options.js';
import { paginate, type ResumableIterator, type ResumeOptions } from './paginate.js';
import { sendChunks } from './request-refreshes.js';
import { pushRetryRule } from './retry.js';
import { Transport } from './transport.js';
import {
  assertCollectionAddress,
  assertCursor,
  assertObject,
  assertPageSize,
  assertWaitOptions,
} from './validate.js';
import { zkEvmDialect } from './zkevm-dialect.js';
import {
  assertListBytes,
  type NftMetadataPush,
  type StackedMetadataPush,
  toCollectionMetadataWire,
  toNftWireItems,
  toStackedWireItems,
} from './zkevm-validate.js';
import { pollUntilSynced } from './zkevm-wait.js';

export type { AcceptedPush } from '../errors.js';

/** Options of {@link ZkEvmMetadataClient}: the key, where to, and the shared transport options. */
export interface ZkEvmMetadataClientOptions extends SharedClientOptions {
  /**
   * The project's **secret** API key from the platform's Hub (`sk_imapik-…`), sent as
   * `x-immutable-api-key` on every request. Whoever holds it can rewrite the project's metadata:
   * keep it on a server. The client never puts it in an error, a log line or `onResponse`.
   */
  apiKey: string;
  /**
   * `'sandbox'` (https://api.sandbox.immutable.com, chain `imtbl-zkevm-testnet`) or
   * `'production'` (https://api.immutable.com, chain `imtbl-zkevm-mainnet`). Give this, or
   * `baseURL` and `chainName`.
   */
  environment?: ZkEvmEnvironmentName | undefined;
  /** Any base URL instead of an environment, e.g. a local reference server. Needs `chainName`. */
  baseURL?: string | undefined;
  /** The `chain_name` path segment with `baseURL`, e.g. `imtbl-zkevm-testnet`. */
  chainName?: string | undefined;
  /**
   * Retries. GETs retry on connection errors, timeouts, 429 and 5xx with backoff. A push is
   * retried when the failure proves nothing was sent, and at most once after a timeout, a broken
   * connection or a 5xx (that retry may spend a second request of the budget); never after a
   * 4xx. Default 2; 0 turns retries off.
   */
  maxRetries?: number | undefined;
}

/** Input of {@link ZkEvmMetadataClient.refreshNftMetadata} and `refreshNftsMetadata`. */
export interface RefreshNftMetadataParameters {
  /** The collection's contract address (`0x` + 40 hex). */
  contractAddress: string;
  /**
   * The NFTs' new metadata, distinct token ids. **A push replaces the whole metadata: every field
   * you omit is sent as `null` and cleared.** Read the current NFT (`getNft`) and change it if
   * you mean to keep fields.
   */
  nfts: NftMetadataPush[];
  /** Abort the call. */
  signal?: AbortSignal | undefined;
}

/** Input of {@link ZkEvmMetadataClient.refreshStackedMetadata}. */
export interface RefreshStackedMetadataParameters {
  /** The collection's contract address (`0x` + 40 hex). */
  contractAddress: string;
  /**
   * 1 to 10 stacks' new metadata, distinct metadata ids. **Every field you omit is sent as
   * `null` and cleared, on every NFT of the stack.**
   */
  metadata: StackedMetadataPush[];
  /** Abort the call. */
  signal?: AbortSignal | undefined;
}

/** Result of one accepted push (HTTP 202). There is no receipt: the 202 is the acceptance. */
export interface ZkEvmRefreshResult {
  /** The project's budget after this request, from the headers (or the body's copy). */
  rateLimit: ZkEvmRateLimit | undefined;
}

/** Result of {@link ZkEvmMetadataClient.refreshNftsMetadata}. */
export interface RefreshNftsMetadataResult {
  /** One entry per request sent, in order. */
  requests: AcceptedPush[];
  /** The budget after the last request. */
  rateLimit: ZkEvmRateLimit | undefined;
}

/** Input of {@link ZkEvmMetadataClient.getNft}. */
export interface GetNftParameters {
  /** The collection's contract address. */
  contractAddress: string;
  /** The token id: a uint256 in decimal. */
  tokenId: string;
  /** Abort the call. */
  signal?: AbortSignal | undefined;
}

/** Parameters of {@link ZkEvmMetadataClient.iterateNfts}: the filter, and where to resume. */
export interface IterateNftsParameters extends NftListFilter, ResumeOptions {
  /**
   * Only the NFTs of this stacked metadata (`Nft.metadataId`, a UUID, any case). The API has no
   * such filter: every page of the collection is read and filtered here, so it costs a full walk
   * (narrow it with `fromUpdatedAt` when you can).
   */
  metadataId?: string | undefined;
}

/** Input of {@link ZkEvmMetadataClient.getMetadata}. */
export interface GetMetadataParameters {
  /** The collection's contract address. */
  contractAddress: string;
  /** The stacked metadata's id: a UUID, e.g. an NFT's `metadataId`. */
  metadataId: string;
  /** Abort the call. */
  signal?: AbortSignal | undefined;
}

/** Options common to {@link ZkEvmMetadataClient.listMetadata} and `iterateMetadata`. */
export interface MetadataListFilter {
  /** The collection's contract address. */
  contractAddress: string;
  /** Metadata per page: 1 to 200 (the API's default is 100). */
  pageSize?: number | undefined;
  /** Only metadata updated at or after this time (a `Date` or an ISO 8601 date-time). */
  fromUpdatedAt?: Date | string | undefined;
  /** Abort the call. */
  signal?: AbortSignal | undefined;
}

/** Input of {@link ZkEvmMetadataClient.listMetadata}. */
export interface ListMetadataParameters extends MetadataListFilter {
  /** `nextCursor` (or `previousCursor`) of a page. */
  cursor?: string | undefined;
}

/** Parameters of {@link ZkEvmMetadataClient.iterateMetadata}: the filter, and where to resume. */
export interface IterateMetadataParameters extends MetadataListFilter, ResumeOptions {}

/** One page of a collection's stacked metadata. */
export interface MetadataPage {
  /** The metadata of this page, in the API's order. */
  result: StackedMetadata[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
  /** Pass as `cursor` for the page before; null on the first page. */
  previousCursor: string | null;
}

/** Input of {@link ZkEvmMetadataClient.getCollection}. */
export interface GetCollectionParameters {
  /** The collection's contract address. */
  contractAddress: string;
  /** Abort the call. */
  signal?: AbortSignal | undefined;
}

/** Input of {@link ZkEvmMetadataClient.refreshCollectionMetadata}. */
export interface RefreshCollectionMetadataParameters {
  /** The collection's contract address (`0x` + 40 hex). */
  contractAddress: string;
  /**
   * The collection's whole new metadata. **Every field is required; null clears it.** Read the
   * current one (`getCollection`) and change what you mean to change: a whole `Collection` is
   * taken as it is, its read-only fields (`chain`, `contractAddress`, `indexedAt`, …) not sent.
   */
  collectionMetadata: CollectionMetadata;
  /** Abort the call. */
  signal?: AbortSignal | undefined;
}

/** Result of {@link ZkEvmMetadataClient.refreshCollectionMetadata} (HTTP 200). */
export interface RefreshCollectionMetadataResult {
  /** The collection's contract address, as the platform answered it. */
  contractAddress: string;
  /** The collection's metadata as the platform took it (what was sent, if the answer lacks it). */
  collectionMetadata: CollectionMetadata;
  /**
   * The refresh budget, when the answer carries the rate-limit headers: only if the platform
   * counts collection refreshes against it (it does not say). Undefined otherwise.
   */
  rateLimit: ZkEvmRateLimit | undefined;
}

/** Options common to {@link ZkEvmMetadataClient.listNfts} and `iterateNfts`. */
export interface NftListFilter {
  /** The collection's contract address. */
  contractAddress: string;
  /** NFTs per page: 1 to 200 (the API's default is 100). */
  pageSize?: number | undefined;
  /** Only NFTs updated at or after this time (a `Date` or an ISO 8601 date-time). */
  fromUpdatedAt?: Date | string | undefined;
  /** Abort the call. */
  signal?: AbortSignal | undefined;
}

/** Input of {@link ZkEvmMetadataClient.listNfts}. */
export interface ListNftsParameters extends NftListFilter {
  /** `nextCursor` (or `previousCursor`) of a page. */
  cursor?: string | undefined;
}

/** One page of NFTs. */
export interface NftPage {
  /** The NFTs of this page, in the API's order. */
  result: Nft[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
  /** Pass as `cursor` for the page before; null on the first page. */
  previousCursor: string | null;
}

/** Input of {@link ZkEvmMetadataClient.waitForNftMetadata}. */
export interface WaitForNftMetadataParameters {
  /** The collection's contract address. */
  contractAddress: string;
  /** The NFTs to wait for: distinct uint256 decimal token ids. */
  tokenIds: string[];
  /**
   * When the push was made (take it before the push, from the same clock): an NFT counts once
   * its `metadataSyncedAt >= since`. A `Date`, an ISO 8601 string or ms since the epoch.
   */
  since: Date | string | number;
  /** Give up with `TimeoutError` after this many ms. Default: no limit. */
  timeoutMs?: number | undefined;
  /** First wait between polling rounds, in ms. Default 2000. */
  pollIntervalMs?: number | undefined;
  /** The wait grows by half after each round without progress, up to this. Default 30000. */
  maxPollIntervalMs?: number | undefined;
  /** NFTs read at once. Default 4. */
  concurrency?: number | undefined;
  /** Stop waiting (rejects with `AbortError`). */
  signal?: AbortSignal | undefined;
}

const accepted202Schema = z.unknown();
const CHAIN_NAME = /^[A-Za-z0-9_-]{1,100}$/;
// Printable ASCII without spaces: anything else cannot be a header value (or is a paste error).
const API_KEY = /^[\x21-\x7e]{1,1000}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** The checks of the constructor's options. */
const check = optionChecks('ZkEvmMetadataClient');

function resolveTarget(options: ZkEvmMetadataClientOptions): {
  baseURL: string;
  chainName: string;
} {
  const { environment, baseURL, chainName } = options;
  if (environment !== undefined) {
    if (baseURL !== undefined || chainName !== undefined) {
      throw new InvalidRequestError('Give either environment, or baseURL and chainName; not both');
    }
    if (typeof environment !== 'string' || !Object.hasOwn(ZKEVM_ENVIRONMENTS, environment)) {
      throw new InvalidRequestError(
        `environment must be 'production' or 'sandbox', got ${JSON.stringify(environment) ?? String(environment)}`,
      );
    }
    const env = ZKEVM_ENVIRONMENTS[environment];
    return { baseURL: env.baseUrl, chainName: env.chainName };
  }
  if (baseURL === undefined) {
    throw new InvalidRequestError(
      'Give environment (production or sandbox), or baseURL and chainName',
    );
  }
  if (typeof chainName !== 'string' || !CHAIN_NAME.test(chainName)) {
    throw new InvalidRequestError(
      'chainName is required with baseURL: letters, digits, - and _ (e.g. imtbl-zkevm-testnet)',
    );
  }
  return { baseURL: assertBaseURL(baseURL, check), chainName };
}

function assertMetadataId(value: unknown): string {
  if (typeof value !== 'string' || !METADATA_ID_PATTERN.test(value)) {
    throw new InvalidRequestError(
      `metadataId must be a UUID, got ${(JSON.stringify(value) ?? String(value)).slice(0, 80)}`,
    );
  }
  return value;
}

function assertTokenId(value: unknown, field = 'tokenId'): string {
  const problem = uint256Problem(value);
  if (problem) {
    throw new InvalidRequestError(
      `${field} ${problem}, got ${(JSON.stringify(value) ?? String(value)).slice(0, 80)}`,
    );
  }
  return value as string;
}

function isoTime(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date && Number.isFinite(value.getTime())) return value.toISOString();
  if (
    typeof value === 'string' &&
    ISO_DATE_TIME.test(value) &&
    Number.isFinite(Date.parse(value))
  ) {
    return value;
  }
  throw new InvalidRequestError(`${field} must be a valid Date or an ISO 8601 date-time`);
}

function sinceDate(value: unknown): Date {
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'number'
        ? value
        : typeof value === 'string'
          ? Date.parse(value)
          : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new InvalidRequestError('since must be a Date, an ISO 8601 string or ms since the epoch');
  }
  return new Date(ms);
}

function assertWaitTokenIds(value: unknown): string[] {
  const problem = tokenIdListProblem(value, { idProblem: uint256Problem });
  if (problem === undefined) return value as string[];
  if (problem.kind === 'invalid') {
    const [{ index, value: id }] = problem.items;
    assertTokenId(id, `tokenIds[${index}]`);
  }
  if (problem.kind === 'repeated') {
    const [{ index, id }] = problem.repeats;
    throw new InvalidRequestError(`tokenIds[${index}] ${id} appears twice`);
  }
  throw new InvalidRequestError('tokenIds must be a non-empty array of token ids');
}

/**
 * A typed client of the Immutable zkEVM metadata refresh API. The platform does not crawl: you
 * **push** each NFT's whole metadata, and marketplaces show it within seconds. No refresh id:
 * a 202 means accepted; `getNft(...).metadataSyncedAt` (or `waitForNftMetadata`) shows it took
 * effect. Budget: refresh requests per hour, learned from every answer (`rateLimit`), never
 * assumed. Errors keep the platform's `code`, `message` and `trace_id` (as `traceId`); the
 * platform's structured `details` are in `error.body.details`.
 *
 * @example
 * ```ts
 * const zk = new ZkEvmMetadataClient({ apiKey: process.env.IMMUTABLE_API_KEY!, environment: 'sandbox' });
 * const since = new Date();
 * await zk.refreshNftMetadata({ contractAddress, nfts: [{ tokenId: '42', name: 'Hero', image, attributes }] });
 * await zk.waitForNftMetadata({ contractAddress, tokenIds: ['42'], since, timeoutMs: 60_000 });
 * ```
 */
export class ZkEvmMetadataClient {
  /** The base URL requests go to. */
  readonly baseURL: string;
  /** The `chain_name` of every path. */
  readonly chainName: string;
  /**
   * The longest one refresh request can take, every attempt and the longest wait between two
   * included (from `timeoutMs` and `maxRetries`): a `RefreshScheduler`'s `leaseMs` must be at
   * least this, so that no other process takes over a batch whose request may still be on its way.
   */
  readonly longestSendMs: number;
  readonly #transport: Transport<ZkEvmRateLimit>;
  readonly #clock: Clock;
  #rateLimit: ZkEvmRateLimit | undefined;

  /**
   * Checks every option now, so a misconfigured client fails at start-up rather than on its
   * first request. Sends nothing.
   *
   * @throws {InvalidOptionError} a bad option (named in the message, never echoing the key): an
   * `apiKey` that is not a secret key, `environment` together with `baseURL`/`chainName` or
   * neither, a `baseURL` without a valid `chainName`, a timeout, retry count or cap out of range.
   */
  constructor(options: ZkEvmMetadataClientOptions) {
    assertObject(options, 'ZkEvmMetadataClient');
    const { apiKey } = options;
    // The key is never echoed: not in this message, not anywhere.
    if (typeof apiKey !== 'string' || !API_KEY.test(apiKey)) {
      throw check.invalid(
        'apiKey',
        'must be the project secret API key (sk_imapik-...): a non-empty string of printable characters without spaces',
      );
    }
    const target = resolveTarget(options);
    this.baseURL = target.baseURL;
    this.chainName = target.chainName;
    const settings = sharedSettings(options, check);
    this.#clock = settings.clock;
    this.longestSendMs = longestSendMs(settings);
    // Held only by this closure: not a property that util.inspect or JSON.stringify would show.
    const headers = { [API_KEY_HEADER]: apiKey };
    this.#transport = new Transport({
      ...settings,
      baseURL: this.baseURL,
      authHeaders: async () => headers,
      dialect: zkEvmDialect,
      // A server (or proxy) that echoes the key must not get it into an error.
      secrets: [apiKey],
      random: Math.random,
      onRateLimit: (rateLimit) => {
        this.#rateLimit = rateLimit;
      },
    });
  }

  /**
   * The project's refresh budget as last reported (on every push answer, 202 or 429), or
   * undefined before the first. `refreshNftsMetadata` stops before sending when it shows
   * `remaining: 0` before `resetAt`.
   */
  get rateLimit(): ZkEvmRateLimit | undefined {
    return this.#rateLimit;
  }

  #collectionPath(contractAddress: string): string {
    return `/v1/chains/${encodeURIComponent(this.chainName)}/collections/${contractAddress}`;
  }

  async #push(
    path: string,
    body: { nft_metadata: NftMetadataItemWire[] } | { metadata: StackedMetadataItemWire[] },
    signal: AbortSignal | undefined,
  ): Promise<ZkEvmRefreshResult> {
    const { rateLimit } = await this.#transport.send({
      method: 'POST',
      path,
      body,
      signal,
      retryable: pushRetryRule(),
      // Whatever a 2xx says, the push was accepted: a body in an unexpected shape must not
      // look like a failure (a caller would push again and spend budget).
      schema: accepted202Schema,
    });
    return { rateLimit };
  }

  /**
   * Pushes the metadata of 1 to 250 NFTs of one collection in one request (one of the project's
   * hourly refresh requests). **It replaces each NFT's metadata: a field you omit is sent as
   * `null` and cleared.** Checked before sending: distinct uint256 token ids, each item at most
   * 16 KiB and the list at most 228 KiB as sent, attribute shapes.
   *
   * @example
   * ```ts
   * await zk.refreshNftMetadata({ contractAddress, nfts: [{ tokenId: '42', name: 'Hero',
   *   image: 'https://…/42.png', attributes: [{ traitType: 'Level', value: 7, displayType: 'number' }] }] });
   * ```
   * @throws {InvalidRequestError} bad input; nothing was sent.
   * @throws {RateLimitError} the budget is spent; see `retryAfterMs` and `rateLimit.resetAt`.
   * @throws {NotFoundError} an NFT or the collection does not exist (`body.details` lists ids).
   * @throws {ApiError} any other error status, with the platform's `code`, `apiMessage` and `traceId`.
   */
  async refreshNftMetadata(params: RefreshNftMetadataParameters): Promise<ZkEvmRefreshResult> {
    assertObject(params, 'refreshNftMetadata');
    const address = assertCollectionAddress(params.contractAddress, 'contractAddress');
    const items = toNftWireItems(params.nfts, MAX_NFTS_PER_REFRESH);
    assertListBytes(items, 'nfts');
    return this.#push(
      `${this.#collectionPath(address)}/nfts/refresh-metadata`,
      { nft_metadata: items },
      params.signal,
    );
  }

  /**
   * Pushes any number of NFTs' metadata, packed greedily in input order into requests of at most
   * 250 items and 228 KiB. **Omitted fields are cleared**, as in `refreshNftMetadata`. Every item
   * is checked before the first request (token ids distinct across the whole list). Before each
   * request the known budget is checked; when it runs out part-way (known empty, or a 429) it
   * throws `RateLimitError`. Every error it throws once sending has started keeps its class and
   * carries {@link MetadataRefreshError.progress} (`operation: 'refreshNftsMetadata'`): `accepted`
   * lists the requests pushed, `notSent` the token ids not pushed, `uncertain` the ids of a
   * request that may have been applied.
   *
   * @example
   * ```ts
   * try {
   *   const { requests } = await zk.refreshNftsMetadata({ contractAddress, nfts });
   * } catch (error) {
   *   if (error instanceof RateLimitError && error.progress) {
   *     retryLater(error.progress.notSent, error.retryAfterMs);
   *   }
   * }
   * ```
   * @throws {InvalidRequestError} bad input (every item is checked first); nothing was sent, no `progress`.
   * @throws {RateLimitError} the budget is spent, known before a request or answered with 429; see `retryAfterMs` and `progress`.
   * @throws {ApiError} any other error status, with the platform's `code` and `traceId` (a subclass per status); `progress` says what was pushed.
   * @throws {ConnectionError} the API could not be reached; `progress` says what was pushed.
   * @throws {TimeoutError} a request timed out; its ids are in `progress.uncertain`.
   * @throws {AbortError} `signal` aborted; `progress` says what was pushed.
   */
  async refreshNftsMetadata(
    params: RefreshNftMetadataParameters,
  ): Promise<RefreshNftsMetadataResult> {
    assertObject(params, 'refreshNftsMetadata');
    const address = assertCollectionAddress(params.contractAddress, 'contractAddress');
    const items = toNftWireItems(params.nfts, Number.POSITIVE_INFINITY);
    const { chunks, oversized } = chunkRefreshItems(items, MAX_NFTS_PER_REFRESH);
    if (oversized.length > 0) {
      throw new InvalidRequestError(
        `nfts: ${oversized.length} items are too big for any request (token ids ${oversized
          .slice(0, 10)
          .map((i) => i.token_id)
          .join(', ')}); nothing was sent`,
      );
    }
    const path = `${this.#collectionPath(address)}/nfts/refresh-metadata`;
    const { accepted, rateLimit } = await sendChunks(chunks, {
      send: async (chunk) => {
        const result = await this.#push(path, { nft_metadata: chunk }, params.signal);
        const pushed: AcceptedPush = {
          tokenIds: chunk.map((i) => i.token_id),
          rateLimit: result.rateLimit,
        };
        return { accepted: pushed, rateLimit: result.rateLimit };
      },
      idsOf: (chunk) => chunk.map((i) => i.token_id),
      progress: (progress) => ({ operation: 'refreshNftsMetadata', ...progress }),
      rateLimit: () => this.#rateLimit,
      now: () => this.#clock.now(),
      limitCode: 'TOO_MANY_REQUESTS_ERROR',
      signal: params.signal,
    });
    return { requests: accepted, rateLimit };
  }

  /**
   * Pushes new metadata for 1 to 10 stacks (NFTs minted with identical metadata share one
   * `metadataId`): every NFT of a stack gets it. **Omitted fields are cleared.**
   *
   * @example
   * ```ts
   * const { metadataId } = await zk.getNft({ contractAddress, tokenId: '1' });
   * await zk.refreshStackedMetadata({ contractAddress, metadata: [{ metadataId: metadataId!, name: 'Potion' }] });
   * ```
   * @throws {InvalidRequestError} bad input (more than 10 stacks, a bad id, an item over 16 KiB); nothing was sent.
   * @throws {RateLimitError} the budget is spent; see `retryAfterMs` and `rateLimit.resetAt`.
   * @throws {NotFoundError} a metadata id or the collection does not exist.
   * @throws {ApiError} any other error status, with the platform's `code`, `apiMessage` and `traceId`.
   */
  async refreshStackedMetadata(
    params: RefreshStackedMetadataParameters,
  ): Promise<ZkEvmRefreshResult> {
    assertObject(params, 'refreshStackedMetadata');
    const address = assertCollectionAddress(params.contractAddress, 'contractAddress');
    const items = toStackedWireItems(params.metadata, MAX_STACKED_METADATA_PER_REFRESH);
    assertListBytes(items, 'metadata');
    return this.#push(
      `${this.#collectionPath(address)}/metadata/refresh-metadata`,
      { metadata: items },
      params.signal,
    );
  }

  /**
   * One NFT, in camelCase, with `metadataId` and `metadataSyncedAt`.
   *
   * @example
   * ```ts
   * const nft = await zk.getNft({ contractAddress, tokenId: '42' });
   * ```
   * @throws {NotFoundError} no such NFT or collection.
   */
  async getNft(params: GetNftParameters): Promise<Nft> {
    assertObject(params, 'getNft');
    const address = assertCollectionAddress(params.contractAddress, 'contractAddress');
    const tokenId = assertTokenId(params.tokenId);
    return this.#getNft(address, tokenId, params.signal, undefined);
  }

  async #getNft(
    address: string,
    tokenId: string,
    signal: AbortSignal | undefined,
    deadlineMs: number | undefined,
  ): Promise<Nft> {
    const { data } = await this.#transport.send({
      method: 'GET',
      path: `${this.#collectionPath(address)}/nfts/${tokenId}`,
      signal,
      deadlineMs,
      schema: getNftResultSchema,
    });
    return nftFromWire(data.result);
  }

  /**
   * One page of a collection's NFTs.
   *
   * @example
   * ```ts
   * const page = await zk.listNfts({ contractAddress, pageSize: 200 });
   * const next = page.nextCursor && (await zk.listNfts({ contractAddress, cursor: page.nextCursor }));
   * ```
   * @throws {InvalidRequestError} a bad `contractAddress`, `pageSize`, `cursor` or `fromUpdatedAt`; nothing was sent.
   * @throws {NotFoundError} no such collection.
   */
  async listNfts(params: ListNftsParameters): Promise<NftPage> {
    assertObject(params, 'listNfts');
    const address = assertCollectionAddress(params.contractAddress, 'contractAddress');
    const { data } = await this.#transport.send({
      method: 'GET',
      path: `${this.#collectionPath(address)}/nfts`,
      query: {
        page_size: assertPageSize(params.pageSize, 'listNfts', MAX_PAGE_SIZE),
        page_cursor: assertCursor(params.cursor),
        from_updated_at: isoTime(params.fromUpdatedAt, 'fromUpdatedAt'),
      },
      signal: params.signal,
      schema: listNftsResultSchema,
    });
    return {
      result: data.result.map(nftFromWire),
      nextCursor: data.page.next_cursor ?? null,
      previousCursor: data.page.previous_cursor ?? null,
    };
  }

  /**
   * Every NFT of a collection (optionally only those updated since `fromUpdatedAt`), one page at
   * a time, following `next_cursor`; memory stays flat. Resumable: pass the iterator's `cursor`,
   * read after any NFT, as `cursor` (see {@link ResumableIterator}).
   *
   * @example
   * ```ts
   * for await (const nft of zk.iterateNfts({ contractAddress, fromUpdatedAt: since })) console.log(nft.tokenId);
   * // The NFTs sharing one stacked metadata (read every page, filtered here):
   * for await (const nft of zk.iterateNfts({ contractAddress, metadataId })) console.log(nft.tokenId);
   * ```
   * @throws {InvalidRequestError} at once, for a bad `contractAddress`, `pageSize`, `cursor`, `fromUpdatedAt` or `metadataId`.
   */
  iterateNfts(params: IterateNftsParameters): ResumableIterator<Nft> {
    assertObject(params, 'iterateNfts');
    const contractAddress = assertCollectionAddress(params.contractAddress, 'contractAddress');
    const pageSize = assertPageSize(params.pageSize, 'iterateNfts', MAX_PAGE_SIZE);
    const fromUpdatedAt = isoTime(params.fromUpdatedAt, 'fromUpdatedAt');
    const metadataId =
      params.metadataId === undefined
        ? undefined
        : assertMetadataId(params.metadataId).toLowerCase();
    const { signal } = params;
    return paginate(
      async (cursor) => {
        const page = await this.listNfts({
          contractAddress,
          pageSize,
          fromUpdatedAt,
          ...(cursor === undefined ? {} : { cursor }),
          ...(signal === undefined ? {} : { signal }),
        });
        return {
          // Filtered per page, so a resumed page drops the same rows: the cursor stays exact.
          result:
            metadataId === undefined
              ? page.result
              : page.result.filter((nft) => nft.metadataId?.toLowerCase() === metadataId),
          cursor: page.nextCursor ?? '',
          hasMore: page.nextCursor !== null,
        };
      },
      { cursor: params.cursor, signal },
    );
  }

  /**
   * One stacked metadata: what every NFT whose `metadataId` is `metadataId` shows. Its NFTs are
   * found with `iterateNfts({ contractAddress, metadataId })`.
   *
   * @example
   * ```ts
   * const { metadataId } = await zk.getNft({ contractAddress, tokenId: '1' });
   * const stack = await zk.getMetadata({ contractAddress, metadataId: metadataId! });
   * ```
   * @throws {InvalidRequestError} a bad `contractAddress` or a `metadataId` that is not a UUID; nothing was sent.
   * @throws {NotFoundError} no such metadata or collection.
   */
  async getMetadata(params: GetMetadataParameters): Promise<StackedMetadata> {
    assertObject(params, 'getMetadata');
    const address = assertCollectionAddress(params.contractAddress, 'contractAddress');
    const metadataId = assertMetadataId(params.metadataId);
    const { data } = await this.#transport.send({
      method: 'GET',
      path: `${this.#collectionPath(address)}/metadata/${metadataId}`,
      signal: params.signal,
      schema: getMetadataResultSchema,
    });
    return stackedMetadataFromWire(data.result);
  }

  /**
   * One page of a collection's stacked metadata.
   *
   * @example
   * ```ts
   * const page = await zk.listMetadata({ contractAddress, pageSize: 200 });
   * const next = page.nextCursor && (await zk.listMetadata({ contractAddress, cursor: page.nextCursor }));
   * ```
   * @throws {InvalidRequestError} a bad `contractAddress`, `pageSize`, `cursor` or `fromUpdatedAt`; nothing was sent.
   * @throws {NotFoundError} no such collection.
   */
  async listMetadata(params: ListMetadataParameters): Promise<MetadataPage> {
    assertObject(params, 'listMetadata');
    const address = assertCollectionAddress(params.contractAddress, 'contractAddress');
    const { data } = await this.#transport.send({
      method: 'GET',
      path: `${this.#collectionPath(address)}/metadata`,
      query: {
        page_size: assertPageSize(params.pageSize, 'listMetadata', MAX_PAGE_SIZE),
        page_cursor: assertCursor(params.cursor),
        from_updated_at: isoTime(params.fromUpdatedAt, 'fromUpdatedAt'),
      },
      signal: params.signal,
      schema: listMetadataResultSchema,
    });
    return {
      result: data.result.map(stackedMetadataFromWire),
      nextCursor: data.page.next_cursor ?? null,
      previousCursor: data.page.previous_cursor ?? null,
    };
  }

  /**
   * Every stacked metadata of a collection (optionally only those updated since
   * `fromUpdatedAt`), one page at a time, following `next_cursor`; memory stays flat. Resumable
   * like `iterateNfts` (see {@link ResumableIterator}).
   *
   * @example
   * ```ts
   * for await (const stack of zk.iterateMetadata({ contractAddress })) console.log(stack.id, stack.name);
   * ```
   * @throws {InvalidRequestError} at once, for a bad `contractAddress`, `pageSize`, `cursor` or `fromUpdatedAt`.
   */
  iterateMetadata(params: IterateMetadataParameters): ResumableIterator<StackedMetadata> {
    assertObject(params, 'iterateMetadata');
    const contractAddress = assertCollectionAddress(params.contractAddress, 'contractAddress');
    const pageSize = assertPageSize(params.pageSize, 'iterateMetadata', MAX_PAGE_SIZE);
    const fromUpdatedAt = isoTime(params.fromUpdatedAt, 'fromUpdatedAt');
    const { signal } = params;
    return paginate(
      async (cursor) => {
        const page = await this.listMetadata({
          contractAddress,
          pageSize,
          fromUpdatedAt,
          ...(cursor === undefined ? {} : { cursor }),
          ...(signal === undefined ? {} : { signal }),
        });
        return {
          result: page.result,
          cursor: page.nextCursor ?? '',
          hasMore: page.nextCursor !== null,
        };
      },
      { cursor: params.cursor, signal },
    );
  }

  /**
   * A collection, with its metadata (`name`, `image`, `description`, `baseUri`, …) and
   * `metadataSyncedAt`.
   *
   * @example
   * ```ts
   * const collection = await zk.getCollection({ contractAddress });
   * ```
   * @throws {InvalidRequestError} a bad `contractAddress`; nothing was sent.
   * @throws {NotFoundError} no such collection.
   */
  async getCollection(params: GetCollectionParameters): Promise<Collection> {
    assertObject(params, 'getCollection');
    const address = assertCollectionAddress(params.contractAddress, 'contractAddress');
    const { data } = await this.#transport.send({
      method: 'GET',
      path: this.#collectionPath(address),
      signal: params.signal,
      schema: getCollectionResultSchema,
    });
    return collectionFromWire(data.result);
  }

  /**
   * Pushes a collection's whole metadata (name, symbol, description, image, external link,
   * contract URI, base URI). **Every field is required, null clears it**: read the current one
   * with `getCollection` and change what you mean to. Retried like a push (when nothing was
   * sent, and at most once after a timeout or 5xx). Whether it spends the hourly refresh budget
   * is not documented: when the answer carries the rate-limit headers, `rateLimit` (and
   * `zk.rateLimit`) learn from them; a 429 throws `RateLimitError`. Confirm it took effect with
   * `getCollection(...).metadataSyncedAt`.
   *
   * @example
   * ```ts
   * const current = await zk.getCollection({ contractAddress });
   * await zk.refreshCollectionMetadata({ contractAddress, collectionMetadata: { ...current, image: 'https://game.example/season-2.png' } });
   * ```
   * @throws {InvalidRequestError} bad input (a field missing, not a string or null, an unknown field); nothing was sent.
   * @throws {RateLimitError} the platform counted it against a spent budget; see `retryAfterMs`.
   * @throws {NotFoundError} no such collection.
   * @throws {ApiError} any other error status, with the platform's `code`, `apiMessage` and `traceId`.
   */
  async refreshCollectionMetadata(
    params: RefreshCollectionMetadataParameters,
  ): Promise<RefreshCollectionMetadataResult> {
    assertObject(params, 'refreshCollectionMetadata');
    const address = assertCollectionAddress(params.contractAddress, 'contractAddress');
    const sent = toCollectionMetadataWire(params.collectionMetadata);
    const { data, rateLimit } = await this.#transport.send({
      method: 'POST',
      path: `${this.#collectionPath(address)}/refresh-metadata`,
      body: { collection_metadata: sent },
      signal: params.signal,
      retryable: pushRetryRule(),
      // Whatever a 2xx says, the refresh was accepted: an unexpected body must not look like a
      // failure (a caller would send it again, perhaps spending budget).
      schema: accepted202Schema,
    });
    const answer = refreshCollectionMetadataResultSchema.safeParse(data);
    return {
      contractAddress: answer.success ? answer.data.contract_address : address,
      collectionMetadata: collectionMetadataFromWire(
        answer.success ? answer.data.collection_metadata : sent,
      ),
      rateLimit,
    };
  }

  /**
   * Polls the NFTs until every one shows `metadataSyncedAt >= since`, and returns them in
   * `tokenIds` order. Reads at most `concurrency` at once; waits `pollIntervalMs` between rounds,
   * growing by half while nothing changes. Uses the client's clock.
   *
   * @example
   * ```ts
   * const since = new Date();
   * await zk.refreshNftMetadata({ contractAddress, nfts });
   * const synced = await zk.waitForNftMetadata({ contractAddress, tokenIds: nfts.map((n) => n.tokenId), since, timeoutMs: 60_000 });
   * ```
   * @throws {TimeoutError} not all synced within `timeoutMs` (the message lists those still waiting).
   * @throws {AbortError} `signal` aborted.
   */
  async waitForNftMetadata(params: WaitForNftMetadataParameters): Promise<Nft[]> {
    assertObject(params, 'waitForNftMetadata');
    const address = assertCollectionAddress(params.contractAddress, 'contractAddress');
    const tokenIds = assertWaitTokenIds(params.tokenIds);
    const since = sinceDate(params.since);
    assertWaitOptions(params, 'waitForNftMetadata');
    const { concurrency } = params;
    if (concurrency !== undefined) {
      optionChecks('waitForNftMetadata').positiveInteger('concurrency', concurrency);
    }
    // A read still running at timeoutMs gets one more second, then the wait fails.
    const deadlineMs =
      params.timeoutMs === undefined ? undefined : this.#clock.now() + params.timeoutMs + 1_000;
    return pollUntilSynced(
      tokenIds,
      (tokenId) => this.#getNft(address, tokenId, params.signal, deadlineMs),
      this.#clock,
      {
        since,
        pollIntervalMs: params.pollIntervalMs,
        maxPollIntervalMs: params.maxPollIntervalMs,
        timeoutMs: params.timeoutMs,
        concurrency,
        signal: params.signal,
      },
    );
  }
}
