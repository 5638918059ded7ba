/**
 * What the scheduler needs of an API, and nothing more: how to prepare a batch, send it, learn
 * its outcome and find out whether an uncertain send was accepted. Every rule (batching, pacing,
 * leases, retries, events) stays in the scheduler, once, for both APIs.
 */
import type { RefreshSummary } from '../../wire/mappers.js';
import type { SendFailure } from '../send-failure.js';

/** A budget as one answer reported it; any part may be missing. */
export interface BudgetReport {
  /** Requests allowed per window. */
  limit?: number | undefined;
  /** Requests left in the current window. */
  remaining?: number | undefined;
  /** When the current window ends (ms since the epoch). */
  resetAtMs?: number | undefined;
  /** Wait at least this long before the next request (a 429's `retry-after`). */
  retryAfterMs?: number | undefined;
}

/**
 * What the target knows of its budget before any answer. `limit` told (Immutable X: 10 an hour,
 * in windows of `windowMs` aligned to the epoch): the budget is known from the start. `limit`
 * undefined (zkEVM: per project, announced in every answer's headers, in windows the server
 * opens): it is learned from the first answer. Either way the answers' headers refine it.
 * `windowMs` is the API's window: the scheduler's only when neither a store nor
 * `budget.windowMs` sets one (the store's window wins).
 */
export interface TargetBudget {
  /** Requests per window, when the API tells it in advance. */
  limit?: number | undefined;
  /** The API's window (ms). */
  windowMs: number;
}

/** A token the target could not send, with why. */
export interface UnsendableToken {
  tokenId: string;
  errorCode: string;
  /** A transient failure is retried (up to `retry.attempts`); any other ends the id. */
  transient: boolean;
}

/** A batch made ready to send, before a budget slot is taken. */
export interface PreparedBatch {
  /** The ids the request carries, in order. */
  tokenIds: string[];
  /** Ids that cannot be sent now. */
  unsendable: UnsendableToken[];
  /** Ids that did not fit this request (its byte limit): they go back to pending untouched. */
  deferred: string[];
  /** What `send` takes; opaque to the scheduler. */
  payload: unknown;
  /**
   * What was read for the `deferred` ids, by id: the scheduler keeps it and hands it back as
   * {@link PrepareParameters.kept} when they are sent, unless they were enqueued again meanwhile.
   */
  keep?: ReadonlyMap<string, unknown> | undefined;
}

/** A request the API accepted. */
export interface AcceptedSend {
  /**
   * Names the request for following and reconciliation, unique per send: the refresh id on
   * Immutable X; on zkEVM (no refresh id) one the target makes.
   */
  receipt: string;
  /** The id the API gave the request, if it gives one (Immutable X's refresh id). */
  refreshId: string | undefined;
  /** The budget the answer reported. */
  budget: BudgetReport | undefined;
  /** The outcome is known with the answer (a zkEVM push without `verify`): nothing to follow. */
  settled: boolean;
}

/** A sent batch as the scheduler follows it. */
export interface SentBatch {
  collectionAddress: string;
  tokenIds: string[];
  receipt: string;
}

/** What a poll learned. */
export type PollOutcome =
  | { done: false }
  | {
      done: true;
      /** Ids that failed, with why; every other id of the batch succeeded. */
      failures: Map<string, { errorCode: string; transient: boolean }>;
      /** Immutable X: the refresh as completed, reported in a `refreshCompleted` event. */
      completed?: { refreshId: string; summary: RefreshSummary } | undefined;
    };

/** Parameters of {@link SchedulerTarget.prepare}. */
export interface PrepareParameters {
  collectionAddress: string;
  /** The batch's ids, oldest first. */
  tokenIds: string[];
  /** Aborted when the scheduler stops: give up the reads. */
  signal: AbortSignal;
  /**
   * What an earlier `prepare` read for some of these ids ({@link PreparedBatch.keep}), still the
   * latest state (none was enqueued again since): use it instead of reading them again.
   */
  kept?: ReadonlyMap<string, unknown> | undefined;
}

/** Parameters of {@link SchedulerTarget.send}. */
export interface SendParameters {
  collectionAddress: string;
  /** What {@link SchedulerTarget.prepare} resolved. */
  prepared: PreparedBatch;
  /** When the send began, by the scheduler's clock (ms). */
  sentAtMs: number;
  /** The store's batch id: unique, for a receipt of the target's own. */
  batchId: string;
}

/** Parameters of {@link SchedulerTarget.poll}. */
export interface PollParameters {
  /** The batch to learn the outcome of. */
  sent: SentBatch;
  /** Aborted when the scheduler stops: give up the reads. */
  signal: AbortSignal;
  /** Now, by the scheduler's clock (ms). */
  nowMs: number;
}

/** Parameters of {@link SchedulerTarget.reconcile}. */
export interface ReconcileParameters {
  batchId: string;
  collectionAddress: string;
  tokenIds: string[];
  /** When the uncertain send began, by the scheduler's clock (ms). */
  sentAtMs: number;
  /**
   * What the send carried ({@link PreparedBatch.payload}) when this process made it; undefined
   * for a batch taken over from another process. A target that can only prove acceptance by
   * what the API shows (zkEVM) then resolves `undefined`, and the ids are sent again once the
   * longest send is over.
   */
  payload?: unknown | undefined;
  /** How far the server's clock may be behind ours. */
  clockSkewMs: number;
  /**
   * Claims a receipt for this batch (the store's atomic `markSent`); `false`: another batch holds
   * it.
   *
   * @throws what the store's `markSent` rejects with (`StoreUnavailableError`): let it through,
   * the check is then tried again.
   */
  claim: (receipt: string) => Promise<boolean>;
  /** Aborted when the scheduler stops: give up the reads. */
  signal: AbortSignal;
}

/**
 * One API as the scheduler drives it. Made by {@link imxTarget} or {@link zkEvmTarget}; a
 * custom target (another API, a test double) implements the same.
 *
 * What the scheduler does with a rejection, method by method, is in each `@throws`: none loses
 * an id. The synchronous methods (`classifySendFailure`, `budgetOf`, `refreshIdOf`, `isGone`)
 * must not throw: the scheduler does not expect them to, and a throw there stops the step it
 * happens in (an `error` event) and may hold a batch until its lease runs out.
 */
export interface SchedulerTarget {
  /** Which API, for events and logs. */
  readonly api: 'imx' | 'zkevm';
  /** Most ids in one request. */
  readonly maxBatchSize: number;
  /** How the budget is known (and its defaults). */
  readonly budget: TargetBudget;
  /**
   * The longest a send can take until the API has applied what it carried (ms): the client's
   * attempts and waits, plus the platform's apply delay. A scheduler's `leaseMs` must be at least
   * this, and an uncertain send is not judged unsent before it has passed. Undefined: unknown
   * (a client that does not tell), and nothing is checked.
   */
  readonly longestSendMs?: number | undefined;
  /**
   * Reads what the request needs (zkEVM: each token's current metadata). An id that cannot be
   * read is `unsendable`, with why, rather than a rejection.
   *
   * @throws {AbortError} once `signal` aborts (the scheduler stops); otherwise reject only when
   * the batch as a whole cannot be prepared. A rejection puts the batch's ids back into pending,
   * untouched; any but that `AbortError` is also an `error` event.
   */
  prepare(parameters: PrepareParameters): Promise<PreparedBatch>;
  /**
   * Sends one prepared batch.
   *
   * @throws the client's error, as is (`RateLimitError`, `ApiError`, `ConnectionError`,
   * `TimeoutError`, ...): {@link SchedulerTarget.classifySendFailure} says what it means for the
   * batch (wait for the budget, end its ids, resend, or reconcile).
   */
  send(parameters: SendParameters): Promise<AcceptedSend>;
  /** What a rejection of `send` means for the batch (see `SendFailure`). Never throws. */
  classifySendFailure(error: unknown): SendFailure;
  /** The budget a rejection reported (a 429's headers), if any. Never throws. */
  budgetOf(error: unknown): BudgetReport | undefined;
  /**
   * Learns a sent batch's outcome, or that it is not known yet.
   *
   * @throws the client's error when the API cannot be read, or `AbortError` once `signal`
   * aborts. The batch is polled again after its interval (an `error` event); after five errors
   * that {@link SchedulerTarget.isGone} says mean the API no longer knows the send, with no answer
   * between, its ids are sent again.
   */
  poll(parameters: PollParameters): Promise<PollOutcome>;
  /**
   * Finds out whether an uncertain send was accepted: resolves the receipt it claimed, or
   * `undefined` when the API shows it was not (yet).
   *
   * @throws the client's error when the API cannot be read, `AbortError` once `signal` aborts,
   * or what `claim` rejects with. That proves nothing: the batch stays leased and is checked
   * again (an `error` event).
   */
  reconcile(parameters: ReconcileParameters): Promise<string | undefined>;
  /** The API's own id of a receipt (`batchSent`, `tokenSucceeded`), if it has one. Never throws. */
  refreshIdOf(receipt: string): string | undefined;
  /**
   * Whether a poll error means the API no longer knows the send (then it is sent again). Never
   * throws.
   */
  isGone?(error: unknown): boolean;
}
