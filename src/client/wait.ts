import { type Clock, throwIfAborted } from '../clock.js';
import { TimeoutError } from '../errors.js';
import { REFRESH_POLL } from '../wire/limits.js';
import type { Refresh, RefreshSummary } from '../wire/mappers.js';

/** Options of `waitForRefresh`. */
export interface WaitForRefreshOptions {
  /** First wait between polls, in ms. Default 5000. */
  pollIntervalMs?: number | undefined;
  /** The wait grows by half each poll without progress, up to this. Default 60000. */
  maxPollIntervalMs?: number | undefined;
  /**
   * Give up with `TimeoutError` after this many ms (a poll in flight then gets at most one more
   * second, retries included). Default: no limit (the service estimates a refresh may take up to
   * 48 hours).
   */
  timeoutMs?: number | undefined;
  /** Stop waiting (rejects with `AbortError`). */
  signal?: AbortSignal | undefined;
  /** Called with the refresh on the first poll and whenever its summary or status changes. */
  onProgress?: ((refresh: Refresh) => void) | undefined;
}

function sameProgress(a: Refresh, b: Refresh): boolean {
  const s: RefreshSummary = a.summary;
  const t: RefreshSummary = b.summary;
  return (
    a.status === b.status &&
    s.succeeded === t.succeeded &&
    s.failed === t.failed &&
    s.pending === t.pending
  );
}

/**
 * Polls `getRefresh` until the refresh is `completed` and returns it. The interval starts at
 * `pollIntervalMs`, grows by half on each poll that shows no progress (capped at
 * `maxPollIntervalMs`) and drops back when progress shows.
 */
export async function pollUntilCompleted(
  getRefresh: (signal: AbortSignal | undefined) => Promise<Refresh>,
  clock: Clock,
  options: WaitForRefreshOptions = {},
): Promise<Refresh> {
  const initial = options.pollIntervalMs ?? REFRESH_POLL.initialMs;
  const max = Math.max(initial, options.maxPollIntervalMs ?? REFRESH_POLL.maxMs);
  const deadline = options.timeoutMs === undefined ? Infinity : clock.now() + options.timeoutMs;
  const { signal, onProgress } = options;
  let interval = initial;
  let last: Refresh | undefined;
  for (;;) {
    throwIfAborted(signal);
    const refresh = await getRefresh(signal);
    if (!last || !sameProgress(last, refresh)) {
      onProgress?.(refresh);
      interval = last ? initial : interval;
    } else {
      interval = Math.min(max, interval * REFRESH_POLL.factor);
    }
    last = refresh;
    if (refresh.status === 'completed') return refresh;
    const left = deadline - clock.now();
    if (left <= 0) {
      throw new TimeoutError(
        `Refresh ${refresh.refreshId} did not complete within ${options.timeoutMs} ms (last status ${refresh.status}, ${refresh.summary.pending} pending)`,
      );
    }
    await clock.sleep(Math.min(interval, left), signal);
  }
}
