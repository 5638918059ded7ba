/**
 * A fake `SchedulerTarget` for scheduler unit tests: no client, no HTTP, no signing. It is
 * configured with data (a budget, a batch size, scripted answers), as msw handlers are, and
 * records every call with the injected clock's time. It fails the way the real targets do: the
 * SDK's own error classes, classified by the SDK's own `classifySendFailure`, so the scheduler
 * meets the same errors it meets in production.
 *
 * Its budget is a small model of the server's: a send beyond the limit in a window is refused
 * with a 429 (recorded as `overBudget`), so a scheduler that paces badly is caught, not trusted.
 */
import {
  AbortError,
  ApiError,
  type Clock,
  ConnectionError,
  RateLimitError,
  TimeoutError,
} from '../../src/index.js';
import { classifySendFailure } from '../../src/scheduler/send-failure.js';
import type {
  AcceptedSend,
  BudgetReport,
  PollOutcome,
  PreparedBatch,
  SchedulerTarget,
  UnsendableToken,
} from '../../src/scheduler/targets/target.js';

/**
 * The server's budget. `fixed`: `limit` per window aligned to the epoch (Immutable X).
 * `learned`: `limit` per window that opens at the first send after the last one ended (zkEVM);
 * the scheduler only learns it from the answers.
 */
export type FakeBudget =
  | { kind: 'fixed'; limit: number; windowMs: number }
  | { kind: 'learned'; limit: number; windowMs: number };

/** How one send is answered. Unscripted sends are `accept`. */
export type SendAnswer =
  /** A 202, counted by the budget (a 429 instead once the window is spent). `report` overrides the headers. */
  | { kind: 'accept'; report?: Partial<BudgetReport> }
  /** A 429 whatever the budget; `report` overrides its headers (default: spent until the window ends). */
  | { kind: 'rateLimited'; report?: Partial<BudgetReport> }
  /** An error that may hide an acceptance: `landed` says whether the server took the send. */
  | { kind: 'timeout'; landed: boolean }
  | { kind: 'connectionReset'; landed: boolean }
  /** An error status (502, 408, 403, 307 …); `landed` only matters where it classifies as uncertain. */
  | { kind: 'status'; status: number; code?: string; landed?: boolean }
  /** The request never left (`ConnectionError` with `nothingSent`). */
  | { kind: 'notSent' };

/** How one poll is answered. Unscripted polls follow `pollsUntilDone`. */
export type PollAnswer = 'pending' | 'gone' | 'error' | 'hang';

export interface FakeTargetOptions {
  clock: Clock;
  budget: FakeBudget;
  /** Default `imx` for a fixed budget, `zkevm` for a learned one (receipts and refresh ids follow). */
  api?: 'imx' | 'zkevm';
  /** Default 100. */
  maxBatchSize?: number;
  /**
   * The window the target tells the scheduler (`target.budget.windowMs`), when it should differ
   * from the server's (`budget.windowMs`): a store's window overrides the target's.
   */
  advertisedWindowMs?: number;
  longestSendMs?: number;
  /** Virtual time each send takes before its answer. */
  sendMs?: number;
  /** Answers of the first sends, in order. */
  answers?: SendAnswer[];
  /** The outcome comes with the answer (zkEVM without verify): nothing to poll. */
  settled?: boolean;
  /** Polls that answer "not done" before each outcome is known. Default 0. */
  pollsUntilDone?: number;
  /** Answers of the first polls, before `pollsUntilDone` applies. */
  pollAnswers?: PollAnswer[];
  /** Reconcile checks that fail to read the API before any succeeds. */
  reconcileErrors?: number;
  /** Why the API failed an id, given how many landed sends carried it (1 on the first). */
  failures?: (tokenId: string, carried: number) => Omit<UnsendableToken, 'tokenId'> | undefined;
  /** Why an id cannot be sent, given how many times it was read (1 on the first). */
  unsendable?: (tokenId: string, reads: number) => Omit<UnsendableToken, 'tokenId'> | undefined;
  /** Most ids one request holds (a byte limit): the rest are deferred, their read kept. */
  fit?: number;
}

/** One call the scheduler made, with the clock's time. */
export type FakeCall =
  | {
      method: 'prepare';
      at: number;
      collectionAddress: string;
      tokenIds: string[];
      /** Ids read now (not handed back as kept). */
      read: string[];
    }
  | {
      method: 'send';
      at: number;
      collectionAddress: string;
      tokenIds: string[];
      batchId: string;
      /** What the fake did: `accepted`, `rateLimited`, `overBudget` (a 429 the budget forced), or the scripted kind. */
      outcome: string;
      /** Whether the server counted it (took it). */
      landed: boolean;
    }
  | { method: 'poll'; at: number; receipt: string; tokenIds: string[]; outcome: string }
  | { method: 'reconcile'; at: number; batchId: string; tokenIds: string[]; outcome: string };

/** A send the server took. */
interface Landed {
  tokenIds: string[];
  polls: number;
}

export interface FakeTarget extends SchedulerTarget {
  readonly calls: FakeCall[];
  /** The send calls. */
  sends(): Extract<FakeCall, { method: 'send' }>[];
  /** Times of sends the server took. */
  landedAt(): number[];
  /** Requests spent elsewhere in the current window (people, tools, another process). */
  spend(n: number): void;
  /** A send another process made, that the server took: returns its receipt (to seed a store). */
  seed(sentAtMs: number, batchId: string, tokenIds: string[]): string;
  /** What the server has counted in the window that holds `nowMs` (learned: the open one). */
  used(nowMs?: number): number;
}

export function fakeTarget(options: FakeTargetOptions): FakeTarget {
  const { clock, budget } = options;
  const api = options.api ?? (budget.kind === 'fixed' ? 'imx' : 'zkevm');
  const answers = [...(options.answers ?? [])];
  const pollAnswers = [...(options.pollAnswers ?? [])];
  let reconcileErrors = options.reconcileErrors ?? 0;
  const calls: FakeCall[] = [];
  /** Sends the server took, by receipt. */
  const landed = new Map<string, Landed>();
  /** Sends the server took whose answer was lost, by batch: what a reconcile finds. */
  const pendingByBatch = new Map<string, string>();
  const carried = new Map<string, number>();
  const reads = new Map<string, number>();
  let receipts = 0;

  // The server's window: aligned to the epoch (fixed), or opened by the first send (learned).
  let windowStartMs = Number.NEGATIVE_INFINITY;
  let windowUsed = 0;
  const roll = (nowMs: number) => {
    if (budget.kind === 'fixed') {
      const start = Math.floor(nowMs / budget.windowMs) * budget.windowMs;
      if (start !== windowStartMs) {
        windowStartMs = start;
        windowUsed = 0;
      }
    } else if (nowMs >= windowStartMs + budget.windowMs) {
      windowStartMs = Number.NEGATIVE_INFINITY;
      windowUsed = 0;
    }
  };
  const open = (nowMs: number) => {
    roll(nowMs);
    if (windowStartMs === Number.NEGATIVE_INFINITY) windowStartMs = nowMs;
  };
  const report = (nowMs: number): BudgetReport => ({
    limit: budget.limit,
    remaining: Math.max(0, budget.limit - windowUsed),
    resetAtMs:
      windowStartMs === Number.NEGATIVE_INFINITY
        ? nowMs + budget.windowMs
        : windowStartMs + budget.windowMs,
  });
  const rateLimitError = (told: BudgetReport, nowMs: number) => {
    const { limit, remaining, resetAtMs } = told;
    const rateLimit =
      limit !== undefined && remaining !== undefined && resetAtMs !== undefined
        ? { limit, remaining, resetAt: new Date(resetAtMs) }
        : undefined;
    return ApiError.from({
      status: 429,
      code: 'too_many_requests',
      rateLimit,
      retryAfterMs: told.retryAfterMs,
      nowMs,
    });
  };
  const abortIf = (signal: AbortSignal) => {
    if (signal.aborted) throw new AbortError('aborted', { cause: signal.reason });
  };
  const newReceipt = (sentAtMs: number, batchId: string) =>
    api === 'imx' ? `refresh-${++receipts}` : `push:${sentAtMs}:${batchId}`;

  const target: FakeTarget = {
    api,
    maxBatchSize: options.maxBatchSize ?? 100,
    // Immutable X tells its budget in advance; zkEVM's is learned from the answers.
    budget: {
      limit: budget.kind === 'fixed' ? budget.limit : undefined,
      windowMs: options.advertisedWindowMs ?? budget.windowMs,
    },
    longestSendMs: options.longestSendMs,
    calls,
    sends: () =>
      calls.filter((c): c is Extract<FakeCall, { method: 'send' }> => c.method === 'send'),
    landedAt: () => target.sends().flatMap((s) => (s.landed ? [s.at] : [])),
    spend(n) {
      open(clock.now());
      windowUsed += n;
    },
    seed(sentAtMs, batchId, tokenIds) {
      const receipt = newReceipt(sentAtMs, batchId);
      landed.set(receipt, { tokenIds, polls: 0 });
      for (const id of tokenIds) carried.set(id, (carried.get(id) ?? 0) + 1);
      return receipt;
    },
    used(nowMs = clock.now()) {
      roll(nowMs);
      return windowUsed;
    },

    async prepare({ collectionAddress, tokenIds, signal, kept }) {
      abortIf(signal);
      const read = tokenIds.filter((id) => !kept?.has(id));
      calls.push({ method: 'prepare', at: clock.now(), collectionAddress, tokenIds, read });
      const unsendable: UnsendableToken[] = [];
      const sendable: string[] = [];
      for (const tokenId of tokenIds) {
        const n = kept?.has(tokenId) ? (reads.get(tokenId) ?? 1) : (reads.get(tokenId) ?? 0) + 1;
        reads.set(tokenId, n);
        const why = options.unsendable?.(tokenId, n);
        if (why) unsendable.push({ tokenId, ...why });
        else sendable.push(tokenId);
      }
      const fit = options.fit ?? sendable.length;
      const deferred = sendable.slice(fit);
      const prepared: PreparedBatch = {
        tokenIds: sendable.slice(0, fit),
        unsendable,
        deferred,
        payload: { tokenIds: sendable.slice(0, fit) },
        keep: new Map(deferred.map((id) => [id, { read: reads.get(id) }])),
      };
      return prepared;
    },

    async send({ collectionAddress, prepared, sentAtMs, batchId }): Promise<AcceptedSend> {
      const at = clock.now();
      const tokenIds = [...prepared.tokenIds];
      const answer = answers.shift() ?? { kind: 'accept' };
      const record = (outcome: string, took: boolean) =>
        calls.push({
          method: 'send',
          at,
          collectionAddress,
          tokenIds,
          batchId,
          outcome,
          landed: took,
        });
      const land = () => {
        open(at);
        windowUsed += 1;
        for (const id of tokenIds) carried.set(id, (carried.get(id) ?? 0) + 1);
        const receipt = newReceipt(sentAtMs, batchId);
        landed.set(receipt, { tokenIds, polls: 0 });
        return receipt;
      };
      if (options.sendMs) await clock.sleep(options.sendMs);
      roll(at);
      switch (answer.kind) {
        case 'accept': {
          if (windowUsed >= budget.limit) {
            record('overBudget', false);
            throw rateLimitError({ ...report(at), remaining: 0 }, clock.now());
          }
          const receipt = land();
          record('accepted', true);
          return {
            receipt,
            refreshId: api === 'imx' ? receipt : undefined,
            budget: { ...report(at), ...answer.report },
            settled: options.settled ?? false,
          };
        }
        case 'rateLimited': {
          record('rateLimited', false);
          const told = { ...report(at), remaining: 0, ...answer.report };
          throw rateLimitError(told, clock.now());
        }
        case 'timeout':
        case 'connectionReset': {
          if (answer.landed) pendingByBatch.set(batchId, land());
          record(answer.kind, answer.landed);
          throw answer.kind === 'timeout'
            ? new TimeoutError('The request timed out')
            : new ConnectionError('Could not reach the API: ECONNRESET', { nothingSent: false });
        }
        case 'status': {
          const took = answer.landed === true;
          if (took) pendingByBatch.set(batchId, land());
          record(`status ${answer.status}`, took);
          throw ApiError.from({ status: answer.status, code: answer.code });
        }
        case 'notSent':
          record('notSent', false);
          throw new ConnectionError('Could not reach the API: ECONNREFUSED', { nothingSent: true });
      }
    },

    classifySendFailure,

    // As both real targets: a 429's headers, nothing from any other error.
    budgetOf(error): BudgetReport | undefined {
      if (!(error instanceof RateLimitError)) return undefined;
      return {
        limit: error.rateLimit?.limit,
        remaining: error.rateLimit?.remaining,
        resetAtMs: error.rateLimit?.resetAt.getTime(),
        retryAfterMs: error.retryAfterMs,
      };
    },

    async poll({ sent, signal }): Promise<PollOutcome> {
      const at = clock.now();
      const record = (outcome: string) =>
        calls.push({ method: 'poll', at, receipt: sent.receipt, tokenIds: sent.tokenIds, outcome });
      abortIf(signal);
      const scripted = pollAnswers.shift();
      if (scripted === 'hang') {
        record('hang');
        return new Promise<PollOutcome>((_resolve, reject) =>
          signal.addEventListener('abort', () =>
            reject(new AbortError('aborted', { cause: signal.reason })),
          ),
        );
      }
      const entry = landed.get(sent.receipt);
      if (scripted === 'gone' || entry === undefined) {
        record('gone');
        throw ApiError.from({ status: 404, code: 'not_found' });
      }
      if (scripted === 'error') {
        record('error');
        throw new ConnectionError('Could not reach the API: ECONNRESET', { nothingSent: true });
      }
      if (scripted === 'pending' || entry.polls++ < (options.pollsUntilDone ?? 0)) {
        record('pending');
        return { done: false };
      }
      const failures = new Map<string, { errorCode: string; transient: boolean }>();
      for (const id of sent.tokenIds) {
        const why = options.failures?.(id, carried.get(id) ?? 0);
        if (why) failures.set(id, why);
      }
      record(`done, ${failures.size} failed`);
      return {
        done: true,
        failures,
        completed:
          api === 'imx'
            ? {
                refreshId: sent.receipt,
                summary: {
                  succeeded: sent.tokenIds.length - failures.size,
                  failed: failures.size,
                  pending: 0,
                },
              }
            : undefined,
      };
    },

    async reconcile({ batchId, tokenIds, payload, claim, signal }) {
      const at = clock.now();
      const record = (outcome: string) =>
        calls.push({ method: 'reconcile', at, batchId, tokenIds, outcome });
      abortIf(signal);
      if (reconcileErrors > 0) {
        reconcileErrors--;
        record('error');
        throw new ConnectionError('Could not reach the API: ECONNRESET', { nothingSent: true });
      }
      // As zkEVM's: a push taken over from another process cannot be proven; it is sent again.
      if (api === 'zkevm' && payload === undefined) {
        record('unproven');
        return undefined;
      }
      const receipt = pendingByBatch.get(batchId);
      if (receipt === undefined) {
        record('not found');
        return undefined;
      }
      if (!(await claim(receipt))) {
        record('claimed elsewhere');
        return undefined;
      }
      pendingByBatch.delete(batchId);
      record('found');
      return receipt;
    },

    refreshIdOf: (receipt) => (api === 'imx' ? receipt : undefined),
    ...(api === 'imx'
      ? { isGone: (error: unknown) => error instanceof ApiError && error.status === 404 }
      : {}),
  };
  return target;
}
