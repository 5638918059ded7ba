import { describe, expect, it } from 'vitest';
import { nextPollIntervalMs, pollWithBackoff } from '../../src/client/poll.js';
import type { Clock } from '../../src/clock.js';
import { TimeoutError } from '../../src/errors.js';

/** A clock that records every sleep and moves its time by it. */
function recordingClock(): Clock & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

const backoff = { initialMs: 100, factor: 2, maxMs: 500 };

describe('pollWithBackoff: the one poll loop of every wait', () => {
  it('grows the wait while nothing changes, drops back on progress, caps it', async () => {
    const clock = recordingClock();
    const progress = [true, false, false, false, false, true, false];
    let polls = 0;
    const value = await pollWithBackoff(
      async () =>
        polls < progress.length
          ? { done: false, progressed: progress[polls++] as boolean }
          : { done: true, value: 'done' },
      { clock, ...backoff, timedOut: () => new TimeoutError('late') },
    );
    expect(value).toBe('done');
    expect(clock.sleeps).toEqual([100, 200, 400, 500, 500, 100, 200]);
  });

  it('takes a sooner wait when the poll knows one, and never sleeps past the deadline', async () => {
    const clock = recordingClock();
    await expect(
      pollWithBackoff(async () => ({ done: false, progressed: false, soonMs: 30 }), {
        clock,
        ...backoff,
        timeoutMs: 70,
        timedOut: () => new TimeoutError('late'),
      }),
    ).rejects.toThrow(TimeoutError);
    expect(clock.sleeps).toEqual([30, 30, 10]);
  });

  it('nextPollIntervalMs is the rule the scheduler follows its batches by', () => {
    expect(nextPollIntervalMs(100, false, backoff)).toBe(200);
    expect(nextPollIntervalMs(400, false, backoff)).toBe(500);
    expect(nextPollIntervalMs(400, true, backoff)).toBe(100);
  });
});
