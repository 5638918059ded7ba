import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidRequestError, MemoryStore } from '../../src/index.js';
import { COLLECTION } from '../support/fixtures.js';
import { harness, server } from './harness.js';

// End to end through the real client, msw and the reference engine. The scheduler's rules on
// their own (pacing, the reserve, windows, leases, stop) are tested through a fake target in
// fake-*.test.ts, in milliseconds; these keep the whole path honest.

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const ids = (n: number, prefix = 't') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const HOUR = 3_600_000;

describe('batching', () => {
  it('sends full batches under a backlog, the rest after maxDelayMs, each id ending exactly once', async () => {
    const h = harness({ maxDelayMs: 60_000 });
    const t0 = h.clock.now();
    await h.scheduler.enqueue(COLLECTION, ids(1500));
    await h.scheduler.enqueue(COLLECTION, [...ids(1000, 't'), ...ids(1000, 'u')]);
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    const sent = h.events.filter((e) => e.type === 'batchSent');
    expect(sent.map((e) => e.type === 'batchSent' && e.tokenIds.length)).toEqual([1000, 1000, 500]);
    expect(sent[0]?.at).toBe(t0);
    expect(sent[2]?.at).toBeGreaterThanOrEqual(t0 + 60_000);
    const finals = h.finals();
    expect(finals.size).toBe(2500);
    expect(
      [...finals.values()].every((f) => f.length === 1 && f[0]?.type === 'tokenSucceeded'),
    ).toBe(true);
    expect(h.events.filter((e) => e.type === 'refreshCompleted')).toHaveLength(3);
  });

  it('deduplicates ids while pending and sends the oldest work first', async () => {
    const h = harness({ maxDelayMs: 1_000 });
    const other = `0x${'cd'.repeat(20)}`;
    await h.scheduler.enqueue(other, ['a', 'b']);
    h.clock.set(h.clock.now() + 10);
    await h.scheduler.enqueue(COLLECTION, ['1', '2', '2']);
    await h.scheduler.enqueue(COLLECTION, ['1', '3']);
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    const sent = h.events.flatMap((e) =>
      e.type === 'batchSent' ? [[e.collectionAddress, e.tokenIds]] : [],
    );
    expect(sent).toEqual([
      [other, ['a', 'b']],
      [COLLECTION, ['1', '2', '3']],
    ]);
  });

  it('stats() counts ids enqueued a moment ago, before start()', async () => {
    const h = harness({ maxDelayMs: 1_000 });
    await h.scheduler.enqueue(COLLECTION, ['1', '2', '2']);
    const before = await h.scheduler.stats();
    expect(before).toMatchObject({ pending: 2, inFlight: 0, following: 0, nextSendAt: undefined });
    expect(before.budget).toMatchObject({ used: 0, remaining: 10 });
    expect(before.budget.windowEndsAt?.getTime()).toBeGreaterThan(h.clock.now());
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.enqueue(COLLECTION, ['3']);
    const after = await h.scheduler.stats();
    await h.scheduler.stop();
    expect(after).toMatchObject({ pending: 1, inFlight: 0 });
    expect(after.budget).toMatchObject({ used: 1, remaining: 9 });
  });

  it('refuses bad input at enqueue, never later', async () => {
    const h = harness();
    await expect(h.scheduler.enqueue('0x12', ['1'])).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(h.scheduler.enqueue(COLLECTION, [])).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(h.scheduler.enqueue(COLLECTION, ['1', ''])).rejects.toThrow(
      /non-empty, well-formed strings/,
    );
    for (const id of ['.', '..']) {
      await expect(h.scheduler.enqueue(COLLECTION, ['1', id])).rejects.toThrow(
        /other than "." and ".."; invalid: "\.\.?"/,
      );
    }
    await expect(h.scheduler.enqueue(COLLECTION, [7 as unknown as string])).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
    expect((await h.scheduler.stats()).pending).toBe(0);
  });
});

describe('budget', () => {
  it('paces 15,000 ids to 10 requests per window without a single 429', async () => {
    const h = harness();
    const t0 = h.clock.now();
    await h.scheduler.enqueue(COLLECTION, ids(15_000));
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    expect(h.posts.map((p) => p.status)).toEqual(Array(15).fill(202));
    const perWindow = new Map<number, number>();
    for (const p of h.posts)
      perWindow.set(Math.floor(p.at / HOUR), (perWindow.get(Math.floor(p.at / HOUR)) ?? 0) + 1);
    expect([...perWindow.values()]).toEqual([10, 5]);
    const waits = h.events.filter((e) => e.type === 'budgetWait');
    expect(waits[0]).toMatchObject({ until: new Date(Math.floor(t0 / HOUR) * HOUR + HOUR) });
    expect(h.finals().size).toBe(15_000);
  });

  it('puts a batch refused with 429 back untouched and waits for the reset', async () => {
    const h = harness();
    h.mock.failNext({ status: 429, method: 'POST' });
    await h.scheduler.enqueue(COLLECTION, ids(1000));
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    expect(h.posts.map((p) => p.status)).toEqual([429, 202]);
    expect(Math.floor((h.posts[1]?.at ?? 0) / HOUR)).toBe(
      Math.floor((h.posts[0]?.at ?? 0) / HOUR) + 1,
    );
    const sent = h.events.find((e) => e.type === 'batchSent');
    expect(sent?.type === 'batchSent' && sent.tokenIds).toEqual(ids(1000));
    expect(h.finals().size).toBe(1000);
  });
});

describe('budget window', () => {
  const MINUTE = 60_000;
  it("refuses a budget.windowMs that differs from the store's, naming both", () => {
    const store = new MemoryStore({ windowMs: 10 * MINUTE });
    const error = (() => {
      try {
        harness({ store, budget: { windowMs: HOUR } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toMatch(/3600000/);
    expect((error as Error).message).toMatch(/600000/);
    expect(() => harness({ store: new MemoryStore(), budget: { windowMs: 10 * MINUTE } })).toThrow(
      InvalidRequestError,
    );
    // Repeating the store's window is fine.
    expect(() => harness({ store, budget: { windowMs: 10 * MINUTE } })).not.toThrow();
    // A store without a window (written for the old interface) is refused, not guessed at.
    const noWindow = Object.create(MemoryStore.prototype) as MemoryStore;
    expect(noWindow.windowMs).toBeUndefined();
    expect(() => harness({ store: noWindow })).toThrow(/store\.windowMs/);
  });
});

describe('outcomes', () => {
  it('retries transient failures up to retry.attempts; reports the rest once', async () => {
    const calls = new Map<string, number>();
    const h = harness(
      { retry: { attempts: 3 }, maxDelayMs: 0 },
      {
        fetchAttempts: 1,
        resolveMetadata: (_c, tokenId) => {
          const n = (calls.get(tokenId) ?? 0) + 1;
          calls.set(tokenId, n);
          if (tokenId === 'flaky' && n < 3) throw new Error('timeout');
          if (tokenId === 'busy' && n < 2) return { status: 503, body: 'busy' };
          if (tokenId === 'down') throw new Error('ECONNREFUSED');
          if (tokenId === 'gone') return { status: 404, body: 'nope' };
          return { name: tokenId };
        },
      },
    );
    await h.scheduler.enqueue(COLLECTION, ['ok', 'flaky', 'busy', 'down', 'gone']);
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    const finals = h.finals();
    expect([...finals.values()].every((f) => f.length === 1)).toBe(true);
    const final = (id: string) => finals.get(id)?.[0];
    expect(final('ok')).toMatchObject({ type: 'tokenSucceeded' });
    expect(final('flaky')).toMatchObject({ type: 'tokenSucceeded' });
    expect(final('busy')).toMatchObject({ type: 'tokenSucceeded' });
    expect(final('down')).toMatchObject({
      type: 'tokenFailed',
      errorCode: 'unable_to_retrieve_metadata',
      attempts: 3,
    });
    expect(final('gone')).toMatchObject({
      type: 'tokenFailed',
      errorCode: 'invalid_response_status_code',
      attempts: 1,
    });
    expect(
      h.events
        .filter((e) => e.type === 'tokenRetried')
        .map((e) => e.type === 'tokenRetried' && e.tokenId),
    ).toEqual(['flaky', 'busy', 'down', 'flaky', 'down']);
  });

  it('reports ids of a batch the API refuses for good (unknown collection)', async () => {
    const h = harness({ maxDelayMs: 0 }, { collections: [{ address: `0x${'ee'.repeat(20)}` }] });
    await h.scheduler.enqueue(COLLECTION, ['1', '2']);
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    expect([...h.finals().values()].map((f) => f[0])).toEqual([
      expect.objectContaining({ type: 'tokenFailed', tokenId: '1', errorCode: 'not_found' }),
      expect.objectContaining({ type: 'tokenFailed', tokenId: '2', errorCode: 'not_found' }),
    ]);
  });

  it('re-sends a batch whose POST failed on the server side (at least once, never lost)', async () => {
    const h = harness({ maxDelayMs: 0 });
    h.mock.failNext({ status: 500, method: 'POST' });
    await h.scheduler.enqueue(COLLECTION, ['1']);
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    expect(h.posts.map((p) => p.status)).toEqual([500, 202]);
    expect(h.events.some((e) => e.type === 'error')).toBe(true);
    expect(h.finals().get('1')).toEqual([expect.objectContaining({ type: 'tokenSucceeded' })]);
  });
});

describe('leases', () => {
  // At least the client's longest send (3 attempts of 30 s and the waits between): see leaseMs.
  const LEASE_MS = 240_000;

  it('gives the ids of a batch taken by a process that died back to pending after leaseMs', async () => {
    const store = new MemoryStore();
    const h = harness({ store, leaseMs: LEASE_MS, maxDelayMs: 0 });
    const t0 = h.clock.now();
    await store.enqueue({
      collectionAddress: COLLECTION,
      tokens: ids(3).map((tokenId) => ({ tokenId, attempts: 0 })),
      nowMs: t0,
    });
    // Another process took the batch and died before sending it.
    await store.takeBatch({
      collectionAddress: COLLECTION,
      max: 1000,
      leaseUntilMs: t0 + LEASE_MS,
      nowMs: t0,
    });
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    expect(h.posts[0]?.at).toBeGreaterThanOrEqual(t0 + LEASE_MS);
    expect(h.finals().size).toBe(3);
  });

  it('adopts a sent batch whose follower died and follows it to the end', async () => {
    const store = new MemoryStore();
    const h = harness({ store, leaseMs: LEASE_MS });
    const t0 = h.clock.now();
    await store.enqueue({
      collectionAddress: COLLECTION,
      tokens: [{ tokenId: '9', attempts: 0 }],
      nowMs: t0,
    });
    const batch = await store.takeBatch({
      collectionAddress: COLLECTION,
      max: 1000,
      leaseUntilMs: t0 + LEASE_MS,
      nowMs: t0,
    });
    const refreshId = h.mock.seedRefresh({ collectionAddress: COLLECTION, succeeded: ['9'] });
    await store.markSent({
      batchId: batch?.batchId as string,
      refreshId,
      leaseUntilMs: t0 + LEASE_MS,
    });
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    expect(h.posts).toEqual([]);
    expect(h.finals().get('9')).toEqual([
      expect.objectContaining({ type: 'tokenSucceeded', refreshId }),
    ]);
  });
});

describe('review fixes', () => {
  it('fails a batch the API refuses for good (403) once, without spending more requests', async () => {
    const h = harness({ maxDelayMs: 0 }, { owner: `0x${'ab'.repeat(20)}` });
    await h.scheduler.enqueue(COLLECTION, ['1', '2']);
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    expect(h.posts.map((p) => p.status)).toEqual([403]);
    expect([...h.finals().values()].map((f) => f[0])).toEqual([
      expect.objectContaining({
        type: 'tokenFailed',
        tokenId: '1',
        errorCode: 'forbidden',
        attempts: 1,
      }),
      expect.objectContaining({
        type: 'tokenFailed',
        tokenId: '2',
        errorCode: 'forbidden',
        attempts: 1,
      }),
    ]);
  });
});
