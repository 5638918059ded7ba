import { CLOCK_SKEW_MS, type Clock } from '../clock.js';
import { TimeoutError } from '../errors.js';
import { REFRESH_POLL } from '../wire/limits.js';
import type { Refresh, RefreshSummary } from '../wire/mappers.js';
import { type PollStep, pollWithBackoff } from './poll.js';

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

/** Tokens done: the progress a rate is measured in. */
const doneOf = (refresh: Refresh) => refresh.summary.succeeded + refresh.summary.failed;

/** A point progress is measured from: a time (ms) and the tokens done by then. */
interface Mark {
  at: number;
  done: number;
}

/**
 * How long until the tokens still pending are done, in ms, at the faster of two rates: since
 * the refresh started (its `startedAt`, nothing done then: this knows the rate on the first poll,
 * a waiter that came late included) and since the first poll (this leaves out any time the
 * refresh sat queued). Never under `floor`; undefined while neither rate is known.
 */
function untilDone(marks: Mark[], now: number, refresh: Refresh, floor: number) {
  let soonest: number | undefined;
  for (const mark of marks) {
    const done = doneOf(refresh) - mark.done;
    if (done <= 0 || !(now > mark.at)) continue;
    const ms = (refresh.summary.pending * (now - mark.at)) / done;
    soonest = Math.min(soonest ?? ms, ms);
  }
  return soonest === undefined ? undefined : Math.max(floor, Math.ceil(soonest));
}

/**
 * Polls `getRefresh` until the refresh is `completed` and returns it. The interval starts at
 * `pollIntervalMs`, grows by half on each poll that shows no progress (capped at
 * `maxPollIntervalMs`) and drops back when progress shows. When the rate of progress says the
 * refresh will be done before the next poll, that poll comes when it should be done instead
 * (never sooner than `REFRESH_POLL.minMs`), backing off by a quarter from there while nothing
 * changes: a poll at the interval would notice completion up to an interval late.
 */
export async function pollUntilCompleted(
  getRefresh: (signal: AbortSignal | undefined) => Promise<Refresh>,
  clock: Clock,
  options: WaitForRefreshOptions = {},
): Promise<Refresh> {
  const initialMs = options.pollIntervalMs ?? REFRESH_POLL.initialMs;
  const { onProgress } = options;
  const floor = Math.min(initialMs, REFRESH_POLL.minMs);
  // The wait the rate of progress suggests, when it is known.
  let soon: number | undefined;
  let first: Mark | undefined;
  let last: Refresh | undefined;
  return pollWithBackoff(
    async (signal): Promise<PollStep<Refresh>> => {
      const refresh = await getRefresh(signal);
      const now = clock.now();
      first ??= { at: now, done: doneOf(refresh) };
      const progressed = !last || !sameProgress(last, refresh);
      if (progressed) {
        onProgress?.(refresh);
        // The server's clock is not ours: taking its start as up to CLOCK_SKEW_MS earlier means a
        // server that runs ahead cannot make the rate look faster (and the polls come too soon);
        // one that runs behind only makes the estimate later, and the interval still bounds it.
        const started = { at: Date.parse(refresh.startedAt) - CLOCK_SKEW_MS, done: 0 };
        soon = untilDone([started, first], now, refresh, floor);
      } else if (soon !== undefined) {
        soon *= REFRESH_POLL.nearFactor;
      }
      last = refresh;
      if (refresh.status === 'completed') return { done: true, value: refresh };
      return { done: false, progressed, soonMs: soon };
    },
    {
      clock,
      initialMs,
      factor: REFRESH_POLL.factor,
      maxMs: Math.max(initialMs, options.maxPollIntervalMs ?? REFRESH_POLL.maxMs),
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      timedOut: () =>
        new TimeoutError(
          `Refresh ${last?.refreshId} did not complete within ${options.timeoutMs} ms (last status ${last?.status}, ${last?.summary.pending} pending)`,
        ),
    },
  );
}
