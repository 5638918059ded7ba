/**
 * KNOWN BUG (reported, not fixed here; src/ is the lead's): in a fleet, latest state does not
 * always win. An id enqueued again while its batch is in flight is pending again (as it must be),
 * but another process may take it and push it while the first push is still on its way; when the
 * first, older push reaches the API last, the NFT keeps the older metadata and nothing pushes it
 * again. Two schedulers on one store and one virtual clock show it. `it.fails` keeps the suite
 * green while the bug exists; drop `.fails` once an id is held back until its in-flight push was
 * answered.
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

  it.fails('an older push still on its way does not overwrite a newer one (latest state wins)', async () => {
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
    const scheduler = (client: ZkEvmSchedulerClient, onEvent?: (e: SchedulerEvent) => void) =>
      new RefreshScheduler({
        target: zkEvmTarget({ client, metadata }),
        store,
        clock: api.clock,
        maxDelayMs: 0,
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
    let onSent = () => {};
    const sent = new Promise<void>((resolve) => {
      onSent = resolve;
    });
    const b = scheduler(real, (e) => e.type === 'batchSent' && onSent());
    b.start();
    await sent; // B read level 2 and pushed it.
    await b.stop();
    release(); // A's push of level 1 arrives last.
    await a.drained();
    await a.stop();

    // Both pushes of hero 1 were accepted, the newer (B's, level 2) first.
    const pushesOf1 = api.requests
      .filter((r) => r.method === 'POST')
      .flatMap(
        (r) =>
          (r.body as { nft_metadata: { token_id: string; attributes: { value: number }[] }[] })
            .nft_metadata,
      )
      .filter((item) => item.token_id === '1')
      .map((item) => item.attributes[0]?.value);
    expect(pushesOf1).toEqual([2, 1]);
    await api.service.settled();
    // The bug: the NFT holds level 1, and hero 1 is pending nowhere.
    expect(api.service.nft(CONTRACT, '1')?.attributes?.[0]?.value).toBe(2);
  });
});
