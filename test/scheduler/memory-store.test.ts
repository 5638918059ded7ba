import { describe, expect, it } from 'vitest';
import { InvalidRequestError, MemoryStore, type SchedulerStore } from '../../src/index.js';
import { storeContract } from './store-contract.js';

storeContract('memory', async (options) => new MemoryStore(options));

describe('MemoryStore', () => {
  it('refuses a window that is not a positive number of milliseconds', () => {
    for (const windowMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '60000' as never]) {
      expect(() => new MemoryStore({ windowMs })).toThrow(InvalidRequestError);
    }
  });

  it('a batch put back keeps its place ahead of ids enqueued in the same ms', async () => {
    const store: SchedulerStore = new MemoryStore();
    const collectionAddress = '0x9a48b1b27743d807331d06ecf0bfb15c06fdb58d';
    const ids = Array.from({ length: 10 }, (_, i) => String(i + 1));
    await store.enqueue({
      collectionAddress,
      tokens: ids.map((tokenId) => ({ tokenId, attempts: 0 })),
      nowMs: 1_000,
    });
    const first = await store.takeBatch({
      collectionAddress,
      max: 4,
      leaseUntilMs: 5_000,
      nowMs: 1_000,
    });
    await store.releaseBatch({ batchId: first?.batchId as string, nowMs: 1_001 });
    const again = await store.takeBatch({
      collectionAddress,
      max: 4,
      leaseUntilMs: 5_000,
      nowMs: 1_002,
    });
    expect(again?.tokens.map((t) => t.tokenId)).toEqual(['1', '2', '3', '4']);
  });
});
