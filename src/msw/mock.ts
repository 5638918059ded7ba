/**
 * The metadata refresh API for consumers' unit tests: msw handlers over the reference engine, so a
 * test meets the real rules (signatures, limits, paging, error codes), plus test controls.
 */
import { HttpResponse, http, type RequestHandler } from 'msw';
import { IMX_BASE_URLS } from '../client/client.js';
import type { Clock } from '../clock.js';
import { createRefreshService, type RefreshService } from '../engine/service.js';
import type {
  CollectionConfig,
  FetchMetadata,
  RefreshSeed,
  RefreshServiceOptions,
  ServiceClock,
  ServiceLimits,
} from '../engine/types.js';
import { AbortError } from '../errors.js';

const HTTP_ANSWER = Symbol.for('imx-metadata-refresh.metadataAnswer');

/** An HTTP answer of a Metadata API, as `resolveMetadata` may return it. */
export interface MetadataAnswer {
  status: number;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
}

/**
 * Makes an explicit Metadata API answer for `resolveMetadata`, e.g. `metadataAnswer(404, 'not
 * found')`. A plain `{ status, body }` object also counts as an answer; use this when your
 * metadata itself has a numeric `status` field.
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
  metadataApiUrl?: string;
  /** The tokens that exist; omitted: every token. */
  tokenIds?: string[];
}

/** Options of {@link createMetadataRefreshMock}. */
export interface MetadataRefreshMockOptions
  extends Omit<RefreshServiceOptions, 'owner' | 'collections' | 'fetchMetadata' | 'clock'> {
  /** The project owner. Omitted: any correctly signed request counts as the owner. */
  owner?: string;
  /** The collections that exist. Omitted: every collection. */
  collections?: MockCollection[];
  /** Each token's metadata. Default: a generated object per token. */
  resolveMetadata?: ResolveMetadata;
  /** More base URLs to answer on, beside production and sandbox (e.g. your test's baseURL). */
  baseURL?: string | string[];
  /** The service's clock before `advanceTime`. Default `Date.now()` (so vitest fake timers move it). */
  clock?: ServiceClock;
  limits?: ServiceLimits;
}

/** A request the mock received, for assertions on what the code under test sent. */
export interface RecordedRequest {
  method: string;
  /** Path without the query, e.g. `/v1/metadata-refreshes`. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON when it parses, else the text; undefined without a body. */
  body: unknown;
}

/** A failure to inject with {@link MetadataRefreshMock.failNext}. */
export type InjectedFailure =
  | {
      /** HTTP status to answer with, e.g. 503 or 429. */
      status: number;
      /** Error code; default from the status (`refresh_limit_exceeded` for 429, else `injected_failure`). */
      code?: string;
      message?: string;
      /** Extra headers. A 429 gets the current rate-limit headers (remaining 0) unless given. */
      headers?: Record<string, string>;
      /** How many requests fail. Default 1. */
      times?: number;
      /** Only requests with this method (e.g. `'POST'`). */
      method?: string;
    }
  | {
      /** A network error (the client sees `ConnectionError`). */
      network: true;
      times?: number;
      method?: string;
    };

/** The mock returned by {@link createMetadataRefreshMock}. */
export interface MetadataRefreshMock {
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
  /** Makes the next matching requests fail, before the engine sees them. */
  failNext(failure: InjectedFailure): void;
  /** Sets how many refresh requests are left in the current window. */
  setRemainingRefreshes(remaining: number): void;
  /** Moves the mock's clock forward (e.g. past the hour, to restore the budget). */
  advanceTime(ms: number): void;
  /** Puts a refresh straight into the store (no worker) and returns its id. */
  seedRefresh(seed: RefreshSeed): string;
  /**
   * Back to a fresh mock: forgets refreshes, budget spending, tokens added with
   * `service.addTokens`, injected failures, recorded requests and advanced time, and abandons
   * Metadata API work in flight (its `resolveMetadata` signal aborts; `service.settled()`
   * resolves at once, whatever a previous test left unanswered).
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

function parseBody(bytes: ArrayBuffer): unknown {
  if (bytes.byteLength === 0) return undefined;
  const text = new TextDecoder().decode(bytes);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
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
 */
export function createMetadataRefreshMock(
  options: MetadataRefreshMockOptions = {},
): MetadataRefreshMock {
  const base = options.clock ?? { now: () => Date.now() };
  let offsetMs = 0;
  const clock = {
    now: () => base.now() + offsetMs,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted)
        throw new AbortError('The operation was aborted', { cause: signal.reason });
      // Virtual time must not run ahead of real work: let the worker finish (or `ms` of real
      // time pass) before the clock jumps, so a slow resolveMetadata cannot look like hours.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        service.settled(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, Math.max(0, ms));
        }),
      ]);
      clearTimeout(timer);
      offsetMs += Math.max(0, ms);
    },
  };
  const { resolveMetadata, baseURL, collections, ...engineOptions } = options;
  const service = createRefreshService({
    ...engineOptions,
    collections: toCollections(collections),
    clock,
    fetchMetadata: fetcherFrom(resolveMetadata ?? defaultMetadata),
  });
  const requests: RecordedRequest[] = [];
  let failures: (InjectedFailure & { left: number })[] = [];

  const takeFailure = (method: string) => {
    const found = failures.find(
      (f) => f.left > 0 && (f.method === undefined || f.method.toUpperCase() === method),
    );
    if (!found) return undefined;
    found.left--;
    failures = failures.filter((f) => f.left > 0);
    return found;
  };

  const bases = [
    IMX_BASE_URLS.production,
    IMX_BASE_URLS.sandbox,
    ...(Array.isArray(baseURL) ? baseURL : baseURL ? [baseURL] : []),
  ].map((u) => u.replace(/\/+$/, ''));

  const handlers = [...new Set(bases)].map((root) =>
    http.all(`${root}/v1/*`, async ({ request }) => {
      const url = new URL(request.url);
      const bytes = await request.arrayBuffer();
      const headers: Record<string, string> = {};
      request.headers.forEach((value, name) => {
        headers[name.toLowerCase()] = value;
      });
      requests.push({
        method: request.method,
        path: url.pathname.slice(new URL(root).pathname.replace(/\/$/, '').length),
        query: Object.fromEntries(url.searchParams),
        headers,
        body: parseBody(bytes),
      });
      const failure = takeFailure(request.method);
      if (failure && 'network' in failure) return HttpResponse.error();
      if (failure) {
        const defaults =
          failure.status === 429
            ? { ...service.rateLimitHeaders(), 'x-imx-remaining-refreshes': '0' }
            : {};
        return HttpResponse.json(
          {
            code:
              failure.code ??
              (failure.status === 429 ? 'refresh_limit_exceeded' : 'injected_failure'),
            message:
              failure.message ??
              (failure.status === 429 ? 'Refresh limit exceeded' : 'Injected failure'),
          },
          { status: failure.status, headers: { ...defaults, ...failure.headers } },
        );
      }
      const answer = await service.handle({
        method: request.method,
        path: url.pathname.slice(new URL(root).pathname.replace(/\/$/, '').length) + url.search,
        headers: request.headers,
        body: bytes.byteLength === 0 ? undefined : new Uint8Array(bytes),
      });
      return HttpResponse.json(answer.body as never, {
        status: answer.status,
        headers: answer.headers,
      });
    }),
  );

  return {
    handlers,
    service,
    clock,
    requests,
    failNext(failure) {
      const times = failure.times ?? 1;
      if (!Number.isSafeInteger(times) || times < 1)
        throw new TypeError('failNext: times must be a positive integer');
      if (
        !('network' in failure) &&
        (!Number.isSafeInteger(failure.status) || failure.status < 400 || failure.status > 599)
      ) {
        throw new TypeError('failNext: status must be an HTTP error status (400-599)');
      }
      failures.push({ ...failure, left: times });
    },
    setRemainingRefreshes: (remaining) => service.setRemainingRefreshes(remaining),
    advanceTime(ms) {
      if (!Number.isFinite(ms) || ms < 0)
        throw new TypeError('advanceTime: ms must be a non-negative number');
      offsetMs += ms;
    },
    seedRefresh: (seed) => service.seedRefresh(seed),
    reset() {
      service.reset();
      requests.length = 0;
      failures = [];
      offsetMs = 0;
    },
  };
}
