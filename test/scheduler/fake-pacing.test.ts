/**
 * Pacing within the budget, through a fake target whose server refuses (429) any send past its
 * limit in a window: fixed windows (Immutable X) and learned ones (zkEVM), the reserve, requests
 * spent elsewhere, 429s and their waits, and the window guard. On the injected clock.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/index.js';
import {
  COLLECTION,
  fakeRun,
  HOUR,
  ids,
  ofType,
  perAlignedWindow,
  perOpenedWindow,
  START,
} from './fake-harness.js';

const MINUTE = 60_000;
const fixed = { kind: 'fixed', limit: 10, windowMs: HOUR } as const;

describe('a fixed budget (windows aligned to the epoch)', () => {
  it('paces 25 batches to 10 requests per window, without a single 429', async () => {
    const r = fakeRun({ budget: fixed, maxBatchSize: 10 });
    const t0 = r.clock.now();
    await r.scheduler.enqueue(COLLECTION, ids(250));
    await r.drain();
    expect(r.target.sends().map((s) => s.outcome)).toEqual(Array(25).fill('accepted'));
    expect(perAlignedWindow(r.target.landedAt(), HOUR)).toEqual([10, 10, 5]);
    const waits = ofType(r.events, 'budgetWait');
    expect(waits[0]?.until).toEqual(new Date(Math.floor(t0 / HOUR) * HOUR + HOUR));
    expect(r.finals().size).toBe(250);
  });

  it('keeps the reserve free for people and tools', async () => {
    const r = fakeRun({ budget: fixed, maxBatchSize: 10 }, { budget: { limit: 10, reserve: 3 } });
    await r.scheduler.enqueue(COLLECTION, ids(90));
    await r.drain();
    expect(perAlignedWindow(r.target.landedAt(), HOUR)).toEqual([7, 2]);
    expect(r.target.sends().every((s) => s.outcome === 'accepted')).toBe(true);
  });

  it('believes the server: requests spent elsewhere shrink this window without a 429', async () => {
    const r = fakeRun({ budget: fixed, maxBatchSize: 10 });
    r.target.spend(7);
    await r.scheduler.enqueue(COLLECTION, ids(50));
    await r.drain();
    expect(r.target.sends().every((s) => s.outcome === 'accepted')).toBe(true);
    expect(perAlignedWindow(r.target.landedAt(), HOUR)[0]).toBe(3);
  });

  it('stats() tells the budget before start() and after each send', async () => {
    const r = fakeRun({ budget: fixed }, { maxDelayMs: 1_000 });
    await r.scheduler.enqueue(COLLECTION, ['1', '2', '2']);
    const before = await r.scheduler.stats();
    expect(before).toMatchObject({ pending: 2, inFlight: 0, following: 0, nextSendAt: undefined });
    expect(before.budget).toMatchObject({ limit: 10, used: 0, remaining: 10 });
    expect(before.budget.windowEndsAt?.getTime()).toBe(
      Math.floor(r.clock.now() / HOUR) * HOUR + HOUR,
    );
    r.scheduler.start();
    await r.scheduler.drained();
    await r.scheduler.enqueue(COLLECTION, ['3']);
    const after = await r.scheduler.stats();
    await r.scheduler.stop();
    expect(after).toMatchObject({ pending: 1, inFlight: 0 });
    expect(after.budget).toMatchObject({ used: 1, remaining: 9 });
  });

  it('puts a batch refused with 429 back untouched and sends it after the reset', async () => {
    const r = fakeRun({ budget: fixed, answers: [{ kind: 'rateLimited' }] }, { maxDelayMs: 0 });
    await r.scheduler.enqueue(COLLECTION, ids(5));
    await r.drain();
    const [refused, sent] = r.target.sends();
    expect([refused?.outcome, sent?.outcome]).toEqual(['rateLimited', 'accepted']);
    expect(sent?.tokenIds).toEqual(refused?.tokenIds);
    expect(Math.floor((sent?.at ?? 0) / HOUR)).toBe(Math.floor((refused?.at ?? 0) / HOUR) + 1);
    expect(ofType(r.events, 'batchSent').map((e) => e.tokenIds)).toEqual([ids(5)]);
    expect(r.finals().size).toBe(5);
  });

  it('does not believe a 429 that asks to wait for years: it waits one window at most', async () => {
    const years = 1e12;
    const r = fakeRun(
      {
        budget: fixed,
        answers: [
          { kind: 'rateLimited', report: { retryAfterMs: years, resetAtMs: START + years } },
        ],
      },
      { maxDelayMs: 0 },
    );
    const t0 = r.clock.now();
    await r.scheduler.enqueue(COLLECTION, ['1']);
    await r.drain();
    expect(r.target.sends().map((s) => s.outcome)).toEqual(['rateLimited', 'accepted']);
    expect(r.target.sends()[1]?.at).toBeLessThanOrEqual(t0 + HOUR);
    expect(ofType(r.events, 'budgetWait')[0]?.until.getTime()).toBeLessThanOrEqual(t0 + HOUR);
  });

  it('starts no request in the last windowGuardMs of a window', async () => {
    const r = fakeRun(
      { budget: fixed },
      { maxDelayMs: 0, windowGuardMs: 5_000 },
      Date.parse('2030-01-01T10:59:57Z'),
    );
    await r.scheduler.enqueue(COLLECTION, ['1']);
    await r.drain();
    expect(r.target.sends().map((s) => s.at)).toEqual([Date.parse('2030-01-01T11:00:00Z')]);
  });

  it("counts in the store's window: budget.windowMs defaults to store.windowMs", async () => {
    const store = new MemoryStore({ windowMs: 10 * MINUTE });
    const r = fakeRun(
      { budget: { ...fixed, windowMs: 10 * MINUTE }, advertisedWindowMs: HOUR, maxBatchSize: 10 },
      { store },
    );
    await r.scheduler.enqueue(COLLECTION, ids(150));
    await r.drain();
    expect(r.target.sends().map((s) => s.outcome)).toEqual(Array(15).fill('accepted'));
    expect(perAlignedWindow(r.target.landedAt(), 10 * MINUTE)).toEqual([10, 5]);
    const landed = r.target.landedAt();
    expect((landed.at(-1) ?? 0) - (landed[0] ?? 0)).toBeLessThan(20 * MINUTE);
  });

  it('makes its memory store with its own window (budget.windowMs) when none is given', async () => {
    const r = fakeRun(
      { budget: { ...fixed, windowMs: 10 * MINUTE }, advertisedWindowMs: HOUR, maxBatchSize: 10 },
      { budget: { windowMs: 10 * MINUTE } },
    );
    await r.scheduler.enqueue(COLLECTION, ids(150));
    const { budget } = await r.scheduler.stats();
    expect((budget.windowEndsAt?.getTime() ?? 0) % (10 * MINUTE)).toBe(0);
    expect((budget.windowEndsAt?.getTime() ?? 0) - r.clock.now()).toBeLessThanOrEqual(10 * MINUTE);
    await r.drain();
    expect(perAlignedWindow(r.target.landedAt(), 10 * MINUTE)).toEqual([10, 5]);
  });
});

describe('a learned budget (windows the server opens)', () => {
  const learned = { kind: 'learned', limit: 12, windowMs: MINUTE } as const;

  it('learns the limit from the first answer, spends every window in full, never over it', async () => {
    const r = fakeRun(
      { budget: learned, settled: true, maxBatchSize: 10 },
      { budget: { reserve: 2 } },
    );
    await r.scheduler.enqueue(COLLECTION, ids(250));
    const before = await r.scheduler.stats();
    expect(before.budget).toMatchObject({ limit: undefined, remaining: undefined });
    r.scheduler.start();
    await r.scheduler.drained();
    const after = await r.scheduler.stats();
    await r.scheduler.stop();
    expect(after.budget.limit).toBe(10);
    expect(r.target.sends().every((s) => s.outcome === 'accepted')).toBe(true);
    // 25 pushes, the limit less the reserve in every window but the last.
    expect(perOpenedWindow(r.target.landedAt(), MINUTE)).toEqual([10, 10, 5]);
    expect(ofType(r.events, 'budgetWait').length).toBeGreaterThan(0);
    expect(r.finals().size).toBe(250);
  });

  it('caps the learned limit with budget.limit', async () => {
    const r = fakeRun(
      { budget: learned, settled: true, maxBatchSize: 10 },
      { budget: { limit: 4 } },
    );
    await r.scheduler.enqueue(COLLECTION, ids(100));
    await r.drain();
    expect(perOpenedWindow(r.target.landedAt(), MINUTE)).toEqual([4, 4, 2]);
    expect(r.target.sends().every((s) => s.outcome === 'accepted')).toBe(true);
  });

  it('after a 429 with retry-after 30 s, nothing is sent for 30 s, then sends resume', async () => {
    const r = fakeRun(
      {
        budget: { ...learned, windowMs: HOUR },
        settled: true,
        maxBatchSize: 10,
        answers: [
          { kind: 'accept' },
          { kind: 'rateLimited', report: { remaining: 5, retryAfterMs: 30_000 } },
        ],
      },
      { maxDelayMs: 0 },
    );
    await r.scheduler.enqueue(COLLECTION, ids(40));
    await r.drain();
    const sends = r.target.sends();
    expect(sends.map((s) => s.outcome)).toEqual([
      'accepted',
      'rateLimited',
      'accepted',
      'accepted',
      'accepted',
    ]);
    const refusedAt = sends[1]?.at ?? 0;
    expect(sends[2]?.at).toBe(refusedAt + 30_000);
    expect(ofType(r.events, 'budgetWait')[0]?.until.getTime()).toBe(refusedAt + 30_000);
    // The refused batch went out next, untouched.
    expect(sends[2]?.tokenIds).toEqual(sends[1]?.tokenIds);
  });

  it('after a 202 with nothing left, the next send waits for the reset', async () => {
    const r = fakeRun(
      { budget: { ...learned, limit: 2 }, settled: true, maxBatchSize: 10 },
      { maxDelayMs: 0 },
    );
    await r.scheduler.enqueue(COLLECTION, ids(30));
    await r.drain();
    const landed = r.target.landedAt();
    expect(landed[2]).toBe((landed[0] ?? 0) + MINUTE);
    expect(r.target.sends().every((s) => s.outcome === 'accepted')).toBe(true);
  });

  it('hostile counts and an infinite wait in an answer leave the budget numeric', async () => {
    const r = fakeRun(
      {
        budget: learned,
        settled: true,
        maxBatchSize: 10,
        answers: [
          {
            kind: 'accept',
            report: {
              limit: 2 ** 64,
              remaining: Number.NaN,
              retryAfterMs: Number.POSITIVE_INFINITY,
            },
          },
        ],
      },
      { maxDelayMs: 0 },
    );
    await r.scheduler.enqueue(COLLECTION, ids(30));
    await r.drain();
    const { budget } = await r.scheduler.stats();
    for (const n of [budget.used, budget.limit, budget.remaining]) {
      if (n !== undefined) expect(Number.isFinite(n)).toBe(true);
    }
    expect(r.target.sends().every((s) => s.outcome === 'accepted')).toBe(true);
    expect(r.finals().size).toBe(30);
  });
});
