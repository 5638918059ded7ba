/**
 * Leases and stop(), through a fake target: a batch whose process died comes back after its
 * lease, a sent or uncertain batch is adopted and finished, a live process keeps its leases so
 * nothing is taken over from it, and stop() hands work back promptly. On injected clocks.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, MemoryStore } from '../../src/index.js';
import { COLLECTION, fakeRun, HOUR, ids, ofType, onClock, steppedClock } from './fake-harness.js';
import { fakeTarget } from './fake-target.js';

const fixed = { kind: 'fixed', limit: 10, windowMs: HOUR } as const;
const LEASE_MS = 240_000;

/** A batch another process took (and then died), straight through the store. */
async function takenElsewhere(store: MemoryStore, nowMs: number, tokenIds: string[]) {
  await store.enqueue({
    collectionAddress: COLLECTION,
    tokens: tokenIds.map((tokenId) => ({ tokenId, attempts: 0 })),
    nowMs,
  });
  const batch = await store.takeBatch({
    collectionAddress: COLLECTION,
    max: 1000,
    leaseUntilMs: nowMs + LEASE_MS,
    nowMs,
  });
  return batch?.batchId as string;
}

describe('leases', () => {
  it('gives the ids of a batch taken by a process that died back to pending after leaseMs', async () => {
    const store = new MemoryStore();
    const r = fakeRun({ budget: fixed }, { store, leaseMs: LEASE_MS, maxDelayMs: 0 });
    const t0 = r.clock.now();
    await takenElsewhere(store, t0, ids(3));
    expect(await r.scheduler.stats()).toMatchObject({ pending: 0, inFlight: 3 });
    await r.drain();
    expect(r.target.sends().map((s) => [s.at, s.tokenIds])).toEqual([[t0 + LEASE_MS, ids(3)]]);
    expect(r.finals().size).toBe(3);
  });

  it('adopts a sent batch whose follower died and follows it to the end, sending nothing', async () => {
    const store = new MemoryStore();
    const r = fakeRun({ budget: fixed }, { store, leaseMs: LEASE_MS });
    const t0 = r.clock.now();
    const batchId = await takenElsewhere(store, t0, ['9']);
    // The dead process's send landed, and it recorded the refresh before dying.
    const refreshId = r.target.seed(t0, batchId, ['9']);
    await expect(store.markSent({ batchId, refreshId, leaseUntilMs: t0 + LEASE_MS })).resolves.toBe(
      true,
    );
    await r.drain();
    expect(r.target.sends()).toEqual([]);
    // Taken up once its lease ran out, not before.
    const polls = r.target.calls.filter((c) => c.method === 'poll');
    expect(polls.map((c) => [c.at, c.tokenIds])).toEqual([[t0 + LEASE_MS, ['9']]]);
    expect(r.finals().get('9')).toEqual([
      expect.objectContaining({ type: 'tokenSucceeded', refreshId }),
    ]);
  });

  it('refuses a leaseMs shorter than the longest send, naming both', () => {
    expect(() => fakeRun({ budget: fixed, longestSendMs: 90_000 }, { leaseMs: 60_000 })).toThrow(
      InvalidRequestError,
    );
    expect(() => fakeRun({ budget: fixed, longestSendMs: 90_000 }, { leaseMs: 60_000 })).toThrow(
      /60000.*90000/,
    );
    expect(() =>
      fakeRun({ budget: fixed, longestSendMs: 90_000 }, { leaseMs: 90_000 }),
    ).not.toThrow();
  });

  it('finishes reconciling an uncertain send whose process died, after the longest send', async () => {
    const store = new MemoryStore({ windowMs: HOUR });
    const r = fakeRun(
      {
        budget: { kind: 'learned', limit: 10, windowMs: HOUR },
        settled: true,
        longestSendMs: 400_000,
      },
      { store, leaseMs: 400_000 },
    );
    const t0 = r.clock.now();
    const batchId = await takenElsewhere(store, t0, ['1', '2']);
    await store.markUncertain({ batchId, sentAtMs: t0, leaseUntilMs: t0 + 60_000 });
    await r.drain();
    // zkEVM cannot prove another process's push from here: it is pushed again, but only once
    // that push could no longer land after ours.
    expect(ofType(r.events, 'batchReconciled')[0]).toMatchObject({ accepted: false });
    expect(r.target.sends().map((s) => s.tokenIds)).toEqual([['1', '2']]);
    expect(r.target.sends()[0]?.at).toBeGreaterThanOrEqual(t0 + 400_000);
    expect(r.finals().size).toBe(2);
  });

  it('a live process keeps the leases of what it follows: a second process takes nothing over', async () => {
    const clock = steppedClock();
    const store = new MemoryStore({ windowMs: HOUR });
    // The outcome is known only after 12 polls (minutes, with the back-off): many 30 s leases.
    const target = fakeTarget({ clock, budget: fixed, pollsUntilDone: 12 });
    const options = { store, leaseMs: 30_000, maxDelayMs: 0, maxPollIntervalMs: 20_000 };
    const a = onClock(clock, target, options);
    const b = onClock(clock, target, { ...options, idlePollMs: 1_000 });
    await a.scheduler.enqueue(COLLECTION, ids(3));
    a.scheduler.start();
    b.scheduler.start();
    await clock.run(Promise.all([a.scheduler.drained(), b.scheduler.drained()]));
    await clock.run(Promise.all([a.scheduler.stop(), b.scheduler.stop()]));
    const sentAt = target.sends()[0]?.at ?? 0;
    const endedAt = ofType(a.events, 'tokenSucceeded')[0]?.at ?? 0;
    expect(endedAt - sentAt).toBeGreaterThan(3 * 30_000);
    expect(target.sends()).toHaveLength(1);
    expect(target.calls.filter((c) => c.method === 'poll')).toHaveLength(13);
    expect(b.events).toEqual([]);
    const finals = a.finals();
    expect(finals.size).toBe(3);
    expect([...finals.values()].every((f) => f.length === 1)).toBe(true);
  });
});

describe('stop()', () => {
  it('leaves pending ids in the store; stats reports them and the next send', async () => {
    const store = new MemoryStore();
    const r = fakeRun({ budget: fixed }, { store, maxDelayMs: HOUR });
    await r.scheduler.enqueue(COLLECTION, ids(10));
    r.scheduler.start();
    await r.scheduler.enqueue(COLLECTION, ids(5, 'x'));
    await r.scheduler.stop();
    expect(await store.counts()).toEqual({ pending: 15, inFlight: 0 });
    const stats = await r.scheduler.stats();
    expect(stats).toMatchObject({
      pending: 15,
      inFlight: 0,
      budget: { limit: 10, used: 0, remaining: 10 },
    });
    expect(stats.nextSendAt?.getTime()).toBe(r.clock.now() + HOUR);
    expect(r.target.sends()).toEqual([]);
  });

  it('resolves while a poll hangs, and hands the batch back for another process at once', async () => {
    const store = new MemoryStore();
    const r = fakeRun(
      { budget: fixed, pollAnswers: ['hang'] },
      { store, maxDelayMs: 0, leaseMs: LEASE_MS },
    );
    await r.scheduler.enqueue(COLLECTION, ['1']);
    r.scheduler.start();
    // The fake does no I/O: the loop reaches the hanging poll within a few turns of the event loop.
    for (let turn = 0; turn < 1_000 && !r.target.calls.some((c) => c.method === 'poll'); turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(r.target.calls.filter((c) => c.method === 'poll').map((c) => c.outcome)).toEqual([
      'hang',
    ]);
    await r.scheduler.stop();
    expect(ofType(r.events, 'error')).toEqual([]);
    expect(await r.scheduler.stats()).toMatchObject({ pending: 0, inFlight: 1 });
    // Handed back: its lease ends now, so another process adopts it without waiting leaseMs.
    const next = onClock(r.clock, r.target, { store, leaseMs: LEASE_MS });
    const t = r.clock.now();
    await next.drain();
    expect(next.finals().get('1')).toEqual([expect.objectContaining({ type: 'tokenSucceeded' })]);
    expect(r.target.calls.filter((c) => c.method === 'poll').at(-1)?.at).toBe(t);
    expect(r.target.sends()).toHaveLength(1);
  });

  it('stop() returns after the send in progress, and start() after stop() runs one loop', async () => {
    // A stepped clock: two loops at once would have two sends in flight at the same time.
    const clock = steppedClock();
    const target = fakeTarget({
      clock,
      budget: { ...fixed, limit: 100 },
      maxBatchSize: 10,
      sendMs: 500,
    });
    const r = onClock(clock, target, { maxDelayMs: 0 });
    await r.scheduler.enqueue(COLLECTION, ids(80));
    r.scheduler.start();
    const stopped = r.scheduler.stop();
    r.scheduler.start();
    await clock.run(stopped);
    await clock.run(r.scheduler.drained());
    await clock.run(r.scheduler.stop());
    expect(target.sends().map((s) => s.outcome)).toEqual(Array(8).fill('accepted'));
    const times = target.sends().map((s) => s.at);
    expect(times.every((at, i) => i === 0 || at - (times[i - 1] ?? 0) >= 500)).toBe(true);
    const finals = r.finals();
    expect(finals.size).toBe(80);
    expect([...finals.values()].every((f) => f.length === 1)).toBe(true);
  });
});
