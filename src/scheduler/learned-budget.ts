/**
 * The scheduler's one budget model: a limit per window, learned from the answers' headers
 * (zkEVM: the limit differs per project and the server opens a window at its first request) or
 * told in advance (Immutable X: 10 an hour, in windows aligned to the epoch) — a told budget is a
 * learned one whose first answer came before the first request. These pure steps are the whole
 * rule; a store only keeps the state and swaps it atomically (`SchedulerStore.writeBudget`), so
 * the memory and Redis stores cannot disagree on it.
 *
 * - Until the window is known (at first, and after each window ends): a told budget opens the
 *   window of `told.windowMs` that holds now; a learned one lets one request through at a time,
 *   fleet-wide: its answer tells the limit and what is left.
 * - In a known window, a request is started while `used < min(limit, cap) - reserve` and the
 *   window's end is more than `guardMs` away (a request that reaches the server after the reset
 *   would be counted in the next window, where a probe may not have seen it).
 * - Told windows keep room for requests of the windows before still unanswered (`late`): the
 *   server may count them in this one.
 * - A 429's `retry-after` blocks until then; a 202 saying nothing is left spends the window.
 * - A 202's `retry-after` while pushes remain is ambiguous (the platform does not say; see
 *   {@link waitAfterAnswer}): a pacing hint that ends well before the reset is honoured, one that
 *   is about the time left to the reset is the window and is not (honouring it would make one
 *   push a window instead of hundreds).
 */
import { CLOCK_SKEW_MS } from '../clock.js';
import type { BudgetReport } from './targets/target.js';

/** The budget, as a store keeps it. */
export interface BudgetState {
  /** The project's limit per window, once told or learned. */
  limit: number | undefined;
  /** Requests counted in the known window (ours and, from the headers, anyone's). */
  used: number;
  /** When the known window ends (ms); undefined while unknown. */
  windowEndsMs: number | undefined;
  /** Slots taken in the known window whose requests are not answered yet. */
  open: number;
  /** Unanswered slots of earlier windows, kept room for in this one until `lateUntilMs`. */
  late: number;
  /** When `late` slots stop holding room (their processes may have died). */
  lateUntilMs: number | undefined;
  /** A probe (the one request while the window is unknown) holds the way until then. */
  probeUntilMs: number | undefined;
  /** No request before this (a 429's retry-after, or a 202's pacing hint). */
  blockedUntilMs: number | undefined;
}

/** A budget told in advance: `limit` requests per window of `windowMs`, aligned to the epoch. */
export interface ToldBudget {
  limit: number;
  windowMs: number;
}

/** Parameters of {@link takeSlot}. */
export interface TakeSlotParameters {
  /** Now (ms), by the scheduler's clock (the answers' reset times are compared with it). */
  nowMs: number;
  /** Requests left for people and tools in each window. */
  reserve: number;
  /** Most requests per window whatever the headers say (`budget.limit`); `Infinity` for none. */
  cap: number;
  /** No request starts this close to the window's end. */
  guardMs: number;
  /** A slot never settled (its process died) stops holding room after this long. */
  ttlMs: number;
  /** The budget told in advance (Immutable X); undefined: learned from the answers only. */
  told?: ToldBudget | undefined;
}

/** What taking a slot gave. */
export interface BudgetSlot {
  taken: boolean;
  /** This slot is the probe: settle it with `probe: true`. */
  probe: boolean;
  /** When taken (and not a probe): the end of the window it was taken in. */
  windowEndsMs: number | undefined;
  /** When not taken: when to try again. */
  retryAtMs: number;
  /** When not taken: the budget is spent until `retryAtMs` (worth a `budgetWait` event). */
  spent: boolean;
}

/** Two reports of one window may name its end a little differently (rounding). */
const SAME_WINDOW_MS = 1_000;

/** How soon to look again when another request is finding out, or answers are awaited. */
const LOOK_AGAIN_MS = 100;

/** A budget nothing is known about. */
export const UNKNOWN_BUDGET: BudgetState = {
  limit: undefined,
  used: 0,
  windowEndsMs: undefined,
  open: 0,
  late: 0,
  lateUntilMs: undefined,
  probeUntilMs: undefined,
  blockedUntilMs: undefined,
};

const isKnown = (state: BudgetState, nowMs: number) =>
  state.windowEndsMs !== undefined && nowMs < state.windowEndsMs;

const lateNow = (state: BudgetState, nowMs: number) =>
  state.lateUntilMs !== undefined && nowMs < state.lateUntilMs ? state.late : 0;

/** The end of the told window that holds `nowMs`. */
const toldWindowEnd = (told: ToldBudget, nowMs: number) =>
  Math.floor(nowMs / told.windowMs) * told.windowMs + told.windowMs;

/**
 * The window as it stands at `nowMs`: the known one, or for a told budget the one it would open.
 * Undefined while a learned budget's window is unknown.
 */
export function currentWindow(
  state: BudgetState,
  nowMs: number,
  told: ToldBudget | undefined,
): { limit: number | undefined; used: number; windowEndsMs: number } | undefined {
  if (isKnown(state, nowMs)) {
    return { limit: state.limit, used: state.used, windowEndsMs: state.windowEndsMs as number };
  }
  if (!told) return undefined;
  return { limit: state.limit ?? told.limit, used: 0, windowEndsMs: toldWindowEnd(told, nowMs) };
}

/** Takes one request from the budget if the rule allows; returns the new state too. */
export function takeSlot(
  state: BudgetState,
  p: TakeSlotParameters,
): { state: BudgetState; slot: BudgetSlot } {
  const { nowMs } = p;
  const refused = (retryAtMs: number, spent: boolean) => ({
    state,
    slot: { taken: false, probe: false, windowEndsMs: undefined, retryAtMs, spent },
  });
  if (state.blockedUntilMs !== undefined && nowMs < state.blockedUntilMs) {
    return refused(state.blockedUntilMs, true);
  }
  let s = state;
  if (!isKnown(s, nowMs)) {
    if (p.told) {
      // Told: the window that holds now, with room kept for the last one's unanswered slots.
      // (`open` is 0 while no window was known: only a known window's slots are counted open.)
      const late = lateNow(s, nowMs) + s.open;
      s = {
        ...s,
        limit: s.limit ?? p.told.limit,
        used: 0,
        windowEndsMs: toldWindowEnd(p.told, nowMs),
        open: 0,
        late,
        lateUntilMs: nowMs + p.ttlMs,
        probeUntilMs: undefined,
      };
    } else {
      if (s.probeUntilMs !== undefined && nowMs < s.probeUntilMs) {
        // Another request is finding out: look again soon.
        return refused(nowMs + LOOK_AGAIN_MS, false);
      }
      return {
        state: { ...s, used: 0, windowEndsMs: undefined, open: 0, probeUntilMs: nowMs + p.ttlMs },
        slot: { taken: true, probe: true, windowEndsMs: undefined, retryAtMs: nowMs, spent: false },
      };
    }
  }
  const windowEndsMs = s.windowEndsMs as number;
  if (windowEndsMs - nowMs < p.guardMs) return refused(windowEndsMs, false);
  const limit = Math.min(s.limit ?? 1, p.cap) - p.reserve;
  if (s.used >= limit) return refused(windowEndsMs, true);
  // Room held for requests of an earlier window still unanswered: their answers free it.
  if (s.used + lateNow(s, nowMs) >= limit) return refused(nowMs + LOOK_AGAIN_MS, false);
  return {
    state: { ...s, used: s.used + 1, open: s.open + 1 },
    slot: { taken: true, probe: false, windowEndsMs, retryAtMs: nowMs, spent: false },
  };
}

/** Parameters of {@link settleSlot}. */
export interface SettleSlotParameters {
  /** The slot was the probe. */
  probe: boolean;
  /** The end of the window the slot was taken in ({@link BudgetSlot.windowEndsMs}). */
  windowEndsMs?: number | undefined;
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
  /**
   * The longest window believed (ms): a reset further away than this is not (a broken proxy
   * must not hold the budget for days). Undefined: any.
   */
  maxWindowMs?: number | undefined;
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

/** Records what an answer said about the budget, and frees the slot. */
export function settleSlot(state: BudgetState, p: SettleSlotParameters): BudgetState {
  let next: BudgetState = p.probe ? { ...state, probeUntilMs: undefined } : { ...state };
  const said = usableReport(p.report);
  // A reset further than one window away: the whole report is unbelievable.
  const tooFar =
    (said?.resetAtMs ?? Number.NEGATIVE_INFINITY) >
    p.nowMs + (p.maxWindowMs ?? Number.POSITIVE_INFINITY);
  const r = tooFar ? undefined : said;
  if (!p.probe) {
    const slotEnds = p.windowEndsMs ?? next.windowEndsMs;
    if (slotEnds === next.windowEndsMs) {
      next.open = Math.max(0, next.open - 1);
      if (p.unsent) next.used = Math.max(0, next.used - 1);
    } else {
      // A slot of an earlier window: it no longer needs room here. The server counted it in
      // the known window when its reset names that one: then it counts here.
      next.late = Math.max(0, next.late - 1);
      const reset = r?.resetAtMs ?? Number.NEGATIVE_INFINITY;
      const here = Math.abs(reset - (next.windowEndsMs ?? 0)) <= SAME_WINDOW_MS;
      if (!p.unsent && here && isKnown(next, p.nowMs)) next.used += 1;
    }
  }
  if (r?.limit !== undefined && r.remaining !== undefined && r.resetAtMs !== undefined) {
    const usedByReport = Math.max(0, r.limit - r.remaining);
    const known = isKnown(next, p.nowMs);
    if (r.resetAtMs <= p.nowMs) {
      // A window that already ended tells nothing about the next.
    } else if (!known || r.resetAtMs > (next.windowEndsMs as number) + SAME_WINDOW_MS) {
      next = { ...next, limit: r.limit, used: usedByReport, windowEndsMs: r.resetAtMs, open: 0 };
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
