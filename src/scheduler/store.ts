/**
 * What the scheduler keeps, behind one interface: pending ids per collection, leased batches and
 * the shared budget. A store only keeps state atomically; every rule (when to send, pacing,
 * retries) lives in the scheduler. The in-memory store serves one process; the Redis store
 * (`imx-metadata-refresh/redis`) a fleet.
 */

import {
  type LearnedBudgetState,
  type LearnedSlot,
  type SettleLearnedSlotParameters,
  settleLearnedSlot,
  type TakeLearnedSlotParameters,
  takeLearnedSlot,
  UNKNOWN_BUDGET,
} from './learned-budget.js';

/** A token id waiting to be sent, with how many times it was sent before. */
export interface PendingToken {
  tokenId: string;
  /** Sends so far (0 for a fresh id; a retried id carries its count). */
  attempts: number;
  /** When it was first enqueued (ms); kept when a batch goes back to pending. */
  enqueuedMs?: number;
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
}

/** The budget in the current window, as a store sees it. */
export interface BudgetView {
  /** Requests counted in this window (ours and, from the server's headers, anyone's). */
  used: number;
  /** When this window ends (ms). */
  windowEndsMs: number;
}

/** Counts for `stats()` and `drained()`. */
export interface StoreCounts {
  /** Distinct pending ids over all collections. */
  pending: number;
  /** Ids in leased batches (being sent or followed). */
  inFlight: number;
}

/**
 * The scheduler's state. Every method is atomic on its own: two processes calling `takeBatch` or
 * `takeBudgetSlot` at once never get the same ids or more slots than allowed.
 */
export interface SchedulerStore {
  /** Adds ids to a collection's pending set; ids already pending keep their place. Resolves once durable. */
  enqueue(collectionAddress: string, tokens: PendingToken[], nowMs: number): Promise<void>;
  /** Collections with pending ids. */
  pendingCollections(): Promise<PendingCollection[]>;
  /** Moves up to `max` ids, oldest first, from pending into a new batch leased until `leaseUntilMs`. */
  takeBatch(
    collectionAddress: string,
    max: number,
    leaseUntilMs: number,
    nowMs: number,
  ): Promise<LeasedBatch | undefined>;
  /**
   * Records the accepted refresh on a batch and extends its lease. Resolves `false`, changing
   * nothing, when the store already knows that refresh id (another batch holds it, or held it
   * among the last {@link KNOWN_REFRESH_IDS} refreshes): reconciliation claims a refresh this way.
   */
  markSent(batchId: string, refreshId: string, leaseUntilMs: number): Promise<boolean>;
  /**
   * Marks a batch whose send may have been accepted (see {@link LeasedBatch.uncertainSinceMs}),
   * keeping it leased until `leaseUntilMs`: its ids stay out of pending until reconciled.
   */
  markUncertain(batchId: string, sentAtMs: number, leaseUntilMs: number): Promise<void>;
  /** Extends the leases of batches this process still follows. */
  renewLeases(batchIds: string[], leaseUntilMs: number): Promise<void>;
  /** Puts a batch's ids back into pending, untouched, and drops the batch. */
  releaseBatch(batchId: string, nowMs: number): Promise<void>;
  /** Drops a batch whose refresh completed. */
  completeBatch(batchId: string): Promise<void>;
  /**
   * Handles expired leases: an unsent batch goes back to pending; a sent or uncertain one is
   * leased to the caller until `leaseUntilMs` and returned, so someone follows it to completion
   * (or reconciles it).
   */
  reclaimExpired(nowMs: number, leaseUntilMs: number): Promise<LeasedBatch[]>;
  /**
   * Takes one request from the budget if `used` plus the slots of earlier windows still in flight
   * stays below `max` in the current window of `windowMs` (aligned to the epoch, like the API's
   * hours). A slot stays in flight until {@link SchedulerStore.settleBudgetSlot} or `ttlMs`: a
   * request sent just before a boundary may be counted by the server in the next window, so until
   * its answer says where it counted, the next window reserves room for it.
   */
  takeBudgetSlot(
    max: number,
    windowMs: number,
    nowMs: number,
    ttlMs: number,
  ): Promise<{ taken: boolean; slotId: string | undefined } & BudgetView>;
  /**
   * The request of a slot was answered (or failed): it no longer needs room in a later window.
   * When the server counted it in a later window than the slot's (`countedWindowEndsMs`, from
   * the answer's reset header), that window's count is raised by one, atomically.
   */
  settleBudgetSlot(
    slotId: string,
    countedWindowEndsMs: number | undefined,
    windowMs: number,
  ): Promise<void>;
  /** Raises the window's `used` to at least `used` (from the server's headers). */
  syncBudget(
    used: number,
    windowEndsMs: number,
    windowMs: number,
    nowMs: number,
  ): Promise<BudgetView>;
  /** The current window's budget without taking. */
  budget(windowMs: number, nowMs: number): Promise<BudgetView>;
  /** Pending and in-flight counts. */
  counts(): Promise<StoreCounts>;
  /**
   * Narrows a leased batch to `tokenIds` (a subset of its ids): the others were put back into
   * pending or ended before the send, so a process that takes the batch over never reports them.
   */
  keepTokens(batchId: string, tokenIds: string[]): Promise<void>;
  /**
   * A budget learned from the answers (zkEVM): applies `takeLearnedSlot` atomically, so
   * the fleet never exceeds what the headers allow.
   */
  takeLearnedSlot(parameters: TakeLearnedSlotParameters): Promise<LearnedSlot>;
  /** Applies `settleLearnedSlot` atomically: what an answer said about the budget. */
  settleLearnedSlot(parameters: SettleLearnedSlotParameters): Promise<void>;
  /** The learned budget as known now. */
  learnedBudget(): Promise<LearnedBudgetState>;
}

/** How many recent refresh ids a store remembers after their batches completed. */
export const KNOWN_REFRESH_IDS = 10_000;

/** Start of the window of `windowMs` holding `nowMs`, aligned to the epoch. */
export function windowStart(nowMs: number, windowMs: number): number {
  return Math.floor(nowMs / windowMs) * windowMs;
}

interface PendingEntry {
  attempts: number;
  enqueuedMs: number;
}

/**
 * The default store: everything in this process's memory. Nothing survives a restart; use the
 * Redis store when ids must outlive a process or be shared by a fleet.
 */
export class MemoryStore implements SchedulerStore {
  // Map keeps insertion order, which is enqueue order: the oldest ids come first.
  readonly #pending = new Map<string, Map<string, PendingEntry>>();
  readonly #batches = new Map<string, LeasedBatch>();
  readonly #budget = new Map<number, number>();
  readonly #slots = new Map<string, { windowStart: number; expiresMs: number }>();
  // Insertion-ordered, trimmed to the newest KNOWN_REFRESH_IDS.
  readonly #knownRefreshIds = new Set<string>();
  #nextBatch = 1;
  #nextSlot = 1;
  #learned: LearnedBudgetState = UNKNOWN_BUDGET;

  async keepTokens(batchId: string, tokenIds: string[]): Promise<void> {
    const batch = this.#batches.get(batchId);
    if (!batch) return;
    const keep = new Set(tokenIds);
    batch.tokens = batch.tokens.filter((t) => keep.has(t.tokenId));
  }

  async takeLearnedSlot(parameters: TakeLearnedSlotParameters): Promise<LearnedSlot> {
    const { state, slot } = takeLearnedSlot(this.#learned, parameters);
    this.#learned = state;
    return slot;
  }

  async settleLearnedSlot(parameters: SettleLearnedSlotParameters): Promise<void> {
    this.#learned = settleLearnedSlot(this.#learned, parameters);
  }

  async learnedBudget(): Promise<LearnedBudgetState> {
    return { ...this.#learned };
  }

  async enqueue(collectionAddress: string, tokens: PendingToken[], nowMs: number): Promise<void> {
    const key = collectionAddress.toLowerCase();
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = new Map();
      this.#pending.set(key, pending);
    }
    // Ids put back (they carry their enqueue time) go first: among ids enqueued in the same ms,
    // a batch put back keeps its place instead of queueing behind the rest.
    const putBack = new Map<string, PendingEntry>();
    for (const { tokenId, attempts, enqueuedMs } of tokens) {
      const existing = pending.get(tokenId) ?? putBack.get(tokenId);
      if (existing) existing.attempts = Math.max(existing.attempts, attempts);
      else if (enqueuedMs !== undefined) putBack.set(tokenId, { attempts, enqueuedMs });
      else pending.set(tokenId, { attempts, enqueuedMs: nowMs });
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

  async takeBatch(
    collectionAddress: string,
    max: number,
    leaseUntilMs: number,
  ): Promise<LeasedBatch | undefined> {
    const key = collectionAddress.toLowerCase();
    const pending = this.#pending.get(key);
    if (!pending || pending.size === 0) return undefined;
    const oldestFirst = [...pending.entries()].sort((a, b) => a[1].enqueuedMs - b[1].enqueuedMs);
    const tokens = oldestFirst
      .slice(0, max)
      .map(([tokenId, e]) => ({ tokenId, attempts: e.attempts, enqueuedMs: e.enqueuedMs }));
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

  async markSent(batchId: string, refreshId: string, leaseUntilMs: number): Promise<boolean> {
    const batch = this.#batches.get(batchId);
    if (!batch || this.#knownRefreshIds.has(refreshId)) return false;
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

  async markUncertain(batchId: string, sentAtMs: number, leaseUntilMs: number): Promise<void> {
    const batch = this.#batches.get(batchId);
    if (batch && batch.refreshId === undefined) {
      batch.uncertainSinceMs = sentAtMs;
      batch.leaseUntilMs = leaseUntilMs;
    }
  }

  async renewLeases(batchIds: string[], leaseUntilMs: number): Promise<void> {
    for (const id of batchIds) {
      const batch = this.#batches.get(id);
      if (batch) batch.leaseUntilMs = leaseUntilMs;
    }
  }

  async releaseBatch(batchId: string, nowMs: number): Promise<void> {
    const batch = this.#batches.get(batchId);
    if (!batch) return;
    this.#batches.delete(batchId);
    await this.enqueue(batch.collectionAddress, batch.tokens, nowMs);
  }

  async completeBatch(batchId: string): Promise<void> {
    this.#batches.delete(batchId);
  }

  async reclaimExpired(nowMs: number, leaseUntilMs: number): Promise<LeasedBatch[]> {
    const adopted: LeasedBatch[] = [];
    for (const batch of [...this.#batches.values()]) {
      if (batch.leaseUntilMs > nowMs) continue;
      if (batch.refreshId === undefined && batch.uncertainSinceMs === undefined) {
        await this.releaseBatch(batch.batchId, nowMs);
      } else {
        batch.leaseUntilMs = leaseUntilMs;
        adopted.push({ ...batch, tokens: [...batch.tokens] });
      }
    }
    return adopted;
  }

  async takeBudgetSlot(max: number, windowMs: number, nowMs: number, ttlMs: number) {
    const start = windowStart(nowMs, windowMs);
    let earlier = 0;
    for (const [id, slot] of this.#slots) {
      if (slot.expiresMs <= nowMs) this.#slots.delete(id);
      else if (slot.windowStart < start) earlier++;
    }
    const used = this.#budget.get(start) ?? 0;
    const taken = used + earlier < max;
    let slotId: string | undefined;
    if (taken) {
      this.#budget.set(start, used + 1);
      slotId = `s${this.#nextSlot++}`;
      this.#slots.set(slotId, { windowStart: start, expiresMs: nowMs + ttlMs });
    }
    for (const key of this.#budget.keys()) if (key < start) this.#budget.delete(key);
    return { taken, slotId, used: taken ? used + 1 : used, windowEndsMs: start + windowMs };
  }

  async settleBudgetSlot(
    slotId: string,
    countedWindowEndsMs: number | undefined,
    windowMs: number,
  ): Promise<void> {
    const slot = this.#slots.get(slotId);
    this.#slots.delete(slotId);
    if (!slot || countedWindowEndsMs === undefined) return;
    const counted = countedWindowEndsMs - windowMs;
    if (counted > slot.windowStart) this.#budget.set(counted, (this.#budget.get(counted) ?? 0) + 1);
  }

  async syncBudget(
    used: number,
    windowEndsMs: number,
    windowMs: number,
    nowMs: number,
  ): Promise<BudgetView> {
    const start = windowEndsMs - windowMs;
    if (start === windowStart(nowMs, windowMs)) {
      this.#budget.set(start, Math.max(this.#budget.get(start) ?? 0, used));
    }
    return this.budget(windowMs, nowMs);
  }

  async budget(windowMs: number, nowMs: number): Promise<BudgetView> {
    const start = windowStart(nowMs, windowMs);
    return { used: this.#budget.get(start) ?? 0, windowEndsMs: start + windowMs };
  }

  async counts(): Promise<StoreCounts> {
    let pending = 0;
    for (const p of this.#pending.values()) pending += p.size;
    let inFlight = 0;
    for (const b of this.#batches.values()) inFlight += b.tokens.length;
    return { pending, inFlight };
  }
}
