/**
 * Keeping zkEVM metadata current after every level-up: the game only enqueues token ids; the
 * scheduler reads each token's current metadata from the studio's Metadata API just before the
 * push (so a hero levelled twice while waiting is pushed once, at its newest level), pushes full
 * batches of up to 250 NFTs paced to the budget the answers announce, and confirms each push
 * through `metadataSyncedAt`.
 *
 * Run: npx tsx examples/level-up-zkevm.ts
 */
import {
  metadataApiSource,
  RefreshScheduler,
  type SchedulerEvent,
  ZkEvmMetadataClient,
  zkEvmTarget,
} from 'imx-metadata-refresh';
import { createZkEvmReferenceServer, startMetadataApiServer } from 'imx-metadata-refresh/server';

const CONTRACT = '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e';
const API_KEY = 'sk_imapik-test-example-key-0123456789';

export async function levelUpZkEvmDemo(log: (line: string) => void = console.log) {
  // The studio's Metadata API, as it served Immutable X: GET /metadata/:tokenId.
  const api = await startMetadataApiServer();
  const levelUp = (tokenId: string, level: number) =>
    api.metadata.set(tokenId, {
      name: `Hero #${tokenId}`,
      image: `https://game.example/heroes/${tokenId}.png`,
      attributes: [{ trait_type: 'Level', value: level, display_type: 'number' }],
    });

  // The platform, locally: the zkEVM reference server (20 pushes a window, applied after 200 ms).
  const platform = createZkEvmReferenceServer({
    apiKey: API_KEY,
    collections: [{ address: CONTRACT }],
    limits: { refreshesPerHour: 20 },
    syncDelayMs: 200,
  });
  const { url } = await platform.listen();
  const zk = new ZkEvmMetadataClient({
    apiKey: API_KEY,
    baseURL: url,
    chainName: 'imtbl-zkevm-testnet',
  });

  const events: SchedulerEvent[] = [];
  const scheduler = new RefreshScheduler({
    target: zkEvmTarget({
      client: zk,
      metadata: metadataApiSource({ baseUrl: api.url }),
      verify: { timeoutMs: 10_000 }, // confirm each push through metadataSyncedAt
    }),
    maxDelayMs: 300, // a short demo; the default is the window over the learned limit
    pollIntervalMs: 250,
    onEvent: (event) => {
      events.push(event);
      if (event.type === 'batchSent') log(`pushed ${event.tokenIds.length} NFTs`);
      if (event.type === 'tokenFailed') log(`token ${event.tokenId} failed: ${event.errorCode}`);
    },
  });
  scheduler.start();
  try {
    // 600 level-ups of 300 heroes, each one enqueue call as a game server would make it.
    for (let i = 0; i < 600; i++) {
      const hero = String(1 + (i % 300));
      levelUp(hero, 1 + Math.floor(i / 300));
      await scheduler.enqueue(CONTRACT, [hero]);
    }
    await scheduler.drained();
    const stats = await scheduler.stats();
    const hero = await zk.getNft({ contractAddress: CONTRACT, tokenId: '42' });
    log(
      `hero 42 is at level ${hero.attributes?.[0]?.value} (synced ${hero.metadataSyncedAt}); ` +
        `${stats.budget.used} of ${stats.budget.limit} pushes used this window`,
    );
    return { events, stats, hero };
  } finally {
    await scheduler.stop();
    await platform.close();
    await api.close();
  }
}

if (process.argv[1]?.endsWith('level-up-zkevm.ts')) await levelUpZkEvmDemo();
