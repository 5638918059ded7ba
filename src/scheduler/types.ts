/** The scheduler's public shapes: its options, its events and its stats. */
import type { Clock } from '../clock.js';
import type { RefreshSummary } from '../wire/mappers.js';
import type { SchedulerStore } from './store.js';
import type { SchedulerClient } from './targets/imx-target.js';
import type { SchedulerTarget } from './targets/target.js';

/**
 * Everything the scheduler reports, a union on `type`. `refreshId` is the Immutable X refresh
 * id; on zkEVM, which has none, it is `undefined`.
 */
export type SchedulerEvent =
  | {
      type: 'batchSent';
      collectionAddress: string;
      refreshId: string | undefined;
      tokenIds: string[];
    }
  | { type: 'refreshCompleted'; refreshId: string; summary: RefreshSummary }
  | {
      type: 'tokenSucceeded';
      collectionAddress: string;
      tokenId: string;
      refreshId: string | undefined;
    }
  | {
      type: 'tokenFailed';
      collectionAddress: string;
      tokenId: string;
      refreshId: string | undefined;
      errorCode: string;
      /** Requests (or, on zkEVM, metadata reads) that included this id. */
      attempts: number;
    }
  | {
      type: 'tokenRetried';
      collectionAddress: string;
      tokenId: string;
      refreshId: string | undefined;
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
       * Reconciliation ended: `accepted` says whether the uncertain send took effect. Then
       * (Immutable X) `refreshId` is the refresh it created, followed like any other; otherwise
       * the ids go back to be sent again.
       */
      type: 'batchReconciled';
      collectionAddress: string;
      tokenIds: string[];
      refreshId: string | undefined;
      accepted: boolean;
    }
  | { type: 'budgetWait'; until: Date }
  | {
      /**
       * The store could not be reached and the outbox, where `enqueue` keeps ids until it is
       * back, is full: `enqueue` now rejects with `OutboxFullError` until some of it is flushed.
       */
      type: 'outboxFull';
      /** Ids in the outbox. */
      size: number;
    }
  | {
      /**
       * `stop()` left ids that only this process holds (its store does not outlive the process,
       * as the memory store does not, or they are `unstored`): they are lost when it exits unless
       * the application keeps them. Raised once per `stop()` that leaves any.
       */
      type: 'lostAtExit';
      /** The ids, per collection. */
      ids: CollectionTokenIds[];
      /** How many ids in all. */
      count: number;
    }
  | { type: 'error'; error: unknown };

/** Options of {@link RefreshScheduler}. */
export interface RefreshSchedulerOptions {
  /**
   * The API to drive: `imxTarget({ client })` or `zkEvmTarget({ client, metadata })`. Give this
   * or `client`.
   */
  target?: SchedulerTarget | undefined;
  /** Shorthand for `target: imxTarget({ client })` (Immutable X). */
  client?: SchedulerClient | undefined;
  /**
   * Where pending ids, leases and the budget live, and the budget's window (`store.windowMs`, set
   * when the store is created). Default: `new MemoryStore({ windowMs: budget.windowMs })` (one
   * process).
   */
  store?: SchedulerStore | undefined;
  /**
   * The project's budget, keeping `reserve` requests (default 0) for people and tools in each
   * window. Immutable X: `limit` requests per `windowMs` (default 10 an hour). zkEVM: the limit
   * is learned from the answers' headers; `limit` only caps it.
   *
   * `windowMs` defaults to the store's `windowMs` (one hour unless the store was created with
   * another); with a store, a different value is an `InvalidRequestError`. Immutable X counts in
   * windows of this length aligned to the epoch. zkEVM's windows are the server's (their end comes
   * with each answer): there `windowMs` sizes the defaults of `maxDelayMs` and `windowGuardMs`
   * and bounds how long a 429 may park the queue.
   */
  budget?:
    | { limit?: number | undefined; windowMs?: number | undefined; reserve?: number | undefined }
    | undefined;
  /** Most ids in one request. Default the API's maximum (Immutable X 1000, zkEVM 250). */
  maxBatchSize?: number | undefined;
  /**
   * Longest an id waits for a fuller batch while the budget allows. Default: Immutable X,
   * `windowMs / limit` (6 minutes); zkEVM, what the learned budget can afford: no wait before the
   * budget is known, then the time left in the window over the pushes left in it.
   */
  maxDelayMs?: number | undefined;
  /** Requests an id may be part of when it keeps failing for a transient reason. Default 3. */
  retry?: { attempts?: number | undefined } | undefined;
  /**
   * How long a taken batch stays claimed by a process that may have died. At least the target's
   * longest send (the client's `longestSendMs`, plus `applyDelayMs` on zkEVM): a shorter one is an
   * `InvalidRequestError` naming both. Default 5 minutes, or the longest send if that is longer.
   */
  leaseMs?: number | undefined;
  /** First wait before polling a sent batch's outcome; backs off by half each poll. Default 5000. */
  pollIntervalMs?: number | undefined;
  /** Longest wait between polls of one batch. Default 60000. */
  maxPollIntervalMs?: number | undefined;
  /**
   * No request is started this close to the end of a window. A request that starts in one window
   * and reaches the server in the next is counted there by the server but here by the store, and
   * in a fleet that can make another process's request the next window's one too many. Default
   * `min(windowMs / 100, 5000)`: 5 s an hour. It widens to twice the slowest of the last 20 requests.
   */
  windowGuardMs?: number | undefined;
  /**
   * How an uncertain send (see the `batchUncertain` event) is reconciled: the API is read
   * `checkAfterMs` after the failure (default 2, 5 and 15 s) — Immutable X: a refresh the store
   * does not know, started at most `clockSkewMs` (default 5000) before the send began, whose
   * summary counts the batch's ids, is adopted; zkEVM: the push took effect when every NFT's
   * `metadataSyncedAt` reached it. When the last check shows nothing, the ids are sent again (on
   * a new budget slot).
   */
  reconcile?: { checkAfterMs?: number[] | undefined; clockSkewMs?: number | undefined } | undefined;
  /**
   * Where `enqueue` keeps ids while the store cannot be reached, so a game event is not lost to a
   * store outage: flushed to the store in order once it answers again. `maxIds` (default 10000)
   * bounds it; past that, `enqueue` rejects with `OutboxFullError`. What is in it lives only in
   * this process's memory: `stop()` returns it, and a process that dies loses it.
   */
  outbox?: { maxIds?: number | undefined } | undefined;
  /** When the store is shared (Redis), how often an idle scheduler looks for others' work. Default 1000. */
  idlePollMs?: number | undefined;
  /** Source of time. Default: the system clock. */
  clock?: Clock | undefined;
  /** Receives every {@link SchedulerEvent}. Must not throw (a throw is reported as an `error` event). */
  onEvent?: ((event: SchedulerEvent) => void) | undefined;
}

/** A snapshot for dashboards and logs. */
export interface SchedulerStats {
  /** Distinct ids waiting to be sent (all processes, for a shared store). */
  pending: number;
  /** Ids in batches being sent or followed. */
  inFlight: number;
  /** Batches this process is following. */
  following: number;
  /**
   * The budget in the current window (`limit` is the project's limit less `budget.reserve`).
   * zkEVM: `limit`, `remaining` and `windowEndsAt` are `undefined` until an answer told them
   * (and again after a window ended, until the next answer).
   */
  budget: {
    limit: number | undefined;
    used: number;
    remaining: number | undefined;
    windowEndsAt: Date | undefined;
  };
  /** When the next batch is due, if any is waiting. */
  nextSendAt: Date | undefined;
  /** Ids enqueued while the store could not be reached, kept in this process until it is back. */
  outbox: number;
}

/** Ids of one collection, as `stop()` reports what only this process holds. */
export interface CollectionTokenIds {
  collectionAddress: string;
  tokenIds: string[];
}

/** What `stop()` leaves behind. */
export interface SchedulerStopResult {
  /**
   * Ids enqueued while the store could not be reached that could not be flushed to it before
   * stopping: in this process's memory only. Enqueue them again (here after `start()`, or in
   * another process), or they are lost when the process exits. Empty when the store holds
   * everything.
   */
  unstored: CollectionTokenIds[];
  /**
   * Ids the store still holds, pending or in flight, after the stop (another process, or this
   * one after `start()`, sends them); undefined when the store did not answer.
   */
  pending: number | undefined;
  /**
   * Every id this process alone holds, lost when it exits: `unstored`, plus what a store that
   * does not outlive the process (the memory store) still holds. Empty with a shared store that
   * answered. The same list as the `lostAtExit` event.
   */
  lostAtExit: CollectionTokenIds[];
}

/** Options of `RefreshScheduler.stop`. */
export interface SchedulerStopOptions {
  /**
   * Keep sending until the store holds nothing pending or in flight (see `drained()`), or until
   * `timeoutMs` has passed, and only then stop. Default false: stop promptly.
   */
  drain?: boolean | undefined;
  /**
   * With `drain`: the longest to wait (ms, by the scheduler's clock), then stop whatever is left.
   * Default: no limit. Keep it below your platform's shutdown grace period; a budget of 10
   * requests an hour drains a backlog slowly.
   */
  timeoutMs?: number | undefined;
}
