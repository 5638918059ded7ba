/**
 * Section 7: the RefreshScheduler (issue 8).
 *
 * - Saturation: a scheduler on the in-memory store with a 30,000-id backlog against the reference
 *   server (a child process) whose budget is 5 requests per 2 s window. Token ids in accepted
 *   POSTs per window ÷ (limit × 1000), over 3 full windows after the first (partial) one.
 * - `enqueue` cost per id on the memory and Redis stores, in calls of 1, 100 and 1000 ids.
 * - Ids per second one process enqueues into Redis: calls of 1000 ids, 4 at a time, for 3 s,
 *   against a plain `ZADD NX` of the same ids on the same connection (the Redis floor).
 *
 * Redis is a redis-server child on a free 127.0.0.1 port without persistence (the tests' starter),
 * stopped at the end.
 */
import {
  imxAuthHeaders,
  MemoryStore,
  MetadataRefreshClient,
  parseRateLimit,
  RefreshScheduler,
  type SchedulerStore,
} from '../src/index.js';
import { createRedisStore, type RedisStore } from '../src/redis/index.js';
import { redisAvailable, startRedis } from '../test/support/redis-server.js';
import {
  BENCH_COLLECTION,
  BENCH_PRIVATE_KEY,
  check,
  failedRow,
  fmt,
  fmtMs,
  median,
  type Row,
  reasonOf,
  type SectionResult,
  withChild,
} from './lib.js';

const LIMIT = 5;
const WINDOW_MS = 2000;
const BACKLOG = 30_000;
const FULL_WINDOWS = 3;
/** After the last measured window ends, how long answers to its requests may still arrive. */
const SETTLE_MS = 500;

const ENQUEUE_RUNS = 3;
const CALL_SIZES = [1, 100, 1000] as const;
const ENQUEUE_IDS = 100_000;
/** One id per call on Redis is one round trip per id: fewer ids keep the run short. */
const REDIS_SINGLE_IDS = 5_000;

const RATE_CALL_SIZE = 1000;
const RATE_CONCURRENCY = 4;
const RATE_MS = 3000;

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtUs = (ms: number) => `${fmt(ms * 1000, ms * 1000 < 10 ? 2 : 1)} µs`;
const elapsedMs = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

// ---------------------------------------------------------------------------------------------
// 1. Saturation

interface Saturation {
  /** Accepted ids per window index (windowStart / WINDOW_MS). */
  ids: Map<number, number>;
  posts: Map<number, number>;
  /** Offset in its window at which each accepted POST was sent, per window. */
  sendOffsets: Map<number, number[]>;
  postMs: number[];
  tooMany: number;
  otherStatuses: number[];
  errors: string[];
  firstWindow: number;
}

async function saturation(serverUrl: string): Promise<Saturation> {
  const result: Saturation = {
    ids: new Map(),
    posts: new Map(),
    sendOffsets: new Map(),
    postMs: [],
    tooMany: 0,
    otherStatuses: [],
    errors: [],
    firstWindow: 0,
  };
  // The window of each accepted POST, by the server's x-imx-refresh-limit-reset, in send order.
  // One scheduler sends one request at a time, so the next `batchSent` is that POST's.
  const acceptedWindows: number[] = [];
  const client = new MetadataRefreshClient({
    signer: BENCH_PRIVATE_KEY,
    baseURL: serverUrl,
    onResponse: (info) => {
      if (info.method !== 'POST') return;
      if (info.status === 429) {
        result.tooMany++;
        return;
      }
      if (info.status < 200 || info.status >= 300) {
        result.otherStatuses.push(info.status);
        return;
      }
      const sentAt = Date.now() - info.durationMs;
      const reset = parseRateLimit(info.headers)?.resetAt.getTime();
      const window = reset === undefined ? Math.floor(sentAt / WINDOW_MS) : reset / WINDOW_MS - 1;
      acceptedWindows.push(window);
      result.postMs.push(info.durationMs);
      const offsets = result.sendOffsets.get(window) ?? [];
      offsets.push(sentAt - window * WINDOW_MS);
      result.sendOffsets.set(window, offsets);
    },
  });
  const scheduler = new RefreshScheduler({
    client,
    // The window is the store's; the scheduler takes it from there.
    store: new MemoryStore({ windowMs: WINDOW_MS }),
    budget: { limit: LIMIT },
    maxBatchSize: 1000,
    // Only full batches: the backlog alone decides what goes out.
    maxDelayMs: 3_600_000,
    windowGuardMs: 20,
    pollIntervalMs: 250,
    maxPollIntervalMs: 1000,
    leaseMs: 60_000,
    onEvent: (event) => {
      if (event.type === 'batchSent') {
        const window = acceptedWindows.shift();
        if (window === undefined) {
          result.errors.push('a batchSent without an accepted POST before it');
          return;
        }
        result.ids.set(window, (result.ids.get(window) ?? 0) + event.tokenIds.length);
        result.posts.set(window, (result.posts.get(window) ?? 0) + 1);
      } else if (event.type === 'error' && result.errors.length < 5) {
        result.errors.push(reasonOf(event.error));
      }
    },
  });
  // Warm the signer, the connection and the server's signature check with GETs (not budgeted).
  for (let i = 0; i < 20; i++) await client.listRefreshes({ pageSize: 1 });
  const ids = Array.from({ length: BACKLOG }, (_, i) => String(i + 1));
  await scheduler.enqueue(BENCH_COLLECTION, ids);
  const started = Date.now();
  result.firstWindow = Math.floor(started / WINDOW_MS);
  scheduler.start();
  try {
    const measuredEnd = (result.firstWindow + 1 + FULL_WINDOWS) * WINDOW_MS;
    await new Promise((resolve) => setTimeout(resolve, measuredEnd + SETTLE_MS - Date.now()));
  } finally {
    await scheduler.stop();
  }
  return result;
}

function saturationRows(s: Saturation): { rows: Row[]; notes: string[] } {
  const windows = Array.from({ length: FULL_WINDOWS }, (_, i) => s.firstWindow + 1 + i);
  const perWindow = windows.map((w) => s.ids.get(w) ?? 0);
  const posts = windows.map((w) => s.posts.get(w) ?? 0);
  const capacity = LIMIT * 1000;
  const ratios = perWindow.map((n) => n / capacity);
  const ratio = perWindow.reduce((a, b) => a + b, 0) / (capacity * FULL_WINDOWS);
  const lastSend = windows.map((w) => Math.max(...(s.sendOffsets.get(w) ?? [Number.NaN])));
  const firstSend = windows.map((w) => Math.min(...(s.sendOffsets.get(w) ?? [Number.NaN])));
  const rows: Row[] = [
    {
      section: '7',
      metric: `scheduler saturation: ${fmtInt(BACKLOG)}-id backlog, limit ${LIMIT} per ${WINDOW_MS / 1000} s window, ${FULL_WINDOWS} full windows`,
      ours: `${perWindow.map(fmtInt).join(' / ')} ids in ${posts.join(' / ')} POSTs`,
      baseline: `limit × 1000 = ${fmtInt(capacity)} per window`,
      ratio: `${fmt(ratio, 3)} (min ${fmt(Math.min(...ratios), 3)})`,
      target: '≥ 0.99',
      ok: check(ratio, '>=', 0.99),
    },
    {
      section: '7',
      metric: 'scheduler saturation: 429 answers to its POSTs',
      ours: String(s.tooMany),
      baseline: `${fmtInt([...s.posts.values()].reduce((a, b) => a + b, 0))} POSTs accepted in the whole run`,
      ratio: String(s.tooMany),
      target: '0',
      ok: check(s.tooMany, '<=', 0),
    },
  ];
  const notes = [
    `scheduler saturation: reference server in a child process (fetchMetadata answers 200 '{}' at once), scheduler on the MemoryStore in the bench process with windowGuardMs 20 and maxDelayMs 1 h (full batches only); ids counted from batchSent, each attributed to the window its POST's x-imx-refresh-limit-reset names; the first, partial window is left out.`,
    `scheduler saturation: the first POST took ${fmtMs(s.postMs[0] ?? Number.NaN)}, the others ${fmtMs(median(s.postMs.slice(1)))} median (max ${fmtMs(Math.max(...s.postMs.slice(1)))}); in the measured windows the first POST went out at +${firstSend.map((t) => fmt(t, 0)).join(' / ')} ms and the last at +${lastSend.map((t) => fmt(t, 0)).join(' / ')} ms of ${WINDOW_MS} ms.`,
  ];
  if (s.otherStatuses.length > 0) {
    notes.push(`scheduler saturation: other POST answers: ${s.otherStatuses.join(', ')}`);
  }
  if (s.errors.length > 0) {
    notes.push(`scheduler saturation: error events: ${s.errors.join(' | ')}`);
  }
  return { rows, notes };
}

// ---------------------------------------------------------------------------------------------
// 2. enqueue cost per id

/** Never called: the scheduler is not started, only `enqueue` is measured. */
function idleClient(): MetadataRefreshClient {
  return new MetadataRefreshClient({ signer: BENCH_PRIVATE_KEY, baseURL: 'http://127.0.0.1:9' });
}

/** `count` distinct ids (`${tag}-${i}`) in calls of `size`, built before timing. */
function calls(tag: string, count: number, size: number): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < count; i += size) {
    out.push(Array.from({ length: Math.min(size, count - i) }, (_, j) => `${tag}-${i + j}`));
  }
  return out;
}

/** ms per id of enqueueing every call in turn, each awaited (enqueue resolves once stored). */
async function enqueueMsPerId(store: SchedulerStore, batches: string[][]): Promise<number> {
  const scheduler = new RefreshScheduler({ client: idleClient(), store });
  let ids = 0;
  const started = process.hrtime.bigint();
  for (const batch of batches) {
    await scheduler.enqueue(BENCH_COLLECTION, batch);
    ids += batch.length;
  }
  return elapsedMs(started) / ids;
}

interface EnqueueCost {
  store: 'memory' | 'redis';
  size: number;
  ids: number;
  msPerId: number;
}

async function enqueueCosts(redis: RedisStore | undefined): Promise<EnqueueCost[]> {
  const out: EnqueueCost[] = [];
  // Warm both paths (JIT; Redis loads its scripts on the first EVAL) outside the measurement.
  await enqueueMsPerId(new MemoryStore(), calls('warm', 5000, 100));
  if (redis) {
    await enqueueMsPerId(redis, calls('warm', 5000, 100));
    await enqueueMsPerId(redis, calls('warm1', 1000, 1));
    await redis.clear();
  }
  for (const kind of ['memory', 'redis'] as const) {
    if (kind === 'redis' && !redis) continue;
    for (const size of CALL_SIZES) {
      const count = kind === 'redis' && size === 1 ? REDIS_SINGLE_IDS : ENQUEUE_IDS;
      const runs: number[] = [];
      for (let run = 0; run < ENQUEUE_RUNS; run++) {
        const batches = calls(`r${run}`, count, size);
        if (kind === 'memory') {
          runs.push(await enqueueMsPerId(new MemoryStore(), batches));
        } else if (redis) {
          runs.push(await enqueueMsPerId(redis, batches));
          await redis.clear();
        }
      }
      out.push({ store: kind, size, ids: count, msPerId: median(runs) });
    }
  }
  return out;
}

function enqueueRows(costs: EnqueueCost[]): Row[] {
  return costs.map((c) => {
    const memory = costs.find((m) => m.store === 'memory' && m.size === c.size);
    const vsMemory = c.store === 'redis' && memory ? c.msPerId / memory.msPerId : undefined;
    return {
      section: '7',
      metric: `enqueue, ${c.store} store: ${fmtInt(c.ids)} ids in calls of ${c.size}, median of ${ENQUEUE_RUNS}`,
      ours: `${fmtUs(c.msPerId)}/id`,
      baseline:
        vsMemory === undefined
          ? `${fmtMs(c.msPerId * c.size)} per call`
          : `${fmtMs(c.msPerId * c.size)} per call; memory store ${fmtUs(memory?.msPerId ?? Number.NaN)}/id`,
      ratio: vsMemory === undefined ? `${fmtUs(c.msPerId)}/id` : `${fmt(vsMemory, 1)}× memory`,
      target: '',
      ok: undefined,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 3. ids per second into Redis

/** Runs `call` RATE_CONCURRENCY at a time for RATE_MS; returns ids per second and call times. */
async function idsPerSecond(
  call: (ids: string[]) => Promise<unknown>,
  tag: string,
): Promise<{ idsPerS: number; callMs: number[] }> {
  let next = 0;
  let done = 0;
  const callMs: number[] = [];
  const started = process.hrtime.bigint();
  const deadline = Date.now() + RATE_MS;
  await Promise.all(
    Array.from({ length: RATE_CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        const first = next;
        next += RATE_CALL_SIZE;
        const ids = Array.from({ length: RATE_CALL_SIZE }, (_, j) => `${tag}-${first + j}`);
        const t0 = process.hrtime.bigint();
        await call(ids);
        callMs.push(elapsedMs(t0));
        done += ids.length;
      }
    }),
  );
  return { idsPerS: done / (elapsedMs(started) / 1000), callMs };
}

async function redisRate(
  redis: RedisStore,
  url: string,
): Promise<{ rows: Row[]; notes: string[] }> {
  const scheduler = new RefreshScheduler({ client: idleClient(), store: redis });
  const ours = await idsPerSecond((ids) => scheduler.enqueue(BENCH_COLLECTION, ids), 'rate');
  await redis.clear();
  // The floor: the same ids with one plain ZADD NX each call, on a connection of its own.
  const { createClient } = await import('redis');
  const raw = createClient({ url });
  raw.on('error', () => {});
  await raw.connect();
  let floor: { idsPerS: number; callMs: number[] };
  try {
    const key = 'bench-floor';
    floor = await idsPerSecond((ids) => {
      const now = String(Date.now());
      const args = ['ZADD', key, 'NX'];
      for (const id of ids) args.push(now, id);
      return raw.sendCommand(args);
    }, 'floor');
    await raw.sendCommand(['DEL', key]);
  } finally {
    await raw.close();
  }
  const ratio = ours.idsPerS / floor.idsPerS;
  return {
    rows: [
      {
        section: '7',
        metric: `enqueue into Redis: calls of ${RATE_CALL_SIZE} ids, ${RATE_CONCURRENCY} at a time, ${RATE_MS / 1000} s`,
        ours: `${fmtInt(ours.idsPerS)} ids/s (a call ${fmtMs(median(ours.callMs))} median)`,
        baseline: `plain ZADD NX ${fmtInt(floor.idsPerS)} ids/s (a call ${fmtMs(median(floor.callMs))})`,
        ratio: `${fmt(ratio)}× ZADD`,
        target: '',
        ok: undefined,
      },
    ],
    notes: [
      `scheduler enqueue: one bench process, one node-redis connection per store; the Redis store runs one Lua script per call (SADD of the collection, ZADD NX per id with its enqueue time) after the scheduler's validation and dedup; the floor is a single ZADD NX of the same 1000 ids.`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------

export async function scheduler(): Promise<SectionResult> {
  const owner = (await imxAuthHeaders(BENCH_PRIVATE_KEY))['x-imx-eth-address'];
  const rows: Row[] = [];
  const notes: string[] = [];

  const server = ['limited', owner, String(LIMIT), String(WINDOW_MS)];
  const sat = await withChild<{ url: string }, Saturation>(server, ({ url }) => saturation(url));
  const satOut = saturationRows(sat);
  rows.push(...satOut.rows);
  notes.push(...satOut.notes);

  if (!redisAvailable) {
    notes.push(
      'scheduler: redis-server not found, Redis rows not measured (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis).',
    );
  }
  const redisServer = redisAvailable ? await startRedis() : undefined;
  const redis = redisServer
    ? createRedisStore({ url: redisServer.url }, `bench-${process.pid}`)
    : undefined;
  try {
    rows.push(...enqueueRows(await enqueueCosts(redis)));
    if (redis && redisServer) {
      const rate = await redisRate(redis, redisServer.url);
      rows.push(...rate.rows);
      notes.push(...rate.notes);
    } else {
      rows.push(failedRow('7', 'enqueue into Redis: ids/s', 'redis-server not installed'));
    }
  } finally {
    await redis?.clear().catch(() => {});
    await redis?.close();
    await redisServer?.stop();
  }
  return { rows, notes };
}
