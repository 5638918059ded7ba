/**
 * The fleet, end to end on one Redis: 4 game-server processes (test/fleet/game-server.ts, over the
 * store's own `{ url }` client) enqueue 6,000 overlapping ids; one is SIGKILLed mid-batch. The run
 * and its checks are in fleet-run.ts.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import type { ReferenceServer } from '../../src/server/index.js';
import { type RunningRedis, redisAvailable, startRedis } from '../support/redis-server.js';
import { FLEET_WINDOW_MS, runFleet, startFleetServer } from './fleet-run.js';

const PREFIX = 'fleet';

describe.skipIf(!redisAvailable)('fleet of game servers on Redis', () => {
  let redis: RunningRedis;
  let server: ReferenceServer;
  let serverUrl: string;
  let store: RedisStore;

  beforeAll(async () => {
    redis = await startRedis();
    ({ server, url: serverUrl } = await startFleetServer());
    store = createRedisStore({ url: redis.url, windowMs: FLEET_WINDOW_MS }, PREFIX);
  });

  afterAll(async () => {
    await store?.close();
    await redis?.stop();
    await server?.close();
  });

  it('shares one budget, survives a SIGKILL mid-batch and loses no id', async () => {
    await runFleet({
      name: 'one Redis',
      processes: 4,
      ids: 6_000,
      serverUrl,
      redisUrl: redis.url,
      clientOf: () => 'url',
      store,
      prefix: PREFIX,
      deadlineMs: 45_000,
    });
  }, 90_000);
});
