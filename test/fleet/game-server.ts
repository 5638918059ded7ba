/**
 * One game server of the fleet tests (test/fleet/*.test.ts), run as a child process:
 * `node --import tsx test/fleet/game-server.ts '<config json>'`.
 *
 * It runs a RefreshScheduler on the shared Redis store (over the client kind its config names)
 * driving Immutable X, or with `zkevm` set a zkEVM reference server (each token's metadata read
 * from the game's Metadata API by `metadataApiSource`), enqueues its chunks of token ids over
 * time and writes one JSON line to stdout for everything the parent checks:
 * - `{ kind: 'ready' }` once connected to Redis; it then waits for a line on stdin to start;
 * - zkEVM: `{ kind: 'levelled', ids, at }` after the game levelled a chunk's heroes up (the
 *   Metadata API serves the new level), just before the chunk is enqueued;
 * - `{ kind: 'enqueued', ids, at }` after each `enqueue` resolved (the ids are in Redis);
 * - zkEVM: `{ kind: 'reading', ids, at }` when the scheduler starts reading a batch's metadata;
 * - `{ kind: 'event', event, at }` for every scheduler event;
 * - `{ kind: 'post', status, at, sentAt, resetMs, remaining }` for every POST response;
 * - `{ kind: 'drained', at }` when `drained()` resolves after all its enqueues;
 * - `{ kind: 'stopped', at }` after SIGTERM stopped the scheduler (then it exits 0).
 * It keeps running after `drained` (so it can adopt the leases of a process that died) until
 * the parent sends SIGTERM.
 */
import {
  MetadataRefreshClient,
  type MetadataSource,
  metadataApiSource,
  parseRateLimit,
  RefreshScheduler,
  type RefreshSchedulerOptions,
  type ResponseInfo,
  type SchedulerEvent,
  ZkEvmMetadataClient,
  zkEvmTarget,
} from '../../src/index.js';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { parseZkEvmRateLimit } from '../../src/wire/zkevm/rate-limit.js';
import { PRIVATE_KEY } from '../support/fixtures.js';

/**
 * How a game server reaches the shared store: `url` (the store's own node-redis client, the
 * default), or a client it creates and passes as `{ client }`.
 */
export type FleetClientKind =
  | 'url'
  | 'node-redis'
  | 'ioredis'
  | 'node-redis-cluster'
  | 'ioredis-cluster';

/** What the parent passes as the one argument, as JSON. */
export interface GameServerConfig {
  /** Base URL of the reference server (Immutable X, or zkEVM with `zkevm`). */
  serverUrl: string;
  /** Drive the zkEVM API instead of Immutable X. */
  zkevm?: {
    apiKey: string;
    chainName: string;
    /** The game's Metadata API, read by `metadataApiSource` (`${url}/${tokenId}`). */
    metadataApiUrl: string;
    /** POST `{ ids }` here levels those heroes up (the game writing its database). */
    levelUpUrl: string;
  };
  /** Redis URL of the shared store (one Redis; for a cluster, any node's). */
  redisUrl: string;
  /** Which client this game server uses (default `url`). */
  client?: FleetClientKind;
  /** The cluster's nodes, for the `*-cluster` kinds. */
  clusterNodes?: { host: string; port: number }[];
  /** Key prefix of the shared store (the same for the whole fleet). */
  prefix: string;
  collectionAddress: string;
  /** Ids to enqueue, one `enqueue` call per chunk. */
  chunks: string[][];
  /** Pause between chunks. */
  chunkDelayMs: number;
  /** Immutable X: the fixed limit. zkEVM: no limit (it is learned from the answers). */
  budget: { limit?: number; windowMs: number };
  /** Most ids per request (default 1000 on Immutable X, 250 on zkEVM: the APIs' maximum). */
  maxBatchSize?: number;
  /** The scheduler's `windowGuardMs` (default 500). */
  windowGuardMs?: number;
  maxDelayMs: number;
  leaseMs: number;
  pollIntervalMs: number;
  idlePollMs: number;
}

/** One line of the child's stdout. */
export type FleetLine =
  | { kind: 'ready'; at: number }
  | { kind: 'levelled'; ids: string[]; at: number }
  | { kind: 'enqueued'; ids: string[]; at: number }
  | { kind: 'reading'; ids: string[]; at: number }
  | { kind: 'event'; event: SchedulerEvent; at: number }
  | {
      kind: 'post';
      status: number;
      /** When the response arrived. */
      at: number;
      /** When the request was sent (`at - durationMs`). */
      sentAt: number;
      /** The window end the server reported (its reset header), in ms. */
      resetMs: number | undefined;
      remaining: number | undefined;
    }
  | { kind: 'drained'; at: number }
  | { kind: 'stopped'; at: number }
  | { kind: 'fatal'; message: string };

// Writes to a pipe are synchronous on Linux, so every line written before a SIGKILL reaches the
// parent.
function emit(line: FleetLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function serializable(event: SchedulerEvent): SchedulerEvent {
  if (event.type !== 'error') return event;
  const error = event.error;
  return {
    type: 'error',
    error:
      error instanceof Error
        ? { name: error.name, message: error.message }
        : { message: String(error) },
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The store over the configured client, and how to close both. */
async function openStore(
  config: GameServerConfig,
): Promise<{ store: RedisStore; close(): Promise<void> }> {
  const kind = config.client ?? 'url';
  const nodes = config.clusterNodes ?? [];
  // The fleet's window is set once, on the store; the schedulers take it from there.
  const windowMs = config.budget.windowMs;
  if (kind === 'url') {
    const store = createRedisStore({ url: config.redisUrl, windowMs }, config.prefix);
    return { store, close: () => store.close() };
  }
  if (kind === 'node-redis' || kind === 'node-redis-cluster') {
    const { createClient, createCluster } = await import('redis');
    const client =
      kind === 'node-redis'
        ? createClient({ url: config.redisUrl })
        : createCluster({
            rootNodes: nodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
          });
    client.on('error', () => {});
    // Not connected: the store connects it.
    const store = createRedisStore({ client, prefix: config.prefix, windowMs });
    return {
      store,
      close: async () => {
        await store.close();
        await client.close();
      },
    };
  }
  const { Cluster, Redis } = await import('ioredis');
  const client = kind === 'ioredis' ? new Redis(config.redisUrl) : new Cluster(nodes);
  client.on('error', () => {});
  const store = createRedisStore({ client, prefix: config.prefix, windowMs });
  return {
    store,
    close: async () => {
      await store.close();
      await client.quit();
    },
  };
}

/** One line per POST answer, with the budget its headers reported. */
function emitPost(info: ResponseInfo, zkevm: boolean): void {
  if (info.method !== 'POST') return;
  const at = Date.now();
  const rateLimit = zkevm ? parseZkEvmRateLimit(info.headers, at) : parseRateLimit(info.headers);
  emit({
    kind: 'post',
    status: info.status,
    at,
    sentAt: at - info.durationMs,
    resetMs: rateLimit?.resetAt.getTime(),
    remaining: rateLimit?.remaining,
  });
}

/** The target half of the scheduler's options: an Immutable X client, or a zkEVM target. */
function targetOptions(
  config: GameServerConfig,
): Pick<RefreshSchedulerOptions, 'client' | 'target'> {
  const zkevm = config.zkevm;
  // The lease must outlive the longest send (the scheduler refuses a shorter one): one attempt
  // of at most 60% of it, and on zkEVM the apply delay in the rest.
  const sendBounds = { timeoutMs: Math.floor(config.leaseMs * 0.6), maxRetries: 0 };
  if (!zkevm) {
    return {
      client: new MetadataRefreshClient({
        signer: PRIVATE_KEY,
        baseURL: config.serverUrl,
        ...sendBounds,
        onResponse: (info) => emitPost(info, false),
      }),
    };
  }
  const client = new ZkEvmMetadataClient({
    apiKey: zkevm.apiKey,
    baseURL: config.serverUrl,
    chainName: zkevm.chainName,
    ...sendBounds,
    onResponse: (info) => emitPost(info, true),
  });
  const read = metadataApiSource({ baseUrl: zkevm.metadataApiUrl });
  const metadata: MetadataSource = (contractAddress, tokenIds, options) => {
    emit({ kind: 'reading', ids: [...tokenIds], at: Date.now() });
    return read(contractAddress, tokenIds, options);
  };
  return {
    target: zkEvmTarget({ client, metadata, applyDelayMs: Math.floor(config.leaseMs * 0.3) }),
  };
}

/** zkEVM: the game levels the heroes up in its database (the Metadata API) before the event. */
async function levelUp(config: GameServerConfig, ids: string[]): Promise<void> {
  const zkevm = config.zkevm;
  if (!zkevm) return;
  const response = await fetch(zkevm.levelUpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ids }),
  });
  if (response.status !== 204) throw new Error(`level-up answered ${response.status}`);
  emit({ kind: 'levelled', ids, at: Date.now() });
}

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (!raw) throw new Error('usage: game-server.ts <config json>');
  const config = JSON.parse(raw) as GameServerConfig;

  const { store, close } = await openStore(config);
  const scheduler = new RefreshScheduler({
    ...targetOptions(config),
    store,
    budget: { limit: config.budget.limit },
    maxBatchSize: config.maxBatchSize ?? (config.zkevm ? 250 : 1000),
    maxDelayMs: config.maxDelayMs,
    leaseMs: config.leaseMs,
    pollIntervalMs: config.pollIntervalMs,
    idlePollMs: config.idlePollMs,
    // By default a sixth of the 3 s window: under a loaded 2-core machine a POST can take a few
    // hundred ms.
    windowGuardMs: config.windowGuardMs ?? 500,
    onEvent: (event) => emit({ kind: 'event', event: serializable(event), at: Date.now() }),
  });

  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await scheduler.stop();
      await close();
      emit({ kind: 'stopped', at: Date.now() });
      process.exit(0);
    })().catch((error: unknown) => {
      emit({ kind: 'fatal', message: String((error as Error)?.stack ?? error) });
      process.exit(1);
    });
  });

  // Warm up (load node-redis, connect), say so, and start when the parent says `go` on stdin, so
  // the fleet's enqueues overlap in time however long each process took to start.
  await store.counts();
  const go = new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  emit({ kind: 'ready', at: Date.now() });
  await go;
  scheduler.start();
  for (const [i, ids] of config.chunks.entries()) {
    if (i > 0) await sleep(config.chunkDelayMs);
    if (stopping) return;
    await levelUp(config, ids);
    await scheduler.enqueue(config.collectionAddress, ids);
    emit({ kind: 'enqueued', ids, at: Date.now() });
  }
  await scheduler.drained();
  emit({ kind: 'drained', at: Date.now() });
  // Keep running: the scheduler adopts expired leases of others until SIGTERM.
}

main().catch((error: unknown) => {
  emit({ kind: 'fatal', message: String((error as Error)?.stack ?? error) });
  process.exit(1);
});
