/**
 * What the scheduler keeps, behind one interface: pending ids per collection, leased batches and
 * the shared budget. A store only keeps state atomically; every rule (when to send, pacing,
 * retries) lives in the scheduler. The in-memory store serves one process; the Redis store
 * (`imx-metadata-refresh/redis`) a fleet.
 */

import { optionChecks } from '../option-checks.js';
import { REFRESH_WINDOW_MS } from '../wire/limits.js';
import { type BudgetState, UNKNOWN_BUDGET } from './learned-budget.js';
import type { CollectionTokenIds } from './types.js';

/** A token id waiting to be sent, with how many times it was sent before. */
export interface PendingToken {
  tokenId: string;
  /** Sends so far (0 for a fresh id; a retried id carries its count). */
  attempts: number;
  /** When it was first enqueued (ms); kept when a batch goes back to pending. */
  enqueuedMs?: number | undefined;
  /**
   * What was read for this id (its metadata as JSON, opaque to the store) when it did not fit
   * its push: whichever process takes it next pushes it without reading it again. Given with a
   * put-back (`enqueuedMs` set) of an id not pending; the store drops it when the id is enqueued
   * again (the read is then older than the latest state), keeps it through `releaseBatch`, and
   * hands it out with `takeBatch`.
   */
  keptRead?: string | undefined;
}

/** Pending work of one collection. */
export interface PendingCollection {
  collectionAddress: string;
  /** Distinct pending ids. */
  count: number;
  /** When its oldest pending id was enqueued (ms). */
  oldestMs: number;
}

/** Ids taken from pending and held under a lease. */
export interface LeasedBatch {
  batchId: string;
  collectionAddress: string;
  tokens: PendingToken[];
  /** Set once the refresh request was accepted. */
  refreshId: string | undefined;
  /**
   * Set when a send may have been accepted without the answer saying so (a timeout, a 5xx, a 202
   * without a readable id): when that send began (ms). Such a batch is reconciled, never resent
   * blindly.
   */
  uncertainSinceMs?: number | undefined;
  /** The lease runs out at this time (ms); then another process may take the batch over. */
  leaseUntilMs: number;
  /**
   * How many times a process took this batch over after its lease ran out (`reclaimExpired`);
   * 0 or undefined for the process that took it from pending. A holder passes it to `markSent`,
   * so one whose batch was taken over since cannot also record (and report) its outcome.
   */
  takeovers?: number | undefined;
}

/** The budget as a store keeps it, with the version a write must name (compare-and-set). */
export interface StoredBudget {
  /** The state; nothing known (no limit, no window, nothing used) until first written. */
  state: BudgetState;
  /** Raised by every write; 0 until the first. */
  version: number;
}

/** Counts for `stats()` and `drained()`. */
export interface StoreCounts {
  /** Distinct pending ids over all collections. */
  pending: number;
  /** Ids in leased batches (being sent or followed). */
  inFlight: number;
}

/** Parameters of {@link SchedulerStore.enqueue}. */
export interface EnqueueParameters {
  /** The collection (any case; stores key it lower-case). */
  collectionAddress: string;
  /** Ids to add; an id already pending keeps its place and the higher `attempts`. */
  tokens: PendingToken[];
  /** Now (ms): the enqueue time of a token that carries no `enqueuedMs`. */
  nowMs: number;
}

/** Parameters of {@link SchedulerStore.takeBatch}. */
export interface TakeBatchParameters {
  /** The collection to take from. */
  collectionAddress: string;
  /** Most ids in the batch. */
  max: number;
  /** The batch's lease runs out at this time (ms). */
  leaseUntilMs: number;
  /** Now (ms). */
  nowMs: number;
}

/** Parameters of {@link SchedulerStore.markSent}. */
export interface MarkSentParameters {
  /** The leased batch that was sent. */
  batchId: string;
  /** The accepted request's receipt (the refresh id on Immutable X). */
  refreshId: string;
  /** The lease is extended to this time (ms). */
  leaseUntilMs: number;
  /**
   * The batch's `takeovers` as the caller holds it: when the store's count differs (another
   * process took it over since), nothing changes and `markSent` resolves `false`. Undefined:
   * not checked.
   */
  takeovers?: number | undefined;
}

/** Parameters of {@link SchedulerStore.markUncertain}. */
export interface MarkUncertainParameters {
  /** The leased batch whose send may have been accepted. */
  batchId: string;
  /** When that send began (ms): becomes {@link LeasedBatch.uncertainSinceMs}. */
  sentAtMs: number;
  /** The lease is extended to this time (ms). */
  leaseUntilMs: number;
}

/** Parameters of {@link SchedulerStore.renewLeases}. */
export interface RenewLeasesParameters {
  /** Batches this process still follows; ids the store no longer holds are skipped. */
  batchIds: string[];
  /** Their leases run out at this time (ms); a time in the past hands them over now. */
  leaseUntilMs: number;
}

/** Parameters of {@link SchedulerStore.releaseBatch}. */
export interface ReleaseBatchParameters {
  /** The batch whose ids go back to pending. */
  batchId: string;
  /** Now (ms). */
  nowMs: number;
}

/** Parameters of {@link SchedulerStore.completeBatch}. */
export interface CompleteBatchParameters {
  /** The batch to drop. */
  batchId: string;
}

/** Parameters of {@link SchedulerStore.reclaimExpired}. */
export interface ReclaimExpiredParameters {
  /** Now (ms): leases that ran out by then are handled. */
  nowMs: number;
  /** A sent or uncertain batch handed to the caller is leased until this time (ms). */
  leaseUntilMs: number;
}

/** Parameters of {@link SchedulerStore.keepTokens}. */
export interface KeepTokensParameters {
  /** The leased batch to narrow. */
  batchId: string;
  /** The ids it keeps (a subset of its ids). */
  tokenIds: string[];
}

/** Parameters of {@link SchedulerStore.writeBudget}. */
export interface WriteBudgetParameters {
  /** The new state (opaque to the store: it keeps it as given). */
  state: BudgetState;
  /** The version it was computed from ({@link StoredBudget.version} as read). */
  version: number;
}

/** Options of {@link MemoryStore}; the Redis store takes the same `windowMs`. */
export interface SchedulerStoreOptions {
  /**
   * The budget's window (ms) when it is told in advance (Immutable X), aligned to the epoch like
   * the API's hours. Default one hour (`REFRESH_WINDOW_MS`). Set once here, so every process
   * sharing the store counts in the same windows.
   */
  windowMs?: number | undefined;
}

/**
 * The scheduler's state. Every method is atomic on its own: two processes calling `takeBatch` at
 * once never get the same ids, and of two `writeBudget` calls naming the same version only one
 * writes. A store keeps state; every rule (the budget's included) lives in the scheduler. Every method that
 * takes input takes one parameters object, so a field can be added without breaking callers or
 * implementations.
 *
 * What the scheduler expects an implementation to throw: a rejection only when the state cannot
 * be reached, as `StoreUnavailableError` (the Redis store also rejects with
 * `MetadataRefreshError` when Redis refuses a command); whether the operation took effect is then
 * unknown. A batch the store no longer holds (its lease ran out, and another process put its ids
 * back or completed it) is not an error: the operation changes nothing (`markSent` resolves
 * `false`). The scheduler lets a rejection reach the caller of its `enqueue`, `stats` and `stop`;
 * in the background it is an `error` event and the step is tried again a second later, and a
 * batch left leased comes back when its lease runs out. {@link MemoryStore} never rejects.
 */
export interface SchedulerStore {
  /**
   * The budget's window (ms), fixed when the store was created: a budget told in advance
   * (Immutable X) counts in windows of this length, aligned to the epoch.
   */
  readonly windowMs: number;
  /**
   * Adds ids to a collection's pending set; ids already pending keep their place. Resolves once
   * durable.
   *
   * @throws {StoreUnavailableError} the state could not be reached: the ids may or may not be
   * stored, and enqueueing them again is harmless.
   */
  enqueue(parameters: EnqueueParameters): Promise<void>;
  /**
   * Collections with pending ids.
   *
   * @throws {StoreUnavailableError} the state could not be reached (see {@link SchedulerStore}).
   */
  pendingCollections(): Promise<PendingCollection[]>;
  /**
   * Moves up to `max` ids, oldest first, from pending into a new batch leased until `leaseUntilMs`.
   * An id also in a batch whose send is unanswered (no `refreshId` recorded yet: being prepared,
   * sent, or uncertain) stays pending until that batch is marked sent, released or completed, so a
   * newer push of it can never land before the older one. Resolves `undefined` when no id can be
   * taken.
   *
   * @throws {StoreUnavailableError} the state could not be reached (see {@link SchedulerStore}).
   */
  takeBatch(parameters: TakeBatchParameters): Promise<LeasedBatch | undefined>;
  /**
   * Records the accepted refresh on a batch and extends its lease. Resolves `false`, changing
   * nothing, when the store already knows that refresh id (another batch holds it, or held it
   * among the last 10,000 refreshes): reconciliation claims a refresh this way.
   * Also `false` when the store no longer holds the batch, or another process took it over since
   * the caller's `takeovers`. Idempotent: called again for a batch that already holds this refresh
   * id (a retry of a call that timed out but ran), it extends the lease and resolves `true`.
   *
   * @throws {StoreUnavailableError} the state could not be reached (see {@link SchedulerStore}).
   */
  markSent(parameters: MarkSentParameters): Promise<boolean>;
  /**
   * Marks a batch whose send may have been accepted (see {@link LeasedBatch.uncertainSinceMs}),
   * keeping it leased until `leaseUntilMs`: its ids stay out of pending until reconciled.
   *
   * @throws {StoreUnavailableError} the state could not be reached (see {@link SchedulerStore}).
   */
  markUncertain(parameters: MarkUncertainParameters): Promise<void>;
  /**
   * Extends the leases of batches this process still follows.
   *
   * @throws {StoreUnavailableError} the state could not be reached (see {@link SchedulerStore}).
   */
  renewLeases(parameters: RenewLeasesParameters): Promise<void>;
  /**
   * Puts a batch's ids back into pending, untouched, and drops the batch.
   *
   * @throws {StoreUnavailableError} the state could not be reached (see {@link SchedulerStore}).
   */
  releaseBatch(parameters: ReleaseBatchParameters): Promise<void>;
  /**
   * Drops a batch whose refresh completed.
   *
   * @throws {StoreUnavailableError} the state could not be reached (see {@link SchedulerStore}).
   */
  completeBatch(parameters: CompleteBatchParameters): Promise<void>;
  /**
   * Handles expired leases: an unsent batch goes back to pending; a sent or uncertain one is
   * leased to the caller until `leaseUntilMs` and returned, so someone follows it to completion
   * (or reconciles it).
   *
   * @throws {StoreUnavailableError} the state could not be reached (see {@link SchedulerStore}).
   */
  reclaimExpired(parameters: ReclaimExpiredParameters): Promise<LeasedBatch[]>;
  /**
   * The budget's state and its version (see `BudgetState` for what the scheduler keeps there).
   *
   * @throws {StoreUnavailableError} the state could not be reached (see {@link SchedulerStore}).
   */
  readBudget(): Promise<StoredBudget>;
  /**
   * Compare-and-set: stores `state` and raises the version by one, if the version is still
   * `version`; otherwise changes nothing and resolves `false` (another process wrote since: the
   * scheduler reads again and reapplies its rule). This is how a fleet shares one budget without
   * the store knowing its rule.
   *
   * @throws {StoreUnavailableError} the state could not be reached (see {@link SchedulerStore}).
   */
  writeBudget(parameters: WriteBudgetParameters): Promise<boolean>;
  /**
   * Pending and in-flight counts.
   *
   * @throws {StoreUnavailableError} the state could not be reached (see {@link SchedulerStore}).
   */
  counts(): Promise<StoreCounts>;
  /**
   * Narrows a leased batch to `tokenIds` (a subset of its ids): the others were put back into
   * pending or ended before the send, so a process that takes the batch over never reports them.
   *
   * @throws {StoreUnavailableError} the state could not be reached (see {@link SchedulerStore}).
   */
  keepTokens(parameters: KeepTokensParameters): Promise<void>;
  /**
   * Only a store whose state dies with the process (the memory store) has this: the ids it holds,
   * pending or in flight, which are lost when the process exits. `stop()` reports them (its
   * `lostAtExit`, and a `lostAtExit` event). A store that outlives the process leaves it out.
   *
   * @throws only what the store's own state cannot answer; `stop()` reports it as an `error`
   * event and still resolves.
   */
  idsLostAtExit?(): Promise<CollectionTokenIds[]>;
}

/** How many recent refresh ids a store remembers after their batches completed. */
export const KNOWN_REFRESH_IDS = 10_000;

/** Start of the window of `windowMs` holding `nowMs`, aligned to the epoch. */
export function windowStart(nowMs: number, windowMs: number): number {
  return Math.floor(nowMs / windowMs) * windowMs;
}

/**
 * Applies `step` to the store's budget atomically: reads, computes, and writes with
 * compare-and-set, again while another process wrote in between. A step that leaves the state
 * as it was (the same object) writes nothing.
 */
export async function updateBudget<T>(
  store: SchedulerStore,
  step: (state: BudgetState) => { state: BudgetState; result: T },
): Promise<T> {
  for (;;) {
    const { state, version } = await store.readBudget();
    const next = step(state);
    if (next.state === state) return next.result;
    if (await store.writeBudget({ state: next.state, version })) return next.result;
  }
}

/**
 * The window a store is created with: `windowMs`, or one hour. Every store (this one, Redis,
 * SQLite) checks it here, as `owner`'s option. Throws `InvalidOptionError` for anything but a
 * positive finite number.
 */
export function storeWindowMs(owner: string, windowMs: unknown): number {
  return optionChecks(owner).positiveNumber('windowMs', windowMs ?? REFRESH_WINDOW_MS);
}

interface PendingEntry {
  attempts: number;
  enqueuedMs: number;
  keptRead?: string | undefined;
}

/**
 * The default store: everything in this process's memory. Nothing survives a restart; use the
 * Redis store when ids must outlive a process or be shared by a fleet.
 *
 * @example
 * ```ts
 * const store = new MemoryStore({ windowMs: 3_600_000 });
 * const scheduler = new RefreshScheduler({ client, store });
 * ```
 */
export class MemoryStore implements SchedulerStore {
  readonly windowMs: number;
  // Map keeps insertion order, which is enqueue order: the oldest ids come first.
  readonly #pending = new Map<string, Map<string, PendingEntry>>();
  readonly #batches = new Map<string, LeasedBatch>();
  // Insertion-ordered, trimmed to the newest KNOWN_REFRESH_IDS.
  readonly #knownRefreshIds = new Set<string>();
  #nextBatch = 1;
  #budget: StoredBudget = { state: UNKNOWN_BUDGET, version: 0 };

  /** @throws {InvalidOptionError} a `windowMs` that is not a positive number. */
  constructor(options: SchedulerStoreOptions = {}) {
    this.windowMs = storeWindowMs('MemoryStore', options?.windowMs);
  }

  async keepTokens({ batchId, tokenIds }: KeepTokensParameters): Promise<void> {
    const batch = this.#batches.get(batchId);
    if (!batch) return;
    const keep = new Set(tokenIds);
    batch.tokens = batch.tokens.filter((t) => keep.has(t.tokenId));
  }

  async readBudget(): Promise<StoredBudget> {
    return { state: { ...this.#budget.state }, version: this.#budget.version };
  }

  async writeBudget({ state, version }: WriteBudgetParameters): Promise<boolean> {
    if (version !== this.#budget.version) return false;
    this.#budget = { state: { ...state }, version: version + 1 };
    return true;
  }

  async idsLostAtExit(): Promise<CollectionTokenIds[]> {
    const byCollection = new Map<string, Set<string>>();
    const add = (collection: string, tokenIds: Iterable<string>) => {
      const ids = byCollection.get(collection) ?? new Set<string>();
      for (const id of tokenIds) ids.add(id);
      byCollection.set(collection, ids);
    };
    for (const [collection, pending] of this.#pending) add(collection, pending.keys());
    for (const batch of this.#batches.values())
      add(
        batch.collectionAddress,
        batch.tokens.map((t) => t.tokenId),
      );
    return [...byCollection]
      .filter(([, ids]) => ids.size > 0)
      .map(([collectionAddress, ids]) => ({ collectionAddress, tokenIds: [...ids] }));
  }

  async enqueue({ collectionAddress, tokens, nowMs }: EnqueueParameters): Promise<void> {
    const key = collectionAddress.toLowerCase();
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = new Map();
      this.#pending.set(key, pending);
    }
    // Ids put back (they carry their enqueue time) go first: among ids enqueued in the same ms,
    // a batch put back keeps its place instead of queueing behind the rest.
    const putBack = new Map<string, PendingEntry>();
    for (const { tokenId, attempts, enqueuedMs, keptRead } of tokens) {
      const existing = pending.get(tokenId) ?? putBack.get(tokenId);
      if (existing) {
        existing.attempts = Math.max(existing.attempts, attempts);
        // Enqueued again: a read kept for it is older than the latest state.
        if (enqueuedMs === undefined) existing.keptRead = undefined;
      } else if (enqueuedMs !== undefined) {
        putBack.set(tokenId, { attempts, enqueuedMs, keptRead });
      } else pending.set(tokenId, { attempts, enqueuedMs: nowMs });
    }
    if (putBack.size > 0) this.#pending.set(key, new Map([...putBack, ...pending]));
  }

  async pendingCollections(): Promise<PendingCollection[]> {
    const out: PendingCollection[] = [];
    for (const [collectionAddress, pending] of this.#pending) {
      let oldestMs = Number.POSITIVE_INFINITY;
      for (const entry of pending.values()) oldestMs = Math.min(oldestMs, entry.enqueuedMs);
      if (pending.size > 0) out.push({ collectionAddress, count: pending.size, oldestMs });
    }
    return out;
  }

  async takeBatch({
    collectionAddress,
    max,
    leaseUntilMs,
  }: TakeBatchParameters): Promise<LeasedBatch | undefined> {
    const key = collectionAddress.toLowerCase();
    const pending = this.#pending.get(key);
    if (!pending || pending.size === 0) return undefined;
    // Ids whose push is still unanswered wait: a newer push must not land before an older one.
    const held = new Set<string>();
    for (const b of this.#batches.values()) {
      if (b.collectionAddress === key && b.refreshId === undefined) {
        for (const t of b.tokens) held.add(t.tokenId);
      }
    }
    const oldestFirst = [...pending.entries()]
      .filter(([tokenId]) => !held.has(tokenId))
      .sort((a, b) => a[1].enqueuedMs - b[1].enqueuedMs);
    if (oldestFirst.length === 0) return undefined;
    const tokens = oldestFirst.slice(0, max).map(([tokenId, e]) => ({
      tokenId,
      attempts: e.attempts,
      enqueuedMs: e.enqueuedMs,
      keptRead: e.keptRead,
    }));
    for (const t of tokens) pending.delete(t.tokenId);
    if (pending.size === 0) this.#pending.delete(key);
    const batch: LeasedBatch = {
      batchId: `b${this.#nextBatch++}`,
      collectionAddress: key,
      tokens,
      refreshId: undefined,
      leaseUntilMs,
    };
    this.#batches.set(batch.batchId, batch);
    return { ...batch, tokens: [...tokens] };
  }

  async markSent({
    batchId,
    refreshId,
    leaseUntilMs,
    takeovers,
  }: MarkSentParameters): Promise<boolean> {
    const batch = this.#batches.get(batchId);
    if (!batch) return false;
    if (takeovers !== undefined && (batch.takeovers ?? 0) !== takeovers) return false;
    // Again for the same batch (a retry of a call that timed out but ran): the same answer.
    if (batch.refreshId === refreshId) {
      batch.leaseUntilMs = leaseUntilMs;
      return true;
    }
    if (this.#knownRefreshIds.has(refreshId)) return false;
    batch.refreshId = refreshId;
    batch.uncertainSinceMs = undefined;
    batch.leaseUntilMs = leaseUntilMs;
    this.#knownRefreshIds.add(refreshId);
    if (this.#knownRefreshIds.size > KNOWN_REFRESH_IDS) {
      const oldest = this.#knownRefreshIds.values().next().value;
      if (oldest !== undefined) this.#knownRefreshIds.delete(oldest);
    }
    return true;
  }

  async markUncertain({ batchId, sentAtMs, leaseUntilMs }: MarkUncertainParameters): Promise<void> {
    const batch = this.#batches.get(batchId);
    if (batch && batch.refreshId === undefined) {
      batch.uncertainSinceMs = sentAtMs;
      batch.leaseUntilMs = leaseUntilMs;
    }
  }

  async renewLeases({ batchIds, leaseUntilMs }: RenewLeasesParameters): Promise<void> {
    for (const id of batchIds) {
      const batch = this.#batches.get(id);
      if (batch) batch.leaseUntilMs = leaseUntilMs;
    }
  }

  async releaseBatch({ batchId, nowMs }: ReleaseBatchParameters): Promise<void> {
    const batch = this.#batches.get(batchId);
    if (!batch) return;
    this.#batches.delete(batchId);
    await this.enqueue({ collectionAddress: batch.collectionAddress, tokens: batch.tokens, nowMs });
  }

  async completeBatch({ batchId }: CompleteBatchParameters): Promise<void> {
    this.#batches.delete(batchId);
  }

  async reclaimExpired({ nowMs, leaseUntilMs }: ReclaimExpiredParameters): Promise<LeasedBatch[]> {
    const adopted: LeasedBatch[] = [];
    for (const batch of [...this.#batches.values()]) {
      if (batch.leaseUntilMs > nowMs) continue;
      if (batch.refreshId === undefined && batch.uncertainSinceMs === undefined) {
        await this.releaseBatch({ batchId: batch.batchId, nowMs });
      } else {
        batch.leaseUntilMs = leaseUntilMs;
        batch.takeovers = (batch.takeovers ?? 0) + 1;
        adopted.push({ ...batch, tokens: [...batch.tokens] });
      }
    }
    return adopted;
  }

  async counts(): Promise<StoreCounts> {
    let pending = 0;
    for (const p of this.#pending.values()) pending += p.size;
    let inFlight = 0;
    for (const b of this.#batches.values()) inFlight += b.tokens.length;
    return { pending, inFlight };
  }
}
