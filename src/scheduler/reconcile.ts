/**
 * Finding out whether an uncertain send was accepted. A refresh POST that timed out, broke off or
 * answered 5xx/408 (or 202 without a readable id) may have created a refresh: resending blindly
 * would spend a second budget unit on the same ids. The collection's newest refreshes tell: one
 * the store does not know, started after the send began, whose summary counts the batch's ids,
 * is ours.
 */
import type { MetadataRefreshClient } from '../client/client.js';
import { ApiError, InvalidRequestError } from '../errors.js';
import type { Refresh } from '../wire/mappers.js';

/** What reconciliation needs of a client. */
export type ReconcileClient = Pick<MetadataRefreshClient, 'iterateRefreshes' | 'getRefresh'>;

/** Options of {@link findUncertainRefresh}. */
export interface FindUncertainRefreshOptions {
  client: ReconcileClient;
  collectionAddress: string;
  /** Distinct ids the uncertain send named: the refresh's summary must count exactly these. */
  tokenCount: number;
  /** When the send began, by the scheduler's clock (ms). */
  sentAtMs: number;
  /** How far the server's clock may be behind ours. */
  clockSkewMs: number;
  /**
   * Claims a candidate for this batch (the store's atomic `markSent`): `false` when the store
   * already knows the refresh, which then belongs to another batch.
   */
  claim: (refreshId: string) => Promise<boolean>;
  signal?: AbortSignal | undefined;
}

/** Refresh list rows read at most per check: the newest first, so ours is near the top. */
export const MAX_ROWS_EXAMINED = 200;

/**
 * Looks for the refresh an uncertain send created and claims it. Resolves the claimed refresh,
 * or `undefined` when the listing shows none (then the send was not accepted, or not yet).
 * Rejects when the API cannot be read: that proves nothing either way.
 */
export async function findUncertainRefresh(
  options: FindUncertainRefreshOptions,
): Promise<Refresh | undefined> {
  const earliestMs = options.sentAtMs - options.clockSkewMs;
  const candidates: { refreshId: string; startedMs: number }[] = [];
  let examined = 0;
  for await (const item of options.client.iterateRefreshes({
    collectionAddress: options.collectionAddress,
    pageSize: 50,
    signal: options.signal,
  })) {
    const startedMs = Date.parse(item.startedAt);
    // Newest first: once rows start before the send, the rest are older still.
    if (Number.isFinite(startedMs) && startedMs < earliestMs) break;
    if (Number.isFinite(startedMs)) candidates.push({ refreshId: item.refreshId, startedMs });
    if (++examined >= MAX_ROWS_EXAMINED) break;
  }
  // The one that started closest after the send is the likeliest to be ours.
  candidates.sort((a, b) => a.startedMs - b.startedMs);
  for (const { refreshId } of candidates) {
    let refresh: Refresh;
    try {
      refresh = await options.client.getRefresh(refreshId, { signal: options.signal });
    } catch (error) {
      // A listed id the API cannot serve by id is not evidence for this batch.
      if (error instanceof InvalidRequestError) continue;
      if (error instanceof ApiError && error.status === 404) continue;
      throw error;
    }
    const { succeeded, failed, pending } = refresh.summary;
    if (succeeded + failed + pending !== options.tokenCount) continue;
    if (await options.claim(refresh.refreshId)) return refresh;
  }
  return undefined;
}
