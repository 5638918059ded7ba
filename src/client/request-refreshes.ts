import {
  AbortError,
  type AcceptedRefresh,
  ApiError,
  ConnectionError,
  InvalidRequestError,
  MetadataRefreshError,
  RateLimitError,
} from '../errors.js';
import { MAX_TOKENS_PER_REFRESH } from '../wire/limits.js';
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

/**
 * Sends `tokenIds` (already validated) in requests of at most 1000. Before each request it checks
 * the last known budget; when the budget is spent (known locally, or the server answers 429) it
 * throws `RateLimitError` with `accepted` and `notSent` filled in. Any other failure part-way is
 * rethrown with the same fields, and with `uncertain` holding the ids of a request that may have
 * reached the server, so no id is lost without the caller knowing.
 */
export async function sendInChunks(
  tokenIds: readonly string[],
  deps: ChunkedSenderDeps,
): Promise<RequestRefreshesResult> {
  const chunks = chunk(tokenIds, MAX_TOKENS_PER_REFRESH);
  const refreshes: AcceptedRefresh[] = [];
  let rateLimit: RateLimit | undefined;
  const rest = (from: number) => chunks.slice(from).flat();
  for (const [index, ids] of chunks.entries()) {
    if (deps.signal?.aborted) {
      // Aborted between requests: nothing of what is left was sent.
      const error = new AbortError('The operation was aborted', { cause: deps.signal.reason });
      error.accepted = refreshes;
      error.notSent = rest(index);
      throw error;
    }
    const known = deps.rateLimit();
    if (known && known.remaining < 1 && known.resetAt.getTime() > deps.now()) {
      const error = new RateLimitError({
        status: 429,
        code: 'refresh_limit_exceeded',
        message: `Refresh budget spent until ${known.resetAt.toISOString()}; ${rest(index).length} token ids not sent`,
        headers: {},
        rateLimit: known,
        retryAfterMs: known.resetAt.getTime() - deps.now(),
      });
      error.accepted = refreshes;
      error.notSent = rest(index);
      throw error;
    }
    try {
      const result = await deps.send(ids);
      refreshes.push({ refreshId: result.refreshId, tokenIds: ids });
      rateLimit = result.rateLimit ?? rateLimit;
    } catch (error) {
      if (!(error instanceof MetadataRefreshError)) throw error;
      error.accepted = refreshes;
      // A refused request (4xx) certainly created nothing; anything else may have: a 5xx, a
      // timeout, a proxy's 408 (the API may have got the request), a redirect (a 303 says it did).
      const refused =
        (error instanceof ApiError &&
          error.status >= 400 &&
          error.status < 500 &&
          error.status !== 408) ||
        error instanceof InvalidRequestError ||
        (error instanceof ConnectionError && error.nothingSent);
      error.notSent = refused ? rest(index) : rest(index + 1);
      error.uncertain = refused ? [] : ids;
      throw error;
    }
  }
  return { refreshes, rateLimit };
}
