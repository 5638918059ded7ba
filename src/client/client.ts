import { type ImxSigner, normalizeSigner } from '../auth/signer.js';
import type { Clock } from '../clock.js';
import { InvalidRequestError } from '../errors.js';
import { optionChecks } from '../option-checks.js';
import { IMX_BASE_URLS } from '../wire/limits.js';
import {
  type CursorPage,
  type Refresh,
  type RefreshError,
  type RefreshListItem,
  toCursorPage,
  toRefresh,
  toRefreshError,
  toRefreshListItem,
} from '../wire/mappers.js';
import type { RateLimit } from '../wire/rate-limit.js';
import {
  createRefreshResponseSchema,
  refreshErrorsPageWireSchema,
  refreshListPageWireSchema,
  refreshWireSchema,
} from '../wire/schemas.js';
import { imxAuthProvider } from './imx-auth.js';
import {
  assertBaseURL,
  longestSendMs,
  type SharedClientOptions,
  sharedSettings,
} from './options.js';
import { paginate, type ResumableIterator, type ResumeOptions } from './paginate.js';
import { type RequestRefreshesResult, sendInChunks } from './request-refreshes.js';
import { imxDialect, Transport } from './transport.js';
import {
  assertCollectionAddress,
  assertCursor,
  assertObject,
  assertPageSize,
  assertRefreshId,
  assertTokenIds,
  assertWaitOptions,
} from './validate.js';
import { pollUntilCompleted, type WaitForRefreshOptions } from './wait.js';

/** Base URLs of the two Immutable X environments. */
export { IMX_BASE_URLS };

/** An Immutable X environment. */
export type ImxEnvironment = keyof typeof IMX_BASE_URLS;

/** Options of {@link MetadataRefreshClient}: who signs, where to, and the shared transport options. */
export interface MetadataRefreshClientOptions extends SharedClientOptions {
  /** Signs every request as the project owner: an ethers Signer/Wallet, a viem account or a hex private key. */
  signer: ImxSigner;
  /** `'production'` or `'sandbox'`. Give this or `baseURL`, not both. */
  environment?: ImxEnvironment | undefined;
  /** Any base URL instead of an environment, e.g. a local reference server. */
  baseURL?: string | undefined;
}

/** Input of {@link MetadataRefreshClient.requestRefresh}. */
export interface RequestRefreshParameters {
  /** The collection's contract address (`0x` + 40 hex). */
  collectionAddress: string;
  /** 1 to 1000 distinct, non-empty token ids. */
  tokenIds: string[];
  /** Abort the call. */
  signal?: AbortSignal | undefined;
}

/** Result of {@link MetadataRefreshClient.requestRefresh}. */
export interface RequestRefreshResult {
  /** The receipt: pass it to `getRefresh`, `waitForRefresh`, `getRefreshErrors`. */
  refreshId: string;
  /** The project's budget after this request, from the response headers. */
  rateLimit: RateLimit | undefined;
}

/** What every single call takes besides its own parameters. */
export interface CallOptions {
  /** Abort the call (it rejects with `AbortError`). */
  signal?: AbortSignal | undefined;
}

/** Paging options of the list calls. */
export interface PageParameters {
  /** Rows per page: a positive integer (the reference server takes 1 to 1000, default 100). */
  pageSize?: number | undefined;
  /** The `cursor` of the previous page. */
  cursor?: string | undefined;
  /** Abort the call. */
  signal?: AbortSignal | undefined;
}

/** Options of the `iterate*` methods. */
export interface IterateParameters extends ResumeOptions {
  /** Rows fetched per request. */
  pageSize?: number | undefined;
  /** Stop iterating (the loop throws `AbortError`). */
  signal?: AbortSignal | undefined;
}

/** Options of {@link MetadataRefreshClient.listRefreshes}. */
export interface ListRefreshesParameters extends PageParameters {
  /** Only refreshes of this collection. */
  collectionAddress?: string | undefined;
}

/** Options of {@link MetadataRefreshClient.iterateRefreshes}. */
export interface IterateRefreshesParameters extends IterateParameters {
  /** Only refreshes of this collection. */
  collectionAddress?: string | undefined;
}

const REFRESHES_PATH = '/v1/metadata-refreshes';

/** The checks of the constructor's options. */
const check = optionChecks('MetadataRefreshClient');

function resolveBaseURL(options: MetadataRefreshClientOptions): string {
  if (options.environment !== undefined && options.baseURL !== undefined) {
    throw new InvalidRequestError('Give either environment or baseURL, not both');
  }
  if (options.environment !== undefined) {
    // Own keys only: 'toString' or 'constructor' would otherwise be found up the prototype chain.
    if (
      typeof options.environment !== 'string' ||
      !Object.hasOwn(IMX_BASE_URLS, options.environment)
    ) {
      throw new InvalidRequestError(
        `environment must be 'production' or 'sandbox', got ${JSON.stringify(options.environment) ?? String(options.environment)}`,
      );
    }
    return IMX_BASE_URLS[options.environment];
  }
  if (options.baseURL === undefined) {
    throw new InvalidRequestError('Give environment (production or sandbox) or baseURL');
  }
  return assertBaseURL(options.baseURL, check);
}

/**
 * A typed client of the Immutable X metadata refresh API.
 *
 * @example
 * ```ts
 * const client = new MetadataRefreshClient({ signer: wallet, environment: 'sandbox' });
 * const { refreshId } = await client.requestRefresh({ collectionAddress, tokenIds: ['1', '2'] });
 * const done = await client.waitForRefresh(refreshId);
 * for await (const error of client.iterateRefreshErrors(refreshId)) console.log(error);
 * ```
 */
export class MetadataRefreshClient {
  /** The base URL requests go to. */
  readonly baseURL: string;
  /**
   * The longest one refresh request can take, every attempt and the longest wait between two
   * included (from `timeoutMs` and `maxRetries`): a `RefreshScheduler`'s `leaseMs` must be at
   * least this, so that no other process takes over a batch whose request may still be on its way.
   */
  readonly longestSendMs: number;
  readonly #transport: Transport;
  readonly #clock: Clock;
  #rateLimit: RateLimit | undefined;

  /**
   * Checks every option now, so a misconfigured client fails at start-up rather than on its
   * first request. Sends nothing.
   *
   * @throws {InvalidOptionError} a bad option (named in the message): both or neither of
   * `environment` and `baseURL`, an unsupported signer or malformed private key, a timeout,
   * retry count or cap out of range, a `clock` without `now`/`sleep`.
   */
  constructor(options: MetadataRefreshClientOptions) {
    assertObject(options, 'MetadataRefreshClient');
    this.baseURL = resolveBaseURL(options);
    const settings = sharedSettings(options, check);
    this.#clock = settings.clock;
    this.longestSendMs = longestSendMs(settings);
    this.#transport = new Transport({
      ...settings,
      baseURL: this.baseURL,
      authHeaders: imxAuthProvider(normalizeSigner(options.signer), this.#clock),
      dialect: imxDialect,
      random: Math.random,
      onRateLimit: (rateLimit) => {
        this.#rateLimit = rateLimit;
      },
    });
  }

  /**
   * The project's refresh budget as last reported by the API (on every refresh request and on
   * 429), or undefined before the first such response.
   */
  get rateLimit(): RateLimit | undefined {
    return this.#rateLimit;
  }

  /**
   * Asks the platform to re-read the metadata of up to 1000 tokens of one collection.
   * Uses one of the project's hourly refresh requests. Never resent automatically once it may
   * have reached the server (see the README's retry policy).
   *
   * @throws {InvalidRequestError} bad input; nothing was sent.
   * @throws {RateLimitError} the hourly budget is spent; see `error.rateLimit.resetAt`.
   * @throws {ApiError} any other error status (a subclass per status, see {@link ApiError.from}).
   */
  async requestRefresh(params: RequestRefreshParameters): Promise<RequestRefreshResult> {
    assertObject(params, 'requestRefresh');
    const collectionAddress = assertCollectionAddress(params.collectionAddress);
    const tokenIds = assertTokenIds(params.tokenIds);
    return this.#post(collectionAddress, tokenIds, params.signal);
  }

  async #post(
    collectionAddress: string,
    tokenIds: string[],
    signal: AbortSignal | undefined,
  ): Promise<RequestRefreshResult> {
    const { data, rateLimit } = await this.#transport.send({
      method: 'POST',
      path: REFRESHES_PATH,
      body: { collection_address: collectionAddress, token_ids: tokenIds },
      signal,
      schema: createRefreshResponseSchema,
    });
    return { refreshId: data.refresh_id, rateLimit };
  }

  /**
   * Requests refreshes for any number of token ids, split into requests of at most 1000. Before
   * each request it checks the known budget; if the budget runs out part-way it throws
   * `RateLimitError`. Each request uses one of the project's hourly refreshes. Every error it
   * throws once sending has started keeps its class and carries
   * {@link MetadataRefreshError.progress} (`operation: 'requestRefreshes'`): `accepted` lists the
   * refreshes created, `notSent` the ids still to request, `uncertain` the ids of a request that
   * may have reached the server.
   *
   * @throws {InvalidRequestError} bad input (checked for every id first); nothing was sent, no `progress`.
   * @throws {RateLimitError} the budget is spent, known before a request or answered with 429; see `rateLimit.resetAt` and `progress`.
   * @throws {ApiError} any other error status (a subclass per status); `progress` says what was sent.
   * @throws {ConnectionError} the API could not be reached; `progress` says what was sent.
   * @throws {TimeoutError} a request timed out; its ids are in `progress.uncertain`.
   * @throws {AbortError} `signal` aborted; `progress` says what was sent.
   */
  async requestRefreshes(params: RequestRefreshParameters): Promise<RequestRefreshesResult> {
    assertObject(params, 'requestRefreshes');
    const collectionAddress = assertCollectionAddress(params.collectionAddress);
    const tokenIds = assertTokenIds(params.tokenIds, Infinity);
    return sendInChunks(tokenIds, {
      send: (ids) => this.#post(collectionAddress, ids, params.signal),
      rateLimit: () => this.#rateLimit,
      now: () => this.#clock.now(),
      signal: params.signal,
    });
  }

  /** The status and token counts of one refresh. @throws {NotFoundError} unknown id. */
  async getRefresh(refreshId: string, options: CallOptions = {}): Promise<Refresh> {
    return this.#getRefresh(assertRefreshId(refreshId), options.signal, undefined);
  }

  async #getRefresh(
    id: string,
    signal: AbortSignal | undefined,
    deadlineMs: number | undefined,
  ): Promise<Refresh> {
    const { data } = await this.#transport.send({
      method: 'GET',
      path: `${REFRESHES_PATH}/${encodeURIComponent(id)}`,
      signal,
      deadlineMs,
      schema: refreshWireSchema,
    });
    return toRefresh(data);
  }

  /**
   * One page of the tokens a refresh failed to update, with the reasons.
   *
   * @throws {InvalidRequestError} a bad `refreshId`, `pageSize` or `cursor`; nothing was sent.
   * @throws {NotFoundError} unknown refresh id.
   */
  async getRefreshErrors(
    refreshId: string,
    params: PageParameters = {},
  ): Promise<CursorPage<RefreshError>> {
    const id = assertRefreshId(refreshId);
    const { data } = await this.#transport.send({
      method: 'GET',
      path: `${REFRESHES_PATH}/${encodeURIComponent(id)}/errors`,
      query: {
        page_size: assertPageSize(params.pageSize, 'getRefreshErrors'),
        cursor: assertCursor(params.cursor),
      },
      signal: params.signal,
      schema: refreshErrorsPageWireSchema,
    });
    return toCursorPage(data, toRefreshError);
  }

  /**
   * One page of the project's refreshes, newest first, optionally of one collection.
   *
   * @throws {InvalidRequestError} a bad `collectionAddress`, `pageSize` or `cursor`; nothing was sent.
   */
  async listRefreshes(params: ListRefreshesParameters = {}): Promise<CursorPage<RefreshListItem>> {
    const collectionAddress =
      params.collectionAddress === undefined
        ? undefined
        : assertCollectionAddress(params.collectionAddress);
    const { data } = await this.#transport.send({
      method: 'GET',
      path: REFRESHES_PATH,
      query: {
        collection_address: collectionAddress,
        page_size: assertPageSize(params.pageSize, 'listRefreshes'),
        cursor: assertCursor(params.cursor),
      },
      signal: params.signal,
      schema: refreshListPageWireSchema,
    });
    return toCursorPage(data, toRefreshListItem);
  }

  /**
   * Every failed token of a refresh, fetched one page at a time. The iterator's `cursor` tells,
   * after any row, where to resume (`params.cursor`) after a crash: see {@link ResumableIterator}.
   *
   * @example
   * ```ts
   * for await (const error of client.iterateRefreshErrors(refreshId)) {
   *   console.log(error.tokenId, error.errorCode);
   * }
   * ```
   * @throws {InvalidRequestError} at once, for a bad `refreshId`, `pageSize` or `cursor`.
   */
  iterateRefreshErrors(
    refreshId: string,
    params: IterateParameters = {},
  ): ResumableIterator<RefreshError> {
    assertRefreshId(refreshId);
    const pageSize = assertPageSize(params.pageSize, 'iterateRefreshErrors');
    return paginate(
      (cursor) => this.getRefreshErrors(refreshId, { pageSize, cursor, signal: params.signal }),
      { cursor: params.cursor, signal: params.signal },
    );
  }

  /**
   * Every refresh of the project (or of one collection), newest first, one page at a time;
   * resumable from the iterator's `cursor` like {@link MetadataRefreshClient.iterateRefreshErrors}.
   *
   * @throws {InvalidRequestError} at once, for a bad `collectionAddress`, `pageSize` or `cursor`.
   */
  iterateRefreshes(params: IterateRefreshesParameters = {}): ResumableIterator<RefreshListItem> {
    const pageSize = assertPageSize(params.pageSize, 'iterateRefreshes');
    const collectionAddress =
      params.collectionAddress === undefined
        ? undefined
        : assertCollectionAddress(params.collectionAddress);
    return paginate(
      (cursor) =>
        this.listRefreshes({ collectionAddress, pageSize, cursor, signal: params.signal }),
      { cursor: params.cursor, signal: params.signal },
    );
  }

  /**
   * Polls until the refresh is `completed` and returns it. Polls every 5 s at first, backing off
   * to 60 s while nothing changes.
   *
   * @throws {TimeoutError} not completed within `timeoutMs`.
   * @throws {AbortError} `signal` aborted.
   */
  async waitForRefresh(refreshId: string, options: WaitForRefreshOptions = {}): Promise<Refresh> {
    const id = assertRefreshId(refreshId);
    assertWaitOptions(options, 'waitForRefresh');
    // A poll still running at timeoutMs gets one more second, then the wait fails, whatever the
    // per-attempt timeout and retries would allow.
    const deadlineMs =
      options.timeoutMs === undefined ? undefined : this.#clock.now() + options.timeoutMs + 1_000;
    return pollUntilCompleted(
      (signal) => this.#getRefresh(id, signal, deadlineMs),
      this.#clock,
      options,
    );
  }
}
