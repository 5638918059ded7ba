/**
 * A store that fails after the answer: the zkEVM push was accepted (202), and Redis stops
 * answering just as the 202 arrives. Every store write that records the answer (the budget slot,
 * markSent, the outcome) is retried until it lands, so the batch never looks unsent: exactly one
 * push, exactly one final event per id, and nothing left pending or in flight once Redis is back.
 *
 * Real time, a real redis-server (SIGSTOP/SIGCONT) and the zkEVM engine behind node:http.
 */
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type MetadataSource,
  RefreshScheduler,
  type SchedulerEvent,
  StoreUnavailableError,
  ZkEvmMetadataClient,
  zkEvmTarget,
} from '../../src/index.js';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { createZkEvmService } from '../../src/server/index.js';
import { listen, socketCloser } from '../../src/server/loopback.js';
import { type RunningRedis, redisAvailable, startRedis } from '../support/redis-server.js';

const API_KEY = 'sk_imapik-test-4f9Qm2LxPv7SecretKeyValue';
const CHAIN = 'imtbl-zkevm-testnet';
const CONTRACT = '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e';
const COMMAND_TIMEOUT_MS = 500;

describe.skipIf(!redisAvailable)(
  'zkEVM scheduler on Redis: the store fails after the answer',
  () => {
    let redis: RunningRedis;
    const stores: RedisStore[] = [];

    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      if (redis) process.kill(redis.pid, 'SIGCONT');
      for (const store of stores) await store.close().catch(() => {});
      await redis?.stop();
    });

    // Paused for 2 × commandTimeoutMs (the slot write times out once), and for 6 × (its
    // retries time out too).
    it.each([2, 6])(
      'paused %i × commandTimeoutMs after the 202: one push, one tokenSucceeded per id, error events for the timeouts, nothing left behind',
      async (times) => {
        const PAUSE_MS = times * COMMAND_TIMEOUT_MS;
        const store = createRedisStore({
          url: redis.url,
          prefix: `fails-after-answer-${times}`,
          commandTimeoutMs: COMMAND_TIMEOUT_MS,
        });
        stores.push(store);
        const service = createZkEvmService({ apiKey: API_KEY, chainName: CHAIN, syncDelayMs: 0 });
        const posts: { at: number; tokenIds: string[] }[] = [];
        let paused = false;
        let resume: NodeJS.Timeout | undefined;
        const http = createServer(async (req, res) => {
          const chunks: Buffer[] = [];
          for await (const chunk of req) chunks.push(chunk as Buffer);
          const body = Buffer.concat(chunks);
          const answer = await service.handle({
            method: req.method ?? 'GET',
            path: req.url ?? '/',
            headers: req.headers,
            body: body.byteLength === 0 ? undefined : new Uint8Array(body),
          });
          if (req.method === 'POST') {
            const items = (JSON.parse(body.toString()) as { nft_metadata: { token_id: string }[] })
              .nft_metadata;
            posts.push({ at: performance.now(), tokenIds: items.map((i) => i.token_id) });
            if (!paused && answer.status === 202) {
              // Redis freezes just before the 202 goes out: everything that records it times out.
              paused = true;
              process.kill(redis.pid, 'SIGSTOP');
              resume = setTimeout(() => process.kill(redis.pid, 'SIGCONT'), PAUSE_MS);
            }
          }
          res.writeHead(answer.status, { ...answer.headers, 'content-type': 'application/json' });
          res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
        });
        const { url } = await listen(http, 0, '127.0.0.1');
        const closeHttp = socketCloser(http);

        const metadata: MetadataSource = async (_contract, tokenIds) =>
          new Map(tokenIds.map((tokenId) => [tokenId, { name: `Hero #${tokenId}` }]));
        const events: SchedulerEvent[] = [];
        const scheduler = new RefreshScheduler({
          target: zkEvmTarget({
            client: new ZkEvmMetadataClient({
              apiKey: API_KEY,
              baseURL: url,
              chainName: CHAIN,
              timeoutMs: 5_000,
              maxRetries: 0,
            }),
            metadata,
            applyDelayMs: 1_000,
          }),
          store,
          maxDelayMs: 0,
          idlePollMs: 100,
          onEvent: (e) => events.push(e),
        });
        const ids = ['1', '2', '3'];
        try {
          await scheduler.enqueue(CONTRACT, ids);
          scheduler.start();
          await Promise.race([
            scheduler.drained(),
            new Promise((_, reject) =>
              setTimeout(() => reject(new Error('not drained within 15 s')), 15_000),
            ),
          ]);
          await scheduler.stop();
        } finally {
          clearTimeout(resume);
          process.kill(redis.pid, 'SIGCONT');
          await closeHttp();
        }

        expect(paused).toBe(true);
        // Exactly one push for the batch: the store's failure never made it look unsent.
        expect(posts.map((p) => p.tokenIds)).toEqual([ids]);
        const finals = events.filter(
          (e) => e.type === 'tokenSucceeded' || e.type === 'tokenFailed',
        );
        expect(finals.map((e) => `${e.type}:${(e as { tokenId: string }).tokenId}`).sort()).toEqual(
          ids.map((id) => `tokenSucceeded:${id}`),
        );
        expect(events.filter((e) => e.type === 'batchSent')).toHaveLength(1);
        expect(events.some((e) => e.type === 'batchUncertain')).toBe(false);
        // The writes after the 202 timed out (at least once) and were retried.
        const storeErrors = events.filter(
          (e) => e.type === 'error' && e.error instanceof StoreUnavailableError,
        );
        expect(storeErrors.length).toBeGreaterThanOrEqual(times === 2 ? 1 : 3);
        // Only writes that record the answer failed (the loop was inside the send meanwhile).
        const operations = storeErrors.map(
          (e) => (e as { error: StoreUnavailableError }).error.operation,
        );
        for (const op of operations) {
          expect(['readBudget', 'writeBudget', 'markSent', 'completeBatch']).toContain(op);
        }
        expect(await store.counts()).toMatchObject({ pending: 0, inFlight: 0 });
        // The slot write that timed out and the retry that landed count the one push once.
        expect((await store.readBudget()).state.used).toBe(1);
        await service.settled();
        for (const id of ids) expect(service.nft(CONTRACT, id)?.name).toBe(`Hero #${id}`);
      },
    );
  },
);
