/** A paused or restarting Redis makes enqueue fail fast and clearly, and the store recovers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataRefreshClient, RefreshScheduler, StoreUnavailableError } from '../../src/index.js';
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
    // Never started: enqueue is what a game server calls on its request path.
    scheduler = new RefreshScheduler({
      client: new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: 'http://127.0.0.1:9' }),
      store,
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
});
