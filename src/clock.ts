import { AbortError } from './errors.js';

/**
 * The source of time for everything that waits: retries, `waitForRefresh`, the scheduler.
 * Inject your own to make tests deterministic instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the unix epoch. Never throws, and an implementation must not. */
  now(): number;
  /**
   * Resolves after `ms`.
   *
   * @throws {AbortError} as soon as `signal` aborts, with its reason as `cause`; nothing else.
   * An implementation must do the same: the SDK takes an `AbortError` as the wait being
   * cancelled, and does not expect any other rejection.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Throws `AbortError` (with the signal's reason as cause) when `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError('The operation was aborted', { cause: signal.reason });
}

/**
 * The longest delay `setTimeout` takes (2^31-1 ms, about 24.8 days). A longer one fires after
 * 1 ms with a `TimeoutOverflowWarning`: every wait longer than this is split into shorter timers.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * How far a server's clock is assumed to be from ours, at most, where a server's time is compared
 * with our clock (an NFT's `metadata_synced_at`, a refresh's `started_at`).
 */
export const CLOCK_SKEW_MS = 5_000;

/**
 * The real clock: `Date.now()` and `setTimeout`. `sleep` waits any length, split into timers of
 * at most 2³¹ − 1 ms (the longest timer Node keeps); a NaN or negative wait is no wait, `Infinity` lasts until the
 * signal aborts.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new AbortError('The operation was aborted', { cause: signal.reason }));
        return;
      }
      // Counted down by the timers themselves, not by reading a clock: works the same under fake
      // timers, and a wall-clock step neither stretches nor cuts the wait.
      let left = Number.isNaN(ms) ? 0 : Math.max(ms, 0);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        clearTimeout(timer);
        reject(new AbortError('The operation was aborted', { cause: signal?.reason }));
      };
      const wait = () => {
        const step = Math.min(left, MAX_TIMER_MS);
        left -= step;
        // At least one timer, even for 0 ms: a sleep always yields to the event loop.
        timer = setTimeout(() => {
          if (left > 0) {
            wait();
            return;
          }
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, step);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      wait();
    }),
};
