/**
 * Read once (issue 28) on the Redis store: a budget-limited backlog waiting over several hour
 * windows is read once per push, and ids deferred by the 228 KiB cap keep their read through
 * Redis (the store keeps the read's name with the put-back id). A real redis-server; scheduler
 * and zkEVM reference engine on one virtual clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type MetadataSource,
  RefreshScheduler,
  type SchedulerEvent,
  zkEvmTarget,
} from '../../src/index.js';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { type RunningRedis, redisAvailable, startRedis } from '../support/redis-server.js';
import { CONTRACT, useZkEvm } from '../support/zkevm-engine.js';

const HOUR = 3_600_000;
const ids = (n: number, from = 1) => Array.from({ length: n }, (_, i) => String(i + from));

/** The game's database behind a function source that counts reads per id. */
function countingSource(description = '') {
  const reads = new Map<string, number>();
  const source: MetadataSource = async (_contract, tokenIds) =>
    new Map(
      tokenIds.map((tokenId) => {
        reads.set(tokenId, (reads.get(tokenId) ?? 0) + 1);
        return [tokenId, { name: `Hero #${tokenId}`, description: description || null }];
      }),
    );
  return { reads, source, total: () => [...reads.values()].reduce((a, b) => a + b, 0) };
}

describe.skipIf(!redisAvailable)('read once on the Redis store', () => {
  let redis: RunningRedis;
  const stores: RedisStore[] = [];
  let n = 0;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await redis?.stop();
  });
  const api = useZkEvm({ limits: { refreshesPerHour: 4, windowMs: HOUR } });

  async function drain(description: string, count: number) {
    const store = createRedisStore({ url: redis.url, windowMs: HOUR }, `read-once-${++n}`);
    stores.push(store);
    const db = countingSource(description);
    const events: SchedulerEvent[] = [];
    const scheduler = new RefreshScheduler({
      target: zkEvmTarget({ client: api.client(), metadata: db.source }),
      store,
      clock: api.clock,
      pollIntervalMs: 1_000,
      // One process: no one else's work to look for while the budget waits.
      idlePollMs: 600_000,
      onEvent: (e) => events.push(e),
      budget: { windowMs: HOUR },
    });
    await scheduler.enqueue(CONTRACT, ids(count));
    scheduler.start();
    await scheduler.drained();
    await scheduler.stop();
    const pushed = events.flatMap((e) => (e.type === 'batchSent' ? e.tokenIds : []));
    expect(new Set(pushed).size).toBe(count);
    return { db, pushed };
  }

  it('a budget-limited backlog over three windows: reads per item pushed stay at 1', async () => {
    const started = api.clock.now();
    const { db, pushed } = await drain('', 2_500);
    expect(api.clock.now() - started).toBeGreaterThanOrEqual(2 * HOUR);
    console.info(`read once, Redis: ${db.total()} reads / ${pushed.length} items`);
    expect(db.total() / pushed.length).toBeLessThanOrEqual(1.05);
    expect(Math.max(...db.reads.values())).toBe(1);
  }, 30_000);

  it('ids deferred by the 228 KiB cap keep their read through Redis', async () => {
    const { db, pushed } = await drain('x'.repeat(1_800), 1_000);
    console.info(`read once, Redis, deferred: ${db.total()} reads / ${pushed.length} items`);
    expect(db.total() / pushed.length).toBeLessThanOrEqual(1.05);
    expect(Math.max(...db.reads.values())).toBe(1);
  }, 30_000);
});
