/**
 * The fleet on a 3-master Redis Cluster, with mixed clients: three game-server processes, two on
 * node-redis `createCluster` and one on an ioredis `Cluster`, share one store (one hash tag, one
 * slot) and one reference server; the first to send a batch is SIGKILLed. The run and its checks
 * (no 429, no window over the limit, no lost id, every id ended once) are in fleet-run.ts.
 */
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import type { ReferenceServer } from '../../src/server/index.js';
import {
  type RunningRedisCluster,
  redisClusterAvailable,
  startRedisCluster,
} from '../support/redis-server.js';
import { runFleet, startFleetServer } from './fleet-run.js';

const PREFIX = 'fleet-cluster';
// Wider than the one-Redis fleet's 3 s, with a wider guard: a POST near a window's end on a
// loaded machine must not land in the next window.
const WINDOW_MS = 5_000;
const WINDOW_GUARD_MS = 1_200;

describe.skipIf(!redisClusterAvailable)('fleet of game servers on a Redis Cluster', () => {
  let cluster: RunningRedisCluster;
  let parent: ReturnType<typeof createCluster>;
  let server: ReferenceServer;
  let serverUrl: string;
  let store: RedisStore;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    ({ server, url: serverUrl } = await startFleetServer(WINDOW_MS));
    parent = createCluster({ rootNodes: cluster.urls.map((url) => ({ url })) });
    parent.on('error', () => {});
    store = createRedisStore({ client: parent, prefix: PREFIX, windowMs: WINDOW_MS });
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await parent?.close().catch(() => {});
    await cluster?.stop();
    await server?.close();
  });

  it('shares one budget across node-redis and ioredis members, survives a SIGKILL, loses no id', async () => {
    await runFleet({
      name: 'Redis Cluster, 2 node-redis + 1 ioredis',
      processes: 3,
      ids: 3_000,
      serverUrl,
      redisUrl: cluster.urls[0] as string,
      clusterNodes: cluster.nodes,
      clientOf: (index) => (index === 2 ? 'ioredis-cluster' : 'node-redis-cluster'),
      store,
      prefix: PREFIX,
      deadlineMs: 40_000,
      windowMs: WINDOW_MS,
      windowGuardMs: WINDOW_GUARD_MS,
    });
  }, 90_000);
});
