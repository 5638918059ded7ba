/**
 * The rules the Redis store must carry in Lua (an id whose push is unanswered stays pending,
 * enqueue keeps the first time and the most attempts, a put-back keeps its read, release and
 * reclaim hand ids back untouched, a refresh id is claimed once, takeovers fence `markSent`, the
 * budget's compare-and-set) against their TypeScript twin, `MemoryStore`: random operation
 * sequences give identical results on both, through node-redis and through ioredis.
 *
 * Times are the sequence's own (no store reads a clock for these), and every enqueue has its own
 * millisecond: the order of ids enqueued in the same millisecond is left open by the contract.
 */
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, type SchedulerStore } from '../../src/index.js';
import { createRedisStore } from '../../src/redis/index.js';
import { UNKNOWN_BUDGET } from '../../src/scheduler/learned-budget.js';
import type { LeasedBatch } from '../../src/scheduler/store.js';
import { type RunningRedis, redisAvailable, startRedis } from '../support/redis-server.js';

const COLLECTIONS = [
  '0x9a48b1b27743d807331d06ecf0bfb15c06fdb58d',
  '0xabababababababababababababababababababab',
];
const T0 = 1_900_000_000_000;

const collection = fc.nat(COLLECTIONS.length - 1);
const tokenId = fc.constantFrom('1', '2', '3', '4', '5', '6');
/** Which batch (by creation order, modulo how many exist). */
const batch = fc.nat(20);

type Op =
  | { op: 'enqueue'; c: number; ids: string[]; attempts: number }
  | { op: 'takeBatch'; c: number; max: number; leaseMs: number }
  | { op: 'putBack'; b: number; keep: number }
  | { op: 'keepTokens'; b: number; keep: number }
  | { op: 'markSent'; b: number; refresh: number; fence: boolean; leaseMs: number }
  | { op: 'markUncertain'; b: number; leaseMs: number }
  | { op: 'renewLeases'; bs: number[]; leaseMs: number }
  | { op: 'releaseBatch'; b: number }
  | { op: 'completeBatch'; b: number }
  | { op: 'reclaimExpired'; advanceMs: number; leaseMs: number }
  | { op: 'writeBudget'; stale: boolean; used: number }
  | { op: 'look' };

const lease = fc.integer({ min: 1, max: 60 });
const operation: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('enqueue' as const),
      c: collection,
      ids: fc.array(tokenId, { minLength: 1, maxLength: 3 }),
      attempts: fc.nat(2),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('takeBatch' as const),
      c: collection,
      max: fc.integer({ min: 1, max: 4 }),
      leaseMs: lease,
    }),
  },
  fc.record({ op: fc.constant('putBack' as const), b: batch, keep: fc.nat(15) }),
  fc.record({ op: fc.constant('keepTokens' as const), b: batch, keep: fc.nat(15) }),
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('markSent' as const),
      b: batch,
      refresh: fc.nat(4),
      fence: fc.boolean(),
      leaseMs: lease,
    }),
  },
  fc.record({ op: fc.constant('markUncertain' as const), b: batch, leaseMs: lease }),
  fc.record({
    op: fc.constant('renewLeases' as const),
    bs: fc.array(batch, { maxLength: 3 }),
    leaseMs: lease,
  }),
  fc.record({ op: fc.constant('releaseBatch' as const), b: batch }),
  fc.record({ op: fc.constant('completeBatch' as const), b: batch }),
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('reclaimExpired' as const),
      advanceMs: fc.nat(80),
      leaseMs: lease,
    }),
  },
  fc.record({ op: fc.constant('writeBudget' as const), stale: fc.boolean(), used: fc.nat(10) }),
  fc.record({ op: fc.constant('look' as const) }),
);

/**
 * Runs `ops` on one store and returns what each answered, with batch ids replaced by their
 * creation order (each store names its batches its own way).
 */
async function run(store: SchedulerStore, ops: Op[]): Promise<unknown[]> {
  let now = T0;
  const ids: string[] = [];
  /** The tokens each batch holds, as this caller knows them. */
  const tokens = new Map<string, LeasedBatch['tokens']>();
  /** takeovers as the holder knows them (fencing markSent). */
  const takeovers = new Map<string, number>();
  const collectionOf = new Map<string, string>();
  const pick = (b: number) => (ids.length === 0 ? undefined : ids[b % ids.length]);
  const index = (id: string) => ids.indexOf(id);
  const shown = (b: LeasedBatch) => ({
    batch: index(b.batchId),
    collectionAddress: b.collectionAddress,
    tokens: b.tokens,
    refreshId: b.refreshId,
    uncertainSinceMs: b.uncertainSinceMs,
    leaseUntilMs: b.leaseUntilMs,
    takeovers: b.takeovers ?? 0,
  });
  const out: unknown[] = [];
  for (const o of ops) {
    now += 1;
    switch (o.op) {
      case 'enqueue': {
        // One id per call, each in its own millisecond (see the file's comment).
        for (const id of o.ids) {
          await store.enqueue({
            collectionAddress: COLLECTIONS[o.c] as string,
            tokens: [{ tokenId: id, attempts: o.attempts }],
            nowMs: now++,
          });
        }
        out.push('enqueued');
        break;
      }
      case 'takeBatch': {
        const taken = await store.takeBatch({
          collectionAddress: COLLECTIONS[o.c] as string,
          max: o.max,
          leaseUntilMs: now + o.leaseMs,
          nowMs: now,
        });
        if (taken) {
          ids.push(taken.batchId);
          tokens.set(taken.batchId, taken.tokens);
          takeovers.set(taken.batchId, 0);
          collectionOf.set(taken.batchId, taken.collectionAddress);
        }
        out.push(taken && shown(taken));
        break;
      }
      case 'putBack':
      case 'keepTokens': {
        // As prepare() does: ids that did not fit go back (with their read), the rest stay.
        const id = pick(o.b);
        if (id === undefined) break;
        const held = tokens.get(id) ?? [];
        const kept = held.filter((_, i) => (o.keep >> i) & 1);
        const back = held.filter((_, i) => !((o.keep >> i) & 1));
        if (o.op === 'putBack' && back.length > 0) {
          await store.enqueue({
            collectionAddress: collectionOf.get(id) as string,
            tokens: back.map((t) => ({ ...t, keptRead: JSON.stringify({ read: t.tokenId }) })),
            nowMs: now,
          });
        }
        await store.keepTokens({ batchId: id, tokenIds: kept.map((t) => t.tokenId) });
        tokens.set(id, kept);
        out.push(['kept', index(id), kept.length]);
        break;
      }
      case 'markSent': {
        const id = pick(o.b);
        if (id === undefined) break;
        out.push(
          await store.markSent({
            batchId: id,
            refreshId: `refresh-${o.refresh}`,
            leaseUntilMs: now + o.leaseMs,
            takeovers: o.fence ? (takeovers.get(id) ?? 0) : undefined,
          }),
        );
        break;
      }
      case 'markUncertain': {
        const id = pick(o.b);
        if (id === undefined) break;
        await store.markUncertain({ batchId: id, sentAtMs: now, leaseUntilMs: now + o.leaseMs });
        out.push('uncertain');
        break;
      }
      case 'renewLeases': {
        const chosen = [...new Set(o.bs.map(pick).filter((id) => id !== undefined))];
        await store.renewLeases({ batchIds: chosen, leaseUntilMs: now + o.leaseMs });
        out.push('renewed');
        break;
      }
      case 'releaseBatch':
      case 'completeBatch': {
        const id = pick(o.b);
        if (id === undefined) break;
        if (o.op === 'releaseBatch') await store.releaseBatch({ batchId: id, nowMs: now });
        else await store.completeBatch({ batchId: id });
        out.push(o.op);
        break;
      }
      case 'reclaimExpired': {
        now += o.advanceMs;
        const adopted = await store.reclaimExpired({ nowMs: now, leaseUntilMs: now + o.leaseMs });
        for (const b of adopted) {
          tokens.set(b.batchId, b.tokens);
          takeovers.set(b.batchId, b.takeovers ?? 0);
        }
        out.push(adopted.map(shown).sort((a, b) => a.batch - b.batch));
        break;
      }
      case 'writeBudget': {
        const { version } = await store.readBudget();
        const state = { ...UNKNOWN_BUDGET, limit: 10, used: o.used, windowEndsMs: now + 1000 };
        out.push(await store.writeBudget({ state, version: o.stale ? version - 1 : version }));
        out.push(await store.readBudget());
        break;
      }
      case 'look': {
        out.push(await store.counts());
        out.push(
          (await store.pendingCollections()).sort((a, b) =>
            a.collectionAddress.localeCompare(b.collectionAddress),
          ),
        );
        break;
      }
    }
  }
  out.push(await store.counts());
  out.push(
    (await store.pendingCollections()).sort((a, b) =>
      a.collectionAddress.localeCompare(b.collectionAddress),
    ),
  );
  // What each batch holds at the end, as a takeover would find it.
  const last = await store.reclaimExpired({
    nowMs: now + 1_000_000,
    leaseUntilMs: now + 2_000_000,
  });
  out.push(last.map(shown).sort((a, b) => a.batch - b.batch));
  return out;
}

describe.skipIf(!redisAvailable)('MemoryStore and the Redis store agree', () => {
  let redis: RunningRedis;
  let nodeRedis: ReturnType<typeof createClient>;
  let ioredis: Redis;
  let n = 0;

  beforeAll(async () => {
    redis = await startRedis();
    nodeRedis = createClient({ url: redis.url });
    nodeRedis.on('error', () => {});
    ioredis = new Redis(redis.port, '127.0.0.1', { lazyConnect: true });
  });
  afterAll(async () => {
    await nodeRedis?.close().catch(() => {});
    ioredis?.disconnect();
    await redis?.stop();
  });

  const clients = () => ({ 'node-redis': nodeRedis, ioredis });
  for (const kind of ['node-redis', 'ioredis'] as const) {
    it(`on random operation sequences (${kind})`, { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 40 }), async (ops) => {
          const memory = new MemoryStore();
          const inRedis = createRedisStore({
            client: clients()[kind],
            prefix: `diff-${kind}-${++n}`,
          });
          expect(await run(inRedis, ops)).toEqual(await run(memory, ops));
        }),
        { numRuns: 300 },
      );
    });
  }
});
