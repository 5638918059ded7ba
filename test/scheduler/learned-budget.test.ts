/**
 * The budget's one rule (learned, or told in advance) applied to a store as the scheduler applies
 * it (compare-and-set on `MemoryStore`; the Redis store keeps the same state and runs no rule),
 * on an injected "now": when a slot may be taken, what an answer teaches, the room kept for an
 * earlier window's unanswered slots, and how long an answer asks the fleet to wait (the spec's
 * "What retry-after means on a 202"). 97% of mutants killed (`--ignoreStatic` loop).
 *
 * Mutation testing (`npm run mutation`) leaves these mutants of learned-budget.ts alive, all
 * equivalent: `x !== undefined && now < x` with the first test replaced by `true` (a number is
 * never less than undefined; the test is there for the type checker), `isTime`'s typeof test
 * replaced by `true` (Number.isFinite is false for non-numbers), and a block that does not end
 * after now (`> now` made `>= now` or `true`): it is stored but blocks nothing.
 */
import { describe, expect, it } from 'vitest';
import { type BudgetReport, MemoryStore as Store } from '../../src/index.js';
import {
  currentWindow,
  type SettleSlotParameters,
  settleSlot,
  type TakeSlotParameters,
  takeSlot,
  UNKNOWN_BUDGET as UNKNOWN,
  usableReport,
  waitAfterAnswer,
} from '../../src/scheduler/learned-budget.js';
import { updateBudget } from '../../src/scheduler/store.js';

/** A store with the budget's rule applied to it, as the scheduler applies it. */
class MemoryStore extends Store {
  takeLearnedSlot(p: TakeSlotParameters) {
    return updateBudget(this, (state) => {
      const taken = takeSlot(state, p);
      return { state: taken.state, result: taken.slot };
    });
  }
  settleLearnedSlot(p: SettleSlotParameters) {
    return updateBudget(this, (state) => ({ state: settleSlot(state, p), result: undefined }));
  }
  async learnedBudget() {
    return (await this.readBudget()).state;
  }
}

const T0 = Date.parse('2030-01-01T10:00:00Z');
const HOUR = 3_600_000;
const take = { reserve: 0, cap: Number.POSITIVE_INFINITY, guardMs: 5_000, ttlMs: 60_000 };

/** A store whose window is known: `limit` per window, `used` spent, ending `endsInMs` from T0. */
async function known(limit: number, used: number, endsInMs = HOUR) {
  const store = new MemoryStore();
  const probe = await store.takeLearnedSlot({ ...take, nowMs: T0 });
  expect(probe).toMatchObject({ taken: true, probe: true });
  await store.settleLearnedSlot({
    probe: true,
    nowMs: T0,
    report: { limit, remaining: limit - used, resetAtMs: T0 + endsInMs },
  });
  return store;
}

/** A store learns what a (non-probe) answer at `nowMs` reported. */
const answer = (store: MemoryStore, nowMs: number, report: BudgetReport) =>
  store.settleLearnedSlot({ probe: false, nowMs, report });

describe('taking a slot', () => {
  it('lets one probe through while the window is unknown, the rest look again shortly', async () => {
    const store = new MemoryStore();
    expect(await store.takeLearnedSlot({ ...take, nowMs: T0 })).toMatchObject({
      taken: true,
      probe: true,
    });
    expect(await store.takeLearnedSlot({ ...take, nowMs: T0 + 10 })).toEqual({
      taken: false,
      probe: false,
      retryAtMs: T0 + 110,
      spent: false,
    });
    // A probe that never settles (its process died) frees the way after ttlMs.
    expect(await store.takeLearnedSlot({ ...take, nowMs: T0 + 60_000 })).toMatchObject({
      taken: true,
      probe: true,
    });
  });

  it('takes slots up to the limit less the reserve, then waits for the window to end', async () => {
    const store = await known(5, 2);
    const r = { ...take, reserve: 1 };
    expect(await store.takeLearnedSlot({ ...r, nowMs: T0 + 1 })).toMatchObject({ taken: true });
    expect(await store.takeLearnedSlot({ ...r, nowMs: T0 + 2 })).toMatchObject({ taken: true });
    expect(await store.takeLearnedSlot({ ...r, nowMs: T0 + 3 })).toEqual({
      taken: false,
      probe: false,
      retryAtMs: T0 + HOUR,
      spent: true,
    });
    expect((await store.learnedBudget()).used).toBe(4);
  });

  it('caps the learned limit with budget.limit', async () => {
    const store = await known(100, 0);
    const capped = { ...take, cap: 2 };
    expect(await store.takeLearnedSlot({ ...capped, nowMs: T0 + 1 })).toMatchObject({
      taken: true,
    });
    expect(await store.takeLearnedSlot({ ...capped, nowMs: T0 + 2 })).toMatchObject({
      taken: true,
    });
    expect(await store.takeLearnedSlot({ ...capped, nowMs: T0 + 3 })).toMatchObject({
      taken: false,
      spent: true,
    });
  });

  it('starts no request within the guard of the window end, and probes once it has ended', async () => {
    const store = await known(10, 0, 60_000);
    // 5 s guard: 55,001 ms in, 4,999 ms are left.
    expect(await store.takeLearnedSlot({ ...take, nowMs: T0 + 55_001 })).toEqual({
      taken: false,
      probe: false,
      retryAtMs: T0 + 60_000,
      spent: false,
    });
    expect(await store.takeLearnedSlot({ ...take, nowMs: T0 + 54_999 })).toMatchObject({
      taken: true,
      probe: false,
    });
    expect(await store.takeLearnedSlot({ ...take, nowMs: T0 + 60_000 })).toMatchObject({
      taken: true,
      probe: true,
    });
  });

  it('a request may start exactly guardMs before the window ends, and a taken slot is not spent', async () => {
    const store = await known(10, 0, 60_000);
    expect(await store.takeLearnedSlot({ ...take, nowMs: T0 + 55_000 })).toEqual({
      taken: true,
      probe: false,
      retryAtMs: T0 + 55_000,
      spent: false,
      windowEndsMs: T0 + 60_000,
    });
  });

  it('after a 429 with retry-after 30 s, no slot for 30 s, then slots again', async () => {
    const store = await known(10, 3);
    const slot = await store.takeLearnedSlot({ ...take, nowMs: T0 + 1_000 });
    expect(slot.taken).toBe(true);
    const report = { limit: 10, remaining: 6, resetAtMs: T0 + HOUR, retryAfterMs: 30_000 };
    const blockUntilMs = waitAfterAnswer({
      report,
      refused: true,
      nowMs: T0 + 2_000,
      maxWaitMs: HOUR,
    });
    expect(blockUntilMs).toBe(T0 + 32_000);
    await store.settleLearnedSlot({ probe: false, report, nowMs: T0 + 2_000, blockUntilMs });
    for (const at of [T0 + 2_001, T0 + 20_000, T0 + 31_999]) {
      expect(await store.takeLearnedSlot({ ...take, nowMs: at })).toEqual({
        taken: false,
        probe: false,
        retryAtMs: T0 + 32_000,
        spent: true,
      });
    }
    expect(await store.takeLearnedSlot({ ...take, nowMs: T0 + 32_000 })).toMatchObject({
      taken: true,
    });
  });

  it('keeps the longer of two blocks', async () => {
    const store = await known(10, 0);
    await store.settleLearnedSlot({
      probe: false,
      report: undefined,
      nowMs: T0,
      blockUntilMs: T0 + 50_000,
    });
    await store.settleLearnedSlot({
      probe: false,
      report: undefined,
      nowMs: T0,
      blockUntilMs: T0 + 10_000,
    });
    expect((await store.learnedBudget()).blockedUntilMs).toBe(T0 + 50_000);
    expect(await store.takeLearnedSlot({ ...take, nowMs: T0 + 20_000 })).toMatchObject({
      taken: false,
      retryAtMs: T0 + 50_000,
    });
  });
});

describe('what an answer teaches', () => {
  it('a report from a window that already ended is not taken as the current one', async () => {
    const store = await known(10, 4, 60_000);
    // The known window ended at T0 + 60 s; a late answer of it arrives at T0 + 61 s.
    await answer(store, T0 + 61_000, { limit: 10, remaining: 0, resetAtMs: T0 + 60_000 });
    const state = await store.learnedBudget();
    expect(state.windowEndsMs).toBe(T0 + 60_000);
    // The new window is unknown: the next request is a probe, not a spent budget.
    expect(await store.takeLearnedSlot({ ...take, nowMs: T0 + 61_000 })).toMatchObject({
      taken: true,
      probe: true,
    });
  });

  it('a stale answer of an earlier window changes nothing; a later window replaces the count', async () => {
    const store = await known(10, 4);
    await answer(store, T0 + 1_000, { limit: 10, remaining: 10, resetAtMs: T0 + HOUR - 30_000 });
    expect(await store.learnedBudget()).toMatchObject({ used: 4, windowEndsMs: T0 + HOUR });
    // The same window, named 500 ms differently (rounding): the larger count wins.
    await answer(store, T0 + 1_000, { limit: 10, remaining: 3, resetAtMs: T0 + HOUR + 500 });
    expect(await store.learnedBudget()).toMatchObject({ used: 7, windowEndsMs: T0 + HOUR });
    await answer(store, T0 + 2_000, { limit: 12, remaining: 11, resetAtMs: T0 + 2 * HOUR });
    expect(await store.learnedBudget()).toMatchObject({
      limit: 12,
      used: 1,
      windowEndsMs: T0 + 2 * HOUR,
    });
  });

  it('a report that ends exactly now, or whose window is exactly over, is not the current window', async () => {
    const store = await known(10, 4, 60_000);
    const before = await store.learnedBudget();
    // A report whose reset is now tells nothing: the state stays as it was.
    await answer(store, T0 + 30_000, { limit: 50, remaining: 0, resetAtMs: T0 + 30_000 });
    expect(await store.learnedBudget()).toEqual(before);
    // Nor once the window is over: a late answer of it, its reset exactly now, is not learned.
    await answer(store, T0 + 60_000, { limit: 50, remaining: 0, resetAtMs: T0 + 60_000 });
    expect(await store.learnedBudget()).toEqual(before);
    // At the known window's end exactly, a report of a window ending 800 ms later is a new
    // window (its count replaces ours), not the same one named differently.
    await answer(store, T0 + 60_000, { limit: 10, remaining: 9, resetAtMs: T0 + 60_800 });
    expect(await store.learnedBudget()).toMatchObject({ used: 1, windowEndsMs: T0 + 60_800 });
  });

  it('after the known window ended, a report ending within a second of it starts a new count', async () => {
    const store = await known(10, 8, 60_000);
    await answer(store, T0 + 60_500, { limit: 10, remaining: 9, resetAtMs: T0 + 60_900 });
    expect(await store.learnedBudget()).toMatchObject({ used: 1, windowEndsMs: T0 + 60_900 });
  });

  it('the same window is named up to one second apart either way; further apart is another window', async () => {
    // A reset exactly 1 s later is still the known window: the larger count wins.
    const later = await known(10, 6);
    await answer(later, T0 + 1_000, { limit: 10, remaining: 8, resetAtMs: T0 + HOUR + 1_000 });
    expect(await later.learnedBudget()).toMatchObject({ used: 6, windowEndsMs: T0 + HOUR });
    // A reset exactly 1 s earlier too.
    const earlier = await known(10, 2);
    await answer(earlier, T0 + 1_000, { limit: 10, remaining: 3, resetAtMs: T0 + HOUR - 1_000 });
    expect(await earlier.learnedBudget()).toMatchObject({ used: 7, windowEndsMs: T0 + HOUR });
    // More than 1 s earlier is an earlier window: neither its count nor its limit is taken.
    const stale = await known(10, 2);
    await answer(stale, T0 + 1_000, { limit: 40, remaining: 1, resetAtMs: T0 + HOUR - 1_001 });
    expect(await stale.learnedBudget()).toMatchObject({
      limit: 10,
      used: 2,
      windowEndsMs: T0 + HOUR,
    });
  });

  it('a report without a remaining count or without a reset teaches nothing', async () => {
    const store = new MemoryStore();
    await store.takeLearnedSlot({ ...take, nowMs: T0 });
    await store.settleLearnedSlot({
      probe: true,
      nowMs: T0,
      report: { limit: 10, resetAtMs: T0 + HOUR },
    });
    await store.settleLearnedSlot({ probe: false, nowMs: T0, report: { limit: 10, remaining: 9 } });
    expect(await store.learnedBudget()).toMatchObject({
      limit: undefined,
      used: 0,
      windowEndsMs: undefined,
    });
  });

  it('a wait that is not a finite time is ignored, whatever the caller passes', async () => {
    const store = await known(10, 0);
    for (const blockUntilMs of [Number.POSITIVE_INFINITY, Number.NaN]) {
      await store.settleLearnedSlot({ probe: false, report: undefined, nowMs: T0, blockUntilMs });
    }
    expect((await store.learnedBudget()).blockedUntilMs).toBeUndefined();
    expect(await store.takeLearnedSlot({ ...take, nowMs: T0 + 1 })).toMatchObject({ taken: true });
    // A window end that is not a finite time is not believed either.
    const fresh = new MemoryStore();
    await fresh.takeLearnedSlot({ ...take, nowMs: T0 });
    await fresh.settleLearnedSlot({
      probe: true,
      nowMs: T0,
      report: { limit: 10, remaining: 9, resetAtMs: Number.NaN },
    });
    expect((await fresh.learnedBudget()).windowEndsMs).toBeUndefined();
  });

  it('a slot whose request never left is given back', async () => {
    const store = await known(3, 0);
    await store.takeLearnedSlot({ ...take, nowMs: T0 + 1 });
    await store.takeLearnedSlot({ ...take, nowMs: T0 + 2 });
    expect((await store.learnedBudget()).used).toBe(2);
    await store.settleLearnedSlot({ probe: false, report: undefined, nowMs: T0 + 3, unsent: true });
    expect((await store.learnedBudget()).used).toBe(1);
    // A probe given back frees the way without touching the count.
    const fresh = new MemoryStore();
    await fresh.takeLearnedSlot({ ...take, nowMs: T0 });
    await fresh.settleLearnedSlot({ probe: true, report: undefined, nowMs: T0 + 1, unsent: true });
    expect(await fresh.learnedBudget()).toMatchObject({ used: 0, probeUntilMs: undefined });
  });

  it('a hostile answer (counts beyond safe integers, an infinite wait) does not poison the count', async () => {
    const store = await known(10, 2);
    await store.settleLearnedSlot({
      probe: false,
      nowMs: T0 + 1_000,
      report: {
        limit: Number.POSITIVE_INFINITY,
        remaining: 2 ** 53 + 2,
        resetAtMs: Number.NaN,
        retryAfterMs: Number.POSITIVE_INFINITY,
      },
    });
    const state = await store.learnedBudget();
    expect(state).toMatchObject({ limit: 10, used: 2, windowEndsMs: T0 + HOUR });
    expect(Number.isFinite(state.used)).toBe(true);
    expect(usableReport({ limit: 2 ** 53, remaining: -1, resetAtMs: 5, retryAfterMs: -3 })).toEqual(
      {
        limit: undefined,
        remaining: undefined,
        resetAtMs: 5,
        retryAfterMs: undefined,
      },
    );
  });
});

describe('how long an answer asks the fleet to wait (retry-after on a 202 is ambiguous)', () => {
  const now = T0;
  const window = (retryAfterMs: number, remaining = 600, resetAtMs = now + 30 * 60_000) => ({
    report: { limit: 677, remaining, resetAtMs, retryAfterMs },
    refused: false,
    nowMs: now,
    maxWaitMs: HOUR,
  });

  it('a 202 whose retry-after is about the time to the reset is the window: no wait', () => {
    const left = 30 * 60_000;
    expect(waitAfterAnswer(window(left))).toBeUndefined();
    // The header's whole seconds round up; a server clock up to 5 s ahead makes it shorter.
    expect(waitAfterAnswer(window(left + 999))).toBeUndefined();
    expect(waitAfterAnswer(window(left - 5_000))).toBeUndefined();
    // A tenth of the time left (3 min here) still reads as the window.
    expect(waitAfterAnswer(window(left - 179_000))).toBeUndefined();
  });

  it('a 202 whose retry-after ends well before the reset is a pacing hint: honoured', () => {
    expect(waitAfterAnswer(window(5_320))).toBe(now + 5_320);
    expect(waitAfterAnswer(window(30 * 60_000 - 181_000))).toBe(now + 30 * 60_000 - 181_000);
    // Near the end of a window the margin is the skew allowance (6 s), not a tenth.
    const near = window(2_000, 5, now + 10_000);
    expect(waitAfterAnswer(near)).toBe(now + 2_000);
    expect(waitAfterAnswer(window(4_001, 5, now + 10_000))).toBeUndefined();
  });

  it('a retry-after ending exactly a margin before the reset still reads as the window', () => {
    // 60 s left: the margin is max(6 s, 6 s); 54 s ends exactly 6 s before the reset.
    expect(waitAfterAnswer(window(54_000, 5, now + 60_000))).toBeUndefined();
    expect(waitAfterAnswer(window(53_999, 5, now + 60_000))).toBe(now + 53_999);
  });

  it('a 202 with nothing left asks for no block of its own (the spent window holds to the reset)', () => {
    expect(waitAfterAnswer(window(5_000, 0))).toBeUndefined();
  });

  it('a 202 without a reset, or without a retry-after, asks for nothing', () => {
    expect(
      waitAfterAnswer({
        report: { retryAfterMs: 5_000 },
        refused: false,
        nowMs: now,
        maxWaitMs: HOUR,
      }),
    ).toBeUndefined();
    expect(waitAfterAnswer(window(0))).toBeUndefined();
    // Counts and a reset but no retry-after; a retry-after and a reset but no remaining count.
    expect(
      waitAfterAnswer({
        report: { limit: 677, remaining: 600, resetAtMs: now + 60_000 },
        refused: false,
        nowMs: now,
        maxWaitMs: HOUR,
      }),
    ).toBeUndefined();
    expect(
      waitAfterAnswer({
        report: { limit: 677, resetAtMs: now + 60_000, retryAfterMs: 2_000 },
        refused: false,
        nowMs: now,
        maxWaitMs: HOUR,
      }),
    ).toBeUndefined();
    // A retry-after with pushes left but no reset: it cannot be told from the window, so no wait.
    expect(
      waitAfterAnswer({
        report: { limit: 677, remaining: 600, retryAfterMs: 2_000 },
        refused: false,
        nowMs: now,
        maxWaitMs: HOUR,
      }),
    ).toBeUndefined();
    expect(
      waitAfterAnswer({ report: undefined, refused: false, nowMs: now, maxWaitMs: HOUR }),
    ).toBeUndefined();
  });

  it('a 429 is obeyed: its retry-after, else its reset, else the longest wait, never beyond it', () => {
    const refused = (report: object | undefined) =>
      waitAfterAnswer({ report, refused: true, nowMs: now, maxWaitMs: HOUR });
    expect(refused({ retryAfterMs: 30_000, resetAtMs: now + 20 * 60_000 })).toBe(now + 30_000);
    expect(refused({ resetAtMs: now + 20 * 60_000 })).toBe(now + 20 * 60_000);
    expect(refused(undefined)).toBe(now + HOUR);
    expect(refused({ retryAfterMs: 5 * HOUR })).toBe(now + HOUR);
    expect(refused({ resetAtMs: now - 1_000 })).toBe(now);
    // retry-after 0 means now, even with the reset far away.
    expect(refused({ retryAfterMs: 0, resetAtMs: now + 20 * 60_000 })).toBe(now);
  });
});

describe('a budget told in advance (Immutable X: 10 an hour, aligned to the epoch)', () => {
  const told = { limit: 3, windowMs: HOUR };
  const at = { ...take, told };

  it('is known from the first request: no probe, the window that holds now, up to the limit', async () => {
    const store = new MemoryStore();
    const first = await store.takeLearnedSlot({ ...at, nowMs: T0 + 1 });
    expect(first).toEqual({
      taken: true,
      probe: false,
      windowEndsMs: T0 + HOUR,
      retryAtMs: T0 + 1,
      spent: false,
    });
    expect(await store.takeLearnedSlot({ ...at, nowMs: T0 + 2 })).toMatchObject({ taken: true });
    expect(await store.takeLearnedSlot({ ...at, nowMs: T0 + 3 })).toMatchObject({ taken: true });
    expect(await store.takeLearnedSlot({ ...at, nowMs: T0 + 4 })).toEqual({
      taken: false,
      probe: false,
      windowEndsMs: undefined,
      retryAtMs: T0 + HOUR,
      spent: true,
    });
    expect(await store.learnedBudget()).toMatchObject({ limit: 3, used: 3, open: 3 });
  });

  it('a limit the headers told wins over the one told in advance, and holds in later windows', async () => {
    const store = new MemoryStore();
    await store.takeLearnedSlot({ ...at, nowMs: T0 });
    await answer(store, T0 + 1, { limit: 1, remaining: 0, resetAtMs: T0 + HOUR });
    expect(await store.takeLearnedSlot({ ...at, nowMs: T0 + 2 })).toMatchObject({ spent: true });
    expect(await store.takeLearnedSlot({ ...at, nowMs: T0 + HOUR })).toMatchObject({ taken: true });
    expect(await store.takeLearnedSlot({ ...at, nowMs: T0 + HOUR + 1 })).toMatchObject({
      taken: false,
      retryAtMs: T0 + 2 * HOUR,
    });
  });

  it('keeps room in a new window for requests of the last one still unanswered', async () => {
    const store = new MemoryStore();
    const first = await store.takeLearnedSlot({ ...at, nowMs: T0 });
    const second = await store.takeLearnedSlot({ ...at, nowMs: T0 });
    // Answered in its own window: it needs no room in the next.
    await store.settleLearnedSlot({
      probe: false,
      windowEndsMs: first.windowEndsMs,
      nowMs: T0 + 10,
      report: undefined,
    });
    const next = T0 + HOUR;
    // One request of the last window is unanswered: of 3 slots, 2 are free.
    expect(await store.takeLearnedSlot({ ...at, nowMs: next })).toMatchObject({ taken: true });
    expect(await store.takeLearnedSlot({ ...at, nowMs: next })).toMatchObject({ taken: true });
    expect(await store.takeLearnedSlot({ ...at, nowMs: next })).toEqual({
      taken: false,
      probe: false,
      windowEndsMs: undefined,
      retryAtMs: next + 100,
      spent: false,
    });
    // The server counted it in the new window: it counts here, so no slot is left.
    await store.settleLearnedSlot({
      probe: false,
      windowEndsMs: second.windowEndsMs,
      nowMs: next + 10,
      report: { resetAtMs: next + HOUR },
    });
    expect(await store.learnedBudget()).toMatchObject({ used: 3, late: 0 });
    expect(await store.takeLearnedSlot({ ...at, nowMs: next + 20 })).toMatchObject({
      taken: false,
      spent: true,
    });
  });

  it('a late slot counted in its own window frees its room; unanswered ones stop holding it after ttlMs', async () => {
    const store = new MemoryStore();
    const a = await store.takeLearnedSlot({ ...at, nowMs: T0 });
    await store.takeLearnedSlot({ ...at, nowMs: T0 });
    await store.takeLearnedSlot({ ...at, nowMs: T0 });
    const next = T0 + HOUR;
    expect(await store.takeLearnedSlot({ ...at, nowMs: next })).toMatchObject({ taken: false });
    await store.settleLearnedSlot({
      probe: false,
      windowEndsMs: a.windowEndsMs,
      nowMs: next + 1,
      report: { resetAtMs: T0 + HOUR },
    });
    expect(await store.takeLearnedSlot({ ...at, nowMs: next + 2 })).toMatchObject({ taken: true });
    expect(await store.learnedBudget()).toMatchObject({ used: 1, late: 2 });
    expect(await store.takeLearnedSlot({ ...at, nowMs: next + 3 })).toMatchObject({ taken: false });
    // The other two never answer (their process died): ttlMs after the window opened, they
    // hold no room.
    const later = next + 2 + take.ttlMs;
    expect(await store.takeLearnedSlot({ ...at, nowMs: later - 1 })).toMatchObject({
      taken: false,
    });
    expect(await store.takeLearnedSlot({ ...at, nowMs: later })).toMatchObject({ taken: true });
    expect(await store.takeLearnedSlot({ ...at, nowMs: later })).toMatchObject({ taken: true });
    expect(await store.takeLearnedSlot({ ...at, nowMs: later })).toMatchObject({ spent: true });
  });

  it('a slot given back unsent frees its count in its own window only', async () => {
    const store = new MemoryStore();
    const a = await store.takeLearnedSlot({ ...at, nowMs: T0 });
    await store.settleLearnedSlot({
      probe: false,
      windowEndsMs: a.windowEndsMs,
      nowMs: T0 + 1,
      report: undefined,
      unsent: true,
    });
    expect(await store.learnedBudget()).toMatchObject({ used: 0, open: 0 });
    const b = await store.takeLearnedSlot({ ...at, nowMs: T0 + 2 });
    const next = T0 + HOUR;
    await store.takeLearnedSlot({ ...at, nowMs: next });
    await store.settleLearnedSlot({
      probe: false,
      windowEndsMs: b.windowEndsMs,
      nowMs: next + 1,
      report: undefined,
      unsent: true,
    });
    expect(await store.learnedBudget()).toMatchObject({ used: 1, open: 1, late: 0 });
  });
});

describe('a reset too far away', () => {
  it('is not believed beyond maxWindowMs: the count is kept, the window is not moved', async () => {
    const store = await known(10, 2, HOUR);
    await store.settleLearnedSlot({
      probe: false,
      nowMs: T0 + 1,
      report: { limit: 10, remaining: 0, resetAtMs: T0 + 1 + HOUR + 1 },
      maxWindowMs: HOUR,
    });
    expect(await store.learnedBudget()).toMatchObject({ used: 2, windowEndsMs: T0 + HOUR });
    await store.settleLearnedSlot({
      probe: false,
      nowMs: T0 + 1,
      report: { limit: 10, remaining: 0, resetAtMs: T0 + 1 + HOUR },
      maxWindowMs: HOUR,
    });
    expect(await store.learnedBudget()).toMatchObject({ used: 10, windowEndsMs: T0 + HOUR });
  });
});

describe('slots of an earlier window, and probes', () => {
  const told = { limit: 3, windowMs: HOUR };
  const at = { ...take, told };
  const NEXT = T0 + HOUR;

  /** Two slots taken in the first window, unanswered; the next window opened with one slot. */
  async function crossing() {
    const store = new MemoryStore();
    const a = await store.takeLearnedSlot({ ...at, nowMs: T0 });
    const b = await store.takeLearnedSlot({ ...at, nowMs: T0 });
    expect(await store.takeLearnedSlot({ ...at, nowMs: NEXT })).toMatchObject({ taken: true });
    expect(await store.learnedBudget()).toMatchObject({ used: 1, late: 2, open: 1 });
    const settle = (slot: typeof a, extra: Partial<SettleSlotParameters>) =>
      store.settleLearnedSlot({
        probe: false,
        windowEndsMs: slot.windowEndsMs,
        nowMs: NEXT + 10,
        report: undefined,
        ...extra,
      });
    return { store, a, b, settle };
  }

  it('a late slot whose reset names its own window, or that was never sent, counts nowhere', async () => {
    const { store, a, b, settle } = await crossing();
    await settle(a, { report: { resetAtMs: T0 + HOUR } });
    await settle(b, { report: { resetAtMs: NEXT + HOUR }, unsent: true });
    expect(await store.learnedBudget()).toMatchObject({ used: 1, late: 0, open: 1 });
  });

  it('a reset within a second of the known window names it; further off, it does not', async () => {
    const { store, a, b, settle } = await crossing();
    await settle(a, { report: { resetAtMs: NEXT + HOUR + 1_000 } });
    expect(await store.learnedBudget()).toMatchObject({ used: 2, late: 1 });
    await settle(b, { report: { resetAtMs: NEXT + HOUR - 1_001 } });
    expect(await store.learnedBudget()).toMatchObject({ used: 2, late: 0 });
  });

  it('a late slot settled twice (a retried write) never holds negative room', async () => {
    const { store, a, b, settle } = await crossing();
    await settle(a, {});
    await settle(a, {});
    await settle(b, {});
    expect(await store.learnedBudget()).toMatchObject({ late: 0 });
  });

  it('a probe is taken, not spent, and given back unsent never lowers a count others learned', async () => {
    const store = new MemoryStore();
    expect(await store.takeLearnedSlot({ ...take, nowMs: T0 })).toEqual({
      taken: true,
      probe: true,
      windowEndsMs: undefined,
      retryAtMs: T0,
      spent: false,
    });
    // Another process's answer told the window meanwhile.
    await answer(store, T0 + 1, { limit: 10, remaining: 7, resetAtMs: T0 + HOUR });
    await store.settleLearnedSlot({ probe: true, nowMs: T0 + 2, report: undefined, unsent: true });
    expect(await store.learnedBudget()).toMatchObject({ used: 3, probeUntilMs: undefined });
  });
});

describe('the current window', () => {
  const told = { limit: 10, windowMs: HOUR };
  const state = { ...UNKNOWN, limit: 7, used: 4, windowEndsMs: T0 + 30_000 };

  it('is the known one while it lasts', () => {
    expect(currentWindow(state, T0, told)).toEqual({
      limit: 7,
      used: 4,
      windowEndsMs: T0 + 30_000,
    });
    expect(currentWindow(state, T0 + 29_999, undefined)?.used).toBe(4);
  });

  it('once it ended: the told window that holds now, nothing used; unknown when learned', () => {
    expect(currentWindow(state, T0 + 30_000, told)).toEqual({
      limit: 7,
      used: 0,
      windowEndsMs: T0 + HOUR,
    });
    expect(currentWindow({ ...state, limit: undefined }, T0 + HOUR, told)).toEqual({
      limit: 10,
      used: 0,
      windowEndsMs: T0 + 2 * HOUR,
    });
    expect(currentWindow(state, T0 + 30_000, undefined)).toBeUndefined();
  });
});
