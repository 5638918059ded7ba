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
 * - A 429's `retry-after` blocks until then; a 202 saying nothing is left spends the window.
 * - A 202's `retry-after` while pushes remain is ambiguous (the platform does not say; see
 *   {@link waitAfterAnswer}): a pacing hint that ends well before the reset is honoured, one that
 *   is about the time left to the reset is the window and is not (honouring it would make one
 *   push a window instead of hundreds).
 */
import { CLOCK_SKEW_MS } from '../clock.js';
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
  /** No request before this (a 429's retry-after, or a 202's pacing hint). */
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
  /**
   * What the answer reported (a 202's or a 429's headers); undefined without an answer. Counts
   * that are not safe integers and times that are not finite are ignored (a hostile answer must
   * not poison the budget).
   */
  report: BudgetReport | undefined;
  /** Now (ms), by the scheduler's clock: when the answer came. */
  nowMs: number;
  /**
   * No request before this (ms): the wait the scheduler read from the answer (a 429's
   * `retry-after`, or a 202's pacing hint). Undefined: the answer asks for no wait.
   */
  blockUntilMs?: number | undefined;
  /** The slot's request was never sent: the slot is given back (a probe frees the way). */
  unsent?: boolean | undefined;
}

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
const isTime = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);

/**
 * The parts of a report that can be believed: counts that are non-negative safe integers, times
 * and waits that are finite (a wait also non-negative). Anything else is dropped, as if not said.
 */
export function usableReport(report: BudgetReport | undefined): BudgetReport | undefined {
  if (!report) return undefined;
  return {
    limit: isCount(report.limit) ? report.limit : undefined,
    remaining: isCount(report.remaining) ? report.remaining : undefined,
    resetAtMs: isTime(report.resetAtMs) ? report.resetAtMs : undefined,
    retryAfterMs:
      isTime(report.retryAfterMs) && report.retryAfterMs >= 0 ? report.retryAfterMs : undefined,
  };
}

/** Records what an answer said about the budget. */
export function settleLearnedSlot(
  state: LearnedBudgetState,
  p: SettleLearnedSlotParameters,
): LearnedBudgetState {
  let next: LearnedBudgetState = p.probe ? { ...state, probeUntilMs: undefined } : { ...state };
  if (p.unsent && !p.probe) next = { ...next, used: Math.max(0, next.used - 1) };
  const r = usableReport(p.report);
  if (r?.limit !== undefined && r.remaining !== undefined && r.resetAtMs !== undefined) {
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
  if (isTime(p.blockUntilMs) && p.blockUntilMs > p.nowMs) {
    next = { ...next, blockedUntilMs: Math.max(next.blockedUntilMs ?? 0, p.blockUntilMs) };
  }
  return next;
}

/** Parameters of {@link waitAfterAnswer}. */
export interface WaitAfterAnswerParameters {
  /** What the answer reported. */
  report: BudgetReport | undefined;
  /** The answer was a 429 (the request was refused), not a 202. */
  refused: boolean;
  /** Now (ms), by the scheduler's clock: when the answer came. */
  nowMs: number;
  /** The longest wait believed (one window): a broken proxy must not park the queue for days. */
  maxWaitMs: number;
}

/**
 * How much of the time left to a reset a 202's `retry-after` may fall short of it and still be
 * read as "the window ends then": the header's whole-second rounding plus a server clock up to
 * {@link CLOCK_SKEW_MS} ahead of ours, or a tenth of the time left, whichever is more.
 */
function windowReadingMarginMs(timeLeftMs: number): number {
  return Math.max(CLOCK_SKEW_MS + SAME_WINDOW_MS, timeLeftMs / 10);
}

/**
 * Until when an answer asks the fleet not to send (ms), or undefined for no wait. The rule of
 * the spec's "What `retry-after` means on a 202", where the platform is silent:
 * - a **429**: its `retry-after` (else the reset, else `maxWaitMs`), at most `maxWaitMs`;
 * - a **202 with pushes left**: a `retry-after` that ends well before the reset is a pacing hint
 *   and is honoured; one that ends about at the reset is the window's end (the public sample's
 *   reading) and asks for nothing. Misreading the window as pacing would cost the rest of the
 *   window; misreading pacing as the window costs one 429, which then says how long to wait;
 * - a **202 with nothing left**: no block here; the spent window holds every slot to its reset.
 */
export function waitAfterAnswer(p: WaitAfterAnswerParameters): number | undefined {
  const r = usableReport(p.report);
  if (p.refused) {
    const told =
      r?.retryAfterMs ?? (r?.resetAtMs === undefined ? undefined : r.resetAtMs - p.nowMs);
    return p.nowMs + Math.min(Math.max(0, told ?? p.maxWaitMs), p.maxWaitMs);
  }
  if (!r || r.retryAfterMs === undefined || r.retryAfterMs <= 0) return undefined;
  if (r.remaining === undefined || r.remaining === 0 || r.resetAtMs === undefined) return undefined;
  const timeLeftMs = r.resetAtMs - p.nowMs;
  if (p.nowMs + r.retryAfterMs >= r.resetAtMs - windowReadingMarginMs(timeLeftMs)) return undefined;
  return p.nowMs + Math.min(r.retryAfterMs, p.maxWaitMs);
}
