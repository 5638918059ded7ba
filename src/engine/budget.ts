/** The per-project refresh budget: a fixed number of accepted requests per window. */

/** The budget as reported in the rate-limit headers. */
export interface BudgetState {
  limit: number;
  remaining: number;
  /** Unix seconds of the next window boundary. */
  resetSeconds: number;
}

/**
 * Counts accepted refresh requests per project in fixed windows aligned to the epoch (clock
 * hours by default). `take` checks and spends in one synchronous step, so concurrent requests
 * can never overspend it.
 */
export class RefreshBudget {
  readonly #used = new Map<string, { window: number; used: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  #usedIn(project: string, window: number): number {
    const entry = this.#used.get(project);
    return entry?.window === window ? entry.used : 0;
  }

  /** The budget without spending it. */
  peek(project: string, nowMs: number): BudgetState {
    const window = Math.floor(nowMs / this.windowMs);
    return {
      limit: this.limit,
      remaining: Math.max(0, this.limit - this.#usedIn(project, window)),
      resetSeconds: Math.round(((window + 1) * this.windowMs) / 1000),
    };
  }

  /** Spends one request if any is left; returns whether it did, and the state after. */
  take(project: string, nowMs: number): { accepted: boolean; state: BudgetState } {
    const before = this.peek(project, nowMs);
    if (before.remaining < 1) return { accepted: false, state: before };
    const window = Math.floor(nowMs / this.windowMs);
    this.#used.set(project, { window, used: this.#usedIn(project, window) + 1 });
    return { accepted: true, state: this.peek(project, nowMs) };
  }

  /** Sets what is left in the current window (a test control); above `limit` is allowed. */
  setRemaining(project: string, remaining: number, nowMs: number): void {
    const window = Math.floor(nowMs / this.windowMs);
    this.#used.set(project, { window, used: this.limit - remaining });
  }

  /** Forgets all spending. */
  reset(): void {
    this.#used.clear();
  }
}
