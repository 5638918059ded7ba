/**
 * The zkEVM target: a batch is one push of each token's current metadata, read from a
 * {@link MetadataSource} just before the push. There is no refresh id: a 202 is the acceptance,
 * and `verify` confirms it through each NFT's `metadataSyncedAt`.
 */

import { mapLimit } from '../../client/map-limit.js';
import type { ZkEvmMetadataClient } from '../../client/zkevm-client.js';
import { type NftMetadataPush, toNftWireItems } from '../../client/zkevm-validate.js';
import { syncedSince } from '../../client/zkevm-wait.js';
import { CLOCK_SKEW_MS } from '../../clock.js';
import { InvalidRequestError, RateLimitError } from '../../errors.js';
import { optionChecks } from '../../option-checks.js';
import { metadataDrift } from '../../wire/zkevm/canonical.js';
import { chunkRefreshItems } from '../../wire/zkevm/chunk.js';
import { MAX_ITEM_BYTES, MAX_NFTS_PER_REFRESH, wireByteLength } from '../../wire/zkevm/limits.js';
import { type Nft, nftMetadataRefreshToWire } from '../../wire/zkevm/mappers.js';
import type { NftMetadataItemWire } from '../../wire/zkevm/schemas.js';
import { SCHEDULER_FAILURE_CODES as CODES } from '../failure-codes.js';
import { classifySendFailure } from '../send-failure.js';
import { MetadataReadError, type MetadataSource } from '../sources/metadata-source.js';
import type { BudgetReport, SchedulerTarget, UnsendableToken } from './target.js';

/** What the scheduler needs of a zkEVM client (a `ZkEvmMetadataClient`, or a fake in tests). */
export type ZkEvmSchedulerClient = Pick<ZkEvmMetadataClient, 'refreshNftMetadata' | 'getNft'> & {
  /** The client's longest send ({@link ZkEvmMetadataClient.longestSendMs}); a fake may leave it out. */
  readonly longestSendMs?: number | undefined;
};

/** Options of {@link zkEvmTarget}. */
export interface ZkEvmTargetOptions {
  /** Pushes the metadata with the project's secret API key. */
  client: ZkEvmSchedulerClient;
  /**
   * Reads each token's current metadata at send time: {@link metadataApiSource} (the studio's
   * Metadata API) or the game's own function. **The push replaces the NFT's metadata: a field the
   * source leaves out is cleared.**
   */
  metadata: MetadataSource;
  /**
   * Confirm each push by reading the NFTs until `metadataSyncedAt` reaches the push (polled at
   * the scheduler's `pollIntervalMs`); an NFT that does not within `timeoutMs` ends in
   * `tokenFailed` with `metadata_not_synced`. Without it, a 202 ends each id in `tokenSucceeded`.
   * `clockSkewMs` (default 5000) is how far the platform's clock may be behind ours: an NFT
   * synced that long before the push began confirms it only if it shows what the push carried.
   */
  verify?: { timeoutMs?: number | undefined; clockSkewMs?: number | undefined } | undefined;
  /**
   * How long the platform may take to apply an accepted push (ms). Default 10000: the platform
   * documents about 8 s until marketplaces show it. Part of the longest push, which the
   * scheduler's `leaseMs` must outlive: a push that could still be applied is never overtaken.
   */
  applyDelayMs?: number | undefined;
}

/** The platform documents about 8 s from a push to marketplaces; a margin above it. */
const DEFAULT_APPLY_DELAY_MS = 10_000;

/** NFTs read at once while verifying or reconciling. */
const READ_CONCURRENCY = 4;
/** The platform's window; the server announces where each one ends. */
const HOUR_MS = 3_600_000;

// The receipt names the push: when it began (for verify after a takeover) and its batch (unique).
const receiptOf = (sentAtMs: number, batchId: string) => `push:${sentAtMs}:${batchId}`;
function sentAtOf(receipt: string): number {
  const ms = Number(receipt.split(':')[1]);
  return Number.isFinite(ms) ? ms : 0;
}

/**
 * Whether an NFT shows what a push carried, by the one rule of "same metadata" (the sync's
 * drift). A field the platform keeps differently (a value it normalises) reads as "not shown":
 * the cost is one push spent again, never a stale NFT.
 */
function showsPush(nft: Nft, push: NftMetadataPush): boolean {
  return metadataDrift(nft, push).length === 0;
}

/** Why a token's metadata cannot be pushed as the source gave it. */
export function unsendableFrom(
  tokenId: string,
  value: unknown,
): UnsendableToken | NftMetadataItemWire {
  if (value === undefined) {
    return { tokenId, errorCode: CODES.metadataNotReturned, transient: true };
  }
  if (value instanceof MetadataReadError) {
    return { tokenId, errorCode: value.errorCode, transient: value.transient };
  }
  if (value instanceof Error) {
    return { tokenId, errorCode: 'unable_to_retrieve_metadata', transient: true };
  }
  try {
    const [item] = toNftWireItems([{ ...(value as object), tokenId }], 1);
    return item as NftMetadataItemWire;
  } catch (error) {
    if (!(error instanceof InvalidRequestError)) throw error;
    let size = 0;
    try {
      size = wireByteLength(
        nftMetadataRefreshToWire({
          tokenId,
          name: null,
          description: null,
          image: null,
          externalUrl: null,
          animationUrl: null,
          youtubeUrl: null,
          attributes: null,
          ...(value as object),
        } as never),
      );
    } catch {
      size = 0;
    }
    const errorCode = size > MAX_ITEM_BYTES ? CODES.metadataTooLarge : CODES.invalidMetadata;
    return { tokenId, errorCode, transient: false };
  }
}

/**
 * Drives the zkEVM API: each batch pushes up to 250 NFTs' current metadata in at most 228 KiB,
 * paced to the budget the answers' headers announce.
 *
 * @example
 * ```ts
 * const target = zkEvmTarget({
 *   client: zk,
 *   metadata: metadataApiSource({ baseUrl: 'https://game.example/metadata' }),
 * });
 * const scheduler = new RefreshScheduler({ target });
 * ```
 * @throws {InvalidRequestError} a missing client or source, a bad `verify`, or a `windowMs` (the
 *   window is the store's).
 */
export function zkEvmTarget(options: ZkEvmTargetOptions): SchedulerTarget {
  const client = options?.client;
  if (!client || typeof client.refreshNftMetadata !== 'function') {
    throw new InvalidRequestError('zkEvmTarget needs a client (a ZkEvmMetadataClient)');
  }
  const source = options.metadata;
  if (typeof source !== 'function') {
    throw new InvalidRequestError(
      'zkEvmTarget needs metadata: metadataApiSource({ baseUrl }) or a function (contractAddress, tokenIds) => Map',
    );
  }
  const verify = options.verify;
  const timeoutMs = verify?.timeoutMs ?? 120_000;
  const clockSkewMs = verify?.clockSkewMs ?? CLOCK_SKEW_MS;
  const applyDelayMs = options.applyDelayMs ?? DEFAULT_APPLY_DELAY_MS;
  const check = optionChecks('zkEvmTarget');
  check.nonNegativeNumber('verify.timeoutMs', timeoutMs);
  check.nonNegativeNumber('verify.clockSkewMs', clockSkewMs);
  check.nonNegativeNumber('applyDelayMs', applyDelayMs);
  if ((options as { windowMs?: unknown | undefined }).windowMs !== undefined) {
    // The window lives on the store (one for the fleet); a second place to set it could disagree.
    throw new InvalidRequestError(
      'zkEvmTarget takes no windowMs: give it to the store (new MemoryStore({ windowMs }), createRedisStore({ …, windowMs })) or as budget.windowMs',
    );
  }
  /** Verifying: per push, the ids already seen synced. */
  const synced = new Map<string, Set<string>>();
  /** Verifying: per push this process made, what it carried, by token id. */
  const carried = new Map<string, Map<string, NftMetadataPush>>();

  /**
   * The ids whose NFT shows the push. Synced at or after the push began proves it. Synced up to
   * `clockSkewMs` before (a server clock behind ours) proves it only with what the push carried:
   * an earlier push or the mint, synced just before, would otherwise confirm a push that has not
   * taken effect yet. A push taken over from another process (carried unknown) keeps the skew.
   */
  const readSynced = async (
    contractAddress: string,
    tokenIds: string[],
    push: { sentAtMs: number; carried: Map<string, NftMetadataPush> | undefined },
    signal: AbortSignal,
  ) => {
    const nfts = await mapLimit(tokenIds, READ_CONCURRENCY, (tokenId) =>
      client.getNft({ contractAddress, tokenId, signal }),
    );
    return tokenIds.filter((id, i) => {
      const nft = nfts[i] as Nft;
      if (syncedSince(nft as never, push.sentAtMs)) return true;
      if (!syncedSince(nft as never, push.sentAtMs - clockSkewMs)) return false;
      const pushed = push.carried?.get(id);
      return push.carried === undefined || (pushed !== undefined && showsPush(nft, pushed));
    });
  };

  return {
    api: 'zkevm',
    maxBatchSize: MAX_NFTS_PER_REFRESH,
    budget: { windowMs: HOUR_MS },
    longestSendMs:
      client.longestSendMs === undefined ? undefined : client.longestSendMs + applyDelayMs,
    async prepare({ collectionAddress, tokenIds, signal, kept }) {
      // Ids read for an earlier push they did not fit, and not enqueued since, are not read again.
      const toRead = kept ? tokenIds.filter((id) => !kept.has(id)) : tokenIds;
      let read: Map<string, unknown>;
      try {
        read =
          toRead.length === 0 ? new Map() : await source(collectionAddress, toRead, { signal });
        if (!(read instanceof Map)) throw new TypeError('a metadata source must resolve a Map');
      } catch (error) {
        if (signal.aborted) throw error;
        read = new Map(
          toRead.map((id) => [id, error instanceof Error ? error : new Error(String(error))]),
        );
      }
      if (kept && toRead.length < tokenIds.length) {
        read = new Map(read);
        const wanted = new Set(tokenIds);
        for (const [id, value] of kept) if (wanted.has(id)) read.set(id, value);
      }
      const unsendable: UnsendableToken[] = [];
      const items: NftMetadataItemWire[] = [];
      const pushes = new Map<string, NftMetadataPush>();
      for (const tokenId of tokenIds) {
        const value = read.get(tokenId);
        const result = unsendableFrom(tokenId, value);
        if ('errorCode' in result) unsendable.push(result);
        else {
          items.push(result);
          pushes.set(tokenId, { ...(value as object), tokenId } as NftMetadataPush);
        }
      }
      // The first request's worth, by items and bytes; the rest waits for the next push.
      const { chunks } = chunkRefreshItems(items, MAX_NFTS_PER_REFRESH);
      const first = chunks[0] ?? [];
      const sendIds = first.map((i) => i.token_id);
      const deferred = chunks.slice(1).flatMap((c) => c.map((i) => i.token_id));
      return {
        tokenIds: sendIds,
        unsendable,
        deferred,
        payload: sendIds.map((id) => pushes.get(id) as NftMetadataPush),
        keep: new Map(deferred.map((id) => [id, read.get(id)])),
      };
    },
    async send({ collectionAddress, prepared, sentAtMs, batchId }) {
      const { rateLimit } = await client.refreshNftMetadata({
        contractAddress: collectionAddress,
        nfts: prepared.payload as NftMetadataPush[],
      });
      const receipt = receiptOf(sentAtMs, batchId);
      if (verify !== undefined) {
        // A push followed by another process never reaches poll here: forget it after its time.
        for (const key of carried.keys()) {
          if (sentAtOf(key) < sentAtMs - timeoutMs - applyDelayMs) carried.delete(key);
        }
        const nfts = prepared.payload as NftMetadataPush[];
        carried.set(receipt, new Map(nfts.map((n) => [n.tokenId, n])));
      }
      return {
        receipt,
        refreshId: undefined,
        budget: rateLimit && {
          limit: rateLimit.limit,
          remaining: rateLimit.remaining,
          resetAtMs: rateLimit.resetAt.getTime(),
          retryAfterMs: rateLimit.retryAfterMs,
        },
        settled: verify === undefined,
      };
    },
    classifySendFailure,
    budgetOf(error): BudgetReport | undefined {
      if (!(error instanceof RateLimitError)) return undefined;
      return {
        limit: error.rateLimit?.limit,
        remaining: error.rateLimit?.remaining,
        resetAtMs: error.rateLimit?.resetAt.getTime(),
        retryAfterMs: error.retryAfterMs,
      };
    },
    async poll({ sent, signal, nowMs }) {
      const sentAtMs = sentAtOf(sent.receipt);
      const seen = synced.get(sent.receipt) ?? new Set<string>();
      synced.set(sent.receipt, seen);
      const waiting = sent.tokenIds.filter((id) => !seen.has(id));
      if (nowMs - sentAtMs < timeoutMs && waiting.length > 0) {
        for (const id of await readSynced(
          sent.collectionAddress,
          waiting,
          { sentAtMs, carried: carried.get(sent.receipt) },
          signal,
        )) {
          seen.add(id);
        }
      }
      const still = sent.tokenIds.filter((id) => !seen.has(id));
      if (still.length > 0 && nowMs - sentAtMs < timeoutMs) return { done: false };
      synced.delete(sent.receipt);
      carried.delete(sent.receipt);
      return {
        done: true,
        failures: new Map(
          still.map((id) => [id, { errorCode: CODES.metadataNotSynced, transient: false }]),
        ),
      };
    },
    async reconcile(input) {
      // A push taken over from another process: what it carried is not known here, and an NFT
      // synced by an earlier push just before it began would look like it. Not proven: the ids
      // are pushed again (their newest metadata) once the longest push is surely over.
      const pushed = input.payload as NftMetadataPush[] | undefined;
      if (!Array.isArray(pushed)) return undefined;
      // The push is one request: it took effect for all of its NFTs, or for none. Synced since it
      // began is not enough (an earlier push of the same NFTs may have synced within the clock
      // skew): each NFT must show what this push carried.
      const byId = new Map(pushed.map((p) => [p.tokenId, p]));
      const nfts = await mapLimit(input.tokenIds, READ_CONCURRENCY, (tokenId) =>
        client.getNft({ contractAddress: input.collectionAddress, tokenId, signal: input.signal }),
      );
      const since = input.sentAtMs - input.clockSkewMs;
      const shown = input.tokenIds.every((id, i) => {
        const nft = nfts[i];
        const push = byId.get(id);
        return nft && push && syncedSince(nft as never, since) && showsPush(nft, push);
      });
      if (!shown) return undefined;
      const receipt = receiptOf(input.sentAtMs, input.batchId);
      return (await input.claim(receipt)) ? receipt : undefined;
    },
    refreshIdOf: () => undefined,
  };
}
