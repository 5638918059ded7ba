/**
 * The scheduler's store in Redis, shared by a fleet: one budget, one pending set per collection
 * and the leases. Works with node-redis (`redis` 4 to 6, a client or a cluster) and ioredis 5 to
 * 6 (a client or a Cluster), on one Redis or a Redis Cluster: every key of a store carries the
 * same hash tag, `{prefix}`, so every script runs on one slot.
 */
import { createHash } from 'node:crypto';
import { MAX_TIMER_MS } from '../clock.js';
import { MetadataRefreshError, StoreUnavailableError, scrubCause } from '../errors.js';
import { optionChecks } from '../option-checks.js';
import { type BudgetState, UNKNOWN_BUDGET } from '../scheduler/learned-budget.js';
import {
  KNOWN_REFRESH_IDS,
  type LeasedBatch,
  type PendingCollection,
  type PendingToken,
  type SchedulerStore,
  type StoreCounts,
  type StoredBudget,
  storeWindowMs,
} from '../scheduler/store.js';
import {
  type CommandClient,
  type NodeRedisLike,
  type RedisClientLike,
  toCommandClient,
} from './command-client.js';
import * as Lua from './scripts.js';

/**
 * A client the store accepts, told apart by its shape: a node-redis client (`sendCommand(args)`),
 * a node-redis cluster (`sendCommand(firstKey, isReadonly, args)` and `getSlotMaster`), an ioredis
 * client or an ioredis `Cluster` (`call(command, ...args)`). Connected or not: a node-redis client
 * or cluster that is not open is connected on the first command; ioredis connects itself.
 */
export type RedisCommandClient = RedisClientLike;

/** A node-redis client the store created and owns. */
interface OwnedClient extends NodeRedisLike {
  connect(): Promise<unknown>;
  quit?(): Promise<unknown>;
  close?(): Promise<unknown>;
  destroy?(): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

/**
 * How to reach Redis: a URL (one Redis; the store creates a node-redis client, connects it and
 * closes it in `close()`), or your client (any kind of {@link RedisCommandClient}, for a Cluster
 * or ioredis), which the store uses but never closes.
 */
export type RedisConnection = { url: string } | { client: RedisCommandClient };

/** Default of `commandTimeoutMs` in {@link RedisStoreOptions}. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2_000;

/**
 * Options of {@link createRedisStore}: a connection, plus where the keys live, how long to wait
 * and the budget's window.
 */
export type RedisStoreOptions = RedisConnection & {
  /**
   * Keys live under this prefix (default `imx-refresh`), as `{prefix}:…`: the braces are a Redis
   * Cluster hash tag, so all keys of one store share one slot. Give each project its own.
   */
  prefix?: string | undefined;
  /**
   * Longest a store operation waits for Redis (default 2000 ms, including connecting). Past it,
   * or at once when the connection is down, the operation rejects with `StoreUnavailableError`
   * instead of blocking the game server's `enqueue` on a paused or restarting Redis.
   */
  commandTimeoutMs?: number | undefined;
  /**
   * The budget's window (ms) when it is told in advance (Immutable X), aligned to the epoch by
   * the schedulers' clocks. Default one hour (`REFRESH_WINDOW_MS`). Every process of a fleet must
   * give the same window for one prefix.
   */
  windowMs?: number | undefined;
};

/** A {@link SchedulerStore} in Redis, with `close()` for a client it created. */
export interface RedisStore extends SchedulerStore {
  /**
   * Closes the connection when the store created it (from `{ url }`), also one still opening;
   * every operation after it rejects with `StoreUnavailableError`. With your `client`, does
   * nothing. Calling it again does nothing.
   *
   * @throws only what node-redis's own `close()` (or `quit()`) rejects with; the store is closed
   * either way. Never rejects with your `client`.
   */
  close(): Promise<void>;
  /**
   * Deletes every key of this store (tests and tools): one script on the store's node, which scans
   * that node's keys, so it costs time in proportion to all the keys there.
   *
   * @throws {StoreUnavailableError} Redis did not answer within `commandTimeoutMs`, is
   * unreachable, or the store is closed.
   * @throws {MetadataRefreshError} Redis refused the script (e.g. out of memory).
   */
  clear(): Promise<void>;
}

type Reply = string | number | null | Reply[];

function toTokens(json: string): PendingToken[] {
  const rows = JSON.parse(json) as [string, string, string, string | undefined][];
  return rows.map(([tokenId, attempts, enqueuedMs, keptRead]) => ({
    tokenId,
    attempts: Number(attempts),
    enqueuedMs: Number(enqueuedMs),
    keptRead: keptRead ? keptRead : undefined,
  }));
}

/** The budget as written (JSON; undefined fields left out), or nothing known. */
function parseBudget(json: string | null): BudgetState {
  if (!json) return { ...UNKNOWN_BUDGET };
  return { ...UNKNOWN_BUDGET, ...(JSON.parse(json) as Partial<BudgetState>) };
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

// Connection-level failures name their class; a reply error (a script bug, OOM, WRONGTYPE) is
// Redis answering, so it is not "unreachable".
function isReplyError(error: unknown): boolean {
  return error instanceof Error && /ErrorReply|ReplyError/.test(error.constructor?.name ?? '');
}

/** Who the options' checks name. */
const OWNER = 'createRedisStore';

/**
 * Creates the Redis store, on one Redis or a Redis Cluster.
 *
 * `{ url }`: the store creates a node-redis client for one Redis, connects it and closes it in
 * `close()`. `{ client }`: a node-redis client (`createClient`) or cluster (`createCluster`), or
 * an ioredis `Redis` or `Cluster`, told apart by shape; connected or not (a node-redis one that
 * is not open is connected on the first command, ioredis connects itself). The store never closes
 * a client it was given. Members of one fleet may use different kinds: the same prefix is the
 * same store.
 *
 * Keys are `{prefix}:…` (the hash tag keeps a store on one slot). Version 0.1 wrote `prefix:…`;
 * those keys are not read: drain a 0.1 fleet before upgrading, or enqueue its ids again.
 *
 * @example
 * ```ts
 * const store = createRedisStore({ url: process.env.REDIS_URL!, prefix: 'heroes-prod' });
 * const scheduler = new RefreshScheduler({ client, store });
 * ```
 *
 * @example On a Redis Cluster with ioredis
 * ```ts
 * import { Cluster } from 'ioredis';
 * const redis = new Cluster([{ host: 'redis-0', port: 6379 }]);
 * const store = createRedisStore({ client: redis, prefix: 'heroes-prod' });
 * ```
 *
 * @param options - the connection, `prefix`, `commandTimeoutMs` and `windowMs`.
 * @param prefix - the key prefix, as a second argument (the form of 0.1); `options.prefix` wins.
 * @throws {InvalidOptionError} a bad prefix, connection, timeout or window, named in the message.
 */
export function createRedisStore(options: RedisStoreOptions, prefix?: string): RedisStore {
  const check = optionChecks(OWNER);
  if (typeof options !== 'object' || options === null) {
    throw check.invalid('options', 'must be { url } or { client }', options);
  }
  const connection = options;
  prefix = options?.prefix ?? prefix ?? 'imx-refresh';
  if (typeof prefix !== 'string' || prefix === '' || /[\s{}]/.test(prefix)) {
    throw check.invalid('prefix', 'must be a non-empty string without spaces or braces', prefix);
  }
  // A longer timer fires at once (TimeoutOverflowWarning): every command would time out.
  const commandTimeoutMs = check.positiveNumber(
    'commandTimeoutMs',
    options?.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    MAX_TIMER_MS,
  );
  const windowMs = storeWindowMs(OWNER, options?.windowMs);
  let owned: OwnedClient | undefined;
  // Set by close() on a store that owns its client: from then on nothing may (re)open it, or the
  // process never exits (node-redis reconnects a closed client on the next command).
  let closed = false;
  const closedError = (operation: string) =>
    new StoreUnavailableError(`The scheduler's Redis store is closed (${operation})`, {
      operation,
    });
  let ready: Promise<CommandClient>;
  // Loading node-redis is this process's start-up cost, not Redis being slow: the command
  // deadline starts after it.
  let loaded: Promise<unknown> = Promise.resolve();
  if ('client' in connection && connection.client) {
    const client = toCommandClient(connection.client);
    ready = Promise.resolve(client);
  } else if ('url' in connection && typeof connection.url === 'string') {
    const { url } = connection;
    const module = import('redis');
    loaded = module.catch(() => {});
    ready = module.then(async ({ createClient }) => {
      // close() came first, while node-redis was still loading: never connect.
      if (closed) throw closedError('connect');
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
      return toCommandClient(owned);
    });
    // A failed connect, or a close() before it, rejects where a command awaits it; a store that
    // never runs one must not crash the process with an unhandled rejection.
    ready.catch(() => {});
  } else {
    throw check.invalid(
      'options',
      'must be { url } or { client } (a node-redis or ioredis client or cluster)',
    );
  }

  // Every key starts with the hash tag `{prefix}`: one slot per store, so each script (which
  // touches several keys, some named inside the script from this same tag) runs on one node of a
  // Cluster. The scripts get the tag as their "prefix" argument.
  const tag = `{${prefix}}`;
  const key = {
    collections: `${tag}:collections`,
    pending: (c: string) => `${tag}:pending:${c}`,
    attempts: (c: string) => `${tag}:attempts:${c}`,
    keptReads: (c: string) => `${tag}:kept-reads:${c}`,
    leases: `${tag}:leases`,
    sequence: `${tag}:batch-sequence`,
    inflight: `${tag}:inflight`,
    budget: `${tag}:budget-state`,
    batch: (id: string) => `${tag}:batch:${id}`,
    knownRefreshes: `${tag}:known-refreshes`,
  };

  async function evaluate(script: string, keys: string[], args: (string | number)[]) {
    const client = await ready;
    const argv = [String(keys.length), ...keys, ...args.map(String)];
    // Routed by the first key; all keys share the store's slot. A MOVED or ASK (resharding, a
    // failover) is followed by the client library. A node that lost its script cache (restart,
    // failover, SCRIPT FLUSH) answers NOSCRIPT: send the script itself once.
    const route = keys[0] as string;
    try {
      return (await client.send(route, ['EVALSHA', sha1(script), ...argv])) as Reply;
    } catch (error) {
      if (!String((error as Error)?.message).includes('NOSCRIPT')) throw error;
      return (await client.send(route, ['EVAL', script, ...argv])) as Reply;
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
    if (closed) throw closedError(operation);
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
          cause: scrubCause(error),
        });
      }
      throw new StoreUnavailableError(
        `The scheduler's Redis store is unreachable (${operation}): ${reason || 'connection lost'}`,
        { operation, cause: scrubCause(error) },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    windowMs,

    async enqueue({ collectionAddress, tokens, nowMs }) {
      const c = collectionAddress.toLowerCase();
      // Chunked so one script never holds a huge argument list.
      for (let i = 0; i < tokens.length; i += 5000) {
        const args: (string | number)[] = [c, nowMs];
        for (const t of tokens.slice(i, i + 5000))
          args.push(t.tokenId, t.attempts, t.enqueuedMs ?? '', t.keptRead ?? '');
        await run(
          'enqueue',
          Lua.ENQUEUE,
          [key.collections, key.pending(c), key.attempts(c), key.keptReads(c)],
          args,
        );
      }
    },

    async pendingCollections(): Promise<PendingCollection[]> {
      const reply = (await run(
        'pendingCollections',
        Lua.PENDING_COLLECTIONS,
        [key.collections],
        [tag],
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

    async takeBatch({ collectionAddress, max, leaseUntilMs }): Promise<LeasedBatch | undefined> {
      const c = collectionAddress.toLowerCase();
      const reply = (await run(
        'takeBatch',
        Lua.TAKE_BATCH,
        [
          key.pending(c),
          key.attempts(c),
          key.collections,
          key.leases,
          key.sequence,
          key.inflight,
          key.keptReads(c),
        ],
        [max, leaseUntilMs, c, tag],
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

    async markSent({ batchId, refreshId, leaseUntilMs, takeovers }) {
      const marked = await run(
        'markSent',
        Lua.MARK_SENT,
        [key.batch(batchId), key.leases, key.knownRefreshes],
        [batchId, refreshId, leaseUntilMs, KNOWN_REFRESH_IDS, tag, takeovers ?? ''],
      );
      return Number(marked) === 1;
    },

    async markUncertain({ batchId, sentAtMs, leaseUntilMs }) {
      await run(
        'markUncertain',
        Lua.MARK_UNCERTAIN,
        [key.batch(batchId), key.leases],
        [batchId, sentAtMs, leaseUntilMs],
      );
    },

    async renewLeases({ batchIds, leaseUntilMs }) {
      if (batchIds.length === 0) return;
      await run(
        'renewLeases',
        Lua.RENEW_LEASES,
        [key.leases, ...batchIds.map(key.batch)],
        [leaseUntilMs, ...batchIds],
      );
    },

    async releaseBatch({ batchId }) {
      await run(
        'releaseBatch',
        Lua.RELEASE_BATCH,
        [key.collections, key.leases, key.inflight],
        [tag, batchId],
      );
    },

    async completeBatch({ batchId }) {
      await run(
        'completeBatch',
        Lua.COMPLETE_BATCH,
        [key.leases, key.inflight, key.batch(batchId)],
        [batchId, tag],
      );
    },

    async reclaimExpired({ nowMs, leaseUntilMs }): Promise<LeasedBatch[]> {
      const reply = (await run(
        'reclaimExpired',
        Lua.RECLAIM_EXPIRED,
        [key.collections, key.leases, key.inflight],
        [tag, nowMs, leaseUntilMs],
      )) as string[];
      const out: LeasedBatch[] = [];
      for (let i = 0; i < reply.length; i += 6) {
        const refreshId = String(reply[i + 3]);
        const uncertainSince = String(reply[i + 4]);
        out.push({
          batchId: String(reply[i]),
          collectionAddress: String(reply[i + 1]),
          tokens: toTokens(String(reply[i + 2])),
          refreshId: refreshId === '' ? undefined : refreshId,
          uncertainSinceMs: uncertainSince === '' ? undefined : Number(uncertainSince),
          leaseUntilMs,
          takeovers: Number(reply[i + 5]),
        });
      }
      return out;
    },

    async readBudget(): Promise<StoredBudget> {
      const [json, version] = (await run('readBudget', Lua.READ_BUDGET, [key.budget], [])) as [
        string | null,
        string | null,
      ];
      return { state: parseBudget(json), version: Number(version ?? 0) };
    },

    async writeBudget({ state, version }) {
      const written = await run(
        'writeBudget',
        Lua.WRITE_BUDGET,
        [key.budget],
        [version, JSON.stringify(state)],
      );
      return Number(written) === 1;
    },

    async keepTokens({ batchId, tokenIds }) {
      await run(
        'keepTokens',
        Lua.KEEP_TOKENS,
        [key.batch(batchId), key.inflight],
        [tag, ...tokenIds],
      );
    },

    async counts(): Promise<StoreCounts> {
      const [pending, inFlight] = (await run(
        'counts',
        Lua.COUNTS,
        [key.collections, key.inflight],
        [tag],
      )) as [number, number];
      return { pending: Number(pending), inFlight: Number(inFlight) };
    },

    async close() {
      if (!('url' in connection) || closed) return;
      closed = true;
      // The client may still be being created (node-redis loads lazily): let that finish or stop.
      await loaded;
      if (!owned) return;
      const client = owned;
      owned = undefined;
      if (typeof client.close === 'function') await client.close();
      else if (typeof client.quit === 'function') await client.quit();
    },

    async clear() {
      // Glob-escaped, so a prefix holding glob characters matches only itself.
      const pattern = `${tag.replace(/[*?[\]\\]/g, '\\$&')}:*`;
      await run('clear', Lua.CLEAR, [key.collections], [pattern]);
    },
  };
}
