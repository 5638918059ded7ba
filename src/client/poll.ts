/**
 * Polling with backoff, once for every wait: `waitForRefresh`, `waitForNftMetadata` and the
 * scheduler following its batches. The wait starts at `initialMs`, grows by `factor` after each
 * poll that shows no progress (never past `maxMs`) and drops back to `initialMs` when one does.
 * Time comes only from the injected clock.
 */
import { type Clock, throwIfAborted } from '../clock.js';

/** How the wait between polls grows. */
export interface Backoff {
  /** The first wait, and the wait after a poll that showed progress, in ms. */
  initialMs: number;
  /** The growth of the wait after each poll that showed none. */
  factor: number;
  /** The longest wait, in ms. */
  maxMs: number;
}

/** The wait after `intervalMs`: back to the first when the poll showed progress, else grown. */
export function nextPollIntervalMs(
  intervalMs: number,
  progressed: boolean,
  backoff: Backoff,
): number {
  return progressed ? backoff.initialMs : Math.min(backoff.maxMs, intervalMs * backoff.factor);
}

/** What one poll found. */
export type PollStep<T> =
  | { done: true; value: T }
  | {
      done: false;
      /** Whether this poll showed progress since the last (the first poll always does). */
      progressed: boolean;
      /** A shorter wait for the next poll, when the poll knows one (e.g. the estimated end). */
      soonMs?: number | undefined;
    };

/** How {@link pollWithBackoff} waits and when it gives up. */
export interface PollWithBackoffOptions extends Backoff {
  clock: Clock;
  /** Give up after this many ms: the poll that finds the time over throws `timedOut()`. */
  timeoutMs?: number | undefined;
  /** The error to throw once `timeoutMs` has passed. */
  timedOut: () => Error;
  signal?: AbortSignal | undefined;
}

/**
 * Calls `poll` until it is done and returns its value, sleeping on the clock between polls as
 * {@link nextPollIntervalMs} says (or `soonMs` when that is sooner), never past the deadline.
 *
 * @throws what `timedOut()` returns, once a poll that is not done finds `timeoutMs` passed.
 * @throws {AbortError} `signal` aborted.
 */
export async function pollWithBackoff<T>(
  poll: (signal: AbortSignal | undefined) => Promise<PollStep<T>>,
  options: PollWithBackoffOptions,
): Promise<T> {
  const { clock, signal } = options;
  const deadline = options.timeoutMs === undefined ? Infinity : clock.now() + options.timeoutMs;
  let interval = options.initialMs;
  for (;;) {
    throwIfAborted(signal);
    const step = await poll(signal);
    if (step.done) return step.value;
    interval = nextPollIntervalMs(interval, step.progressed, options);
    const left = deadline - clock.now();
    if (left <= 0) throw options.timedOut();
    await clock.sleep(Math.min(interval, step.soonMs ?? interval, left), signal);
  }
}
