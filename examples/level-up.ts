/**
 * Refreshing after every level-up without burning the budget: each level-up only enqueues the
 * token id; RefreshScheduler deduplicates, sends full batches paced to the project's 10 requests
 * an hour, follows each refresh, retries transient failures and reports every id's outcome.
 *
 * Run: npx tsx examples/level-up.ts
 */
import { RefreshScheduler, type SchedulerEvent } from 'imx-metadata-refresh';
import { startLocalPlatform } from './support/local-platform.js';

export async function levelUpDemo(log: (line: string) => void = console.log) {
  const platform = await startLocalPlatform();
  const { client, collectionAddress, api } = platform;
  const events: SchedulerEvent[] = [];
  const scheduler = new RefreshScheduler({
    client,
    maxDelayMs: 500, // a short demo; the default is windowMs / limit (6 minutes)
    pollIntervalMs: 100,
    onEvent: (event) => {
      events.push(event);
      if (event.type === 'batchSent')
        log(`sent refresh ${event.refreshId} of ${event.tokenIds.length} tokens`);
      if (event.type === 'tokenFailed') log(`token ${event.tokenId} failed: ${event.errorCode}`);
      if (event.type === 'budgetWait') log(`budget spent until ${event.until.toISOString()}`);
    },
  });
  scheduler.start();
  try {
    // 300 level-ups of 40 heroes: each is one enqueue call, as a game server would make them.
    for (let i = 0; i < 300; i++) {
      const hero = String(1 + (i % 40));
      api.metadata.set(hero, { name: `Hero ${hero}`, level: 1 + Math.floor(i / 40) });
      await scheduler.enqueue(collectionAddress, [hero]);
    }
    await scheduler.drained();
    const succeeded = events.filter((e) => e.type === 'tokenSucceeded').length;
    const stats = await scheduler.stats();
    log(
      `${succeeded} token refreshes succeeded using ${stats.budget.used} of 10 requests this hour`,
    );
    return { events, stats };
  } finally {
    await scheduler.stop();
    await platform.close();
  }
}

if (process.argv[1]?.endsWith('level-up.ts')) await levelUpDemo();
