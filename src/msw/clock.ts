/** A mock's clock: a base time plus whatever the test advanced it by. */

import type { Clock } from '../clock.js';
import { throwIfAborted } from '../clock.js';
import { optionChecks } from '../option-checks.js';

/** A {@link Clock} that a test can move forward, and put back. */
export interface OffsetClock extends Clock {
  /** Moves time forward by `ms` (checked: a non-negative number). */
  advance(ms: number): void;
  /** Back to the base time. */
  resetOffset(): void;
}

/**
 * `base.now()` plus an offset. `sleep(ms)` returns without waiting and moves the offset by
 * `ms`, after `beforeJump()` when given (a mock whose background work must not be outrun by
 * virtual time waits for it there).
 */
export function offsetClock(
  base: { now(): number },
  beforeJump?: (ms: number) => Promise<void>,
): OffsetClock {
  let offsetMs = 0;
  return {
    now: () => base.now() + offsetMs,
    async sleep(ms, signal) {
      throwIfAborted(signal);
      const step = Number.isNaN(ms) ? 0 : Math.max(0, ms);
      await beforeJump?.(step);
      offsetMs += step;
    },
    advance(ms) {
      offsetMs += optionChecks('advanceTime').nonNegativeNumber('ms', ms);
    },
    resetOffset() {
      offsetMs = 0;
    },
  };
}
