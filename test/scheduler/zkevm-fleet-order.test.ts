/**
 * In a fleet, latest state wins: an id enqueued again while its push is on its way is pending
 * again, but no process takes it until that push was answered, so the older push can never land
 * after a newer one. Two schedulers on one store and one virtual clock.
 */
import { describe, expect, it } from 'vitest';
import {
  MemoryStore,
  type MetadataSource,
  RefreshScheduler,
  type SchedulerEvent,
  type ZkEvmSchedulerClient,
  zkEvmTarget,
} from '../../src/index.js';
import { CONTRACT, useZkEvm } from '../support/zkevm-engine.js';

const WINDOW_MS = 60_000;

describe('RefreshScheduler on zkEVM, two processes on one store', () => {
  const api = useZkEvm({ limits: { refreshesPerHour: 12, windowMs: WINDOW_MS } });

  it('an older push still on its way is never overtaken by a newer one (latest state wins)', async () => {
    const store = new MemoryStore();
    const level = new Map<string, number>();
    const metadata: MetadataSource = async (_contract, tokenIds) =>
      new Map(
        tokenIds.map((tokenId) => [
          tokenId,
          {
            name: `Hero #${tokenId}`,
            attributes: [{ traitType: 'Level', value: level.get(tokenId) ?? 1 }],
          },
        ]),
      );
    const real = api.client();
    // Process A's pushes can be held on the way (a slow network), once its push is in flight.
    let gate: Promise<void> | undefined;
    let release = () => {};
    let onHeld = () => {};
    const held = new Promise<void>((resolve) => {
      onHeld = resolve;
    });
    const slow: ZkEvmSchedulerClient = {
      getNft: (p) => real.getNft(p),
      async refreshNftMetadata(p) {
        if (gate) {
          onHeld();
          await gate;
        }
        return real.refreshNftMetadata(p);
      },
    };
    // Each sleep yields to I/O first, so an idle loop cannot run the virtual clock ahead unbounded.
    const clock = {
      now: () => api.clock.now(),
      sleep: async (ms: number, signal?: AbortSignal) => {
        await new Promise((resolve) => setImmediate(resolve));
        return api.clock.sleep(ms, signal);
      },
    };
    const scheduler = (client: ZkEvmSchedulerClient, onEvent?: (e: SchedulerEvent) => void) =>
      new RefreshScheduler({
        target: zkEvmTarget({ client, metadata }),
        store,
        clock,
        maxDelayMs: 0,
        // B's idle loop runs ahead on the virtual clock; a lease that ran out would rightly hand
        // A's batch over as if A had died.
        leaseMs: 86_400_000,
        onEvent,
      });
    const a = scheduler(slow);
    // A first push teaches the fleet the budget (until then one push goes out at a time).
    await a.enqueue(CONTRACT, ['100']);
    a.start();
    await a.drained();

    gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await a.enqueue(CONTRACT, ['1']);
    await held; // A read level 1 and its push is on the way.
    level.set('1', 2);
    await a.enqueue(CONTRACT, ['1']); // The hero levels up again: pending again.
    const b = scheduler(real);
    b.start();
    // B runs while A's push is on its way: hero 1 is held back, not pushed by B.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    const pushedWhileHeld = api.requests.filter((r) => r.method === 'POST').length;
    release(); // A's push of level 1 arrives.
    await a.drained();
    await b.drained();
    await a.stop();
    await b.stop();

    // Hero 1 was pushed at level 1, then (after that push was answered) at level 2.
    const pushesOf1 = api.requests
      .filter((r) => r.method === 'POST')
      .flatMap(
        (r) =>
          (r.body as { nft_metadata: { token_id: string; attributes: { value: number }[] }[] })
            .nft_metadata,
      )
      .filter((item) => item.token_id === '1')
      .map((item) => item.attributes[0]?.value);
    expect(pushesOf1).toEqual([1, 2]);
    expect(pushedWhileHeld).toBe(1); // only the first push (hero 100) had reached the engine
    await api.service.settled();
    expect(api.service.nft(CONTRACT, '1')?.attributes?.[0]?.value).toBe(2);
  });
});
