import { AbortError } from './errors.js';

/**
 * The source of time for everything that waits: retries, `waitForRefresh`, the scheduler.
 * Inject your own to make tests deterministic instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the unix epoch. */
  now(): number;
  /** Resolves after `ms`; rejects with `AbortError` as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Throws `AbortError` (with the signal's reason as cause) when `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError('The operation was aborted', { cause: signal.reason });
}

/** The real clock: `Date.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new AbortError('The operation was aborted', { cause: signal.reason }));
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(new AbortError('The operation was aborted', { cause: signal?.reason }));
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
