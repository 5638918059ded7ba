/** The project's refresh budget on zkEVM: requests per window, the window opened by use. */
import type { BudgetRules } from './limits.js';
import type { ZkEvmBudgetSnapshot } from './types.js';

/**
 * Counts accepted refresh requests. Unlike the Immutable X engine's clock-aligned windows, a
 * window here opens with the first accepted request and lasts `windowMs`: the platform's sample
 * reset (`11:06:07.401553`) is not on a boundary. Check-and-spend is one synchronous step, so
 * concurrent requests can never overspend.
 *
 * What `retry-after` says is decided here and nowhere else (see `ZkEvmLimits.retryAfter`):
 * - none left, under either reading: the time to the reset;
 * - `window`: the time to the reset, while pushes are still accepted;
 * - `pacing`: the time until the next push is accepted. The spacing ends with its window, so the
 *   first push of a new window is accepted at once.
 */
export class RollingBudget {
  #openedAtMs: number | undefined;
  #used = 0;
  /** Under `pacing`, when the spacing after the last accepted push ends. */
  #pacedUntilMs: number | undefined;

  constructor(readonly rules: BudgetRules) {}

  #expire(nowMs: number): void {
    const opened = this.#openedAtMs;
    // A clock set backwards before the window opened also ends it: the window is then unknowable.
    if (opened !== undefined && (nowMs >= opened + this.rules.windowMs || nowMs < opened)) {
      this.reset();
    }
  }

  /** The budget now, without spending. */
  peek(nowMs: number): ZkEvmBudgetSnapshot {
    this.#expire(nowMs);
    const remaining = Math.max(0, this.rules.limit - this.#used);
    const resetAtMs = (this.#openedAtMs ?? nowMs) + this.rules.windowMs;
    // Never set under `window`, so 0 there.
    const untilPaced = Math.max(0, Math.min(this.#pacedUntilMs ?? nowMs, resetAtMs) - nowMs);
    const budget = {
      limit: this.rules.limit,
      remaining,
      resetAtMs,
      retryAfterMs: this.rules.retryAfter === 'window' ? resetAtMs - nowMs : untilPaced,
      waitMs: untilPaced,
    };
    return remaining > 0 ? budget : spentBudget(budget, nowMs);
  }

  /** Spends one request if one would be accepted now; returns whether it did, and the budget after. */
  take(nowMs: number): { accepted: boolean; budget: ZkEvmBudgetSnapshot } {
    const before = this.peek(nowMs);
    if (before.remaining < 1 || before.waitMs > 0) return { accepted: false, budget: before };
    this.#openedAtMs ??= nowMs;
    this.#used += 1;
    if (this.rules.retryAfter === 'pacing') this.#pacedUntilMs = nowMs + this.rules.pacingMs;
    return { accepted: true, budget: this.peek(nowMs) };
  }

  /** Sets what is left in the current window, opening one if none is open (a test control). */
  setRemaining(remaining: number, nowMs: number): void {
    this.#expire(nowMs);
    this.#openedAtMs ??= nowMs;
    this.#used = this.rules.limit - remaining;
  }

  /** Forgets all spending. */
  reset(): void {
    this.#openedAtMs = undefined;
    this.#used = 0;
    this.#pacedUntilMs = undefined;
  }
}

/**
 * The budget as a refusal for a spent window carries it: none left, and the time to the reset
 * (what a real 429 says under either reading). For adapters that refuse on their own, such as an
 * injected failure.
 */
export function spentBudget(budget: ZkEvmBudgetSnapshot, nowMs: number): ZkEvmBudgetSnapshot {
  const untilReset = Math.max(0, budget.resetAtMs - nowMs);
  return { ...budget, remaining: 0, retryAfterMs: untilReset, waitMs: untilReset };
}
