/** The project's refresh budget on zkEVM: requests per window, the window opened by use. */
import type { ZkEvmBudgetSnapshot } from './types.js';

/**
 * Counts accepted refresh requests. Unlike the Immutable X engine's clock-aligned windows, a
 * window here opens with the first accepted request and lasts `windowMs`: the platform's sample
 * reset (`11:06:07.401553`) is not on a boundary. Check-and-spend is one synchronous step, so
 * concurrent requests can never overspend.
 */
export class RollingBudget {
  #openedAtMs: number | undefined;
  #used = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  #expire(nowMs: number): void {
    const opened = this.#openedAtMs;
    // A clock set backwards before the window opened also ends it: the window is then unknowable.
    if (opened !== undefined && (nowMs >= opened + this.windowMs || nowMs < opened)) {
      this.#openedAtMs = undefined;
      this.#used = 0;
    }
  }

  /** The budget now, without spending. */
  peek(nowMs: number): ZkEvmBudgetSnapshot {
    this.#expire(nowMs);
    const remaining = Math.max(0, this.limit - this.#used);
    const resetAtMs = (this.#openedAtMs ?? nowMs) + this.windowMs;
    return {
      limit: this.limit,
      remaining,
      resetAtMs,
      retryAfterMs: remaining > 0 ? 0 : resetAtMs - nowMs,
    };
  }

  /** Spends one request if any is left; returns whether it did, and the budget after. */
  take(nowMs: number): { accepted: boolean; budget: ZkEvmBudgetSnapshot } {
    if (this.peek(nowMs).remaining < 1) return { accepted: false, budget: this.peek(nowMs) };
    this.#openedAtMs ??= nowMs;
    this.#used += 1;
    return { accepted: true, budget: this.peek(nowMs) };
  }

  /** Sets what is left in the current window, opening one if none is open (a test control). */
  setRemaining(remaining: number, nowMs: number): void {
    this.#expire(nowMs);
    this.#openedAtMs ??= nowMs;
    this.#used = this.limit - remaining;
  }

  /** Forgets all spending. */
  reset(): void {
    this.#openedAtMs = undefined;
    this.#used = 0;
  }
}
