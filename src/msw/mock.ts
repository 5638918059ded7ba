/**
 * The metadata refresh API for consumers' unit tests: msw handlers over the reference engine, so a
 * test meets the real rules (signatures, limits, paging, error codes), plus test controls.
 */
import { HttpResponse, http, type RequestHandler } from 'msw';
import type { Clock } from '../clock.js';
import {
  type CollectionConfig,
  createRefreshService,
  type FetchMetadata,
  type RefreshService,
  type RefreshServiceOptions,
  type ServiceLimits,
} from '../engine/imx/index.js';
import type { ServiceClock } from '../engine/types.js';
import { isZkEvmPath } from '../engine/zkevm/index.js';
import { IMX_BASE_URLS, REFRESH_LIMIT_EXCEEDED } from '../wire/limits.js';
import { RATE_LIMIT_HEADERS } from '../wire/rate-limit.js';
import { offsetClock } from './clock.js';
import { createFailureQueue, type InjectedFailure } from './failures.js';
import {
  pathBelow,
  type RecordedRequest,
  readMswRequest,
  rootsOf,
  toMswResponse,
} from './recording.js';

export type { InjectedFailure, RecordedRequest };

const HTTP_ANSWER = Symbol.for('imx-metadata-refresh.metadataAnswer');

/** An HTTP answer of a Metadata API, as `resolveMetadata` may return it. */
export interface MetadataAnswer {
  status: number;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown | undefined;
}

/**
 * Makes an explicit Metadata API answer for `resolveMetadata`, e.g. `metadataAnswer(404, 'not
 * found')`. A plain `{ status, body }` object also counts as an answer; use this when your
 * metadata itself has a numeric `status` field. Never throws.
 */
export function metadataAnswer(status: number, body?: unknown): MetadataAnswer {
  return Object.assign({ status, body }, { [HTTP_ANSWER]: true });
}

/**
 * Produces a token's metadata in the mock: return (or resolve) the metadata object (success), a
 * `{ status, body }` answer (e.g. a 404), or throw (no answer: `unable_to_retrieve_metadata`).
 * `signal` aborts when the attempt times out or the mock is reset: the answer is then ignored.
 */
export type ResolveMetadata = (
  collectionAddress: string,
  tokenId: string,
  context: { signal: AbortSignal },
) => unknown;

/** A collection in the mock; the Metadata API URL is only used to label error rows. */
export interface MockCollection {
  address: string;
  /** Default `https://metadata.mock/<address>`. */
  metadataApiUrl?: string | undefined;
  /** The tokens that exist; omitted: every token. */
  tokenIds?: string[] | undefined;
}

/** Options of {@link createMetadataRefreshMock}. */
export interface MetadataRefreshMockOptions
  extends Omit<RefreshServiceOptions, 'owner' | 'collections' | 'fetchMetadata' | 'clock'> {
  /** The project owner. Omitted: any correctly signed request counts as the owner. */
  owner?: string | undefined;
  /** The collections that exist. Omitted: every collection. */
  collections?: MockCollection[] | undefined;
  /** Each token's metadata. Default: a generated object per token. */
  resolveMetadata?: ResolveMetadata | undefined;
  /** More base URLs to answer on, beside production and sandbox (e.g. your test's baseURL). */
  baseURL?: string | string[] | undefined;
  /** The service's clock before `advanceTime`. Default `Date.now()` (so vitest fake timers move it). */
  clock?: ServiceClock | undefined;
  limits?: ServiceLimits | undefined;
}

/**
 * The mock returned by {@link createMetadataRefreshMock}. `setRemainingRefreshes` and
 * `seedRefresh` are the engine's own controls (the same functions as on `service`).
 */
export interface MetadataRefreshMock
  extends Pick<RefreshService, 'setRemainingRefreshes' | 'seedRefresh'> {
  /** msw handlers for production, sandbox and any `baseURL`: `setupServer(...mock.handlers)`. */
  handlers: RequestHandler[];
  /** The engine behind the handlers: `await mock.service.settled()` finishes every queued token. */
  service: RefreshService;
  /**
   * The mock's clock: `Date.now()` plus whatever `advanceTime` added. Pass it as the client's
   * `clock` so signatures, retries and `waitForRefresh` use the same time (its `sleep` returns at
   * once and moves time forward).
   */
  clock: Clock;
  /** Every request received since the last reset, oldest first. */
  requests: RecordedRequest[];
  /**
   * Makes the next matching requests fail, before the engine sees them.
   *
   * @throws {TypeError} a `times` that is not a positive integer, or a `status` outside 400-599.
   * Nothing is queued then.
   */
  failNext(failure: InjectedFailure): void;
  /**
   * Moves the mock's clock forward (e.g. past the hour, to restore the budget).
   *
   * @throws {TypeError} `ms` is negative or not finite.
   */
  advanceTime(ms: number): void;
  /**
   * Back to a fresh mock: `service.reset()` (refreshes, budget spending and tokens added with
   * `service.addTokens` forgotten; Metadata API work in flight abandoned, its `resolveMetadata`
   * signal aborted, so `service.settled()` resolves at once, whatever a previous test left
   * unanswered), then injected failures, recorded requests and advanced time forgotten too.
   * Never throws.
   */
  reset(): void;
}

function isAnswer(value: unknown): value is MetadataAnswer {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as Record<symbol, unknown>)[HTTP_ANSWER]) return true;
  const keys = Object.keys(value);
  return (
    typeof (value as MetadataAnswer).status === 'number' &&
    keys.every((k) => k === 'status' || k === 'body')
  );
}

function defaultMetadata(collectionAddress: string, tokenId: string) {
  return {
    name: `Token ${tokenId}`,
    description: `Mock metadata of token ${tokenId} of ${collectionAddress}`,
    image: `https://example.com/${collectionAddress}/${tokenId}.png`,
  };
}

/**
 * Adapts `resolveMetadata` to the engine's fetcher, with the engine's per-attempt timeout, and
 * giving up at once when the engine aborts (a reset), even if `resolveMetadata` never settles.
 */
function fetcherFrom(resolve: ResolveMetadata): FetchMetadata {
  return async ({ collectionAddress, tokenId, timeoutMs, signal }) => {
    const attempt = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => attempt.abort(new Error('aborted'));
    const gaveUp = new Promise<never>((_, reject) => {
      attempt.signal.addEventListener('abort', () => reject(attempt.signal.reason), { once: true });
      timer = setTimeout(() => attempt.abort(new Error('timeout')), timeoutMs);
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    try {
      const value = await Promise.race([
        Promise.resolve().then(() =>
          resolve(collectionAddress, tokenId, { signal: attempt.signal }),
        ),
        gaveUp,
      ]);
      if (isAnswer(value)) {
        const body =
          value.body === undefined
            ? ''
            : typeof value.body === 'string'
              ? value.body
              : JSON.stringify(value.body);
        return { status: value.status, body };
      }
      return { status: 200, body: JSON.stringify(value) ?? '' };
    } catch (error) {
      return { status: null, reason: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  };
}

function toCollections(collections: MockCollection[] | undefined): CollectionConfig[] | undefined {
  return collections?.map((c) => ({
    address: c.address,
    metadataApiUrl: c.metadataApiUrl ?? `https://metadata.mock/${c.address}`,
    ...(c.tokenIds ? { tokenIds: c.tokenIds } : {}),
  }));
}

/**
 * Creates the mock. Use it with msw's `setupServer`:
 *
 * @example
 * ```ts
 * const mock = createMetadataRefreshMock({ baseURL: 'https://imx.test' });
 * const server = setupServer(...mock.handlers);
 * beforeAll(() => server.listen());
 * afterEach(() => mock.reset());
 * afterAll(() => server.close());
 * ```
 * @throws {TypeError} a bad option, named in the message (an owner that is not an address, a
 * limit that is not a positive integer, a collection's malformed address or Metadata API URL).
 */
export function createMetadataRefreshMock(
  options: MetadataRefreshMockOptions = {},
): MetadataRefreshMock {
  const clock = offsetClock(options.clock ?? { now: () => Date.now() }, async (ms) => {
    // Virtual time must not run ahead of real work: let the worker finish (or `ms` of real
    // time pass) before the clock jumps, so a slow resolveMetadata cannot look like hours.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      service.settled(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
  });
  const { resolveMetadata, baseURL, collections, ...engineOptions } = options;
  const service = createRefreshService({
    ...engineOptions,
    collections: toCollections(collections),
    clock,
    fetchMetadata: fetcherFrom(resolveMetadata ?? defaultMetadata),
  });
  const requests: RecordedRequest[] = [];
  const failures = createFailureQueue();

  const handlers = rootsOf([IMX_BASE_URLS.production, IMX_BASE_URLS.sandbox], baseURL).map((root) =>
    http.all(`${root}/v1/*`, async ({ request }) => {
      // The zkEVM API's paths: left to a zkEVM mock on the same base URL, whatever the order.
      if (isZkEvmPath(pathBelow(request.url, root))) return undefined;
      const read = await readMswRequest(request, root);
      requests.push(read.recorded);
      const failure = failures.take(request.method);
      if (failure && 'network' in failure) return HttpResponse.error();
      if (failure) {
        const defaults =
          failure.status === 429
            ? { ...service.rateLimitHeaders(), [RATE_LIMIT_HEADERS.remaining]: '0' }
            : {};
        return HttpResponse.json(
          {
            code:
              failure.code ??
              (failure.status === 429 ? REFRESH_LIMIT_EXCEEDED.code : 'injected_failure'),
            message:
              failure.message ??
              (failure.status === 429 ? REFRESH_LIMIT_EXCEEDED.message : 'Injected failure'),
          },
          { status: failure.status, headers: { ...defaults, ...failure.headers } },
        );
      }
      return toMswResponse(await service.handle(read.service));
    }),
  );

  return {
    handlers,
    service,
    clock,
    requests,
    failNext: (failure) => failures.push(failure),
    // The engine's controls themselves: one definition, one set of checks and messages.
    setRemainingRefreshes: service.setRemainingRefreshes,
    seedRefresh: service.seedRefresh,
    advanceTime: (ms) => clock.advance(ms),
    reset() {
      service.reset();
      requests.length = 0;
      failures.clear();
      clock.resetOffset();
    },
  };
}
