/** The project's refresh budget: a fixed number of accepted requests per window. */
import { RATE_LIMIT_HEADERS } from '../../wire/rate-limit.js';

/** The budget as reported in the rate-limit headers. */
export interface BudgetState {
  limit: number;
  remaining: number;
  /** Unix seconds of the next window boundary. */
  resetSeconds: number;
}

/**
 * Counts accepted refresh requests in fixed windows aligned to the epoch (clock hours by
 * default). `take` checks and spends in one synchronous step, so concurrent requests can never
 * overspend it. One service is one project, so there is one budget.
 */
export class RefreshBudget {
  #window = Number.NaN;
  #used = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  #usedNow(nowMs: number): number {
    const window = Math.floor(nowMs / this.windowMs);
    if (window !== this.#window) {
      this.#window = window;
      this.#used = 0;
    }
    return this.#used;
  }

  /** The budget without spending it. */
  peek(nowMs: number): BudgetState {
    const used = this.#usedNow(nowMs);
    return {
      limit: this.limit,
      remaining: Math.max(0, this.limit - used),
      resetSeconds: Math.round(((this.#window + 1) * this.windowMs) / 1000),
    };
  }

  /** Spends one request if any is left; returns whether it did, and the state after. */
  take(nowMs: number): { accepted: boolean; state: BudgetState } {
    if (this.peek(nowMs).remaining < 1) return { accepted: false, state: this.peek(nowMs) };
    this.#used += 1;
    return { accepted: true, state: this.peek(nowMs) };
  }

  /** Sets what is left in the current window (a test control); above `limit` is allowed. */
  setRemaining(remaining: number, nowMs: number): void {
    this.#usedNow(nowMs);
    this.#used = this.limit - remaining;
  }

  /** Forgets all spending. */
  reset(): void {
    this.#window = Number.NaN;
    this.#used = 0;
  }
}

/** The budget as the three rate-limit headers every refresh answer (202 or 429) carries. */
export function rateLimitHeaders(state: BudgetState): Record<string, string> {
  return {
    [RATE_LIMIT_HEADERS.limit]: String(state.limit),
    [RATE_LIMIT_HEADERS.remaining]: String(state.remaining),
    [RATE_LIMIT_HEADERS.reset]: String(state.resetSeconds),
  };
}
