/**
 * RefreshScheduler: collects token ids from game events, deduplicates them, sends full batches
 * paced to the project's budget, follows each refresh to its outcome, retries transient failures
 * and never loses an id. Its rules live here, once, above the store interface.
 */
import type { MetadataRefreshClient } from '../client/client.js';
import { assertCollectionAddress } from '../client/validate.js';
import { type Clock, systemClock } from '../clock.js';
import { AbortError, ApiError, InvalidRequestError, RateLimitError } from '../errors.js';
import {
  MAX_PAGE_SIZE,
  MAX_TOKENS_PER_REFRESH,
  REFRESH_POLL,
  REFRESH_WINDOW_MS,
  REFRESHES_PER_WINDOW,
} from '../wire/limits.js';
import type { RefreshSummary } from '../wire/mappers.js';
import { isValidTokenId } from '../wire/token-id.js';
import { findUncertainRefresh } from './reconcile.js';
import { classifySendFailure } from './send-failure.js';
import { type LeasedBatch, MemoryStore, type SchedulerStore, windowStart } from './store.js';

/** Everything the scheduler reports, a union on `type`. */
export type SchedulerEvent =
  | { type: 'batchSent'; collectionAddress: string; refreshId: string; tokenIds: string[] }
  | { type: 'refreshCompleted'; refreshId: string; summary: RefreshSummary }
  | { type: 'tokenSucceeded'; collectionAddress: string; tokenId: string; refreshId: string }
  | {
      type: 'tokenFailed';
      collectionAddress: string;
      tokenId: string;
      refreshId: string | undefined;
      errorCode: string;
      /** Refresh requests that included this id. */
      attempts: number;
    }
  | {
      type: 'tokenRetried';
      collectionAddress: string;
      tokenId: string;
      refreshId: string;
      errorCode: string;
      attempts: number;
    }
  | {
      /**
       * A send may have been accepted without the answer saying so (a timeout, a broken
       * connection, 5xx, 408, a 202 without a readable id). The batch stays leased, its budget
       * slot counts as used, and it is reconciled before anything is resent.
       */
      type: 'batchUncertain';
      collectionAddress: string;
      tokenIds: string[];
      error: unknown;
    }
  | {
      /**
       * Reconciliation ended: `refreshId` is the refresh the uncertain send created (now followed
       * like any other), or `undefined` when the API shows none and the ids go back to be sent
       * again.
       */
      type: 'batchReconciled';
      collectionAddress: string;
      tokenIds: string[];
      refreshId: string | undefined;
    }
  | { type: 'budgetWait'; until: Date }
  | { type: 'error'; error: unknown };

/** What the scheduler needs of a client (a `MetadataRefreshClient`, or a fake in tests). */
export type SchedulerClient = Pick<
  MetadataRefreshClient,
  'requestRefresh' | 'getRefresh' | 'iterateRefreshErrors' | 'iterateRefreshes'
>;

/** Options of {@link RefreshScheduler}. */
export interface RefreshSchedulerOptions {
  /** Sends the requests. */
  client: SchedulerClient;
  /** Where pending ids, leases and the budget live. Default: in memory (one process). */
  store?: SchedulerStore;
  /**
   * The project's budget: `limit` requests per `windowMs` (default 10 per hour), keeping `reserve`
   * of them (default 0) for people and tools in each window.
   */
  budget?: { limit?: number; windowMs?: number; reserve?: number };
  /** Most ids in one request. Default 1000 (the API's maximum). */
  maxBatchSize?: number;
  /** Longest an id waits for a fuller batch while the budget allows. Default `windowMs / limit`. */
  maxDelayMs?: number;
  /** Refresh requests an id may be part of when it keeps failing for a transient reason. Default 3. */
  retry?: { attempts?: number };
  /** How long a taken batch stays claimed by a process that may have died. Default 5 minutes. */
  leaseMs?: number;
  /** First wait before polling a sent refresh; backs off by half each poll. Default 5000. */
  pollIntervalMs?: number;
  /** Longest wait between polls of one refresh. Default 60000. */
  maxPollIntervalMs?: number;
  /**
   * No request is started this close to the end of a window. A request that starts in one window
   * and reaches the server in the next is counted there by the server but here by the store, and
   * in a fleet that can make another process's request the next window's 11th. Default
   * `min(windowMs / 100, 5000)`: 5 s an hour. It widens to twice the slowest of the last 20 requests.
   */
  windowGuardMs?: number;
  /**
   * How an uncertain send (see the `batchUncertain` event) is reconciled: the collection's newest
   * refreshes are read `checkAfterMs` after the failure (default 2, 5 and 15 s); a refresh the
   * store does not know, started at most `clockSkewMs` (default 5000) before the send began, whose
   * summary counts the batch's ids, is adopted. When the last check shows none, the ids are sent
   * again (on a new budget slot).
   */
  reconcile?: { checkAfterMs?: number[]; clockSkewMs?: number };
  /** When the store is shared (Redis), how often an idle scheduler looks for others' work. Default 1000. */
  idlePollMs?: number;
  /** Source of time. Default: the system clock. */
  clock?: Clock;
  /** Receives every {@link SchedulerEvent}. Must not throw (a throw is reported as an `error` event). */
  onEvent?: (event: SchedulerEvent) => void;
}

/** A snapshot for dashboards and logs. */
export interface SchedulerStats {
  /** Distinct ids waiting to be sent (all processes, for a shared store). */
  pending: number;
  /** Ids in batches being sent or followed. */
  inFlight: number;
  /** Refreshes this process is following. */
  following: number;
  /** The budget in the current window (`limit` is `budget.limit - budget.reserve`). */
  budget: { limit: number; used: number; remaining: number; windowEndsAt: Date };
  /** When the next batch is due, if any is waiting. */
  nextSendAt: Date | undefined;
}

interface Reconciling {
  batch: LeasedBatch;
  sentAtMs: number;
  /** Checks that read the listing (failed reads do not count). */
  checks: number;
  nextCheckMs: number;
  /** When the failure was seen; `checkAfterMs` counts from here. */
  sinceMs: number;
}

interface Followed {
  batch: LeasedBatch;
  refreshId: string;
  nextPollMs: number;
  intervalMs: number;
  /** Polls in a row that answered 404. */
  notFound: number;
}

const TRANSIENT = (code: string, status: number | null) =>
  code === 'unable_to_retrieve_metadata' ||
  (code === 'invalid_response_status_code' && status !== null && (status === 429 || status >= 500));

function positive(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new InvalidRequestError(`${name} must be a positive number`);
  }
  return v;
}

/**
 * Turns a stream of token ids into full, budget-paced refresh requests and follows every id to
 * exactly one final event (`tokenSucceeded` or `tokenFailed`).
 *
 * @example
 * ```ts
 * const scheduler = new RefreshScheduler({ client, onEvent: (e) => log(e) });
 * scheduler.start();
 * await scheduler.enqueue(collectionAddress, [tokenId]); // after every level-up
 * ```
 */
export class RefreshScheduler {
  readonly #client: SchedulerClient;
  readonly #store: SchedulerStore;
  readonly #clock: Clock;
  readonly #onEvent: (event: SchedulerEvent) => void;
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxBatchSize: number;
  readonly #maxDelayMs: number;
  readonly #attempts: number;
  readonly #leaseMs: number;
  readonly #pollIntervalMs: number;
  readonly #maxPollIntervalMs: number;
  readonly #idlePollMs: number | undefined;
  readonly #windowGuardMs: number;
  /** How long recent refresh requests took to answer: the guard is at least twice the longest. */
  #recentPostMs: number[] = [];
  readonly #followed = new Map<string, Followed>();
  readonly #reconciling = new Map<string, Reconciling>();
  readonly #checkAfterMs: number[];
  readonly #clockSkewMs: number;
  /** Aborts this run's reads (polls, error pages, reconciliation) when `stop()` is called. */
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

  constructor(options: RefreshSchedulerOptions) {
    if (!options?.client) throw new InvalidRequestError('RefreshScheduler needs a client');
    this.#client = options.client;
    this.#store = options.store ?? new MemoryStore();
    this.#clock = options.clock ?? systemClock;
    const userOnEvent = options.onEvent;
    this.#onEvent = (event) => {
      if (!userOnEvent) return;
      try {
        userOnEvent(event);
      } catch (error) {
        if (event.type !== 'error') this.#onEvent({ type: 'error', error });
      }
    };
    const limit = positive(options.budget?.limit, REFRESHES_PER_WINDOW, 'budget.limit');
    const reserve = options.budget?.reserve ?? 0;
    if (!Number.isSafeInteger(reserve) || reserve < 0 || reserve >= limit) {
      throw new InvalidRequestError('budget.reserve must be an integer from 0 to limit - 1');
    }
    this.#limit = limit - reserve;
    this.#windowMs = positive(options.budget?.windowMs, REFRESH_WINDOW_MS, 'budget.windowMs');
    this.#maxBatchSize = positive(options.maxBatchSize, MAX_TOKENS_PER_REFRESH, 'maxBatchSize');
    if (!Number.isSafeInteger(this.#maxBatchSize) || this.#maxBatchSize > MAX_TOKENS_PER_REFRESH) {
      throw new InvalidRequestError(
        `maxBatchSize must be an integer from 1 to ${MAX_TOKENS_PER_REFRESH}`,
      );
    }
    this.#maxDelayMs = options.maxDelayMs ?? this.#windowMs / limit;
    if (!Number.isFinite(this.#maxDelayMs) || this.#maxDelayMs < 0) {
      throw new InvalidRequestError('maxDelayMs must be a non-negative number');
    }
    this.#attempts = positive(options.retry?.attempts, 3, 'retry.attempts');
    this.#leaseMs = positive(options.leaseMs, 300_000, 'leaseMs');
    this.#pollIntervalMs = positive(
      options.pollIntervalMs,
      REFRESH_POLL.initialMs,
      'pollIntervalMs',
    );
    this.#maxPollIntervalMs = Math.max(
      this.#pollIntervalMs,
      positive(options.maxPollIntervalMs, REFRESH_POLL.maxMs, 'maxPollIntervalMs'),
    );
    this.#windowGuardMs = options.windowGuardMs ?? Math.min(this.#windowMs / 100, 5_000);
    if (
      !Number.isFinite(this.#windowGuardMs) ||
      this.#windowGuardMs < 0 ||
      this.#windowGuardMs >= this.#windowMs
    ) {
      throw new InvalidRequestError('windowGuardMs must be a non-negative number below windowMs');
    }
    const checkAfterMs = options.reconcile?.checkAfterMs ?? [2_000, 5_000, 15_000];
    if (
      !Array.isArray(checkAfterMs) ||
      checkAfterMs.length === 0 ||
      checkAfterMs.some(
        (ms, i) => !Number.isFinite(ms) || ms < 0 || ms < (checkAfterMs[i - 1] ?? 0),
      )
    ) {
      throw new InvalidRequestError(
        'reconcile.checkAfterMs must be a non-empty, ascending list of non-negative numbers',
      );
    }
    this.#checkAfterMs = [...checkAfterMs];
    this.#clockSkewMs = options.reconcile?.clockSkewMs ?? 5_000;
    if (!Number.isFinite(this.#clockSkewMs) || this.#clockSkewMs < 0) {
      throw new InvalidRequestError('reconcile.clockSkewMs must be a non-negative number');
    }
    this.#idlePollMs =
      options.store && !(options.store instanceof MemoryStore)
        ? positive(options.idlePollMs, 1_000, 'idlePollMs')
        : undefined;
    this.#stats = {
      pending: 0,
      inFlight: 0,
      following: 0,
      budget: { limit: this.#limit, used: 0, remaining: this.#limit, windowEndsAt: new Date(0) },
      nextSendAt: undefined,
    };
  }

  /**
   * Adds token ids to send. Resolves once they are stored (for the Redis store: in Redis).
   * Duplicates, and ids already pending, collapse into one. Refuses bad input with
   * `InvalidRequestError`, here rather than later in the background.
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
    await this.#store.enqueue(
      collectionAddress,
      distinct.map((tokenId) => ({ tokenId, attempts: 0 })),
      this.#clock.now(),
    );
    this.#poke();
  }

  /** Starts sending and following in the background. Calling it twice is harmless. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#reads = new AbortController();
    const generation = ++this.#generation;
    // A loop that is still finishing a stop() ends first; only one loop ever runs.
    this.#loop = (this.#loop ?? Promise.resolve()).then(() => this.#run(generation));
  }

  /**
   * Stops promptly: reads in flight (polls, error pages, reconciliation) are abandoned, and a
   * refresh request being sent finishes and is recorded (it is bounded by the client's
   * `timeoutMs`; abandoning it would make its outcome uncertain). Pending ids stay in the store;
   * refreshes being followed or reconciled are handed back (their leases expire now), so another
   * process, or this one after `start()`, takes them up.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    const loop = this.#loop;
    this.#reads.abort();
    this.#poke();
    await loop;
    const ids = [...this.#followed.keys(), ...this.#reconciling.keys()];
    this.#followed.clear();
    this.#reconciling.clear();
    if (ids.length > 0) await this.#store.renewLeases(ids, this.#clock.now());
  }

  /**
   * Resolves when the store holds nothing pending or in flight and every refresh this process sent
   * or adopted has completed. Requires `start()`.
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
      this.#wake = new AbortController();
      try {
        if (delay === undefined) {
          await new Promise<void>((resolve) =>
            this.#wake?.signal.addEventListener('abort', () => resolve()),
          );
        } else {
          await this.#clock.sleep(Math.max(0, delay), this.#wake.signal);
        }
      } catch (error) {
        if (!(error instanceof AbortError)) throw error;
      } finally {
        this.#wake = undefined;
      }
    }
  }

  /** One pass: reclaim, send what is due, poll what is due. Returns ms until the next pass. */
  async #step(): Promise<number | undefined> {
    const now = this.#clock.now();
    for (const batch of await this.#store.reclaimExpired(now, now + this.#leaseMs)) {
      if (
        batch.refreshId === undefined &&
        batch.uncertainSinceMs !== undefined &&
        !this.#reconciling.has(batch.batchId)
      ) {
        // A process died while finding out whether its send was accepted: finish the job.
        this.#reconciling.set(batch.batchId, {
          batch,
          sentAtMs: batch.uncertainSinceMs,
          checks: 0,
          nextCheckMs: now,
          sinceMs: now - (this.#checkAfterMs.at(-1) ?? 0),
        });
      }
      if (batch.refreshId !== undefined && !this.#followed.has(batch.batchId)) {
        this.#followed.set(batch.batchId, {
          batch,
          refreshId: batch.refreshId,
          nextPollMs: now,
          intervalMs: this.#pollIntervalMs,
          notFound: 0,
        });
      }
    }
    // Poll first: a completed refresh may re-enqueue ids that the send below can include.
    await this.#pollDue();
    await this.#reconcileDue();
    const nextSend = await this.#sendDue();
    await this.#renewLeases();
    const polls = [
      ...[...this.#followed.values()].map((f) => f.nextPollMs),
      ...[...this.#reconciling.values()].map((r) => r.nextCheckMs),
    ];
    const nextPoll = polls.length === 0 ? undefined : Math.min(...polls);
    this.#nextSend = nextSend;
    await this.#updateStats(nextSend);
    await this.#resolveDrained();
    const times = [nextSend, nextPoll];
    // Leases: renew ours, and look again for others' batches whose lease may run out.
    if (this.#followed.size > 0 || this.#reconciling.size > 0 || this.#stats.inFlight > 0)
      times.push(this.#clock.now() + this.#leaseMs / 3);
    if (this.#idlePollMs !== undefined) times.push(this.#clock.now() + this.#idlePollMs);
    const due = times.filter((t): t is number => t !== undefined);
    return due.length === 0 ? undefined : Math.min(...due) - this.#clock.now();
  }

  /** Sends every batch that is due while the budget allows. Returns when the next one is due. */
  async #sendDue(): Promise<number | undefined> {
    for (let sent = 0; sent < 100; sent++) {
      const now = this.#clock.now();
      const collections = (await this.#store.pendingCollections()).sort(
        (a, b) => a.oldestMs - b.oldestMs,
      );
      if (collections.length === 0) return undefined;
      // Sorted oldest first: of the collections that are full or overdue, the oldest goes first.
      const ready = collections.find(
        (c) => c.count >= this.#maxBatchSize || now - c.oldestMs >= this.#maxDelayMs,
      );
      if (!ready) return Math.min(...collections.map((c) => c.oldestMs + this.#maxDelayMs));
      if (now < this.#errorBackoffUntil) return this.#errorBackoffUntil;
      if (now < this.#budgetWaitUntil) return this.#budgetWaitUntil;
      const windowEnds = windowStart(now, this.#windowMs) + this.#windowMs;
      if (windowEnds - now < this.#guardMs()) return windowEnds;
      // Ids first, then a slot: another process may have taken the ids, and a slot spent on
      // nothing would be a refresh request lost for the whole window.
      const batch = await this.#store.takeBatch(
        ready.collectionAddress,
        this.#maxBatchSize,
        now + this.#leaseMs,
        now,
      );
      if (!batch) continue;
      const slot = await this.#store.takeBudgetSlot(
        this.#limit,
        this.#windowMs,
        now,
        this.#leaseMs,
      );
      if (!slot.taken) {
        await this.#store.releaseBatch(batch.batchId, now);
        // Full, or waiting for answers to requests sent just before this window began.
        const retryAt = slot.used < this.#limit ? now + 100 : slot.windowEndsMs;
        if (retryAt === slot.windowEndsMs) this.#waitForBudget(slot.windowEndsMs);
        return retryAt;
      }
      let countedWindowEndsMs: number | undefined;
      try {
        countedWindowEndsMs = await this.#send(batch);
      } finally {
        if (slot.slotId !== undefined) {
          await this.#store.settleBudgetSlot(slot.slotId, countedWindowEndsMs, this.#windowMs);
        }
      }
      if (!this.#running) return this.#clock.now();
    }
    return this.#clock.now();
  }

  /** The configured guard, widened to twice the slowest recent request (a loaded network). */
  #guardMs(): number {
    const slowest = this.#recentPostMs.length === 0 ? 0 : Math.max(...this.#recentPostMs);
    return Math.min(Math.max(this.#windowGuardMs, 2 * slowest), this.#windowMs / 2);
  }

  #waitForBudget(untilMs: number): void {
    if (this.#budgetWaitUntil !== untilMs) {
      this.#budgetWaitUntil = untilMs;
      this.#onEvent({ type: 'budgetWait', until: new Date(untilMs) });
    }
  }

  /** Sends one batch; returns the end of the window the server counted it in, when accepted. */
  async #send(batch: LeasedBatch): Promise<number | undefined> {
    const tokenIds = batch.tokens.map((t) => t.tokenId);
    const now = () => this.#clock.now();
    const started = now();
    try {
      const { refreshId, rateLimit } = await this.#client
        .requestRefresh({ collectionAddress: batch.collectionAddress, tokenIds })
        .finally(() => {
          this.#recentPostMs = [...this.#recentPostMs.slice(-19), now() - started];
        });
      await this.#store.markSent(batch.batchId, refreshId, now() + this.#leaseMs);
      this.#followed.set(batch.batchId, {
        batch: { ...batch, refreshId },
        refreshId,
        nextPollMs: now() + this.#pollIntervalMs,
        intervalMs: this.#pollIntervalMs,
        notFound: 0,
      });
      this.#onEvent({
        type: 'batchSent',
        collectionAddress: batch.collectionAddress,
        refreshId,
        tokenIds,
      });
      if (rateLimit) {
        await this.#store.syncBudget(
          rateLimit.limit - rateLimit.remaining - (rateLimit.limit - this.#limit),
          rateLimit.resetAt.getTime(),
          this.#windowMs,
          now(),
        );
      }
      return rateLimit?.resetAt.getTime();
    } catch (error) {
      const failure = classifySendFailure(error);
      if (failure === 'rateLimited' && error instanceof RateLimitError) {
        // Someone else spent the budget: the batch goes back untouched until the reset.
        await this.#store.releaseBatch(batch.batchId, now());
        // A budget comes back within one window: a wait asked for beyond that is not believed
        // (a broken proxy's Retry-After must not park the queue for days).
        const until = Math.min(
          error.rateLimit?.resetAt.getTime() ?? now() + (error.retryAfterMs ?? this.#windowMs),
          now() + this.#windowMs,
        );
        await this.#store.syncBudget(this.#limit, until, this.#windowMs, now());
        this.#waitForBudget(until);
        return;
      }
      if (failure === 'refused') {
        // The API refuses this batch for good (unknown collection, bad key, body too large):
        // resending would spend a budget slot each time and never succeed. Report each id.
        await this.#store.completeBatch(batch.batchId);
        const errorCode =
          error instanceof ApiError ? error.code : ((error as Error)?.name ?? 'unknown_error');
        for (const t of batch.tokens) {
          this.#onEvent({
            type: 'tokenFailed',
            collectionAddress: batch.collectionAddress,
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
        await this.#store.markUncertain(batch.batchId, started, now() + this.#leaseMs);
        const sinceMs = now();
        this.#reconciling.set(batch.batchId, {
          batch: { ...batch, uncertainSinceMs: started, leaseUntilMs: sinceMs + this.#leaseMs },
          sentAtMs: started,
          checks: 0,
          nextCheckMs: sinceMs + (this.#checkAfterMs[0] ?? 0),
          sinceMs,
        });
        this.#onEvent({
          type: 'batchUncertain',
          collectionAddress: batch.collectionAddress,
          tokenIds,
          error,
        });
        this.#onEvent({ type: 'error', error });
        return;
      }
      // Provably never sent: send again later.
      await this.#store.releaseBatch(batch.batchId, now());
      this.#errorBackoffUntil = now() + 5_000;
      this.#onEvent({ type: 'error', error });
    }
  }

  /** Runs every reconciliation check whose time has come. */
  async #reconcileDue(): Promise<void> {
    const now = this.#clock.now();
    const due = [...this.#reconciling.values()].filter((r) => r.nextCheckMs <= now);
    for (const r of due) {
      if (!this.#running) return;
      await this.#reconcile(r);
    }
  }

  async #reconcile(r: Reconciling): Promise<void> {
    const { batch } = r;
    const tokenIds = batch.tokens.map((t) => t.tokenId);
    let refresh: Awaited<ReturnType<typeof findUncertainRefresh>>;
    try {
      refresh = await findUncertainRefresh({
        client: this.#client,
        collectionAddress: batch.collectionAddress,
        tokenCount: batch.tokens.length,
        sentAtMs: r.sentAtMs,
        clockSkewMs: this.#clockSkewMs,
        claim: (refreshId) =>
          this.#store.markSent(batch.batchId, refreshId, this.#clock.now() + this.#leaseMs),
        signal: this.#reads.signal,
      });
    } catch (error) {
      if (!this.#running && error instanceof AbortError) return;
      // Reading failed: that proves nothing. Try again; the batch stays leased meanwhile.
      r.nextCheckMs = this.#clock.now() + Math.min(this.#maxPollIntervalMs, this.#pollIntervalMs);
      this.#onEvent({ type: 'error', error });
      return;
    }
    const now = this.#clock.now();
    if (refresh) {
      this.#reconciling.delete(batch.batchId);
      this.#followed.set(batch.batchId, {
        batch: { ...batch, refreshId: refresh.refreshId, uncertainSinceMs: undefined },
        refreshId: refresh.refreshId,
        nextPollMs: now,
        intervalMs: this.#pollIntervalMs,
        notFound: 0,
      });
      this.#onEvent({
        type: 'batchReconciled',
        collectionAddress: batch.collectionAddress,
        tokenIds,
        refreshId: refresh.refreshId,
      });
      return;
    }
    r.checks++;
    const next = this.#checkAfterMs[r.checks];
    if (next !== undefined) {
      r.nextCheckMs = Math.max(now, r.sinceMs + next);
      return;
    }
    // Every check came back empty: the send was not accepted. Its slot stays spent.
    this.#reconciling.delete(batch.batchId);
    await this.#store.releaseBatch(batch.batchId, now);
    this.#onEvent({
      type: 'batchReconciled',
      collectionAddress: batch.collectionAddress,
      tokenIds,
      refreshId: undefined,
    });
  }

  /** Polls every followed refresh whose time has come. */
  async #pollDue(): Promise<void> {
    const now = this.#clock.now();
    const due = [...this.#followed.values()].filter((f) => f.nextPollMs <= now);
    await Promise.all(due.map((f) => this.#poll(f)));
  }

  async #poll(followed: Followed): Promise<void> {
    try {
      const refresh = await this.#client.getRefresh(followed.refreshId, {
        signal: this.#reads.signal,
      });
      followed.notFound = 0;
      if (refresh.status !== 'completed') {
        followed.intervalMs = Math.min(
          this.#maxPollIntervalMs,
          followed.intervalMs * REFRESH_POLL.factor,
        );
        followed.nextPollMs = this.#clock.now() + followed.intervalMs;
        return;
      }
      await this.#settle(followed, refresh.summary);
    } catch (error) {
      if (!this.#running && error instanceof AbortError) return;
      followed.nextPollMs = this.#clock.now() + followed.intervalMs;
      this.#onEvent({ type: 'error', error });
      if (error instanceof ApiError && error.status === 404 && ++followed.notFound >= 5) {
        // The API no longer knows this refresh: send its ids again rather than wait forever.
        this.#followed.delete(followed.batch.batchId);
        await this.#store.releaseBatch(followed.batch.batchId, this.#clock.now());
      }
    }
  }

  /** Reads a completed refresh's errors, re-enqueues transient failures, reports the rest. */
  async #settle(followed: Followed, summary: RefreshSummary): Promise<void> {
    const { batch, refreshId } = followed;
    const failures = new Map<string, { errorCode: string; status: number | null }>();
    const ours = new Set(batch.tokens.map((t) => t.tokenId));
    let rows = 0;
    // No failures, no error pages to read (and no GETs spent on them).
    const errors =
      summary.failed > 0
        ? this.#client.iterateRefreshErrors(refreshId, {
            pageSize: MAX_PAGE_SIZE,
            signal: this.#reads.signal,
          })
        : [];
    for await (const e of errors) {
      if (ours.has(e.tokenId))
        failures.set(e.tokenId, { errorCode: e.errorCode, status: e.clientResponseStatusCode });
      // A refresh has at most one error row per token: a listing that goes on is broken.
      if (++rows >= Math.min(ours.size, summary.failed) || failures.size === ours.size) break;
    }
    const retry = [];
    const events: SchedulerEvent[] = [];
    const collectionAddress = batch.collectionAddress;
    for (const token of batch.tokens) {
      const attempts = token.attempts + 1;
      const failure = failures.get(token.tokenId);
      if (!failure) {
        events.push({
          type: 'tokenSucceeded',
          collectionAddress,
          tokenId: token.tokenId,
          refreshId,
        });
      } else if (TRANSIENT(failure.errorCode, failure.status) && attempts < this.#attempts) {
        retry.push({ tokenId: token.tokenId, attempts });
        events.push({
          type: 'tokenRetried',
          collectionAddress,
          tokenId: token.tokenId,
          refreshId,
          errorCode: failure.errorCode,
          attempts,
        });
      } else {
        events.push({
          type: 'tokenFailed',
          collectionAddress,
          tokenId: token.tokenId,
          refreshId,
          errorCode: failure.errorCode,
          attempts,
        });
      }
    }
    // Re-enqueue before dropping the batch, so a crash in between can only repeat, never lose.
    if (retry.length > 0) await this.#store.enqueue(collectionAddress, retry, this.#clock.now());
    await this.#store.completeBatch(batch.batchId);
    this.#followed.delete(batch.batchId);
    for (const event of events) this.#onEvent(event);
    this.#onEvent({ type: 'refreshCompleted', refreshId, summary });
  }

  async #renewLeases(): Promise<void> {
    const now = this.#clock.now();
    const stale = [...this.#followed.values(), ...this.#reconciling.values()].filter(
      (f) => f.batch.leaseUntilMs - now < (this.#leaseMs * 2) / 3,
    );
    if (stale.length === 0) return;
    const until = now + this.#leaseMs;
    await this.#store.renewLeases(
      stale.map((f) => f.batch.batchId),
      until,
    );
    for (const f of stale) f.batch.leaseUntilMs = until;
  }

  async #updateStats(nextSend: number | undefined): Promise<void> {
    const now = this.#clock.now();
    const [counts, budget] = await Promise.all([
      this.#store.counts(),
      this.#store.budget(this.#windowMs, now),
    ]);
    this.#stats = {
      ...counts,
      following: this.#followed.size,
      budget: {
        limit: this.#limit,
        used: Math.min(budget.used, this.#limit),
        remaining: Math.max(0, this.#limit - budget.used),
        windowEndsAt: new Date(budget.windowEndsMs),
      },
      nextSendAt: nextSend === undefined ? undefined : new Date(Math.max(now, nextSend)),
    };
  }

  async #resolveDrained(): Promise<void> {
    if (this.#drainWaiters.length === 0 || this.#followed.size > 0 || this.#reconciling.size > 0)
      return;
    // Counts read now, for the waiters registered before the read: an id enqueued during this
    // step must not be missed.
    const waiters = [...this.#drainWaiters];
    const counts = await this.#store.counts();
    if (
      counts.pending > 0 ||
      counts.inFlight > 0 ||
      this.#followed.size > 0 ||
      this.#reconciling.size > 0
    )
      return;
    this.#drainWaiters = this.#drainWaiters.filter((w) => !waiters.includes(w));
    for (const resolve of waiters) resolve();
  }
}
