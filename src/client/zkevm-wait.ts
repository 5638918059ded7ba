/** Waiting for pushed metadata to take effect: polling NFTs until `metadataSyncedAt` moves. */
import { type Clock, throwIfAborted } from '../clock.js';
import { TimeoutError } from '../errors.js';
import { NFT_SYNC_POLL } from '../wire/zkevm/limits.js';
import type { Nft } from '../wire/zkevm/mappers.js';
import { mapLimit } from './map-limit.js';
import { type PollStep, pollWithBackoff } from './poll.js';

/** Options of `waitForNftMetadata`'s polling. */
export interface NftSyncWaitOptions {
  /** The time the push was made (or earlier): an NFT counts once `metadataSyncedAt >= since`. */
  since: Date;
  /** First wait between polls, in ms. Default `NFT_SYNC_POLL.initialMs` (2000). */
  pollIntervalMs?: number | undefined;
  /** The wait grows by half after each round with no NFT newly synced, up to this. Default 30000. */
  maxPollIntervalMs?: number | undefined;
  /** Give up with `TimeoutError` after this many ms. Default: no limit. */
  timeoutMs?: number | undefined;
  /** How many NFTs are read at once in a round. Default 4. */
  concurrency?: number | undefined;
  /** Stop waiting (rejects with `AbortError`). */
  signal?: AbortSignal | undefined;
}

/** Whether an NFT's metadata was synced at or after `sinceMs`. */
export function syncedSince(nft: Nft, sinceMs: number): boolean {
  if (nft.metadataSyncedAt === null) return false;
  const at = Date.parse(nft.metadataSyncedAt);
  return Number.isFinite(at) && at >= sinceMs;
}

/**
 * Polls `getNft` for every token not yet synced, in rounds of bounded concurrency, until each
 * shows `metadataSyncedAt >= since`; returns the NFTs in `tokenIds` order. The wait between
 * rounds starts at `pollIntervalMs`, grows by half after a round in which no NFT newly synced
 * (capped at `maxPollIntervalMs`) and drops back when one did. Errors of a read (a 404 for a
 * token that does not exist) end the wait.
 */
export async function pollUntilSynced(
  tokenIds: readonly string[],
  getNft: (tokenId: string) => Promise<Nft>,
  clock: Clock,
  options: NftSyncWaitOptions,
): Promise<Nft[]> {
  const initialMs = options.pollIntervalMs ?? NFT_SYNC_POLL.initialMs;
  const concurrency = options.concurrency ?? NFT_SYNC_POLL.concurrency;
  const sinceMs = options.since.getTime();
  const synced = new Map<string, Nft>();
  let round = 0;
  return pollWithBackoff(
    async (signal): Promise<PollStep<Nft[]>> => {
      const pending = tokenIds.filter((id) => !synced.has(id));
      const read = await mapLimit(pending, concurrency, async (id) => {
        throwIfAborted(signal);
        return getNft(id);
      });
      let progressed = round++ === 0;
      for (const [index, nft] of read.entries()) {
        if (syncedSince(nft, sinceMs)) {
          synced.set(pending[index] as string, nft);
          progressed = true;
        }
      }
      if (synced.size === tokenIds.length) {
        return { done: true, value: tokenIds.map((id) => synced.get(id) as Nft) };
      }
      return { done: false, progressed };
    },
    {
      clock,
      initialMs,
      factor: NFT_SYNC_POLL.factor,
      maxMs: Math.max(initialMs, options.maxPollIntervalMs ?? NFT_SYNC_POLL.maxMs),
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      timedOut: () => {
        const still = tokenIds.filter((id) => !synced.has(id));
        return new TimeoutError(
          `The metadata of ${still.length} of ${tokenIds.length} NFTs was not synced since ${options.since.toISOString()} within ${options.timeoutMs} ms (still waiting: ${still.slice(0, 10).join(', ')}${still.length > 10 ? ', ...' : ''})`,
        );
      },
    },
  );
}
