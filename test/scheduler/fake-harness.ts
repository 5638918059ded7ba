/**
 * A scheduler on a fake target (./fake-target.ts) and an injected clock: no HTTP, no signing,
 * nothing real to wait for, so a run is only microtasks and is the same on a loaded machine.
 */
import {
  AbortError,
  type Clock,
  RefreshScheduler,
  type RefreshSchedulerOptions,
  type SchedulerEvent,
} from '../../src/index.js';
import { createTestClock, type TestClock } from '../support/fixtures.js';
import { type FakeTarget, type FakeTargetOptions, fakeTarget } from './fake-target.js';

export const COLLECTION = `0x${'9a'.repeat(20)}`;
export const OTHER = `0x${'cd'.repeat(20)}`;
export const HOUR = 3_600_000;
export const START = Date.parse('2030-01-01T10:00:00Z');

export const ids = (n: number, prefix = 't') =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}`);

export type Timed = SchedulerEvent & { at: number };

/** Events of one type, narrowed. */
export function ofType<T extends SchedulerEvent['type']>(events: Timed[], type: T) {
  return events.filter(
    (e): e is Extract<SchedulerEvent, { type: T }> & { at: number } => e.type === type,
  );
}

/** Final events (`tokenSucceeded`, `tokenFailed`) per token id, in order. */
export function finalsOf(events: Timed[]): Map<string, Timed[]> {
  const out = new Map<string, Timed[]>();
  for (const e of events) {
    if (e.type === 'tokenSucceeded' || e.type === 'tokenFailed') {
      out.set(e.tokenId, [...(out.get(e.tokenId) ?? []), e]);
    }
  }
  return out;
}

/** How many of `times` fall in each window of `windowMs` aligned to the epoch. */
export function perAlignedWindow(times: number[], windowMs: number): number[] {
  const counts = new Map<number, number>();
  for (const at of times) {
    const w = Math.floor(at / windowMs);
    counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return [...counts.values()];
}

/** Counts per window that opens with the first time after the last one ended (zkEVM's rule). */
export function perOpenedWindow(times: number[], windowMs: number): number[] {
  const counts: number[] = [];
  let opened = Number.NEGATIVE_INFINITY;
  for (const at of times) {
    if (at >= opened + windowMs) {
      opened = at;
      counts.push(0);
    }
    counts[counts.length - 1] = (counts.at(-1) ?? 0) + 1;
  }
  return counts;
}

export interface FakeRun {
  clock: TestClock;
  target: FakeTarget;
  scheduler: RefreshScheduler;
  events: Timed[];
  finals(): Map<string, Timed[]>;
  /** start(), drained(), stop(). */
  drain(): Promise<void>;
  /** Also calls `listener` with every event, as it happens (a game reacting to the scheduler). */
  listen(listener: (event: SchedulerEvent) => void): void;
}

/**
 * One scheduler on a fake target and a test clock whose `sleep` returns at once, moving time:
 * the loop runs straight through virtual hours.
 */
export function fakeRun(
  target: Omit<FakeTargetOptions, 'clock'>,
  options: Partial<RefreshSchedulerOptions> = {},
  start = START,
): FakeRun {
  const clock = createTestClock(start);
  return onClock(clock, fakeTarget({ clock, ...target }), options);
}

/** A scheduler on `target` and `clock`, recording its events with the clock's time. */
export function onClock(
  clock: TestClock | SteppedClock,
  target: FakeTarget,
  options: Partial<RefreshSchedulerOptions> = {},
): FakeRun {
  const events: Timed[] = [];
  const listeners: ((event: SchedulerEvent) => void)[] = [];
  const scheduler = new RefreshScheduler({
    target,
    clock,
    pollIntervalMs: 1_000,
    onEvent: (e) => {
      events.push({ ...e, at: clock.now() });
      for (const listener of listeners) listener(e);
    },
    ...options,
  });
  return {
    clock: clock as TestClock,
    target,
    scheduler,
    events,
    finals: () => finalsOf(events),
    listen: (listener) => listeners.push(listener),
    async drain() {
      scheduler.start();
      await scheduler.drained();
      await scheduler.stop();
    },
  };
}

/**
 * A clock for several schedulers at once: a sleep is a timer, and `run` moves time to the
 * earliest timer only when nothing else can run. The fake target does no I/O, so "nothing else
 * can run" is "the microtask queue is empty", which one turn of the event loop guarantees.
 */
export interface SteppedClock extends Clock {
  set(ms: number): void;
  /** Moves time until `work` settles; throws past `maxMs` of virtual time or when stuck. */
  run<T>(work: Promise<T>, maxMs?: number): Promise<T>;
}

export function steppedClock(start = START): SteppedClock {
  let now = start;
  let seq = 0;
  let timers: { at: number; seq: number; fire: () => void }[] = [];
  const clock: SteppedClock = {
    now: () => now,
    set: (ms) => {
      now = ms;
    },
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(new AbortError('aborted', { cause: signal.reason }));
          return;
        }
        const timer = {
          at: now + Math.max(0, ms),
          seq: seq++,
          fire: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          timers = timers.filter((t) => t !== timer);
          reject(new AbortError('aborted', { cause: signal?.reason }));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        timers.push(timer);
      }),
    async run(work, maxMs = 24 * HOUR) {
      let done = false;
      const watched = work.finally(() => {
        done = true;
      });
      watched.catch(() => {});
      const until = now + maxMs;
      for (;;) {
        await new Promise((resolve) => setImmediate(resolve));
        if (done) return watched;
        const next = timers.reduce<(typeof timers)[number] | undefined>(
          (a, t) => (a === undefined || t.at < a.at || (t.at === a.at && t.seq < a.seq) ? t : a),
          undefined,
        );
        if (next === undefined) throw new Error('stuck: nothing to wait for, the work not done');
        if (next.at > until) throw new Error(`not done within ${maxMs} ms of virtual time`);
        timers = timers.filter((t) => t !== next);
        now = Math.max(now, next.at);
        next.fire();
      }
    },
  };
  return clock;
}
