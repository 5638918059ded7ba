/**
 * RefreshScheduler: collects token ids from game events, deduplicates them, sends full batches
 * paced to the project's budget, follows each to its outcome, retries transient failures and
 * never loses an id. Its rules live here, once, above the target (which API) and the store
 * (where state lives): this file holds the send loop and the pacing; `follow.ts` the outcomes.
 */
import { assertCollectionAddress } from '../client/validate.js';
import {
  AbortError,
  InvalidRequestError,
  OutboxFullError,
  StoreUnavailableError,
} from '../errors.js';
import { optionChecks } from '../option-checks.js';
import { isValidTokenId } from '../wire/token-id.js';
import { Follower } from './follow.js';
import {
  type BudgetSlot,
  type BudgetState,
  currentWindow,
  settleSlot,
  takeSlot,
  usableReport,
  waitAfterAnswer,
} from './learned-budget.js';
import { type ResolvedSchedulerOptions, resolveSchedulerOptions } from './options.js';
import { type LeasedBatch, type PendingToken, updateBudget } from './store.js';
import type { AcceptedSend, BudgetReport, PreparedBatch } from './targets/target.js';
import type {
  CollectionTokenIds,
  RefreshSchedulerOptions,
  SchedulerEvent,
  SchedulerStats,
  SchedulerStopOptions,
  SchedulerStopResult,
} from './types.js';

export type {
  CollectionTokenIds,
  RefreshSchedulerOptions,
  SchedulerEvent,
  SchedulerStats,
  SchedulerStopOptions,
  SchedulerStopResult,
} from './types.js';

/** Longest read (as JSON) kept with a deferred id: an item is at most 16 KiB on the wire. */
const MAX_KEPT_READ_CHARS = 64 * 1024;

/** How soon a collection whose pending ids were all held back is looked at again. */
const HELD_RETRY_MS = 250;

/** Ids `enqueue` kept while the store could not be reached. */
interface OutboxEntry {
  collectionAddress: string;
  tokenIds: string[];
  /** When they were enqueued (ms): their place in line once flushed. */
  atMs: number;
}

/**
 * Turns a stream of token ids into full, budget-paced requests to Immutable X or zkEVM, and
 * follows every id to exactly one final event (`tokenSucceeded` or `tokenFailed`).
 *
 * @example
 * ```ts
 * const scheduler = new RefreshScheduler({ client, onEvent: (e) => log(e) });
 * scheduler.start();
 * await scheduler.enqueue(collectionAddress, [tokenId]); // after every level-up
 * ```
 */
export class RefreshScheduler {
  readonly #o: ResolvedSchedulerOptions;
  readonly #onEvent: (event: SchedulerEvent) => void;
  readonly #follower: Follower;
  /** How long recent requests took to answer: the guard is at least twice the longest. */
  #recentPostMs: number[] = [];
  /** Aborts this run's reads (metadata, polls, error pages, reconciliation) when `stop()` is called. */
  #reads = new AbortController();
  #running = false;
  #generation = 0;
  #loop: Promise<void> | undefined;
  #wake: AbortController | undefined;
  #woken = false;
  #budgetWaitUntil = 0;
  #errorBackoffUntil = 0;
  #stats: SchedulerStats;
  /** When the loop last planned the next send. */
  #nextSend: number | undefined;
  #drainWaiters: (() => void)[] = [];
  /** Ids enqueued while the store could not be reached, oldest first, until it answers again. */
  #outbox: OutboxEntry[] = [];
  #outboxIds = 0;

  /**
   * @throws {InvalidRequestError} no target or client, or an option out of range (named).
   */
  constructor(options: RefreshSchedulerOptions) {
    this.#o = resolveSchedulerOptions(options);
    const userOnEvent = options.onEvent;
    this.#onEvent = (event) => {
      if (!userOnEvent) return;
      try {
        userOnEvent(event);
      } catch (error) {
        if (event.type !== 'error') this.#onEvent({ type: 'error', error });
      }
    };
    this.#follower = new Follower({
      options: this.#o,
      emit: this.#onEvent,
      signal: () => this.#reads.signal,
      running: () => this.#running,
    });
    const told = this.#o.told;
    const limit =
      told === undefined ? undefined : Math.min(told.limit, this.#o.cap) - this.#o.reserve;
    this.#stats = {
      pending: 0,
      inFlight: 0,
      following: 0,
      budget: { limit, used: 0, remaining: limit, windowEndsAt: undefined },
      nextSendAt: undefined,
      outbox: 0,
    };
  }

  /**
   * Adds token ids to send. Resolves once they are stored (for the Redis store: in Redis).
   * Duplicates, and ids already pending, collapse into one; an id whose batch is in flight is
   * pending again (on zkEVM its metadata is read again when its next batch is sent, so the latest
   * state is pushed).
   *
   * @throws {InvalidRequestError} a bad address or token id, here rather than later in the background.
   * @throws {StoreUnavailableError} the shared store did not answer.
   */
  async enqueue(collectionAddress: string, tokenIds: string[]): Promise<void> {
    assertCollectionAddress(collectionAddress);
    if (!Array.isArray(tokenIds) || tokenIds.length === 0) {
      throw new InvalidRequestError('tokenIds must be a non-empty array of strings');
    }
    const invalid = tokenIds.filter((id) => !isValidTokenId(id));
    if (invalid.length > 0) {
      throw new InvalidRequestError(
        `tokenIds must be non-empty, well-formed strings other than "." and ".."; invalid: ${invalid
          .slice(0, 10)
          .map((i) => JSON.stringify(i) ?? String(i))
          .join(', ')}`,
      );
    }
    const distinct = [...new Set(tokenIds)];
    const atMs = this.#o.clock.now();
    // Behind ids already waiting in the outbox: the store gets them in the order they came.
    if (this.#outbox.length === 0) {
      try {
        await this.#o.store.enqueue({
          collectionAddress,
          tokens: distinct.map((tokenId) => ({ tokenId, attempts: 0 })),
          nowMs: atMs,
        });
        this.#poke();
        return;
      } catch (error) {
        if (!(error instanceof StoreUnavailableError) || this.#o.outboxMaxIds === 0) throw error;
        this.#toOutbox(collectionAddress, distinct, atMs, error);
        this.#onEvent({ type: 'error', error });
        this.#poke();
        return;
      }
    }
    this.#toOutbox(collectionAddress, distinct, atMs, undefined);
    this.#poke();
  }

  /** Keeps ids the store cannot take now, or rejects when the outbox is full. */
  #toOutbox(collectionAddress: string, tokenIds: string[], atMs: number, cause: unknown): void {
    const max = this.#o.outboxMaxIds;
    if (this.#outboxIds + tokenIds.length > max) {
      this.#onEvent({ type: 'outboxFull', size: this.#outboxIds });
      throw new OutboxFullError(
        `The store cannot be reached and the outbox is full (${this.#outboxIds} of ${max} ids): these ${tokenIds.length} ids were not kept; enqueue them again later`,
        { operation: 'enqueue', maxIds: max, cause },
      );
    }
    this.#outbox.push({ collectionAddress, tokenIds, atMs });
    this.#outboxIds += tokenIds.length;
  }

  /** Hands the outbox to the store, oldest first; stops at the first failure (it rejects). */
  async #flushOutbox(): Promise<void> {
    while (this.#outbox.length > 0) {
      const entry = this.#outbox[0] as OutboxEntry;
      await this.#o.store.enqueue({
        collectionAddress: entry.collectionAddress,
        tokens: entry.tokenIds.map((tokenId) => ({ tokenId, attempts: 0 })),
        // Their own enqueue time, so they keep their place among the ids that came after.
        nowMs: entry.atMs,
      });
      this.#outbox.shift();
      this.#outboxIds -= entry.tokenIds.length;
    }
  }

  /**
   * Starts sending and following in the background. Calling it twice is harmless. Never throws:
   * what fails in the background is an `error` event, and ids stay in the store.
   */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#reads = new AbortController();
    const generation = ++this.#generation;
    // A loop that is still finishing a stop() ends first; only one loop ever runs.
    this.#loop = (this.#loop ?? Promise.resolve()).then(() => this.#run(generation));
  }

  /**
   * Stops promptly: reads in flight (metadata, polls, error pages, reconciliation) are abandoned,
   * and a request being sent finishes and is recorded (it is bounded by the client's
   * `timeoutMs`; abandoning it would make its outcome uncertain). Pending ids stay in the store;
   * batches being followed or reconciled are handed back (their leases expire now), so another
   * process, or this one after `start()`, takes them up. The outbox is flushed to the store if it
   * answers; what it could not take is returned as `unstored` (kept, too, for a later `start()`).
   *
   * With `{ drain: true }` it first keeps sending until nothing is pending or in flight (or
   * `timeoutMs` has passed). What only this process holds (`unstored`, and everything a memory
   * store still holds) is returned as `lostAtExit` and raised as a `lostAtExit` event: nothing is
   * lost silently.
   *
   * @throws {InvalidOptionError} `timeoutMs` is not a positive number.
   * @throws {StoreUnavailableError} the shared store did not answer while the batches were handed
   * back (their leases then run out on their own).
   */
  async stop(options: SchedulerStopOptions = {}): Promise<SchedulerStopResult> {
    const { drain = false } = options;
    const timeoutMs =
      options.timeoutMs === undefined
        ? undefined
        : optionChecks('stop').positiveNumber('timeoutMs', options.timeoutMs);
    if (drain && this.#running) await this.#drainWithin(timeoutMs);
    if (this.#running) {
      this.#running = false;
      const loop = this.#loop;
      this.#reads.abort();
      this.#poke();
      await loop;
      const ids = this.#follower.handBack();
      if (ids.length > 0) {
        await this.#o.store.renewLeases({ batchIds: ids, leaseUntilMs: this.#o.clock.now() });
      }
    }
    try {
      await this.#flushOutbox();
    } catch (error) {
      this.#onEvent({ type: 'error', error });
    }
    const unstored = this.#outbox.map((e) => ({
      collectionAddress: e.collectionAddress,
      tokenIds: [...e.tokenIds],
    }));
    const store = this.#o.store;
    let pending: number | undefined;
    let volatile: CollectionTokenIds[] = [];
    try {
      const counts = await store.counts();
      pending = counts.pending + counts.inFlight;
      if (store.idsLostAtExit) volatile = await store.idsLostAtExit();
    } catch (error) {
      this.#onEvent({ type: 'error', error });
    }
    const lostAtExit = mergeIds(unstored, volatile);
    const count = lostAtExit.reduce((n, c) => n + c.tokenIds.length, 0);
    if (count > 0) this.#onEvent({ type: 'lostAtExit', ids: lostAtExit, count });
    return { unstored, pending, lostAtExit };
  }

  /** Waits until drained or `timeoutMs` (by the scheduler's clock) has passed. */
  async #drainWithin(timeoutMs: number | undefined): Promise<void> {
    if (timeoutMs === undefined) return this.drained();
    const timer = new AbortController();
    await Promise.race([
      this.drained().finally(() => timer.abort()),
      this.#o.clock.sleep(timeoutMs, timer.signal).catch(() => undefined),
    ]);
    timer.abort();
  }

  /**
   * Resolves when the store holds nothing pending or in flight and every batch this process sent
   * or adopted has its outcome. Requires `start()`. Never rejects: a failure on the way is an
   * `error` event, and the wait goes on until the work is done.
   */
  drained(): Promise<void> {
    return new Promise((resolve) => {
      this.#drainWaiters.push(resolve);
      this.#poke();
    });
  }

  /**
   * A fresh snapshot: pending, in-flight and budget counts are read from the store now (for the
   * Redis store, one round trip), so they include ids enqueued a moment ago and hold before
   * `start()`. `nextSendAt` is what the background loop last planned (`undefined` before
   * `start()`).
   *
   * @throws {StoreUnavailableError} the shared store did not answer.
   */
  async stats(): Promise<SchedulerStats> {
    await this.#updateStats(this.#nextSend);
    return { ...this.#stats, budget: { ...this.#stats.budget } };
  }

  #poke(): void {
    this.#woken = true;
    this.#wake?.abort();
  }

  async #run(generation: number): Promise<void> {
    const clock = this.#o.clock;
    while (this.#running && generation === this.#generation) {
      this.#woken = false;
      let delay: number | undefined;
      try {
        delay = await this.#step();
      } catch (error) {
        this.#onEvent({ type: 'error', error });
        delay = 1_000;
      }
      if (!this.#running) break;
      if (this.#woken) continue;
      const wake = new AbortController();
      this.#wake = wake;
      const woken = new Promise<void>((resolve) =>
        wake.signal.addEventListener('abort', () => resolve()),
      );
      try {
        if (delay === undefined) await woken;
        else await clock.sleep(Math.max(0, delay), wake.signal);
      } catch (error) {
        // An aborted sleep is a wake-up, whatever the clock rejected it with (node:timers'
        // own AbortError, say). Any other rejection is a broken clock: reported, never thrown
        // out of this background loop (that would be an unhandled rejection), and the loop
        // waits for the next enqueue or stop() rather than spin.
        if (!wake.signal.aborted && !(error instanceof AbortError)) {
          this.#onEvent({ type: 'error', error });
          await woken;
        }
      } finally {
        this.#wake = undefined;
      }
    }
  }

  /** One pass: reclaim, send what is due, poll what is due. Returns ms until the next pass. */
  async #step(): Promise<number | undefined> {
    const { store, clock, leaseMs } = this.#o;
    await this.#flushOutbox();
    const now = clock.now();
    for (const batch of await store.reclaimExpired({ nowMs: now, leaseUntilMs: now + leaseMs })) {
      this.#follower.adopt(batch, now);
    }
    // Poll first: a completed batch may re-enqueue ids that the send below can include.
    await this.#follower.pollDue();
    await this.#follower.reconcileDue();
    const nextSend = await this.#sendDue();
    await this.#follower.renewLeases();
    const nextPoll = this.#follower.nextDueMs();
    this.#nextSend = nextSend;
    await this.#updateStats(nextSend);
    await this.#resolveDrained();
    const times = [nextSend, nextPoll];
    // Leases: renew ours, and look again for others' batches whose lease may run out.
    if (this.#follower.busy || this.#stats.inFlight > 0) times.push(clock.now() + leaseMs / 3);
    if (this.#o.idlePollMs !== undefined) times.push(clock.now() + this.#o.idlePollMs);
    const due = times.filter((t): t is number => t !== undefined);
    return due.length === 0 ? undefined : Math.min(...due) - clock.now();
  }

  /**
   * Longest an id waits for a fuller batch: `maxDelayMs` when given (a told budget's default is
   * the window over the limit). Otherwise it follows what is left: before the budget is known, no
   * wait (the first push is what tells it); then the time left in the window spread over the
   * requests left in it, so a partial batch goes out while the budget can afford one every so
   * often, and batches fill up only when the budget is short of the backlog.
   */
  #maxDelayMs(nowMs: number, budget: BudgetState): number {
    if (this.#o.maxDelayMs !== undefined) return this.#o.maxDelayMs;
    const window = currentWindow(budget, nowMs, this.#o.told);
    if (window === undefined || window.limit === undefined) return 0;
    const left = Math.min(window.limit, this.#o.cap) - this.#o.reserve - window.used;
    if (left <= 0) return Math.max(0, window.windowEndsMs - nowMs);
    return Math.max(0, window.windowEndsMs - nowMs - this.#guardMs()) / left;
  }

  /** Sends every batch that is due while the budget allows. Returns when the next one is due. */
  async #sendDue(): Promise<number | undefined> {
    const { store, clock, leaseMs } = this.#o;
    const held = new Set<string>();
    for (let sent = 0; sent < 100; sent++) {
      const now = clock.now();
      const collections = (await store.pendingCollections()).sort(
        (a, b) => a.oldestMs - b.oldestMs,
      );
      if (collections.length === 0) return undefined;
      const budget = (await store.readBudget()).state;
      const maxDelayMs = this.#maxDelayMs(now, budget);
      // Sorted oldest first: of the collections that are full or overdue, the oldest goes first.
      const ready = collections.find(
        (c) =>
          !held.has(c.collectionAddress) &&
          (c.count >= this.#o.maxBatchSize || now - c.oldestMs >= maxDelayMs),
      );
      if (!ready) {
        const waiting = collections.filter((c) => !held.has(c.collectionAddress));
        const due = waiting.map((c) => c.oldestMs + maxDelayMs);
        // Ids held back behind an unanswered send: look again shortly.
        if (held.size > 0) due.push(now + HELD_RETRY_MS);
        return Math.min(...due);
      }
      if (now < this.#errorBackoffUntil) return this.#errorBackoffUntil;
      if (now < this.#budgetWaitUntil) return this.#budgetWaitUntil;
      const windowEnds = currentWindow(budget, now, this.#o.told)?.windowEndsMs;
      if (windowEnds !== undefined && windowEnds - now < this.#guardMs()) return windowEnds;
      // Ids first, then a slot: another process may have taken the ids, and a slot spent on
      // nothing would be a request lost for the whole window. Then the slot, and only then the
      // read: metadata read without a slot would be thrown away (read twice per push), and a
      // read made just before the push is the newest the request can carry.
      const batch = await store.takeBatch({
        collectionAddress: ready.collectionAddress,
        max: this.#o.maxBatchSize,
        leaseUntilMs: now + leaseMs,
        nowMs: now,
      });
      if (!batch) {
        // Taken by another process, or held behind a send not answered yet.
        held.add(ready.collectionAddress);
        continue;
      }
      const slotTakenMs = clock.now();
      const slot = await this.#takeSlot(slotTakenMs);
      if (typeof slot === 'number') {
        await store.releaseBatch({ batchId: batch.batchId, nowMs: clock.now() });
        return slot;
      }
      let prepared: PreparedBatch | undefined;
      try {
        prepared = await this.#prepare(batch);
      } finally {
        // Nothing left to send (or the read failed): the slot was never used, give it back.
        if (prepared === undefined) await this.#settleSlot(slot, undefined, { unsent: true });
      }
      if (prepared === undefined) continue;
      await this.#send(batch, prepared, slot, slotTakenMs);
      if (!this.#running) return clock.now();
    }
    return clock.now();
  }

  /**
   * Prepares a taken batch; ids that cannot go in this request leave it first (back to pending,
   * retried, or ended). Resolves `undefined` when nothing is left to send.
   */
  async #prepare(batch: LeasedBatch): Promise<PreparedBatch | undefined> {
    const { store, clock, target } = this.#o;
    const tokenIds = batch.tokens.map((t) => t.tokenId);
    // What was read for ids that did not fit an earlier push, kept with them in the store (so
    // any process of a fleet can use it), as long as they were not enqueued again since.
    const kept = new Map<string, unknown>();
    for (const t of batch.tokens) {
      if (t.keptRead === undefined) continue;
      try {
        kept.set(t.tokenId, JSON.parse(t.keptRead));
      } catch {
        // Unreadable (a store that mangled it): read the token again.
      }
    }
    let prepared: PreparedBatch;
    try {
      prepared = await target.prepare({
        collectionAddress: batch.collectionAddress,
        tokenIds,
        signal: this.#reads.signal,
        kept: kept.size > 0 ? kept : undefined,
      });
    } catch (error) {
      await store.releaseBatch({ batchId: batch.batchId, nowMs: clock.now() });
      if (!(this.#reads.signal.aborted && error instanceof AbortError)) throw error;
      return undefined;
    }
    if (prepared.tokenIds.length === tokenIds.length) return prepared;
    const byId = new Map(batch.tokens.map((t) => [t.tokenId, t]));
    const back: PendingToken[] = prepared.deferred.flatMap((id): PendingToken[] => {
      const token = byId.get(id);
      if (!token) return [];
      return [{ ...token, keptRead: keptReadOf(prepared.keep, id) }];
    });
    const events: SchedulerEvent[] = [];
    const collectionAddress = batch.collectionAddress;
    for (const u of prepared.unsendable) {
      const token = byId.get(u.tokenId);
      if (!token) continue;
      const attempts = token.attempts + 1;
      const base = { collectionAddress, tokenId: u.tokenId, refreshId: undefined };
      if (u.transient && attempts < this.#o.attempts) {
        // A fresh wait before the next read: a Metadata API that is down is not hammered.
        back.push({ tokenId: u.tokenId, attempts });
        events.push({ type: 'tokenRetried', ...base, errorCode: u.errorCode, attempts });
      } else {
        events.push({ type: 'tokenFailed', ...base, errorCode: u.errorCode, attempts });
      }
    }
    // Back into pending before narrowing the batch: a crash in between repeats, never loses.
    if (back.length > 0) {
      await store.enqueue({ collectionAddress, tokens: back, nowMs: clock.now() });
    }
    if (prepared.tokenIds.length === 0) await store.completeBatch({ batchId: batch.batchId });
    else await store.keepTokens({ batchId: batch.batchId, tokenIds: prepared.tokenIds });
    for (const event of events) this.#onEvent(event);
    if (prepared.tokenIds.length === 0) return undefined;
    const sent = new Set(prepared.tokenIds);
    batch.tokens = batch.tokens.filter((t) => sent.has(t.tokenId));
    return prepared;
  }

  /** Takes a budget slot, or returns when to try again. */
  async #takeSlot(now: number): Promise<BudgetSlot | number> {
    const { store, leaseMs } = this.#o;
    const parameters = {
      nowMs: now,
      reserve: this.#o.reserve,
      cap: this.#o.cap,
      guardMs: this.#guardMs(),
      ttlMs: leaseMs,
      told: this.#o.told,
    };
    const slot = await updateBudget(store, (state) => {
      const taken = takeSlot(state, parameters);
      return { state: taken.state, result: taken.slot };
    });
    if (slot.taken) return slot;
    if (slot.spent) this.#waitForBudget(slot.retryAtMs);
    return slot.retryAtMs;
  }

  /** The configured guard, widened to twice the slowest recent request (a loaded network). */
  #guardMs(): number {
    const slowest = this.#recentPostMs.length === 0 ? 0 : Math.max(...this.#recentPostMs);
    return Math.min(Math.max(this.#o.windowGuardMs, 2 * slowest), this.#o.windowMs / 2);
  }

  #waitForBudget(untilMs: number): void {
    if (this.#budgetWaitUntil !== untilMs) {
      this.#budgetWaitUntil = untilMs;
      this.#onEvent({ type: 'budgetWait', until: new Date(untilMs) });
    }
  }

  /**
   * Records what an answer (or its absence) said about the budget, and frees the slot: a 429's
   * wait, a 202's pacing hint (see `waitAfterAnswer`), or the slot given back when nothing was
   * sent.
   */
  async #settleSlot(
    slot: BudgetSlot,
    answered: BudgetReport | undefined,
    how: { unsent?: boolean; refused?: boolean } = {},
  ): Promise<void> {
    const { store, clock, windowMs } = this.#o;
    const now = clock.now();
    const report = usableReport(answered);
    const blockUntilMs = how.unsent
      ? undefined
      : waitAfterAnswer({ report, refused: how.refused === true, nowMs: now, maxWaitMs: windowMs });
    if (blockUntilMs !== undefined && blockUntilMs > now && how.refused) {
      this.#waitForBudget(blockUntilMs);
    }
    const parameters = {
      probe: slot.probe,
      windowEndsMs: slot.windowEndsMs,
      report,
      nowMs: now,
      blockUntilMs,
      unsent: how.unsent,
      maxWindowMs: windowMs,
    };
    await updateBudget(store, (state) => ({
      state: settleSlot(state, parameters),
      result: undefined,
    }));
  }

  /**
   * Runs a store write that records an answer the API already gave, until it succeeds: the
   * outcome of a push is never thrown away, and a store that failed after a 202 never makes the
   * batch look unsent (that would push it twice). Every write passed here is idempotent: one that
   * timed out may have run. Gives up only when the scheduler stops; the batch is then still
   * leased and marked in flight in the store, so whoever takes it over reconciles it.
   */
  async #record<T>(write: () => Promise<T>): Promise<T> {
    let waitMs = 100;
    for (;;) {
      try {
        return await write();
      } catch (error) {
        this.#onEvent({ type: 'error', error });
        if (!this.#running) throw error;
        try {
          await this.#o.clock.sleep(waitMs, this.#reads.signal);
        } catch {
          throw error;
        }
        waitMs = Math.min(waitMs * 2, 5_000);
      }
    }
  }

  /** Sends one prepared batch and records what became of it. */
  async #send(
    batch: LeasedBatch,
    prepared: PreparedBatch,
    slot: BudgetSlot,
    slotTakenMs: number,
  ): Promise<void> {
    const { store, clock, leaseMs, target } = this.#o;
    const tokenIds = prepared.tokenIds;
    const now = () => clock.now();
    const started = now();
    const collectionAddress = batch.collectionAddress;
    try {
      // In flight from here: a process that takes the batch over (this one died or stalled)
      // reconciles it, never pushes it again blindly. The lease covers the longest push
      // (checked at construction), so it cannot run out while the push is on its way.
      await store.markUncertain({
        batchId: batch.batchId,
        sentAtMs: started,
        leaseUntilMs: started + leaseMs,
      });
    } catch (error) {
      await store.releaseBatch({ batchId: batch.batchId, nowMs: now() }).catch(() => {});
      await this.#settleSlot(slot, undefined, { unsent: true }).catch(() => {});
      throw error;
    }
    try {
      // Batches this process follows keep their leases through the push (it may take up to the
      // longest send, and the loop may push several times in a row).
      await this.#follower.renewLeases(leaseMs);
    } catch (error) {
      // Best effort: a lease that runs out is taken over and fenced (markSent's takeovers).
      this.#onEvent({ type: 'error', error });
    }
    let accepted: AcceptedSend;
    try {
      accepted = await target
        .send({ collectionAddress, prepared, sentAtMs: started, batchId: batch.batchId })
        .finally(() => {
          // From the slot to the answer, the read included: the window guard covers all of it.
          this.#recentPostMs = [...this.#recentPostMs.slice(-19), now() - slotTakenMs];
        });
    } catch (error) {
      await this.#sendFailed(batch, prepared, slot, started, error);
      return;
    }
    // Answered: from here every store write is retried until it lands (see #record).
    await this.#record(() => this.#settleSlot(slot, accepted.budget));
    const ours = await this.#record(() =>
      store.markSent({
        batchId: batch.batchId,
        refreshId: accepted.receipt,
        leaseUntilMs: now() + leaseMs,
        takeovers: batch.takeovers ?? 0,
      }),
    );
    this.#onEvent({
      type: 'batchSent',
      collectionAddress,
      refreshId: accepted.refreshId,
      tokenIds,
    });
    // The lease ran out before the answer could be recorded (a stalled process, a long store
    // outage), and another process took the batch over: it reconciles the push and reports the
    // ids' outcomes, once.
    if (!ours) return;
    if (accepted.settled) {
      await this.#record(() => this.#follower.settle(batch, accepted.receipt, new Map()));
    } else {
      this.#follower.accepted(batch, accepted.receipt, now() + this.#o.pollIntervalMs);
    }
  }

  /** What a send that failed means for its batch and its slot (see `SendFailure`). */
  async #sendFailed(
    batch: LeasedBatch,
    prepared: PreparedBatch,
    slot: BudgetSlot,
    started: number,
    error: unknown,
  ): Promise<void> {
    const tokenIds = prepared.tokenIds;
    const { store, clock, leaseMs, target } = this.#o;
    const now = () => clock.now();
    const collectionAddress = batch.collectionAddress;
    const failure = target.classifySendFailure(error);
    if (failure === 'rateLimited') {
      // Refused for the budget: the batch goes back untouched, and the fleet waits.
      await store.releaseBatch({ batchId: batch.batchId, nowMs: now() });
      const told = target.budgetOf(error);
      await this.#settleSlot(slot, told, { refused: true });
      return;
    }
    if (failure === 'refused') {
      // The API refuses this batch for good (unknown collection, bad key, body too large):
      // resending would spend a budget slot each time and never succeed. Report each id.
      await store.completeBatch({ batchId: batch.batchId });
      await this.#settleSlot(slot, target.budgetOf(error));
      const errorCode = errorCodeOf(error);
      for (const t of batch.tokens) {
        this.#onEvent({
          type: 'tokenFailed',
          collectionAddress,
          tokenId: t.tokenId,
          refreshId: undefined,
          errorCode,
          attempts: t.attempts + 1,
        });
      }
      this.#onEvent({ type: 'error', error });
      return;
    }
    if (failure === 'uncertain') {
      // It may have been accepted: keep the ids leased and the slot spent, and find out.
      await store.markUncertain({
        batchId: batch.batchId,
        sentAtMs: started,
        leaseUntilMs: now() + leaseMs,
      });
      await this.#settleSlot(slot, undefined);
      this.#follower.uncertain(batch, started, prepared.payload);
      this.#onEvent({ type: 'batchUncertain', collectionAddress, tokenIds, error });
      this.#onEvent({ type: 'error', error });
      return;
    }
    // Provably never sent: send again later, and the slot was not spent.
    await store.releaseBatch({ batchId: batch.batchId, nowMs: now() });
    await this.#settleSlot(slot, undefined, { unsent: true });
    this.#errorBackoffUntil = now() + 5_000;
    this.#onEvent({ type: 'error', error });
  }

  async #updateStats(nextSend: number | undefined): Promise<void> {
    const { store, clock } = this.#o;
    const now = clock.now();
    const counts = await store.counts();
    const state = (await store.readBudget()).state;
    const window = currentWindow(state, now, this.#o.told);
    const limit =
      window?.limit === undefined
        ? undefined
        : Math.max(0, Math.min(window.limit, this.#o.cap) - this.#o.reserve);
    const used = window?.used ?? 0;
    const budget: SchedulerStats['budget'] = {
      limit,
      used: limit === undefined ? used : Math.min(used, limit),
      remaining: limit === undefined || !window ? undefined : Math.max(0, limit - used),
      windowEndsAt: window ? new Date(window.windowEndsMs) : undefined,
    };
    this.#stats = {
      ...counts,
      following: this.#follower.following,
      budget,
      nextSendAt: nextSend === undefined ? undefined : new Date(Math.max(now, nextSend)),
      outbox: this.#outboxIds,
    };
  }

  async #resolveDrained(): Promise<void> {
    if (this.#drainWaiters.length === 0 || this.#follower.busy || this.#outboxIds > 0) return;
    // Counts read now, for the waiters registered before the read: an id enqueued during this
    // step must not be missed.
    const waiters = [...this.#drainWaiters];
    const counts = await this.#o.store.counts();
    if (counts.pending > 0 || counts.inFlight > 0 || this.#follower.busy) return;
    this.#drainWaiters = this.#drainWaiters.filter((w) => !waiters.includes(w));
    for (const resolve of waiters) resolve();
  }
}

/** What was read for a deferred id, as the JSON the store keeps with it; undefined: read again. */
function keptReadOf(keep: ReadonlyMap<string, unknown> | undefined, tokenId: string) {
  if (!keep?.has(tokenId)) return undefined;
  try {
    const json = JSON.stringify(keep.get(tokenId));
    return json !== undefined && json.length <= MAX_KEPT_READ_CHARS ? json : undefined;
  } catch {
    return undefined;
  }
}

function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown | undefined })?.code;
  if (typeof code === 'string' && code !== '') return code;
  return (error as Error)?.name ?? 'unknown_error';
}

/** The ids of both lists, per collection, each once (a collection keeps its first place). */
function mergeIds(a: CollectionTokenIds[], b: CollectionTokenIds[]): CollectionTokenIds[] {
  const byCollection = new Map<string, Set<string>>();
  for (const { collectionAddress, tokenIds } of [...a, ...b]) {
    const key = collectionAddress.toLowerCase();
    const ids = byCollection.get(key) ?? new Set<string>();
    for (const id of tokenIds) ids.add(id);
    byCollection.set(key, ids);
  }
  return [...byCollection].map(([collectionAddress, ids]) => ({
    collectionAddress,
    tokenIds: [...ids],
  }));
}
