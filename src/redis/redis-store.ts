/**
 * The scheduler's store in Redis, shared by a fleet: one budget, one pending set per collection
 * and the leases. Works with a node-redis client (`redis` 4 to 6), or anything with
 * `sendCommand(args)`. Needs one Redis (not a cluster): scripts touch keys by prefix.
 */
import { createHash } from 'node:crypto';
import { MetadataRefreshError, StoreUnavailableError } from '../errors.js';
import {
  type BudgetView,
  KNOWN_REFRESH_IDS,
  type LeasedBatch,
  type PendingCollection,
  type PendingToken,
  type SchedulerStore,
  type StoreCounts,
} from '../scheduler/store.js';
import * as Lua from './scripts.js';

/** The part of a Redis client the store uses: node-redis's `sendCommand`. */
export interface RedisCommandClient {
  /** Sends one raw command, e.g. `['EVALSHA', sha, '1', key]`. */
  sendCommand(args: string[]): Promise<unknown>;
}

/** A node-redis client the store created and owns. */
interface OwnedClient extends RedisCommandClient {
  connect(): Promise<unknown>;
  quit?(): Promise<unknown>;
  close?(): Promise<unknown>;
  destroy?(): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

/** How to reach Redis: a URL (the store connects and owns the client) or your connected client. */
export type RedisConnection = { url: string } | { client: RedisCommandClient };

/** Default of `commandTimeoutMs` in {@link RedisStoreOptions}. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2_000;

/** Options of {@link createRedisStore}: a connection, plus where the keys live and how long to wait. */
export type RedisStoreOptions = RedisConnection & {
  /** Keys live under this prefix (default `imx-refresh`); give each project its own. */
  prefix?: string | undefined;
  /**
   * Longest a store operation waits for Redis (default 2000 ms, including connecting). Past it,
   * or at once when the connection is down, the operation rejects with `StoreUnavailableError`
   * instead of blocking the game server's `enqueue` on a paused or restarting Redis.
   */
  commandTimeoutMs?: number | undefined;
};

/** A {@link SchedulerStore} in Redis, with `close()` for a client it created. */
export interface RedisStore extends SchedulerStore {
  /** Closes the connection when the store created it (from `{ url }`); otherwise does nothing. */
  close(): Promise<void>;
  /** Deletes every key under this store's prefix (tests and tools). */
  clear(): Promise<void>;
}

type Reply = string | number | null | Reply[];

function toTokens(json: string): PendingToken[] {
  const rows = JSON.parse(json) as [string, string, string][];
  return rows.map(([tokenId, attempts, enqueuedMs]) => ({
    tokenId,
    attempts: Number(attempts),
    enqueuedMs: Number(enqueuedMs),
  }));
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

// Connection-level failures name their class; a reply error (a script bug, OOM, WRONGTYPE) is
// Redis answering, so it is not "unreachable".
function isReplyError(error: unknown): boolean {
  return error instanceof Error && /ErrorReply|ReplyError/.test(error.constructor?.name ?? '');
}

/**
 * Creates the Redis store.
 *
 * @example
 * ```ts
 * const store = createRedisStore({ url: process.env.REDIS_URL!, prefix: 'heroes-prod' });
 * const scheduler = new RefreshScheduler({ client, store });
 * ```
 *
 * @param options - the connection, `prefix` and `commandTimeoutMs`.
 * @param prefix - the key prefix, as a second argument (the form of 0.1); `options.prefix` wins.
 * @throws {TypeError} a bad prefix, connection or timeout.
 */
export function createRedisStore(options: RedisStoreOptions, prefix?: string): RedisStore {
  const connection = options;
  prefix = options?.prefix ?? prefix ?? 'imx-refresh';
  if (typeof prefix !== 'string' || prefix === '' || /[\s{}]/.test(prefix)) {
    throw new TypeError('prefix must be a non-empty string without spaces or braces');
  }
  const commandTimeoutMs = options?.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
  if (
    typeof commandTimeoutMs !== 'number' ||
    !Number.isFinite(commandTimeoutMs) ||
    commandTimeoutMs <= 0 ||
    commandTimeoutMs > 2_147_483_647
  ) {
    throw new TypeError('commandTimeoutMs must be a positive number of milliseconds');
  }
  let owned: OwnedClient | undefined;
  let ready: Promise<RedisCommandClient>;
  // Loading node-redis is this process's start-up cost, not Redis being slow: the command
  // deadline starts after it.
  let loaded: Promise<unknown> = Promise.resolve();
  if ('client' in connection && connection.client) {
    if (typeof connection.client.sendCommand !== 'function') {
      throw new TypeError('client must be a node-redis client (with sendCommand)');
    }
    ready = Promise.resolve(connection.client);
  } else if ('url' in connection && typeof connection.url === 'string') {
    const { url } = connection;
    const module = import('redis');
    loaded = module.catch(() => {});
    ready = module.then(async ({ createClient }) => {
      // No offline queue: while Redis is down a command fails at once (StoreUnavailableError)
      // instead of waiting for a reconnect that may never come.
      owned = createClient({
        url,
        disableOfflineQueue: true,
        socket: { connectTimeout: commandTimeoutMs },
      }) as unknown as OwnedClient;
      owned.on('error', () => {
        // Reconnects are node-redis's job; failed commands reject where they are awaited.
      });
      await owned.connect();
      return owned;
    });
  } else {
    throw new TypeError('createRedisStore needs { url } or { client }');
  }

  const key = {
    collections: `${prefix}:collections`,
    pending: (c: string) => `${prefix}:pending:${c}`,
    attempts: (c: string) => `${prefix}:attempts:${c}`,
    leases: `${prefix}:leases`,
    sequence: `${prefix}:batch-sequence`,
    inflight: `${prefix}:inflight`,
    budget: `${prefix}:budget`,
    slots: `${prefix}:budget-slots`,
    slotSequence: `${prefix}:budget-slot-sequence`,
    batch: (id: string) => `${prefix}:batch:${id}`,
    knownRefreshes: `${prefix}:known-refreshes`,
  };

  async function evaluate(script: string, keys: string[], args: (string | number)[]) {
    const client = await ready;
    const argv = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return (await client.sendCommand(['EVALSHA', sha1(script), ...argv])) as Reply;
    } catch (error) {
      if (!String((error as Error)?.message).includes('NOSCRIPT')) throw error;
      return (await client.sendCommand(['EVAL', script, ...argv])) as Reply;
    }
  }

  /** One store operation, bounded by `commandTimeoutMs`, failing with a typed error. */
  async function run(
    operation: string,
    script: string,
    keys: string[],
    args: (string | number)[],
  ): Promise<Reply> {
    await loaded;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StoreUnavailableError(
              `The scheduler's Redis store did not answer ${operation} within ${commandTimeoutMs} ms`,
              { operation },
            ),
          ),
        commandTimeoutMs,
      );
    });
    const attempt = evaluate(script, keys, args);
    // A late answer or failure after the timeout must not become an unhandled rejection.
    attempt.catch(() => {});
    try {
      return await Promise.race([attempt, timeout]);
    } catch (error) {
      if (error instanceof MetadataRefreshError) throw error;
      const reason =
        error instanceof Error
          ? `${error.name}${error.message ? `: ${error.message}` : ''}`
          : String(error);
      if (isReplyError(error)) {
        throw new MetadataRefreshError(`Redis refused the store's ${operation}: ${reason}`, {
          cause: error,
        });
      }
      throw new StoreUnavailableError(
        `The scheduler's Redis store is unreachable (${operation}): ${reason || 'connection lost'}`,
        { operation, cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  const budgetView = (reply: Reply): BudgetView => {
    const [used, ends] = reply as [number, string];
    return { used: Number(used), windowEndsMs: Number(ends) };
  };

  return {
    async enqueue(collectionAddress, tokens, nowMs) {
      const c = collectionAddress.toLowerCase();
      // Chunked so one script never holds a huge argument list.
      for (let i = 0; i < tokens.length; i += 5000) {
        const args: (string | number)[] = [c, nowMs];
        for (const t of tokens.slice(i, i + 5000))
          args.push(t.tokenId, t.attempts, t.enqueuedMs ?? '');
        await run('enqueue', Lua.ENQUEUE, [key.collections, key.pending(c), key.attempts(c)], args);
      }
    },

    async pendingCollections(): Promise<PendingCollection[]> {
      const reply = (await run(
        'pendingCollections',
        Lua.PENDING_COLLECTIONS,
        [key.collections],
        [prefix],
      )) as Reply[];
      const out: PendingCollection[] = [];
      for (let i = 0; i < reply.length; i += 3) {
        out.push({
          collectionAddress: String(reply[i]),
          count: Number(reply[i + 1]),
          oldestMs: Number(reply[i + 2]),
        });
      }
      return out;
    },

    async takeBatch(collectionAddress, max, leaseUntilMs): Promise<LeasedBatch | undefined> {
      const c = collectionAddress.toLowerCase();
      const reply = (await run(
        'takeBatch',
        Lua.TAKE_BATCH,
        [key.pending(c), key.attempts(c), key.collections, key.leases, key.sequence, key.inflight],
        [max, leaseUntilMs, c, prefix],
      )) as [string, string] | null;
      if (!reply) return undefined;
      return {
        batchId: String(reply[0]),
        collectionAddress: c,
        tokens: toTokens(reply[1]),
        refreshId: undefined,
        leaseUntilMs,
      };
    },

    async markSent(batchId, refreshId, leaseUntilMs) {
      const marked = await run(
        'markSent',
        Lua.MARK_SENT,
        [key.batch(batchId), key.leases, key.knownRefreshes],
        [batchId, refreshId, leaseUntilMs, KNOWN_REFRESH_IDS],
      );
      return Number(marked) === 1;
    },

    async markUncertain(batchId, sentAtMs, leaseUntilMs) {
      await run(
        'markUncertain',
        Lua.MARK_UNCERTAIN,
        [key.batch(batchId), key.leases],
        [batchId, sentAtMs, leaseUntilMs],
      );
    },

    async renewLeases(batchIds, leaseUntilMs) {
      if (batchIds.length === 0) return;
      await run('renewLeases', Lua.RENEW_LEASES, [key.leases], [prefix, leaseUntilMs, ...batchIds]);
    },

    async releaseBatch(batchId) {
      await run(
        'releaseBatch',
        Lua.RELEASE_BATCH,
        [key.collections, key.leases, key.inflight],
        [prefix, batchId],
      );
    },

    async completeBatch(batchId) {
      await run('completeBatch', Lua.COMPLETE_BATCH, [key.leases, key.inflight], [prefix, batchId]);
    },

    async reclaimExpired(nowMs, leaseUntilMs): Promise<LeasedBatch[]> {
      const reply = (await run(
        'reclaimExpired',
        Lua.RECLAIM_EXPIRED,
        [key.collections, key.leases, key.inflight],
        [prefix, nowMs, leaseUntilMs],
      )) as string[];
      const out: LeasedBatch[] = [];
      for (let i = 0; i < reply.length; i += 5) {
        const refreshId = String(reply[i + 3]);
        const uncertainSince = String(reply[i + 4]);
        out.push({
          batchId: String(reply[i]),
          collectionAddress: String(reply[i + 1]),
          tokens: toTokens(String(reply[i + 2])),
          refreshId: refreshId === '' ? undefined : refreshId,
          uncertainSinceMs: uncertainSince === '' ? undefined : Number(uncertainSince),
          leaseUntilMs,
        });
      }
      return out;
    },

    async takeBudgetSlot(max, windowMs, _nowMs, ttlMs) {
      const [taken, used, ends, slot] = (await run(
        'takeBudgetSlot',
        Lua.TAKE_BUDGET_SLOT,
        [key.budget, key.slots, key.slotSequence],
        [max, windowMs, Math.max(1, Math.round(ttlMs))],
      )) as [number, number, string, string];
      return {
        taken: Number(taken) === 1,
        slotId: slot ? String(slot) : undefined,
        used: Number(used),
        windowEndsMs: Number(ends),
      };
    },

    async settleBudgetSlot(slotId, countedWindowEndsMs, windowMs) {
      const counted = countedWindowEndsMs === undefined ? '' : countedWindowEndsMs - windowMs;
      await run(
        'settleBudgetSlot',
        Lua.SETTLE_BUDGET_SLOT,
        [key.slots, key.budget],
        [slotId, counted, windowMs],
      );
    },

    async syncBudget(used, windowEndsMs, windowMs) {
      return budgetView(
        await run('syncBudget', Lua.SYNC_BUDGET, [key.budget], [used, windowEndsMs, windowMs]),
      );
    },

    async budget(windowMs) {
      return budgetView(await run('budget', Lua.BUDGET, [key.budget], [windowMs]));
    },

    async counts(): Promise<StoreCounts> {
      const [pending, inFlight] = (await run(
        'counts',
        Lua.COUNTS,
        [key.collections, key.inflight],
        [prefix],
      )) as [number, number];
      return { pending: Number(pending), inFlight: Number(inFlight) };
    },

    async close() {
      if (!owned) return;
      const client = owned;
      owned = undefined;
      if (typeof client.close === 'function') await client.close();
      else if (typeof client.quit === 'function') await client.quit();
    },

    async clear() {
      const client = await ready;
      let cursor = '0';
      do {
        const [next, keys] = (await client.sendCommand([
          'SCAN',
          cursor,
          'MATCH',
          `${prefix}:*`,
          'COUNT',
          '1000',
        ])) as [string, string[]];
        cursor = String(next);
        if (keys.length > 0) await client.sendCommand(['DEL', ...keys]);
      } while (cursor !== '0');
    },
  };
}
