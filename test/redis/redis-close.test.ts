/**
 * `close()` on a store from `{ url }` lets the process exit: it closes a connection still being
 * opened, and nothing opens it again afterwards (the README's start/stop/close found both).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataRefreshClient, RefreshScheduler, StoreUnavailableError } from '../../src/index.js';
import { createRedisStore } from '../../src/redis/index.js';
import { COLLECTION, PRIVATE_KEY } from '../support/fixtures.js';
import { type RunningRedis, redisAvailable, startRedis } from '../support/redis-server.js';

describe.skipIf(!redisAvailable)('Redis store close()', () => {
  let redis: RunningRedis;
  let observer: ReturnType<typeof createClient>;

  beforeAll(async () => {
    redis = await startRedis();
    observer = createClient({ url: redis.url });
    await observer.connect();
  });
  afterAll(async () => {
    await observer?.close().catch(() => {});
    await redis?.stop();
  });

  /** Connections Redis holds other than the observer's. */
  async function otherConnections(): Promise<number> {
    const list = await observer.sendCommand<string>(['CLIENT', 'LIST']);
    return list.trim().split('\n').length - 1;
  }

  it('before the client was even created: it never connects, and operations reject', async () => {
    const store = createRedisStore({ url: redis.url, prefix: 'close-early' });
    await store.close();
    const error = await store.counts().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).message).toMatch(/store is closed \(counts\)/);
    expect(await otherConnections()).toBe(0);
  });

  it('after use: a later operation rejects instead of reconnecting', async () => {
    const store = createRedisStore({ url: redis.url, prefix: 'close-late' });
    const client = new MetadataRefreshClient({
      signer: PRIVATE_KEY,
      baseURL: 'http://127.0.0.1:9',
    });
    // Never started: enqueue alone opens the connection.
    await new RefreshScheduler({ client, store }).enqueue(COLLECTION, ['1']);
    expect(await otherConnections()).toBe(1);
    await store.close();
    await expect(store.counts()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await otherConnections()).toBe(0);
    await store.close(); // twice is fine
  });

  it('a scheduler started, stopped and its store closed lets node exit', async () => {
    // In a child process: what keeps node running is the point.
    const code = `
      import { MetadataRefreshClient, RefreshScheduler } from './src/index.ts';
      import { createRedisStore } from './src/redis/index.ts';
      const store = createRedisStore({ url: ${JSON.stringify(redis.url)}, prefix: 'close-exit' });
      const client = new MetadataRefreshClient({ signer: '${PRIVATE_KEY}', baseURL: 'http://127.0.0.1:9' });
      const scheduler = new RefreshScheduler({ client, store });
      scheduler.start();
      await scheduler.stop();
      await store.close();
    `;
    const tsx = new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url).pathname;
    // execFile's timeout kills a child that never exits, and rejects.
    const { stderr } = await promisify(execFile)(
      process.execPath,
      [tsx, '--input-type=module', '-e', code],
      { cwd: new URL('../..', import.meta.url).pathname, timeout: 20_000 },
    );
    expect(stderr).toBe('');
  });
});
