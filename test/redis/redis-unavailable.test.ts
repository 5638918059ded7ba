/**
 * A paused or restarting Redis: the scheduler's outbox keeps the game's events until it is back
 * (without one, enqueue fails fast and clearly), and the store recovers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MetadataRefreshClient,
  OutboxFullError,
  RefreshScheduler,
  type SchedulerEvent,
  StoreUnavailableError,
} from '../../src/index.js';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { COLLECTION, PRIVATE_KEY } from '../support/fixtures.js';
import { type RunningRedis, redisAvailable, startRedis } from '../support/redis-server.js';

describe.skipIf(!redisAvailable)('Redis trouble', () => {
  let redis: RunningRedis;
  let store: RedisStore;
  let scheduler: RefreshScheduler;

  beforeAll(async () => {
    redis = await startRedis();
    store = createRedisStore({ url: redis.url, prefix: 'unavailable', commandTimeoutMs: 1_000 });
    // Never started: enqueue is what a game server calls on its request path. No outbox: the
    // store's own failure reaches the caller.
    scheduler = new RefreshScheduler({
      client: new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: 'http://127.0.0.1:9' }),
      store,
      outbox: { maxIds: 0 },
    });
  });
  afterAll(async () => {
    await store?.close().catch(() => {});
    await redis?.stop();
  });

  it('rejects within commandTimeoutMs while Redis is paused, then works again', async () => {
    await scheduler.enqueue(COLLECTION, ['before']);
    process.kill(redis.pid, 'SIGSTOP');
    try {
      const started = performance.now();
      const error = await scheduler.enqueue(COLLECTION, ['paused']).catch((e: unknown) => e);
      const tookMs = performance.now() - started;
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).message).toMatch(
        /did not answer enqueue within 1000 ms/,
      );
      expect((error as StoreUnavailableError).operation).toBe('enqueue');
      // 1 s by the timer; the bound only guards against blocking for a Redis timeout.
      expect(tookMs).toBeLessThan(5_000);
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
    await scheduler.enqueue(COLLECTION, ['after']);
    expect((await store.counts()).pending).toBeGreaterThanOrEqual(2);
  });

  it('rejects with a message that says why while Redis restarts, and recovers after', async () => {
    const port = redis.port;
    await redis.stop();
    const error = await scheduler.enqueue(COLLECTION, ['down']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/Redis store (is unreachable|did not answer)/);
    expect(JSON.stringify((error as Error).message).length).toBeGreaterThan(40);
    redis = await startRedis(port);
    let recovered = false;
    // node-redis reconnects on its own schedule; this bounds the wait, it does not time it.
    for (let i = 0; i < 100 && !recovered; i++) {
      recovered = await scheduler.enqueue(COLLECTION, ['back']).then(
        () => true,
        (e: unknown) => {
          expect(e).toBeInstanceOf(StoreUnavailableError);
          return new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 100));
        },
      );
    }
    expect(recovered).toBe(true);
  });

  it('keeps events in the outbox while Redis is paused and hands them over in order when it is back', async () => {
    const events: SchedulerEvent[] = [];
    const withOutbox = new RefreshScheduler({
      client: new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: 'http://127.0.0.1:9' }),
      store,
      outbox: { maxIds: 3 },
      onEvent: (e) => events.push(e),
    });
    await store.clear();
    process.kill(redis.pid, 'SIGSTOP');
    let stopped: Awaited<ReturnType<RefreshScheduler['stop']>>;
    try {
      // The first waits out commandTimeoutMs; the next go straight behind it, in order.
      await withOutbox.enqueue(COLLECTION, ['o1', 'o2']);
      await withOutbox.enqueue(COLLECTION, ['o3']);
      const full = await withOutbox.enqueue(COLLECTION, ['o4']).catch((e: unknown) => e);
      expect(full).toBeInstanceOf(OutboxFullError);
      expect(full).toBeInstanceOf(StoreUnavailableError);
      expect((full as OutboxFullError).maxIds).toBe(3);
      expect(events).toContainEqual({ type: 'outboxFull', size: 3 });
      // Still down: stop() says what only this process holds.
      stopped = await withOutbox.stop();
      expect(stopped.unstored).toEqual([
        { collectionAddress: COLLECTION, tokenIds: ['o1', 'o2'] },
        { collectionAddress: COLLECTION, tokenIds: ['o3'] },
      ]);
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
    stopped = await withOutbox.stop();
    expect(stopped.unstored).toEqual([]);
    expect((await withOutbox.stats()).outbox).toBe(0);
    const batch = await store.takeBatch({
      collectionAddress: COLLECTION,
      max: 10,
      leaseUntilMs: Date.now() + 60_000,
      nowMs: Date.now(),
    });
    expect(batch?.tokens.map((t) => t.tokenId)).toEqual(['o1', 'o2', 'o3']);
  });
});
