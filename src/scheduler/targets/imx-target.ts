/**
 * The Immutable X target: a batch is one signed refresh request naming its token ids; the
 * platform pulls each token's metadata and the refresh id is followed until it completes.
 */
import type { MetadataRefreshClient } from '../../client/client.js';
import { ApiError, InvalidRequestError, RateLimitError } from '../../errors.js';
import { isTransientFetchFailure } from '../../metadata-api/classify.js';
import {
  MAX_PAGE_SIZE,
  MAX_TOKENS_PER_REFRESH,
  REFRESH_WINDOW_MS,
  REFRESHES_PER_WINDOW,
} from '../../wire/limits.js';
import { findUncertainRefresh } from '../reconcile.js';
import { classifySendFailure } from '../send-failure.js';
import type { BudgetReport, SchedulerTarget } from './target.js';

/** What the scheduler needs of an Immutable X client (a `MetadataRefreshClient`, or a fake in tests). */
export type SchedulerClient = Pick<
  MetadataRefreshClient,
  'requestRefresh' | 'getRefresh' | 'iterateRefreshErrors' | 'iterateRefreshes'
> & {
  /** The client's longest send ({@link MetadataRefreshClient.longestSendMs}); a fake may leave it out. */
  readonly longestSendMs?: number | undefined;
};

/** Options of {@link imxTarget}. */
export interface ImxTargetOptions {
  /** Sends the requests, signed by the project owner. */
  client: SchedulerClient;
}

function report(rateLimit: { limit: number; remaining: number; resetAt: Date } | undefined) {
  return rateLimit
    ? {
        limit: rateLimit.limit,
        remaining: rateLimit.remaining,
        resetAtMs: rateLimit.resetAt.getTime(),
      }
    : undefined;
}

/**
 * Drives the Immutable X API: up to 1000 ids a request, 10 requests an hour, each refresh
 * followed by its id and its error rows read when it completes.
 *
 * @example
 * ```ts
 * const scheduler = new RefreshScheduler({ target: imxTarget({ client }) });
 * ```
 * @throws {InvalidRequestError} `client` is not a {@link MetadataRefreshClient}-like client.
 */
export function imxTarget(options: ImxTargetOptions): SchedulerTarget {
  const client = options?.client;
  if (!client || typeof client.requestRefresh !== 'function') {
    throw new InvalidRequestError('imxTarget needs a client (a MetadataRefreshClient)');
  }
  return {
    api: 'imx',
    maxBatchSize: MAX_TOKENS_PER_REFRESH,
    budget: { limit: REFRESHES_PER_WINDOW, windowMs: REFRESH_WINDOW_MS },
    // The platform pulls the metadata when it processes the refresh: nothing older can land later.
    longestSendMs: client.longestSendMs,
    async prepare({ tokenIds }) {
      return { tokenIds, unsendable: [], deferred: [], payload: undefined };
    },
    async send({ collectionAddress, prepared }) {
      const { refreshId, rateLimit } = await client.requestRefresh({
        collectionAddress,
        tokenIds: prepared.tokenIds,
      });
      return { receipt: refreshId, refreshId, budget: report(rateLimit), settled: false };
    },
    classifySendFailure,
    budgetOf(error): BudgetReport | undefined {
      if (!(error instanceof RateLimitError)) return undefined;
      return { ...report(error.rateLimit), retryAfterMs: error.retryAfterMs };
    },
    async poll({ sent, signal }) {
      const refresh = await client.getRefresh(sent.receipt, { signal });
      if (refresh.status !== 'completed') return { done: false };
      const { summary } = refresh;
      const failures = new Map<string, { errorCode: string; transient: boolean }>();
      const ours = new Set(sent.tokenIds);
      let rows = 0;
      // No failures, no error pages to read (and no GETs spent on them).
      const errors =
        summary.failed > 0
          ? client.iterateRefreshErrors(sent.receipt, { pageSize: MAX_PAGE_SIZE, signal })
          : [];
      for await (const e of errors) {
        if (ours.has(e.tokenId)) {
          failures.set(e.tokenId, {
            errorCode: e.errorCode,
            transient: isTransientFetchFailure(e.errorCode, e.clientResponseStatusCode),
          });
        }
        // A refresh has at most one error row per token: a listing that goes on is broken.
        if (++rows >= Math.min(ours.size, summary.failed) || failures.size === ours.size) break;
      }
      return { done: true, failures, completed: { refreshId: sent.receipt, summary } };
    },
    async reconcile(input) {
      const refresh = await findUncertainRefresh({
        client,
        collectionAddress: input.collectionAddress,
        tokenCount: input.tokenIds.length,
        sentAtMs: input.sentAtMs,
        clockSkewMs: input.clockSkewMs,
        claim: input.claim,
        signal: input.signal,
      });
      return refresh?.refreshId;
    },
    refreshIdOf: (receipt) => receipt,
    isGone: (error) => error instanceof ApiError && error.status === 404,
  };
}
