/**
 * Where a sync keeps its progress, so that an interrupted one resumes after the last page whose
 * drifted ids were all enqueued: in memory (one process) or in a file written atomically (the
 * CLI, a cron job).
 */
import { InvalidRequestError } from '../errors.js';

// node:fs loads when a file checkpoint is first used: the root entry's static imports stay the
// client's (test/architecture.test.ts).
const fs = () => import('node:fs/promises');
let temporaries = 0;

/** The counts a sync has reached, kept with its checkpoint so a resumed sync reports them all. */
export interface SyncCounts {
  /** NFTs read from the platform and compared. */
  scanned: number;
  /** Scanned NFTs whose metadata matches the source's. */
  inSync: number;
  /** Scanned NFTs whose metadata differs from the source's. */
  drifted: number;
  /** Scanned NFTs the source could not give metadata for. */
  unreadable: number;
  /** Drifted ids handed to the scheduler (0 in a dry run). */
  enqueued: number;
}

/** A sync's progress: what it syncs, and where the next page starts. */
export interface SyncCheckpoint {
  /** Format version; a newer package refuses a checkpoint it cannot read. */
  version: 1;
  /** The collection being synced (lower case). */
  contractAddress: string;
  /** The sync's `fromUpdatedAt` (ISO 8601), or null for a full scan. */
  fromUpdatedAt: string | null;
  /** When the sync began (ISO 8601): the `fromUpdatedAt` of the next incremental sync. */
  startedAt: string;
  /** Where reading goes on: the listing's resume cursor after the last page fully handled. */
  cursor: string | undefined;
  /** The counts up to `cursor`. */
  counts: SyncCounts;
}

/** Keeps one sync's checkpoint. `load` resolves undefined when there is none. */
export interface SyncCheckpointStore {
  /**
   * The saved checkpoint, if any.
   * @throws {InvalidRequestError} what is kept is not a checkpoint this package can read.
   */
  load(): Promise<SyncCheckpoint | undefined>;
  /**
   * Saves `checkpoint`, replacing the last one: after it resolves, a crash keeps it whole.
   * @throws what the storage rejects with; the sync then stops, and the last saved checkpoint stands.
   */
  save(checkpoint: SyncCheckpoint): Promise<void>;
  /**
   * Forgets the checkpoint: the sync completed.
   * @throws what the storage rejects with.
   */
  clear(): Promise<void>;
}

/** Checks that `value` is a checkpoint this package wrote. */
export function parseSyncCheckpoint(value: unknown, where: string): SyncCheckpoint {
  const v = value as Partial<SyncCheckpoint> | null;
  const countsOk =
    v?.counts !== undefined &&
    ['scanned', 'inSync', 'drifted', 'unreadable', 'enqueued'].every((k) =>
      Number.isSafeInteger((v.counts as unknown as Record<string, unknown>)[k]),
    );
  if (
    v === null ||
    typeof v !== 'object' ||
    v.version !== 1 ||
    typeof v.contractAddress !== 'string' ||
    (v.fromUpdatedAt !== null && typeof v.fromUpdatedAt !== 'string') ||
    typeof v.startedAt !== 'string' ||
    (v.cursor !== undefined && typeof v.cursor !== 'string') ||
    !countsOk
  ) {
    throw new InvalidRequestError(
      `${where} is not a sync checkpoint this version can read (version ${JSON.stringify(v?.version ?? null)}); remove it to start over`,
    );
  }
  return v as SyncCheckpoint;
}

/**
 * A checkpoint kept in this process (lost with it): resumes a sync interrupted by an error.
 * @throws never.
 */
export function memorySyncCheckpoint(): SyncCheckpointStore {
  let kept: string | undefined;
  return {
    async load() {
      return kept === undefined
        ? undefined
        : parseSyncCheckpoint(JSON.parse(kept), 'the checkpoint');
    },
    async save(checkpoint) {
      kept = JSON.stringify(checkpoint);
    },
    async clear() {
      kept = undefined;
    },
  };
}

/**
 * A checkpoint in a JSON file. Each save writes a temporary file beside it and renames it over
 * the old one, so a crash at any moment leaves the old checkpoint or the new one, never half of
 * either.
 * @throws never; its `load` throws `InvalidRequestError` for a file that is not a checkpoint,
 * and `save`/`clear` reject with the file system's error.
 */
export function fileSyncCheckpoint(path: string): SyncCheckpointStore {
  return {
    async load() {
      let text: string;
      try {
        text = await (await fs()).readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new InvalidRequestError(
          `Cannot read the checkpoint ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = undefined;
      }
      return parseSyncCheckpoint(value, `The checkpoint ${path}`);
    },
    async save(checkpoint) {
      const { rename, writeFile } = await fs();
      temporaries += 1;
      const temporary = `${path}.${process.pid}.${temporaries}.tmp`;
      await writeFile(temporary, `${JSON.stringify(checkpoint, null, 2)}\n`, { flush: true });
      await rename(temporary, path);
    },
    async clear() {
      await (await fs()).rm(path, { force: true });
    },
  };
}
