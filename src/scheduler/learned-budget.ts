/**
 * A budget learned from the answers (zkEVM): the limit differs per project and is announced in
 * every answer's headers, with the end of a window the server opens at its first request. These
 * pure steps are the rule; the memory store applies them directly and the Redis store runs the
 * same steps in Lua, so a fleet shares what any process learned.
 *
 * - Until an answer says where the window ends (at first, and after each window ends), one
 *   request is in flight at a time, fleet-wide: its answer tells the limit and what is left.
 * - In a known window, a request is started while `used < min(limit, cap) - reserve` and the
 *   window's end is more than `guardMs` away (a request that reaches the server after the reset
 *   would be counted in the next window, where a probe may not have seen it).
 * - A 429's `retry-after` (or a 202 saying nothing is left) blocks until then.
 */
import type { BudgetReport } from './targets/target.js';

/** The learned budget, as a store keeps it. */
export interface LearnedBudgetState {
  /** The project's limit per window, once an answer said it. */
  limit: number | undefined;
  /** Requests counted in the known window (ours and, from the headers, anyone's). */
  used: number;
  /** When the known window ends (ms); undefined while unknown. */
  windowEndsMs: number | undefined;
  /** A probe (the one request while the window is unknown) holds the way until then. */
  probeUntilMs: number | undefined;
  /** No request before this (a 429's retry-after). */
  blockedUntilMs: number | undefined;
}

/** Parameters of `SchedulerStore.takeLearnedSlot` (and of the rule it applies, in this module). */
export interface TakeLearnedSlotParameters {
  /** Now (ms), by the scheduler's clock (the answers' reset times are compared with it). */
  nowMs: number;
  /** Requests left for people and tools in each window. */
  reserve: number;
  /** Most requests per window whatever the headers say (`budget.limit`); `Infinity` for none. */
  cap: number;
  /** No request starts this close to the window's end. */
  guardMs: number;
  /** A probe that never settles (its process died) frees the way after this long. */
  ttlMs: number;
}

/** What taking a slot gave. */
export interface LearnedSlot {
  taken: boolean;
  /** This slot is the probe: settle it with `probe: true`. */
  probe: boolean;
  /** When not taken: when to try again. */
  retryAtMs: number;
  /** When not taken: the budget is spent until `retryAtMs` (worth a `budgetWait` event). */
  spent: boolean;
}

/** Two reports of one window may name its end a little differently (rounding). */
const SAME_WINDOW_MS = 1_000;

/** A budget nothing is known about. */
export const UNKNOWN_BUDGET: LearnedBudgetState = {
  limit: undefined,
  used: 0,
  windowEndsMs: undefined,
  probeUntilMs: undefined,
  blockedUntilMs: undefined,
};

/** Takes one request from the budget if the rule allows; returns the new state too. */
export function takeLearnedSlot(
  state: LearnedBudgetState,
  p: TakeLearnedSlotParameters,
): { state: LearnedBudgetState; slot: LearnedSlot } {
  const { nowMs } = p;
  if (state.blockedUntilMs !== undefined && nowMs < state.blockedUntilMs) {
    return {
      state,
      slot: { taken: false, probe: false, retryAtMs: state.blockedUntilMs, spent: true },
    };
  }
  const known = state.windowEndsMs !== undefined && nowMs < state.windowEndsMs;
  if (!known) {
    if (state.probeUntilMs !== undefined && nowMs < state.probeUntilMs) {
      // Another request is finding out: look again soon.
      return { state, slot: { taken: false, probe: false, retryAtMs: nowMs + 100, spent: false } };
    }
    return {
      state: { ...state, used: 0, windowEndsMs: undefined, probeUntilMs: nowMs + p.ttlMs },
      slot: { taken: true, probe: true, retryAtMs: nowMs, spent: false },
    };
  }
  const windowEndsMs = state.windowEndsMs as number;
  if (windowEndsMs - nowMs < p.guardMs) {
    return { state, slot: { taken: false, probe: false, retryAtMs: windowEndsMs, spent: false } };
  }
  const limit = Math.min(state.limit ?? 1, p.cap) - p.reserve;
  if (state.used >= limit) {
    return { state, slot: { taken: false, probe: false, retryAtMs: windowEndsMs, spent: true } };
  }
  return {
    state: { ...state, used: state.used + 1 },
    slot: { taken: true, probe: false, retryAtMs: nowMs, spent: false },
  };
}

/** Parameters of `SchedulerStore.settleLearnedSlot` (and of the rule it applies, in this module). */
export interface SettleLearnedSlotParameters {
  /** The slot was the probe. */
  probe: boolean;
  /** What the answer reported (a 202's or a 429's headers); undefined without an answer. */
  report: BudgetReport | undefined;
  /** Now (ms), by the scheduler's clock: when the answer came. */
  nowMs: number;
}

/** Records what an answer said about the budget. */
export function settleLearnedSlot(
  state: LearnedBudgetState,
  p: SettleLearnedSlotParameters,
): LearnedBudgetState {
  let next: LearnedBudgetState = p.probe ? { ...state, probeUntilMs: undefined } : { ...state };
  const r = p.report;
  if (!r) return next;
  if (r.limit !== undefined && r.remaining !== undefined && r.resetAtMs !== undefined) {
    const usedByReport = Math.max(0, r.limit - r.remaining);
    const known = next.windowEndsMs !== undefined && p.nowMs < next.windowEndsMs;
    if (r.resetAtMs <= p.nowMs) {
      // A window that already ended tells nothing about the next.
    } else if (!known || r.resetAtMs > (next.windowEndsMs as number) + SAME_WINDOW_MS) {
      next = { ...next, limit: r.limit, used: usedByReport, windowEndsMs: r.resetAtMs };
    } else if (r.resetAtMs >= (next.windowEndsMs as number) - SAME_WINDOW_MS) {
      next = { ...next, limit: r.limit, used: Math.max(next.used, usedByReport) };
    }
    // An answer from an earlier window than the one known is stale: ignored.
  }
  if (r.retryAfterMs !== undefined && r.retryAfterMs > 0) {
    const until = p.nowMs + r.retryAfterMs;
    next = { ...next, blockedUntilMs: Math.max(next.blockedUntilMs ?? 0, until) };
  }
  return next;
}
