/** Behaviour every SchedulerStore must have; run against the memory store and the Redis store. */
import { describe, expect, it } from 'vitest';
import type { SchedulerStore, SchedulerStoreOptions } from '../../src/index.js';
import {
  settleSlot,
  type TakeSlotParameters,
  takeSlot,
  UNKNOWN_BUDGET,
} from '../../src/scheduler/learned-budget.js';
import { updateBudget } from '../../src/scheduler/store.js';

const A = '0x9a48b1b27743d807331d06ecf0bfb15c06fdb58d';
const B = '0xabababababababababababababababababababab';
const fresh = (ids: string[]) => ids.map((tokenId) => ({ tokenId, attempts: 0 }));
const rule = { reserve: 0, cap: Number.POSITIVE_INFINITY, guardMs: 1_000, ttlMs: 30_000 };

/** Takes a slot as the scheduler does: the rule applied to the store's budget, compare-and-set. */
const take = (store: SchedulerStore, p: TakeSlotParameters) =>
  updateBudget(store, (state) => {
    const taken = takeSlot(state, p);
    return { state: taken.state, result: taken.slot };
  });

export function storeContract(
  name: string,
  make: (options?: SchedulerStoreOptions) => Promise<SchedulerStore>,
) {
  describe(`${name} store contract`, () => {
    it('deduplicates pending ids, keeps the first enqueue time, and hands out the oldest first', async () => {
      const store = await make();
      const now = Date.now();
      await store.enqueue({ collectionAddress: A, tokens: fresh(['3', '1']), nowMs: now });
      await store.enqueue({ collectionAddress: A, tokens: fresh(['1', '2']), nowMs: now + 10 });
      await store.enqueue({
        collectionAddress: B.toUpperCase().replace('0X', '0x'),
        tokens: fresh(['x']),
        nowMs: now + 20,
      });
      const collections = (await store.pendingCollections()).sort(
        (a, b) => a.oldestMs - b.oldestMs,
      );
      expect(collections).toEqual([
        { collectionAddress: A, count: 3, oldestMs: now },
        { collectionAddress: B, count: 1, oldestMs: now + 20 },
      ]);
      const batch = await store.takeBatch({
        collectionAddress: A,
        max: 2,
        leaseUntilMs: now + 1000,
        nowMs: now,
      });
      expect(batch?.tokens.map((t) => t.tokenId).sort()).toEqual(['1', '3']);
      expect(await store.counts()).toEqual({ pending: 2, inFlight: 2 });
      const rest = await store.takeBatch({
        collectionAddress: A,
        max: 1000,
        leaseUntilMs: now + 1000,
        nowMs: now,
      });
      expect(rest?.tokens.map((t) => t.tokenId)).toEqual(['2']);
      expect(
        await store.takeBatch({
          collectionAddress: A,
          max: 1000,
          leaseUntilMs: now + 1000,
          nowMs: now,
        }),
      ).toBeUndefined();
    });

    it('releases a batch back untouched: same ids, attempts and enqueue time', async () => {
      const store = await make();
      const now = Date.now();
      await store.enqueue({
        collectionAddress: A,
        tokens: [{ tokenId: 'r', attempts: 2 }, ...fresh(['s'])],
        nowMs: now - 5000,
      });
      const batch = await store.takeBatch({
        collectionAddress: A,
        max: 1000,
        leaseUntilMs: now + 1000,
        nowMs: now,
      });
      await store.releaseBatch({ batchId: batch?.batchId as string, nowMs: now });
      expect(await store.counts()).toEqual({ pending: 2, inFlight: 0 });
      expect((await store.pendingCollections())[0]?.oldestMs).toBe(now - 5000);
      const again = await store.takeBatch({
        collectionAddress: A,
        max: 1000,
        leaseUntilMs: now + 1000,
        nowMs: now,
      });
      expect(again?.tokens.find((t) => t.tokenId === 'r')?.attempts).toBe(2);
    });

    it('reclaims expired leases: unsent ids go back to pending, a sent batch is handed over', async () => {
      const store = await make();
      const now = Date.now();
      await store.enqueue({ collectionAddress: A, tokens: fresh(['u1', 'u2']), nowMs: now });
      const unsent = await store.takeBatch({
        collectionAddress: A,
        max: 1000,
        leaseUntilMs: now + 100,
        nowMs: now,
      });
      await store.enqueue({ collectionAddress: A, tokens: fresh(['s1']), nowMs: now });
      const sent = await store.takeBatch({
        collectionAddress: A,
        max: 1000,
        leaseUntilMs: now + 100,
        nowMs: now,
      });
      await store.markSent({
        batchId: sent?.batchId as string,
        refreshId: 'refresh-1',
        leaseUntilMs: now + 100,
      });
      await store.enqueue({ collectionAddress: A, tokens: fresh(['live']), nowMs: now });
      const live = await store.takeBatch({
        collectionAddress: A,
        max: 1000,
        leaseUntilMs: now + 60_000,
        nowMs: now,
      });
      expect(await store.reclaimExpired({ nowMs: now + 50, leaseUntilMs: now + 5000 })).toEqual([]);
      const adopted = await store.reclaimExpired({ nowMs: now + 200, leaseUntilMs: now + 5000 });
      expect(adopted).toEqual([
        expect.objectContaining({
          batchId: sent?.batchId,
          refreshId: 'refresh-1',
          leaseUntilMs: now + 5000,
        }),
      ]);
      expect(adopted[0]?.tokens.map((t) => t.tokenId)).toEqual(['s1']);
      expect(await store.counts()).toEqual({ pending: 2, inFlight: 2 });
      expect(unsent).toBeDefined();
      await store.completeBatch({ batchId: sent?.batchId as string });
      await store.renewLeases({ batchIds: [live?.batchId as string], leaseUntilMs: now + 120_000 });
      expect(
        await store.reclaimExpired({ nowMs: now + 90_000, leaseUntilMs: now + 200_000 }),
      ).toEqual([]);
      expect(await store.counts()).toEqual({ pending: 2, inFlight: 1 });
      await store.completeBatch({ batchId: live?.batchId as string });
      expect(await store.counts()).toEqual({ pending: 2, inFlight: 0 });
    });

    it('keeps an uncertain batch leased and hands it over for reconciliation when its lease runs out', async () => {
      const store = await make();
      const now = Date.now();
      await store.enqueue({ collectionAddress: A, tokens: fresh(['q1', 'q2']), nowMs: now });
      const batch = await store.takeBatch({
        collectionAddress: A,
        max: 1000,
        leaseUntilMs: now + 100,
        nowMs: now,
      });
      await store.markUncertain({
        batchId: batch?.batchId as string,
        sentAtMs: now - 7,
        leaseUntilMs: now + 100,
      });
      expect(await store.counts()).toEqual({ pending: 0, inFlight: 2 });
      const handed = await store.reclaimExpired({ nowMs: now + 200, leaseUntilMs: now + 5000 });
      expect(handed).toEqual([
        expect.objectContaining({
          batchId: batch?.batchId,
          refreshId: undefined,
          uncertainSinceMs: now - 7,
          leaseUntilMs: now + 5000,
        }),
      ]);
      expect(await store.counts()).toEqual({ pending: 0, inFlight: 2 });
      // Claimed by reconciliation: an ordinary sent batch from then on.
      expect(
        await store.markSent({
          batchId: batch?.batchId as string,
          refreshId: 'refresh-q',
          leaseUntilMs: now + 5000,
        }),
      ).toBe(true);
      const again = await store.reclaimExpired({ nowMs: now + 6000, leaseUntilMs: now + 9000 });
      expect(again[0]).toMatchObject({ refreshId: 'refresh-q', uncertainSinceMs: undefined });
    });

    it('lets one batch only claim a refresh id, also after that batch completed', async () => {
      const store = await make();
      const now = Date.now();
      await store.enqueue({ collectionAddress: A, tokens: fresh(['c1']), nowMs: now });
      const first = await store.takeBatch({
        collectionAddress: A,
        max: 1000,
        leaseUntilMs: now + 1000,
        nowMs: now,
      });
      await store.enqueue({ collectionAddress: A, tokens: fresh(['c2']), nowMs: now });
      const second = await store.takeBatch({
        collectionAddress: A,
        max: 1000,
        leaseUntilMs: now + 1000,
        nowMs: now,
      });
      const [a, b] = await Promise.all([
        store.markSent({
          batchId: first?.batchId as string,
          refreshId: 'refresh-c',
          leaseUntilMs: now + 1000,
        }),
        store.markSent({
          batchId: second?.batchId as string,
          refreshId: 'refresh-c',
          leaseUntilMs: now + 1000,
        }),
      ]);
      expect([a, b].sort()).toEqual([false, true]);
      await store.completeBatch({ batchId: (a ? first : second)?.batchId as string });
      expect(
        await store.markSent({
          batchId: (a ? second : first)?.batchId as string,
          refreshId: 'refresh-c',
          leaseUntilMs: now,
        }),
      ).toBe(false);
    });

    it('hands every id to exactly one of many concurrent takers', async () => {
      const store = await make();
      const now = Date.now();
      const ids = Array.from({ length: 2500 }, (_, i) => `t${i}`);
      await store.enqueue({ collectionAddress: A, tokens: fresh(ids), nowMs: now });
      const batches = await Promise.all(
        Array.from({ length: 8 }, () =>
          store.takeBatch({ collectionAddress: A, max: 400, leaseUntilMs: now + 1000, nowMs: now }),
        ),
      );
      const taken = batches.flatMap((b) => b?.tokens.map((t) => t.tokenId) ?? []);
      expect(taken).toHaveLength(2500);
      expect(new Set(taken).size).toBe(2500);
    });

    it('keeps the budget for compare-and-set: a write names the version it read', async () => {
      const hourly = await make();
      expect(hourly.windowMs).toBe(3_600_000);
      const store = await make({ windowMs: 7_000 });
      expect(store.windowMs).toBe(7_000);
      expect(await store.readBudget()).toEqual({ state: UNKNOWN_BUDGET, version: 0 });
      const state = {
        ...UNKNOWN_BUDGET,
        limit: 10,
        used: 3,
        windowEndsMs: 1_900_000_000_000,
        open: 2,
        blockedUntilMs: 1_900_000_000_500,
      };
      expect(await store.writeBudget({ state, version: 0 })).toBe(true);
      expect(await store.readBudget()).toEqual({ state, version: 1 });
      // Another process wrote since version 0 was read: nothing changes.
      expect(await store.writeBudget({ state: UNKNOWN_BUDGET, version: 0 })).toBe(false);
      expect(await store.readBudget()).toEqual({ state, version: 1 });
      expect(await store.writeBudget({ state: UNKNOWN_BUDGET, version: 1 })).toBe(true);
      expect(await store.readBudget()).toEqual({ state: UNKNOWN_BUDGET, version: 2 });
    });

    it('never grants more budget slots than the limit, even to 50 callers at once', async () => {
      const store = await make();
      const now = 1_900_000_000_000;
      const told = { limit: 10, windowMs: 3_600_000 };
      const results = await Promise.all(
        Array.from({ length: 50 }, () => take(store, { ...rule, nowMs: now, told })),
      );
      expect(results.filter((r) => r.taken)).toHaveLength(10);
      expect((await store.readBudget()).state).toMatchObject({
        used: 10,
        windowEndsMs: Math.ceil(now / 3_600_000) * 3_600_000,
      });
    });

    it('lets one probe through at a time, fleet-wide, until an answer tells the window', async () => {
      const store = await make();
      const now = 1_900_000_000_000;
      const probes = await Promise.all(
        Array.from({ length: 20 }, () => take(store, { ...rule, nowMs: now })),
      );
      expect(probes.filter((s) => s.taken)).toMatchObject([{ taken: true, probe: true }]);
      await updateBudget(store, (state) => ({
        state: settleSlot(state, {
          probe: true,
          report: { limit: 5, remaining: 3, resetAtMs: now + 60_000 },
          nowMs: now + 50,
        }),
        result: undefined,
      }));
      const rest = await Promise.all(
        Array.from({ length: 10 }, () => take(store, { ...rule, nowMs: now + 100 })),
      );
      expect(rest.filter((s) => s.taken)).toHaveLength(3);
      expect((await store.readBudget()).state).toMatchObject({ limit: 5, used: 5 });
    });

    it('holds an id back while a send of it is unanswered, and frees it once answered', async () => {
      const store = await make();
      const now = Date.now();
      const take = () =>
        store.takeBatch({
          collectionAddress: A,
          max: 1000,
          leaseUntilMs: now + 60_000,
          nowMs: now,
        });
      await store.enqueue({ collectionAddress: A, tokens: fresh(['h1', 'h2']), nowMs: now });
      const first = await take();
      // Levelled up again while the first send is on its way: pending, but not taken.
      await store.enqueue({ collectionAddress: A, tokens: fresh(['h1', 'h3']), nowMs: now + 1 });
      expect((await take())?.tokens.map((t) => t.tokenId)).toEqual(['h3']);
      expect(await take()).toBeUndefined();
      expect((await store.counts()).pending).toBe(1);
      // Dropped from the batch before sending: free at once.
      await store.keepTokens({ batchId: first?.batchId as string, tokenIds: ['h2'] });
      expect((await take())?.tokens.map((t) => t.tokenId)).toEqual(['h1']);
      await store.enqueue({ collectionAddress: A, tokens: fresh(['h2']), nowMs: now + 2 });
      expect(await take()).toBeUndefined();
      // The send was answered: h2 may go again.
      await store.markSent({
        batchId: first?.batchId as string,
        refreshId: 'held-1',
        leaseUntilMs: now + 60_000,
      });
      expect((await take())?.tokens.map((t) => t.tokenId)).toEqual(['h2']);
    });

    it('narrows a batch to the ids kept: a takeover never sees the others', async () => {
      const store = await make();
      const now = Date.now();
      await store.enqueue({ collectionAddress: A, tokens: fresh(['k1', 'k2', 'k3']), nowMs: now });
      const batch = await store.takeBatch({
        collectionAddress: A,
        max: 1000,
        leaseUntilMs: now + 100,
        nowMs: now,
      });
      await store.keepTokens({ batchId: batch?.batchId as string, tokenIds: ['k2'] });
      expect(await store.counts()).toEqual({ pending: 0, inFlight: 1 });
      await store.markSent({
        batchId: batch?.batchId as string,
        refreshId: 'push-1',
        leaseUntilMs: now + 100,
      });
      const [adopted] = await store.reclaimExpired({ nowMs: now + 200, leaseUntilMs: now + 5000 });
      expect(adopted?.tokens.map((t) => t.tokenId)).toEqual(['k2']);
    });
  });
}
