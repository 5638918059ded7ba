/**
 * A game-server function: after a hero levels up, refresh its token's metadata and wait until the
 * platform has it. When the hourly budget is spent it defers instead of failing the level-up.
 */
import { type MetadataRefreshClient, RateLimitError } from 'imx-metadata-refresh';

export type LevelUpRefresh =
  | { outcome: 'refreshed'; refreshId: string }
  | { outcome: 'failed'; refreshId: string; errorCode: string }
  | { outcome: 'deferred'; retryAt: Date | undefined };

export async function refreshAfterLevelUp(
  client: MetadataRefreshClient,
  collectionAddress: string,
  tokenId: string,
): Promise<LevelUpRefresh> {
  let refreshId: string;
  try {
    ({ refreshId } = await client.requestRefresh({ collectionAddress, tokenIds: [tokenId] }));
  } catch (error) {
    if (error instanceof RateLimitError)
      return { outcome: 'deferred', retryAt: error.rateLimit?.resetAt };
    throw error;
  }
  const refresh = await client.waitForRefresh(refreshId, {
    pollIntervalMs: 2_000,
    timeoutMs: 10 * 60_000,
  });
  if (refresh.summary.failed === 0) return { outcome: 'refreshed', refreshId };
  const { result } = await client.getRefreshErrors(refreshId);
  return { outcome: 'failed', refreshId, errorCode: result[0]?.errorCode ?? 'unknown' };
}
