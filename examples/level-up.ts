/**
 * A game-server function that refreshes one token after a level-up, and what to do when the
 * project's 10 refresh requests this hour are spent: keep the token id and retry after the reset.
 * (For a stream of level-ups, use RefreshScheduler instead: it batches and paces for you.)
 *
 * Run: npx tsx examples/level-up.ts
 */
import { type MetadataRefreshClient, RateLimitError } from 'imx-metadata-refresh';
import { startLocalPlatform } from './support/local-platform.js';

/** Token ids whose refresh must wait for the budget; a real server would persist these. */
export const deferred = new Map<string, Date | undefined>();

export async function onLevelUp(
  client: MetadataRefreshClient,
  collectionAddress: string,
  tokenId: string,
) {
  try {
    const { refreshId, rateLimit } = await client.requestRefresh({
      collectionAddress,
      tokenIds: [tokenId],
    });
    return { refreshId, remaining: rateLimit?.remaining };
  } catch (error) {
    if (!(error instanceof RateLimitError)) throw error;
    deferred.set(tokenId, error.rateLimit?.resetAt);
    return { deferredUntil: error.rateLimit?.resetAt };
  }
}

export async function levelUpDemo(log: (line: string) => void = console.log) {
  const platform = await startLocalPlatform();
  const { client, collectionAddress, metadata } = platform;
  try {
    const results = [];
    for (let level = 2; level <= 12; level++) {
      metadata.set('7', { name: 'Borin', level });
      const result = await onLevelUp(client, collectionAddress, '7');
      results.push(result);
      log(
        'refreshId' in result
          ? `level ${level}: refresh ${result.refreshId} (${result.remaining} left this hour)`
          : `level ${level}: budget spent, token 7 deferred until ${result.deferredUntil?.toISOString()}`,
      );
    }
    return results;
  } finally {
    await platform.close();
  }
}

if (process.argv[1]?.endsWith('level-up.ts')) await levelUpDemo();
