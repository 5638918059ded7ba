/**
 * imx-metadata-refresh/redis: the RefreshScheduler's store in Redis, so a fleet of game servers
 * shares one budget, one pending set per collection and the leases. On one Redis or a Redis
 * Cluster (every key of a store shares the hash tag `{prefix}`), over node-redis (`redis` 4 to 6,
 * `createClient` or `createCluster`) or ioredis (5 to 6, `Redis` or `Cluster`): optional peer
 * dependencies, install the one you use.
 *
 * @packageDocumentation
 */
export type {
  IoRedisLike,
  NodeRedisClusterLike,
  NodeRedisLike,
  RedisClientKind,
  RedisClientLike,
} from './command-client.js';
export {
  createRedisStore,
  DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
  type RedisCommandClient,
  type RedisConnection,
  type RedisStore,
  type RedisStoreOptions,
} from './redis-store.js';
