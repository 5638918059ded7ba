/**
 * imx-metadata-refresh/redis: the RefreshScheduler's store in Redis, so a fleet of game servers
 * shares one budget, one pending set per collection and the leases. Needs `redis` (node-redis)
 * 4 to 6, an optional peer dependency.
 *
 * @packageDocumentation
 */
export {
  createRedisStore,
  type RedisCommandClient,
  type RedisConnection,
  type RedisStore,
} from './redis-store.js';
