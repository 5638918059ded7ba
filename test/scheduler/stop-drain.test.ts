/**
 * stop() never loses an id silently: it resolves with what the store still holds and with what
 * only this process holds (a memory store's ids, the outbox), raises a `lostAtExit` event for the
 * latter, and can drain first, within a time limit. Through a fake target, on injected clocks.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, MemoryStore, type SchedulerStore } from '../../src/index.js';
import {
  COLLECTION,
  fakeRun,
  HOUR,
  ids,
  OTHER,
  ofType,
  onClock,
  steppedClock,
} from './fake-harness.js';
import { fakeTarget } from './fake-target.js';

const fixed = { kind: 'fixed', limit: 10, windowMs: HOUR } as const;

/** The memory store as a store that outlives the process would look (no `idsLostAtExit`). */
function durable(store: MemoryStore): SchedulerStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'idsLostAtExit') return undefined;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('stop() with a memory store', () => {
  it('resolves with the ids that die with the process, and raises lostAtExit once', async () => {
    const r = fakeRun({ budget: fixed }, { maxDelayMs: HOUR });
    await r.scheduler.enqueue(COLLECTION, ids(3));
    await r.scheduler.enqueue(OTHER, ['9']);
    r.scheduler.start();
    const stopped = await r.scheduler.stop();
    expect(stopped).toEqual({
      unstored: [],
      pending: 4,
      lostAtExit: [
        { collectionAddress: COLLECTION, tokenIds: ['t0', 't1', 't2'] },
        { collectionAddress: OTHER, tokenIds: ['9'] },
      ],
    });
    expect(ofType(r.events, 'lostAtExit')).toEqual([
      expect.objectContaining({ ids: stopped.lostAtExit, count: 4 }),
    ]);
    expect(r.target.sends()).toEqual([]);
  });

  it('reports nothing lost once everything is sent', async () => {
    const r = fakeRun({ budget: fixed }, { maxDelayMs: 0 });
    await r.scheduler.enqueue(COLLECTION, ids(3));
    await r.drain();
    expect(ofType(r.events, 'lostAtExit')).toEqual([]);
    expect(await r.scheduler.stop()).toEqual({ unstored: [], pending: 0, lostAtExit: [] });
  });

  it('with a store that outlives the process, pending ids are reported but not lost', async () => {
    const store = new MemoryStore();
    const r = fakeRun({ budget: fixed }, { store: durable(store), maxDelayMs: HOUR });
    await r.scheduler.enqueue(COLLECTION, ids(5));
    expect(await r.scheduler.stop()).toEqual({ unstored: [], pending: 5, lostAtExit: [] });
    expect(ofType(r.events, 'lostAtExit')).toEqual([]);
  });
});

describe('stop({ drain: true })', () => {
  it('sends everything first, across budget windows, then stops', async () => {
    const r = fakeRun({ budget: { ...fixed, limit: 2 }, maxBatchSize: 10 }, { maxDelayMs: 0 });
    await r.scheduler.enqueue(COLLECTION, ids(45));
    r.scheduler.start();
    const stopped = await r.scheduler.stop({ drain: true });
    expect(stopped).toEqual({ unstored: [], pending: 0, lostAtExit: [] });
    expect(r.target.sends()).toHaveLength(5);
    expect(r.finals().size).toBe(45);
  });

  it('stops after timeoutMs of the scheduler clock, reporting what is left', async () => {
    // One request an hour: the second batch waits for the next window, past the 10 min limit.
    const clock = steppedClock();
    const target = fakeTarget({ clock, budget: { ...fixed, limit: 1 }, maxBatchSize: 10 });
    const r = onClock(clock, target, { maxDelayMs: 0 });
    await r.scheduler.enqueue(COLLECTION, ids(20));
    r.scheduler.start();
    const t0 = clock.now();
    const stopped = await clock.run(r.scheduler.stop({ drain: true, timeoutMs: 600_000 }));
    expect(clock.now() - t0).toBe(600_000);
    expect(target.sends()).toHaveLength(1);
    expect(stopped.pending).toBe(10);
    expect(stopped.lostAtExit).toEqual([
      { collectionAddress: COLLECTION, tokenIds: ids(20).slice(10) },
    ]);
  });

  it('before start() there is nothing sending: it stops at once', async () => {
    const r = fakeRun({ budget: fixed }, { maxDelayMs: 0 });
    await r.scheduler.enqueue(COLLECTION, ['1']);
    expect(await r.scheduler.stop({ drain: true })).toMatchObject({ pending: 1 });
    expect(r.target.sends()).toEqual([]);
  });

  it('refuses a timeoutMs that is not a positive number', async () => {
    const r = fakeRun({ budget: fixed });
    for (const timeoutMs of [0, -1, Number.NaN, '5' as unknown as number]) {
      await expect(r.scheduler.stop({ drain: true, timeoutMs })).rejects.toBeInstanceOf(
        InvalidRequestError,
      );
    }
  });
});
