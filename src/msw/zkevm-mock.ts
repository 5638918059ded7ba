/**
 * The Immutable zkEVM metadata refresh API for consumers' unit tests: msw handlers over the
 * zkEVM reference engine, so a test meets the real rules (the key, the limits, the budget
 * headers, pushes that take effect after a delay), plus test controls.
 */
import { HttpResponse, http, type RequestHandler } from 'msw';
import type { Clock } from '../clock.js';
import type { ServiceClock } from '../engine/types.js';
import {
  type ApiKeyRule,
  createZkEvmService,
  errorResponse,
  rateLimitHeaders,
  spentBudget,
  type ZkEvmService,
  type ZkEvmServiceOptions,
} from '../engine/zkevm/index.js';
import { API_KEY_HEADER, ZKEVM_ENVIRONMENTS } from '../wire/zkevm/limits.js';
import { ZKEVM_ERROR_CODES, type ZkEvmErrorCode } from '../wire/zkevm/schemas.js';
import { offsetClock } from './clock.js';
import { createFailureQueue, type InjectedFailure } from './failures.js';
import { type RecordedRequest, readMswRequest, rootsOf, toMswResponse } from './recording.js';

/** Options of {@link createZkEvmMock}: the engine's, with defaults for a unit test. */
export interface ZkEvmMockOptions extends Omit<ZkEvmServiceOptions, 'apiKey' | 'clock'> {
  /**
   * The accepted API key, or a predicate. Default: any non-empty key (no or a blank key is
   * still a 401). Give your test's key to have any other answered 403.
   */
  apiKey?: ApiKeyRule | undefined;
  /** More base URLs to answer on, beside production and sandbox (e.g. your test's baseURL). */
  baseURL?: string | string[] | undefined;
  /** The base time before `advanceTime`. Default `Date.now()` (so vitest fake timers move it). */
  clock?: ServiceClock | undefined;
}

/** The mock returned by {@link createZkEvmMock}. */
export interface ZkEvmMock {
  /**
   * msw handlers for `/v1/chains/...` on production, sandbox and any `baseURL`:
   * `setupServer(...mock.handlers)`. Other paths are left to other handlers (an Immutable X mock
   * on the same base URL, say).
   */
  handlers: RequestHandler[];
  /**
   * The engine behind the handlers, with its controls: `await mock.service.settled()` applies
   * every accepted push (moving the mock's clock past the sync delay), `mint`, `nft`, `budget`.
   */
  service: ZkEvmService;
  /**
   * The mock's clock: the base time plus whatever `advanceTime` and sleeps added. Hand it to a
   * client so its retries and waits use the same time: its `sleep` returns at once and moves
   * time forward.
   */
  clock: Clock;
  /**
   * Every request received since the last reset, oldest first. The `x-immutable-api-key` value
   * is recorded as `[redacted]`: a recording ends up in assertion diffs and CI logs, and the key
   * is a credential. Its presence is recorded; to check which key was sent, configure `apiKey`
   * and let the mock answer 403 to any other.
   */
  requests: RecordedRequest[];
  /**
   * Makes the next matching requests fail, before the engine sees them (so they spend no budget).
   * A status gets the platform's error body; its `code` defaults to the code the platform pairs
   * with the status (`TOO_MANY_REQUESTS_ERROR` for 429, with the four rate-limit headers of a
   * spent window: remaining 0, `retry-after` the time to the reset), else `INTERNAL_SERVER_ERROR` for a 5xx and `VALIDATION_ERROR` for a 4xx.
   *
   * @throws {TypeError} a `times` that is not a positive integer, or a `status` outside 400-599.
   * Nothing is queued then.
   */
  failNext(failure: InjectedFailure): void;
  /**
   * Sets how many refresh requests are left in the current window, as
   * `service.setRemainingRefreshes` does.
   *
   * @throws {TypeError} `remaining` is not a non-negative integer.
   */
  setRemainingRefreshes(remaining: number): void;
  /**
   * Moves the mock's clock forward (e.g. past the window, to restore the budget).
   *
   * @throws {TypeError} `ms` is negative or not finite.
   */
  advanceTime(ms: number): void;
  /**
   * Back to a fresh mock: the clock back to the base time, then NFTs, stacks, pushes not yet
   * applied and budget spending forgotten, and injected failures and recorded requests cleared.
   * Never throws.
   */
  reset(): void;
}

/** The code the platform pairs with `status`, read from the engine's own pairing. */
function codeFor(status: number): ZkEvmErrorCode {
  const paired = ZKEVM_ERROR_CODES.find(
    (code) => errorResponse({ code, message: '' }, '').status === status,
  );
  return paired ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'VALIDATION_ERROR');
}

/**
 * Creates the mock. Use it with msw's `setupServer`:
 *
 * @example
 * ```ts
 * const mock = createZkEvmMock({ syncDelayMs: 0 });
 * const server = setupServer(...mock.handlers);
 * beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
 * afterEach(() => mock.reset());
 * afterAll(() => server.close());
 * ```
 * @throws {TypeError} a bad option, named in the message (a limit that is not a positive
 * integer, a `limits.retryAfter` other than `window` or `pacing`, a `limits.pacingMs` without
 * `pacing`, a negative `syncDelayMs`, an `apiKey` that is neither a non-empty string nor a function,
 * an unknown chain without `chainId`, a collection's malformed address or token id).
 */
export function createZkEvmMock(options: ZkEvmMockOptions = {}): ZkEvmMock {
  const { baseURL, apiKey, clock: base, ...engineOptions } = options;
  const clock = offsetClock(base ?? { now: () => Date.now() });
  const service = createZkEvmService({
    ...engineOptions,
    // Blank and missing keys are the engine's 401 before this is asked.
    apiKey: apiKey ?? (() => true),
    clock,
  });
  const traceId = () =>
    (options.generateId ?? (() => globalThis.crypto.randomUUID()))().replaceAll('-', '');
  const requests: RecordedRequest[] = [];
  const failures = createFailureQueue();

  const injected = (failure: Exclude<InjectedFailure, { network: true }>) => {
    const code = (failure.code ?? codeFor(failure.status)) as ZkEvmErrorCode;
    const tooMany = failure.status === 429;
    const headers = tooMany ? rateLimitHeaders(spentBudget(service.budget(), clock.now())) : {};
    const message =
      failure.message ?? (tooMany ? 'Too many metadata refreshes (injected)' : 'Injected failure');
    const answer = errorResponse({ code, message, headers }, traceId());
    return HttpResponse.json(answer.body as never, {
      status: failure.status,
      headers: { ...answer.headers, ...failure.headers },
    });
  };

  const roots = rootsOf(
    [ZKEVM_ENVIRONMENTS.production.baseUrl, ZKEVM_ENVIRONMENTS.sandbox.baseUrl],
    baseURL,
  );
  const handlers = roots.map((root) =>
    http.all(`${root}/v1/chains/*`, async ({ request }) => {
      const read = await readMswRequest(request, root, [API_KEY_HEADER]);
      requests.push(read.recorded);
      const failure = failures.take(request.method);
      if (failure && 'network' in failure) return HttpResponse.error();
      if (failure) return injected(failure);
      return toMswResponse(await service.handle(read.service));
    }),
  );

  return {
    handlers,
    service,
    clock,
    requests,
    failNext: (failure) => failures.push(failure),
    setRemainingRefreshes: (remaining) => service.setRemainingRefreshes(remaining),
    advanceTime: (ms) => clock.advance(ms),
    reset() {
      clock.resetOffset();
      service.reset();
      requests.length = 0;
      failures.clear();
    },
  };
}
