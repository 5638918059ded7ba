/**
 * The Immutable X reference metadata refresh service: the whole API behind one `handle`
 * function, with the platform's rules (auth, limits, paging, the worker's error codes), over the
 * state in `state.ts`, the routes in `router.ts` and the test controls in `controls.ts`. Knows
 * nothing of HTTP libraries: the node:http server and the msw mock are thin adapters over it.
 */

import { systemClock } from '../../clock.js';
import {
  DEFAULT_MAX_METADATA_BYTES,
  METADATA_API_ATTEMPTS,
  METADATA_API_TIMEOUT_MS,
} from '../../metadata-api/limits.js';
import { optionChecks } from '../../option-checks.js';
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  MAX_TOKENS_PER_REFRESH,
  REFRESH_WINDOW_MS,
  REFRESHES_PER_WINDOW,
} from '../../wire/limits.js';
import { COLLECTION_ADDRESS_PATTERN } from '../../wire/schemas.js';
import { logServiceError } from '../log-error.js';
import { type ParsedRequest, parseRequest } from '../request.js';
import type { ServiceErrorContext } from '../types.js';
import { authenticate, cachedVerifier } from './auth.js';
import { RefreshBudget } from './budget.js';
import type { RouteContext } from './context.js';
import { createControls } from './controls.js';
import { apiError } from './responses.js';
import { route } from './router.js';
import { RefreshState } from './state.js';
import type { RefreshService, RefreshServiceOptions } from './types.js';
import { Worker } from './worker.js';

export type { RefreshService } from './types.js';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE };

/** The checks of the service's options. */
const check = optionChecks('createRefreshService');

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  return check.positiveInteger(name, value ?? fallback);
}

/**
 * Creates the reference service. See {@link RefreshServiceOptions} for the defaults.
 *
 * @throws {InvalidOptionError} no `fetchMetadata` function, or a bad option, named in the message (an
 * owner that is not an address, a limit that is not a positive integer, a collection's malformed
 * address or Metadata API URL).
 */
export function createRefreshService(options: RefreshServiceOptions): RefreshService {
  if (typeof options?.fetchMetadata !== 'function') {
    throw check.invalid('fetchMetadata', 'must be a function', options?.fetchMetadata);
  }
  const clock = options.clock ?? systemClock;
  const generateId = options.generateId ?? (() => globalThis.crypto.randomUUID());
  const owner = options.owner?.toLowerCase();
  if (owner !== undefined && !COLLECTION_ADDRESS_PATTERN.test(owner)) {
    throw check.invalid('owner', 'must be an address: 0x followed by 40 hex characters');
  }
  const tokensPerRefresh = positiveInt(
    options.limits?.tokensPerRefresh,
    MAX_TOKENS_PER_REFRESH,
    'limits.tokensPerRefresh',
  );
  const budget = new RefreshBudget(
    positiveInt(options.limits?.refreshesPerHour, REFRESHES_PER_WINDOW, 'limits.refreshesPerHour'),
    positiveInt(options.limits?.windowMs, REFRESH_WINDOW_MS, 'limits.windowMs'),
  );
  const toleranceSeconds = options.timestampToleranceSeconds ?? 300;
  const state = new RefreshState(options.collections);
  const verify = cachedVerifier();
  const onError = options.onError ?? logServiceError;
  const report = (error: unknown, context: ServiceErrorContext) => {
    try {
      onError(error, context);
    } catch {
      // A throwing onError must not turn a 500 into a crash.
    }
  };

  const worker = new Worker({
    concurrency: positiveInt(options.concurrency, 16, 'concurrency'),
    attempts: positiveInt(options.fetchAttempts, METADATA_API_ATTEMPTS, 'fetchAttempts'),
    timeoutMs: positiveInt(options.fetchTimeoutMs, METADATA_API_TIMEOUT_MS, 'fetchTimeoutMs'),
    maxBytes: positiveInt(options.maxMetadataBytes, DEFAULT_MAX_METADATA_BYTES, 'maxMetadataBytes'),
    fetchMetadata: options.fetchMetadata,
    onError: (error) => report(error, { source: 'worker' }),
    onOutcome: (task, outcome) => state.recordOutcome(task, outcome, clock),
  });

  const ctx: RouteContext = {
    state,
    budget,
    worker,
    clock,
    generateId,
    tokensPerRefresh,
    authenticate: (header) =>
      authenticate(header, { owner, nowMs: clock.now(), toleranceSeconds, verify }),
  };

  return {
    async handle(request) {
      let req: ParsedRequest | undefined;
      try {
        req = parseRequest(request);
        if (!req) return apiError(400, 'bad_request', 'The path is not valid percent-encoding');
        return await route(ctx, req);
      } catch (error) {
        // A bug, not an input: tell onError, and answer like the platform would rather than
        // crash the process.
        report(error, { source: 'request', method: req?.method, path: req?.pathname });
        return apiError(500, 'internal_server_error', 'Internal server error');
      }
    },
    settled: () => worker.idle(),
    stop: () => worker.stop(),
    ...createControls({ state, budget, worker, clock, generateId }),
  };
}
