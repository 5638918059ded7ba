/**
 * Following sent batches to their outcome: polling the target until it knows, turning each id
 * into one final event (or a retry), and reconciling sends whose acceptance is uncertain.
 */
import { nextPollIntervalMs } from '../client/poll.js';
import type { Clock } from '../clock.js';
import { AbortError } from '../errors.js';
import { REFRESH_POLL } from '../wire/limits.js';
import type { ResolvedSchedulerOptions } from './options.js';
import type { LeasedBatch, SchedulerStore } from './store.js';
import type { PollOutcome, SchedulerTarget } from './targets/target.js';
import type { SchedulerEvent } from './types.js';

interface Reconciling {
  batch: LeasedBatch;
  sentAtMs: number;
  /** Checks that read the API (failed reads do not count). */
  checks: number;
  nextCheckMs: number;
  /** When the failure was seen; `checkAfterMs` counts from here. */
  sinceMs: number;
  /** What the send carried, when this process made it (see `ReconcileParameters.payload`). */
  payload: unknown;
  /**
   * Taken over from another process, whose send may still be on its way: not judged unsent
   * before the longest send has passed since it began.
   */
  adopted: boolean;
}

interface Followed {
  batch: LeasedBatch;
  receipt: string;
  nextPollMs: number;
  intervalMs: number;
  /** Polls in a row that found the send gone (404). */
  notFound: number;
}

/** What following needs of the scheduler. */
export interface FollowContext {
  options: ResolvedSchedulerOptions;
  emit: (event: SchedulerEvent) => void;
  /** Aborted when the scheduler stops. */
  signal: () => AbortSignal;
  running: () => boolean;
}

/** The batches this process follows or reconciles. */
export class Follower {
  readonly #followed = new Map<string, Followed>();
  readonly #reconciling = new Map<string, Reconciling>();
  readonly #target: SchedulerTarget;
  readonly #store: SchedulerStore;
  readonly #clock: Clock;
  readonly #o: ResolvedSchedulerOptions;
  readonly #ctx: FollowContext;

  constructor(ctx: FollowContext) {
    this.#ctx = ctx;
    this.#o = ctx.options;
    this.#target = ctx.options.target;
    this.#store = ctx.options.store;
    this.#clock = ctx.options.clock;
  }

  /** Batches followed (accepted, outcome not known yet). */
  get following(): number {
    return this.#followed.size;
  }

  /** Whether anything is followed or reconciled. */
  get busy(): boolean {
    return this.#followed.size > 0 || this.#reconciling.size > 0;
  }

  /** The next time a poll or a check is due. */
  nextDueMs(): number | undefined {
    const times = [
      ...[...this.#followed.values()].map((f) => f.nextPollMs),
      ...[...this.#reconciling.values()].map((r) => r.nextCheckMs),
    ];
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** Takes over a batch whose lease ran out elsewhere (a process died). */
  adopt(batch: LeasedBatch, nowMs: number): void {
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
        nextCheckMs: nowMs,
        sinceMs: nowMs - (this.#o.checkAfterMs.at(-1) ?? 0),
        payload: undefined,
        adopted: true,
      });
    }
    if (batch.refreshId !== undefined && !this.#followed.has(batch.batchId)) {
      this.#follow(batch, batch.refreshId, nowMs);
    }
  }

  /** A send was accepted: follow it from `firstPollMs`. */
  accepted(batch: LeasedBatch, receipt: string, firstPollMs: number): void {
    this.#follow({ ...batch, refreshId: receipt }, receipt, firstPollMs);
  }

  /** A send may have been accepted: find out, from `checkAfterMs[0]` after now. */
  uncertain(batch: LeasedBatch, sentAtMs: number, payload: unknown): void {
    const sinceMs = this.#clock.now();
    this.#reconciling.set(batch.batchId, {
      batch: { ...batch, uncertainSinceMs: sentAtMs, leaseUntilMs: sinceMs + this.#o.leaseMs },
      sentAtMs,
      checks: 0,
      nextCheckMs: sinceMs + (this.#o.checkAfterMs[0] ?? 0),
      sinceMs,
      payload,
      adopted: false,
    });
  }

  #follow(batch: LeasedBatch, receipt: string, nextPollMs: number): void {
    this.#followed.set(batch.batchId, {
      batch,
      receipt,
      nextPollMs,
      intervalMs: this.#o.pollIntervalMs,
      notFound: 0,
    });
  }

  /** Stops following; returns the batch ids handed back (their leases should end now). */
  handBack(): string[] {
    const ids = [...this.#followed.keys(), ...this.#reconciling.keys()];
    this.#followed.clear();
    this.#reconciling.clear();
    return ids;
  }

  /** Polls every followed batch whose time has come. */
  async pollDue(): Promise<void> {
    const now = this.#clock.now();
    const due = [...this.#followed.values()].filter((f) => f.nextPollMs <= now);
    await Promise.all(due.map((f) => this.#poll(f)));
  }

  async #poll(followed: Followed): Promise<void> {
    const { batch } = followed;
    let outcome: PollOutcome;
    try {
      outcome = await this.#target.poll({
        sent: {
          collectionAddress: batch.collectionAddress,
          tokenIds: batch.tokens.map((t) => t.tokenId),
          receipt: followed.receipt,
        },
        signal: this.#ctx.signal(),
        nowMs: this.#clock.now(),
      });
    } catch (error) {
      if (!this.#ctx.running() && error instanceof AbortError) return;
      followed.nextPollMs = this.#clock.now() + followed.intervalMs;
      this.#ctx.emit({ type: 'error', error });
      if (this.#target.isGone?.(error) && ++followed.notFound >= 5) {
        // The API no longer knows this send: send its ids again rather than wait forever.
        this.#followed.delete(batch.batchId);
        await this.#store.releaseBatch({ batchId: batch.batchId, nowMs: this.#clock.now() });
      }
      return;
    }
    followed.notFound = 0;
    if (!outcome.done) {
      // A target's outcome carries no progress: the wait grows until it is known.
      followed.intervalMs = nextPollIntervalMs(followed.intervalMs, false, {
        initialMs: this.#o.pollIntervalMs,
        factor: REFRESH_POLL.factor,
        maxMs: this.#o.maxPollIntervalMs,
      });
      followed.nextPollMs = this.#clock.now() + followed.intervalMs;
      return;
    }
    this.#followed.delete(batch.batchId);
    await this.settle(batch, followed.receipt, outcome.failures);
    if (outcome.completed) this.#ctx.emit({ type: 'refreshCompleted', ...outcome.completed });
  }

  /**
   * Ends a batch whose outcome is known: every id without a failure succeeded; a transient
   * failure is enqueued again while attempts remain.
   */
  async settle(
    batch: LeasedBatch,
    receipt: string,
    failures: Map<string, { errorCode: string; transient: boolean }>,
  ): Promise<void> {
    const refreshId = this.#target.refreshIdOf(receipt);
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
      } else if (failure.transient && attempts < this.#o.attempts) {
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
    if (retry.length > 0) {
      await this.#store.enqueue({ collectionAddress, tokens: retry, nowMs: this.#clock.now() });
    }
    await this.#store.completeBatch({ batchId: batch.batchId });
    for (const event of events) this.#ctx.emit(event);
  }

  /** Runs every reconciliation check whose time has come. */
  async reconcileDue(): Promise<void> {
    const now = this.#clock.now();
    const due = [...this.#reconciling.values()].filter((r) => r.nextCheckMs <= now);
    for (const r of due) {
      if (!this.#ctx.running()) return;
      await this.#reconcile(r);
    }
  }

  async #reconcile(r: Reconciling): Promise<void> {
    const { batch } = r;
    const tokenIds = batch.tokens.map((t) => t.tokenId);
    let receipt: string | undefined;
    try {
      receipt = await this.#target.reconcile({
        batchId: batch.batchId,
        collectionAddress: batch.collectionAddress,
        tokenIds,
        sentAtMs: r.sentAtMs,
        payload: r.payload,
        clockSkewMs: this.#o.clockSkewMs,
        claim: (id) =>
          this.#store.markSent({
            batchId: batch.batchId,
            refreshId: id,
            leaseUntilMs: this.#clock.now() + this.#o.leaseMs,
            takeovers: batch.takeovers ?? 0,
          }),
        signal: this.#ctx.signal(),
      });
    } catch (error) {
      if (!this.#ctx.running() && error instanceof AbortError) return;
      // Reading failed: that proves nothing. Try again; the batch stays leased meanwhile.
      r.nextCheckMs =
        this.#clock.now() + Math.min(this.#o.maxPollIntervalMs, this.#o.pollIntervalMs);
      this.#ctx.emit({ type: 'error', error });
      return;
    }
    const now = this.#clock.now();
    if (receipt !== undefined) {
      this.#reconciling.delete(batch.batchId);
      this.#follow({ ...batch, refreshId: receipt, uncertainSinceMs: undefined }, receipt, now);
      this.#ctx.emit({
        type: 'batchReconciled',
        collectionAddress: batch.collectionAddress,
        tokenIds,
        refreshId: this.#target.refreshIdOf(receipt),
        accepted: true,
      });
      return;
    }
    r.checks++;
    const next = this.#o.checkAfterMs[r.checks];
    if (next !== undefined) {
      r.nextCheckMs = Math.max(now, r.sinceMs + next);
      return;
    }
    // A send taken over from a process that stalled may still be on its way, and would land
    // after a resend: look once more when the longest send is surely over. (This process's own
    // uncertain send is over: it failed.)
    const surelyOverMs = r.sentAtMs + (this.#target.longestSendMs ?? 0);
    if (r.adopted && now < surelyOverMs) {
      r.nextCheckMs = surelyOverMs;
      return;
    }
    // Every check came back empty: the send was not accepted. Its slot stays spent.
    this.#reconciling.delete(batch.batchId);
    await this.#store.releaseBatch({ batchId: batch.batchId, nowMs: now });
    this.#ctx.emit({
      type: 'batchReconciled',
      collectionAddress: batch.collectionAddress,
      tokenIds,
      refreshId: undefined,
      accepted: false,
    });
  }

  /**
   * Renews the leases of batches with less than `minLeftMs` left (default: a third gone). Before
   * a push, the scheduler asks for a whole lease: the push may take up to the longest send, and
   * a lease that ran out meanwhile would let another process follow the batch too.
   */
  async renewLeases(minLeftMs = (this.#o.leaseMs * 2) / 3): Promise<void> {
    const now = this.#clock.now();
    const leaseMs = this.#o.leaseMs;
    const stale = [...this.#followed.values(), ...this.#reconciling.values()].filter(
      (f) => f.batch.leaseUntilMs - now < minLeftMs,
    );
    if (stale.length === 0) return;
    const until = now + leaseMs;
    await this.#store.renewLeases({
      batchIds: stale.map((f) => f.batch.batchId),
      leaseUntilMs: until,
    });
    for (const f of stale) f.batch.leaseUntilMs = until;
  }
}
