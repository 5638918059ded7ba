import { afterAll, beforeAll, describe } from 'vitest';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { storeContract } from '../scheduler/store-contract.js';
import { type RunningRedis, redisAvailable, startRedis } from '../support/redis-server.js';

describe.skipIf(!redisAvailable)('Redis', () => {
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

  storeContract('redis', async (options) => {
    const store = createRedisStore({ url: redis.url, ...options }, `contract-${++n}`);
    stores.push(store);
    return store;
  });
});
