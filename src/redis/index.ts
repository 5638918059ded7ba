/**
 * imx-metadata-refresh/redis: the RefreshScheduler's store in Redis, so a fleet of game servers
 * shares one budget, one pending set per collection and the leases. Needs `redis` (node-redis)
 * 4 to 6, an optional peer dependency.
 *
 * @packageDocumentation
 */
export {
  createRedisStore,
  DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
  type RedisCommandClient,
  type RedisConnection,
  type RedisStore,
  type RedisStoreOptions,
} from './redis-store.js';
