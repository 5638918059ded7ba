/**
 * The Redis store on every client kind it accepts, against real servers: node-redis and ioredis on
 * one Redis, node-redis `createCluster` and ioredis `Cluster` on a 3-master Redis Cluster.
 */
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { StoreUnavailableError } from '../../src/index.js';
import { detectClientKind } from '../../src/redis/command-client.js';
import { createRedisStore } from '../../src/redis/index.js';
import { storeContract } from '../scheduler/store-contract.js';
import {
  type RunningRedis,
  type RunningRedisCluster,
  redisAvailable,
  redisClusterAvailable,
  startRedis,
  startRedisCluster,
} from '../support/redis-server.js';

const A = '0x9a48b1b27743d807331d06ecf0bfb15c06fdb58d';
const fresh = (ids: string[]) => ids.map((tokenId) => ({ tokenId, attempts: 0 }));

describe.skipIf(!redisAvailable)('Redis store on one Redis, by client kind', () => {
  let redis: RunningRedis;
  let nodeRedis: ReturnType<typeof createClient>;
  let ioredis: Redis;
  let n = 0;

  beforeAll(async () => {
    redis = await startRedis();
    // Not connected: the store connects it on its first command.
    nodeRedis = createClient({ url: redis.url });
    nodeRedis.on('error', () => {});
    ioredis = new Redis(redis.port, '127.0.0.1', { lazyConnect: true });
  });
  afterAll(async () => {
    await nodeRedis?.close().catch(() => {});
    ioredis?.disconnect();
    await redis?.stop();
  });

  it('detects each kind by its shape', () => {
    expect(detectClientKind(nodeRedis)).toBe('node-redis');
    expect(detectClientKind(ioredis)).toBe('ioredis');
    expect(detectClientKind({})).toBeUndefined();
    expect(() => createRedisStore({ client: {} as never })).toThrow(InvalidOptionError);
    for (const windowMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createRedisStore({ client: ioredis, windowMs })).toThrow(InvalidOptionError);
    }
  });

  storeContract('redis (node-redis client)', async (options) =>
    createRedisStore({ client: nodeRedis, prefix: `nr-${++n}`, ...options }),
  );
  storeContract('redis (ioredis)', async (options) =>
    createRedisStore({ client: ioredis, prefix: `io-${++n}`, ...options }),
  );

  it('is one store whether node-redis or ioredis wrote it: same keys, all under the hash tag', async () => {
    const writer = createRedisStore({ client: nodeRedis, prefix: 'shared' });
    const reader = createRedisStore({ client: ioredis, prefix: 'shared' });
    const now = Date.now();
    await writer.enqueue({ collectionAddress: A, tokens: fresh(['1', '2', '3']), nowMs: now });
    expect(await reader.pendingCollections()).toEqual([
      { collectionAddress: A, count: 3, oldestMs: now },
    ]);
    const batch = await reader.takeBatch({
      collectionAddress: A,
      max: 2,
      leaseUntilMs: now + 10_000,
      nowMs: now,
    });
    expect(
      await writer.markSent({
        batchId: batch?.batchId as string,
        refreshId: 'r-1',
        leaseUntilMs: now + 10_000,
      }),
    ).toBe(true);
    expect(await reader.counts()).toEqual({ pending: 1, inFlight: 2 });
    const keys = (await ioredis.keys('*shared*')).sort();
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.startsWith('{shared}:'))).toBe(true);
    await reader.clear();
    expect(await ioredis.keys('*shared*')).toEqual([]);
    expect(await writer.counts()).toEqual({ pending: 0, inFlight: 0 });
  });

  it('never closes a client it was given', async () => {
    const store = createRedisStore({ client: ioredis, prefix: 'owned' });
    await store.counts();
    await store.close();
    expect(await ioredis.ping()).toBe('PONG');
    const other = createRedisStore({ client: nodeRedis, prefix: 'owned' });
    await other.counts();
    await other.close();
    expect(await nodeRedis.ping()).toBe('PONG');
  });

  it('gives up after commandTimeoutMs with StoreUnavailableError on ioredis too', async () => {
    const store = createRedisStore({ client: ioredis, prefix: 'paused', commandTimeoutMs: 500 });
    await store.counts();
    process.kill(redis.pid, 'SIGSTOP');
    try {
      const started = performance.now();
      const error = await store
        .enqueue({ collectionAddress: A, tokens: fresh(['p']), nowMs: Date.now() })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).operation).toBe('enqueue');
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
    // A reply error (here a key of the wrong type) is Redis answering, not "unavailable".
    await ioredis.set('{paused}:collections', 'not a set');
    const refused = await store.counts().catch((e: unknown) => e);
    expect(refused).not.toBeInstanceOf(StoreUnavailableError);
    expect((refused as Error).message).toMatch(/Redis refused the store's counts: .*WRONGTYPE/);
    await ioredis.del('{paused}:collections');
  });

  it('does not read the key layout of 0.1 (prefix:… without the hash tag)', async () => {
    await ioredis.sadd('legacy:collections', A);
    await ioredis.zadd(`legacy:pending:${A}`, Date.now(), 'old');
    const store = createRedisStore({ client: ioredis, prefix: 'legacy' });
    expect(await store.counts()).toEqual({ pending: 0, inFlight: 0 });
    await ioredis.del('legacy:collections', `legacy:pending:${A}`);
  });

  it('falls back to EVAL when the script cache was flushed (restart, failover)', async () => {
    const store = createRedisStore({ client: ioredis, prefix: 'flushed' });
    await store.enqueue({ collectionAddress: A, tokens: fresh(['f']), nowMs: Date.now() });
    await ioredis.script('FLUSH');
    expect(await store.counts()).toEqual({ pending: 1, inFlight: 0 });
  });
});

describe.skipIf(!redisClusterAvailable)('Redis store on a 3-master Redis Cluster', () => {
  let cluster: RunningRedisCluster;
  let nodeRedis: ReturnType<typeof createCluster>;
  let ioredis: Cluster;
  let n = 0;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    nodeRedis = createCluster({ rootNodes: cluster.urls.map((url) => ({ url })) });
    nodeRedis.on('error', () => {});
    ioredis = new Cluster(cluster.nodes);
  }, 60_000);
  afterAll(async () => {
    await nodeRedis?.close().catch(() => {});
    ioredis?.disconnect();
    await cluster?.stop();
  });

  it('detects both cluster kinds', () => {
    expect(detectClientKind(nodeRedis)).toBe('node-redis-cluster');
    expect(detectClientKind(ioredis)).toBe('ioredis-cluster');
  });

  // Each test's store has its own prefix, so the stores land on different slots and nodes.
  storeContract('redis cluster (node-redis createCluster)', async (options) =>
    createRedisStore({ client: nodeRedis, prefix: `cnr-${++n}`, ...options }),
  );
  storeContract('redis cluster (ioredis Cluster)', async (options) =>
    createRedisStore({ client: ioredis, prefix: `cio-${++n}`, ...options }),
  );

  it('is one store for node-redis and ioredis members, on one slot', async () => {
    const writer = createRedisStore({ client: nodeRedis, prefix: 'fleet-x' });
    const reader = createRedisStore({ client: ioredis, prefix: 'fleet-x' });
    const now = Date.now();
    await writer.enqueue({ collectionAddress: A, tokens: fresh(['a', 'b']), nowMs: now });
    const batch = await reader.takeBatch({
      collectionAddress: A,
      max: 1,
      leaseUntilMs: now + 10_000,
      nowMs: now,
    });
    expect(batch?.tokens.map((t) => t.tokenId)).toEqual(['a']);
    expect(await writer.counts()).toEqual({ pending: 1, inFlight: 1 });
    await writer.renewLeases({ batchIds: [batch?.batchId as string], leaseUntilMs: now + 20_000 });
    await reader.completeBatch({ batchId: batch?.batchId as string });
    expect(await writer.counts()).toEqual({ pending: 1, inFlight: 0 });
    const slot = Number(await ioredis.cluster('KEYSLOT', '{fleet-x}:collections'));
    // Every key of the store, on the node that serves its slot (node-redis routes by the key).
    const keys = (await nodeRedis.sendCommand('{fleet-x}:collections', false, [
      'KEYS',
      '*fleet-x*',
    ])) as string[];
    expect(keys.length).toBeGreaterThan(2);
    const slots = await Promise.all(keys.map((k) => ioredis.cluster('KEYSLOT', k)));
    expect(new Set(slots)).toEqual(new Set([slot]));
    await reader.clear();
    expect(await writer.counts()).toEqual({ pending: 0, inFlight: 0 });
  });

  it('reloads its scripts on a node whose script cache was flushed (a failover, a restart)', async () => {
    const store = createRedisStore({ client: nodeRedis, prefix: 'flushed' });
    await store.enqueue({ collectionAddress: A, tokens: fresh(['f']), nowMs: Date.now() });
    for (const { port } of cluster.nodes) {
      const node = new Redis(port, '127.0.0.1');
      await node.script('FLUSH');
      node.disconnect();
    }
    expect(await store.counts()).toEqual({ pending: 1, inFlight: 0 });
  });
});
