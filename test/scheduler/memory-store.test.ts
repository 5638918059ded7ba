import { describe, expect, it } from 'vitest';
import { MemoryStore, type SchedulerStore } from '../../src/index.js';
import { storeContract } from './store-contract.js';

storeContract('memory', async () => new MemoryStore());

describe('memory store order', () => {
  it('a batch put back keeps its place ahead of ids enqueued in the same ms', async () => {
    const store: SchedulerStore = new MemoryStore();
    const A = '0x9a48b1b27743d807331d06ecf0bfb15c06fdb58d';
    const ids = Array.from({ length: 10 }, (_, i) => String(i + 1));
    await store.enqueue(
      A,
      ids.map((tokenId) => ({ tokenId, attempts: 0 })),
      1_000,
    );
    const first = await store.takeBatch(A, 4, 5_000, 1_000);
    await store.releaseBatch(first?.batchId as string, 1_001);
    const again = await store.takeBatch(A, 4, 5_000, 1_002);
    expect(again?.tokens.map((t) => t.tokenId)).toEqual(['1', '2', '3', '4']);
  });
});
