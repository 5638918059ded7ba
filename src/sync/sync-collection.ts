/**
 * `syncCollection`: finds the NFTs whose metadata on the platform differs from what the game's
 * source says, and hands exactly those to the scheduler, which pushes them within the budget.
 * Reading is cheap (pages of 200, the client's own retries on a read's 429, none of it from the
 * refresh budget); only drifted ids cost pushes.
 */
import type { ZkEvmMetadataClient } from '../client/zkevm-client.js';
import { throwIfAborted } from '../clock.js';
import { InvalidRequestError } from '../errors.js';
import type { MetadataSource } from '../scheduler/sources/metadata-source.js';
import { unsendableFrom } from '../scheduler/targets/zkevm-target.js';
import { type MetadataField, metadataDrift } from '../wire/zkevm/canonical.js';
import type { MetadataPushFields } from '../wire/zkevm/mappers.js';
import type { SyncCheckpoint, SyncCheckpointStore, SyncCounts } from './checkpoint.js';

/** NFTs read a page at a time: the listing's largest page. */
export const SYNC_PAGE_SIZE = 200;
/** How many drifted tokens the report shows with their differing fields, by default. */
export const SYNC_SAMPLE_SIZE = 20;

/** What `syncCollection` needs of a client: the NFT listing. */
export type ZkEvmSyncClient = Pick<ZkEvmMetadataClient, 'iterateNfts'>;

/** Where drifted ids go: a `RefreshScheduler` (its `enqueue`). */
export interface SyncScheduler {
  /**
   * Stores the ids to be pushed; resolves once they are safe.
   * @throws what the scheduler's store rejects with: the sync stops before saving that page.
   */
  enqueue(collectionAddress: string, tokenIds: readonly string[]): Promise<void>;
}

/** Progress after each page. */
export interface SyncProgress extends SyncCounts {
  /** The resume cursor after this page. */
  cursor: string | undefined;
}

/** Parameters of {@link syncCollection}. */
export interface SyncCollectionParameters {
  /** Reads the platform's NFTs (`iterateNfts`). */
  client: ZkEvmSyncClient;
  /** The collection to sync. */
  contractAddress: string;
  /** The game's truth: `metadataApiSource({ baseUrl })` or the game's own reader. */
  source: MetadataSource;
  /** Drifted ids are enqueued here and pushed by its budget. Without it the sync is a dry run. */
  scheduler?: SyncScheduler | undefined;
  /** Compare and report, enqueue nothing, even with a scheduler. Default: true without one. */
  dryRun?: boolean | undefined;
  /**
   * Only NFTs the platform updated at or after this time (a mint or a metadata sync moves it):
   * a nightly sync passes the `startedAt` of the last one.
   */
  fromUpdatedAt?: Date | string | undefined;
  /**
   * Where progress is kept: a sync that finds a checkpoint of the same collection and
   * `fromUpdatedAt` resumes after its last fully handled page, and clears it when it completes.
   */
  checkpoint?: SyncCheckpointStore | undefined;
  /** How many drifted tokens the report lists with their differing fields. Default 20. */
  sampleSize?: number | undefined;
  /** Called after each page is handled (and its checkpoint saved). Must not throw. */
  onProgress?: ((progress: SyncProgress) => void) | undefined;
  /** Stops the sync between pages and aborts reads (rejects with `AbortError`). */
  signal?: AbortSignal | undefined;
  /** Source of "now" for `startedAt`. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** A drifted token and the fields in which it differs. */
export interface DriftSample {
  tokenId: string;
  fields: MetadataField[];
}

/** A token the source could not give usable metadata for. */
export interface UnreadableToken {
  tokenId: string;
  /** The Metadata API's code (`invalid_response_status_code`, …) or the push check's. */
  errorCode: string;
}

/** What a sync found and did. Counts include the pages before a resume. */
export interface SyncReport extends SyncCounts {
  /** Whether nothing was enqueued (no scheduler, or `dryRun`). */
  dryRun: boolean;
  /** Whether it resumed from a checkpoint. */
  resumed: boolean;
  /** When the sync (the first run, if resumed) began: the next incremental sync's `fromUpdatedAt`. */
  startedAt: Date;
  /** Tokens the source could not read in this run, with why. Never pushed. */
  unreadableTokens: UnreadableToken[];
  /** Up to `sampleSize` drifted tokens of this run, with the fields that differ. */
  samples: DriftSample[];
}

/**
 * Compares every NFT of a collection (or those updated since `fromUpdatedAt`) with the source,
 * and enqueues exactly the drifted ones. Drift is judged on the seven metadata fields by one
 * rule (see `metadataDrift`): null, missing and `""` are alike, attribute order counts, `7` and
 * `"7"` differ. An id the source cannot read is reported with its code and never pushed.
 *
 * @example
 * ```ts
 * const report = await syncCollection({
 *   client: zk,
 *   contractAddress,
 *   source: metadataApiSource({ baseUrl: 'https://game.example/metadata' }),
 *   scheduler, // without it: a dry run
 * });
 * console.log(`${report.drifted} of ${report.scanned} drifted; ${report.enqueued} enqueued`);
 * ```
 * @throws {InvalidRequestError} a bad parameter, or a checkpoint of another sync; nothing read.
 * @throws {AbortError} `signal` aborted: the checkpoint holds the last page fully handled.
 * @throws {PaginationCycleError} the platform's cursors loop.
 * @throws what the client's reads or the scheduler's `enqueue` reject with; the checkpoint holds
 * the last page fully handled, so calling again resumes there.
 */
export async function syncCollection(params: SyncCollectionParameters): Promise<SyncReport> {
  const { client, source, scheduler, checkpoint, signal, onProgress } = params ?? {};
  if (typeof client?.iterateNfts !== 'function') {
    throw new InvalidRequestError('syncCollection needs a client (a ZkEvmMetadataClient)');
  }
  if (typeof source !== 'function') {
    throw new InvalidRequestError(
      'syncCollection needs a source: metadataApiSource({ baseUrl }) or a function (contractAddress, tokenIds) => Map',
    );
  }
  if (typeof params.contractAddress !== 'string') {
    throw new InvalidRequestError('syncCollection needs a contractAddress');
  }
  const contractAddress = params.contractAddress.toLowerCase();
  const sampleSize = params.sampleSize ?? SYNC_SAMPLE_SIZE;
  if (!Number.isSafeInteger(sampleSize) || sampleSize < 0) {
    throw new InvalidRequestError('syncCollection: sampleSize must be a non-negative integer');
  }
  const fromUpdatedAt =
    params.fromUpdatedAt === undefined ? null : new Date(params.fromUpdatedAt).toISOString();
  const dryRun = params.dryRun ?? scheduler === undefined;
  if (!dryRun && typeof scheduler?.enqueue !== 'function') {
    throw new InvalidRequestError('syncCollection: dryRun: false needs a scheduler');
  }
  const now = params.now ?? Date.now;

  const saved = await checkpoint?.load();
  if (
    saved &&
    (saved.contractAddress !== contractAddress || saved.fromUpdatedAt !== fromUpdatedAt)
  ) {
    throw new InvalidRequestError(
      `The checkpoint is of another sync (${saved.contractAddress}, fromUpdatedAt ${saved.fromUpdatedAt ?? 'none'}); finish that one or clear the checkpoint`,
    );
  }
  const state: SyncCheckpoint = saved ?? {
    version: 1,
    contractAddress,
    fromUpdatedAt,
    startedAt: new Date(now()).toISOString(),
    cursor: undefined,
    counts: { scanned: 0, inSync: 0, drifted: 0, unreadable: 0, enqueued: 0 },
  };
  const counts = { ...state.counts };
  const unreadableTokens: UnreadableToken[] = [];
  const samples: DriftSample[] = [];

  const nfts = client.iterateNfts({
    contractAddress,
    pageSize: SYNC_PAGE_SIZE,
    fromUpdatedAt: fromUpdatedAt ?? undefined,
    cursor: state.cursor,
    signal,
  });

  /** Compares one page with the source, enqueues its drifted ids, then saves the checkpoint. */
  const handle = async (page: { tokenId: string; metadata: MetadataPushFields }[]) => {
    throwIfAborted(signal);
    const ids = page.map((n) => n.tokenId);
    let read: Map<string, unknown>;
    try {
      read = await source(contractAddress, ids, {
        signal: signal ?? new AbortController().signal,
      });
    } catch (error) {
      // As the scheduler reads it: a source that rejects could read none of the page.
      if (signal?.aborted) throw error;
      read = new Map(
        ids.map((id) => [id, error instanceof Error ? error : new Error(String(error))]),
      );
    }
    const drifted: string[] = [];
    for (const { tokenId, metadata } of page) {
      const value = read instanceof Map ? read.get(tokenId) : undefined; // a non-Map: none read
      const checked = unsendableFrom(tokenId, value);
      if ('errorCode' in checked) {
        counts.unreadable += 1;
        unreadableTokens.push({ tokenId, errorCode: checked.errorCode });
        continue;
      }
      const fields = metadataDrift(metadata, value as MetadataPushFields);
      if (fields.length === 0) {
        counts.inSync += 1;
        continue;
      }
      counts.drifted += 1;
      drifted.push(tokenId);
      if (samples.length < sampleSize) samples.push({ tokenId, fields });
    }
    counts.scanned += page.length;
    if (!dryRun && drifted.length > 0) {
      await (scheduler as SyncScheduler).enqueue(contractAddress, drifted);
      counts.enqueued += drifted.length;
    }
    // Only now is the page done: a crash before this line reads it again on resume.
    const progress = { ...state, cursor: nfts.cursor, counts: { ...counts } };
    await checkpoint?.save(progress);
    onProgress?.({ ...counts, cursor: nfts.cursor });
  };

  let page: { tokenId: string; metadata: MetadataPushFields }[] = [];
  for await (const nft of nfts) {
    page.push({ tokenId: nft.tokenId, metadata: nft });
    if (page.length === SYNC_PAGE_SIZE) {
      await handle(page);
      page = [];
    }
  }
  if (page.length > 0) await handle(page);
  await checkpoint?.clear();
  return {
    ...counts,
    dryRun,
    resumed: saved !== undefined,
    startedAt: new Date(state.startedAt),
    unreadableTokens,
    samples,
  };
}
