import {
  AbortError,
  type AcceptedRefresh,
  type AcceptedRequest,
  ApiError,
  attachProgress,
  ConnectionError,
  InvalidRequestError,
  MetadataRefreshError,
  RateLimitError,
  type RequestProgress,
  type RequestProgressOf,
  SignerError,
} from '../errors.js';
import { MAX_TOKENS_PER_REFRESH, REFRESH_LIMIT_EXCEEDED } from '../wire/limits.js';
import type { RateLimit } from '../wire/rate-limit.js';

/** Result of `requestRefreshes`. */
export interface RequestRefreshesResult {
  /** One entry per request sent, in order, with the ids it covers. */
  refreshes: AcceptedRefresh[];
  /** The budget after the last request. */
  rateLimit: RateLimit | undefined;
}

/** Splits `items` into consecutive chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** What the chunked sender needs from the client. */
export interface ChunkedSenderDeps {
  send: (tokenIds: string[]) => Promise<{ refreshId: string; rateLimit: RateLimit | undefined }>;
  rateLimit: () => RateLimit | undefined;
  now: () => number;
  signal?: AbortSignal | undefined;
}

/** What {@link sendChunks} needs: how to send one request and what it covers, and the budget. */
export interface RequestSequenceDeps<C, A extends AcceptedRequest, R extends RateLimit> {
  /** Sends one request; resolves with what to record as accepted and the budget after it. */
  send: (chunk: C) => Promise<{ accepted: A; rateLimit: R | undefined }>;
  /** The token (or metadata) ids one request covers, for `notSent` and `uncertain`. */
  idsOf: (chunk: C) => string[];
  /** Names the call's progress, for the error's `progress` (e.g. `operation: 'requestRefreshes'`). */
  progress: (progress: RequestProgressOf<A>) => RequestProgress;
  /** The last budget the client saw. */
  rateLimit: () => RateLimit | undefined;
  now: () => number;
  /** The API's code for a spent budget, used on the error raised before sending. */
  limitCode: string;
  signal?: AbortSignal | undefined;
}

/**
 * Sends prepared requests one after another, the machinery of every multi-request call. Before
 * each request it checks the last known budget; when the budget is spent (known locally, or the
 * server answers 429) it throws `RateLimitError`. Every error it throws once it has started
 * carries `progress`: what was accepted, what was certainly not sent, and as `uncertain` the ids
 * of a request that may have reached the server, so no id is lost without the caller knowing.
 */
export async function sendChunks<C, A extends AcceptedRequest, R extends RateLimit>(
  chunks: readonly C[],
  deps: RequestSequenceDeps<C, A, R>,
): Promise<{ accepted: A[]; rateLimit: R | undefined }> {
  const accepted: A[] = [];
  let rateLimit: R | undefined;
  const rest = (from: number) => chunks.slice(from).flatMap(deps.idsOf);
  const withProgress = <E extends MetadataRefreshError>(
    error: E,
    notSent: string[],
    uncertain: string[] = [],
  ): E => attachProgress(error, deps.progress({ accepted, notSent, uncertain }));
  for (const [index, current] of chunks.entries()) {
    if (deps.signal?.aborted) {
      // Aborted between requests: nothing of what is left was sent.
      throw withProgress(
        new AbortError('The operation was aborted', { cause: deps.signal.reason }),
        rest(index),
      );
    }
    const known = deps.rateLimit();
    if (known && known.remaining < 1 && known.resetAt.getTime() > deps.now()) {
      const error = new RateLimitError({
        status: 429,
        code: deps.limitCode,
        message: `Refresh budget spent until ${known.resetAt.toISOString()}; ${rest(index).length} token ids not sent`,
        headers: {},
        rateLimit: known,
        retryAfterMs: known.resetAt.getTime() - deps.now(),
      });
      throw withProgress(error, rest(index));
    }
    try {
      const result = await deps.send(current);
      accepted.push(result.accepted);
      rateLimit = result.rateLimit ?? rateLimit;
    } catch (error) {
      if (!(error instanceof MetadataRefreshError)) throw error;
      // A refused request (4xx) certainly created nothing; anything else may have: a 5xx, a
      // timeout, a proxy's 408 (the API may have got the request), a redirect (a 303 says it did).
      const refused =
        (error instanceof ApiError &&
          error.status >= 400 &&
          error.status < 500 &&
          error.status !== 408) ||
        error instanceof InvalidRequestError ||
        (error instanceof ConnectionError && error.nothingSent) ||
        error instanceof SignerError;
      throw refused
        ? withProgress(error, rest(index))
        : withProgress(error, rest(index + 1), deps.idsOf(current));
    }
  }
  return { accepted, rateLimit };
}

/**
 * Sends `tokenIds` (already validated) in Immutable X refresh requests of at most 1000, through
 * {@link sendChunks}.
 */
export async function sendInChunks(
  tokenIds: readonly string[],
  deps: ChunkedSenderDeps,
): Promise<RequestRefreshesResult> {
  const { accepted, rateLimit } = await sendChunks(chunk(tokenIds, MAX_TOKENS_PER_REFRESH), {
    send: async (ids) => {
      const result = await deps.send(ids);
      return {
        accepted: { refreshId: result.refreshId, tokenIds: ids },
        rateLimit: result.rateLimit,
      };
    },
    idsOf: (ids) => ids,
    progress: (progress) => ({ operation: 'requestRefreshes', ...progress }),
    rateLimit: deps.rateLimit,
    now: deps.now,
    limitCode: REFRESH_LIMIT_EXCEEDED.code,
    signal: deps.signal,
  });
  return { refreshes: accepted, rateLimit };
}
