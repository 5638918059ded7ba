/**
 * Section 9: the zkEVM scheduler under both readings of a 202's `retry-after` (issues 22 and 28).
 *
 * Everything runs in this process on a virtual clock with real one-hour windows: the zkEVM
 * reference engine (`createZkEvmService`), a `ZkEvmMetadataClient` whose axios adapter hands each
 * request to the engine, and `RefreshScheduler` + `zkEvmTarget` on a `MemoryStore`, all on one
 * {@link VirtualClock}. Time moves only when every piece is waiting on the clock, so a run is
 * deterministic, hours pass in seconds, and a push takes no time (its latency is ~0).
 *
 * - Saturation: a backlog of 2.5 windows' worth of ids, limit 677 per hour (the public sample's);
 *   items pushed ÷ (learned limit × 250) in each of the first two windows (the backlog waits
 *   through both), under `retryAfter: 'window'` and `'pacing'`; 429s after the first window.
 * - Freshness lag: enqueue → the push's 202, p50 / p99, for a trickle of single ids at half the
 *   limit rate, and for every id of the saturation backlog, beside what the budget allows.
 * - Metadata reads per item pushed (a counting source) under a budget-limited backlog: one
 *   scheduler, two sharing one MemoryStore; small items, and large ones (~half of each batch
 *   deferred by the 228 KiB cap). The Redis rows run on the real clock (the Redis store counts
 *   its window by Redis's TIME, which a virtual clock cannot move): engine and two schedulers in
 *   this process, 2 s windows, a redis-server child; skipped when redis-server is not installed.
 */
import axios, { type AxiosAdapter, AxiosHeaders, type AxiosResponse } from 'axios';
import type { Clock } from '../src/clock.js';
import { createZkEvmService, type ZkEvmService } from '../src/engine/zkevm/index.js';
import { AbortError } from '../src/errors.js';
import {
  MemoryStore,
  type MetadataSource,
  RefreshScheduler,
  type SchedulerStore,
  ZkEvmMetadataClient,
  zkEvmTarget,
} from '../src/index.js';
import { createRedisStore } from '../src/redis/index.js';
import { MAX_NFTS_PER_REFRESH } from '../src/wire/zkevm/limits.js';
import { redisAvailable, startRedis } from '../test/support/redis-server.js';
import { BENCH_COLLECTION, check, fmt, percentile, type Row, type SectionResult } from './lib.js';

const SECTION = '9';
const API_KEY = 'sk_imapik-bench-local-key';
const CHAIN = 'imtbl-zkevm-testnet';
const BASE_URL = 'https://zkevm.bench.invalid';
const HOUR_MS = 3_600_000;
/**
 * Saturation limit: 40 per hour. The public sample's 677 (the spec:
 * `imx_refreshes_limit: "677"`) would mean 423k ids through the client's checks per reading
 * (~35 s each on a 2-core machine); the ratio is per window, so the smaller budget measures
 * the same thing.
 */
const SAT_LIMIT = 40;
/** The trickle runs at the public sample's limit: its lag is what a real project would see. */
const TRICKLE_LIMIT = 677;
/** Windows measured for saturation; the backlog holds half a window more, so it waits in each. */
const SAT_WINDOWS = 2;
const SAT_BACKLOG = Math.round(SAT_LIMIT * MAX_NFTS_PER_REFRESH * (SAT_WINDOWS + 0.5));
/** Trickle: one id every 2 × window / limit (half the budget), for this many windows. */
const TRICKLE_WINDOWS = 2;
/** Reads: a smaller limit keeps the runs short; 2.5 windows of backlog. */
const READS_LIMIT = 20;
const READS_BACKLOG = Math.round(READS_LIMIT * MAX_NFTS_PER_REFRESH * 2.5);
/** A description this long makes an item ~1.9 KB on the wire: ~120 fit under 228 KiB. */
const LARGE_DESCRIPTION = 1_750;
/** Redis rows (real clock): limit per 2 s window, backlog of 2.5 windows. */
const REDIS_LIMIT = 10;
const REDIS_WINDOW_MS = 2_000;
const REDIS_BACKLOG = Math.round(REDIS_LIMIT * MAX_NFTS_PER_REFRESH * 2.5);

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtS = (ms: number) =>
  Number.isFinite(ms) ? `${fmt(ms / 1000, ms < 10_000 ? 2 : 0)} s` : 'n/a';
const ids = (n: number, from = 1) => Array.from({ length: n }, (_, i) => String(i + from));

// ---------------------------------------------------------------------------------------------
// A virtual clock

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
  cleanup: () => void;
}

/**
 * A clock whose time moves only in {@link VirtualClock.advanceTo}: each sleep is a timer, and the
 * earliest fires once nothing else in the process is running (no clock reads or sleeps for two
 * macrotask turns: the engine, client and store here are all in memory).
 */
class VirtualClock implements Clock {
  #now: number;
  #timers: Timer[] = [];
  #seq = 0;
  #activity = 0;
  fired = 0;

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.#now = start;
  }

  now = (): number => {
    this.#activity++;
    return this.#now;
  };

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      this.#activity++;
      if (signal?.aborted) {
        reject(new AbortError('The operation was aborted', { cause: signal.reason }));
        return;
      }
      const wait = Number.isNaN(ms) ? 0 : Math.max(0, ms);
      const onAbort = () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        reject(new AbortError('The operation was aborted', { cause: signal?.reason }));
      };
      const timer: Timer = {
        at: this.#now + wait,
        seq: this.#seq++,
        resolve,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Sorted by time, then by order of sleeping.
      let i = this.#timers.length;
      while (i > 0 && (this.#timers[i - 1] as Timer).at > timer.at) i--;
      this.#timers.splice(i, 0, timer);
    });

  /** Lets every piece of work that is not waiting on this clock finish. */
  async settle(): Promise<void> {
    for (let quiet = 0; quiet < 2; ) {
      const before = this.#activity;
      await new Promise<void>((r) => setImmediate(r));
      quiet = this.#activity === before ? quiet + 1 : 0;
    }
  }

  /** Fires every timer due up to `untilMs` (or until `stop()` holds), then sets the time. */
  async advanceTo(untilMs: number, stop: () => boolean = () => false): Promise<void> {
    for (;;) {
      await this.settle();
      if (stop()) return;
      const next = this.#timers[0];
      if (next === undefined || next.at > untilMs) {
        this.#now = Math.max(this.#now, untilMs);
        await this.settle();
        return;
      }
      this.#timers.shift();
      this.#now = Math.max(this.#now, next.at);
      next.cleanup();
      next.resolve();
      if (++this.fired > 5_000_000) throw new Error('virtual clock: too many timers (a spin?)');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The engine, in process

interface Push {
  at: number;
  status: number;
  items: string[];
  /** The window the 202 names (imx-refresh-limit-reset), on a 202. */
  reset?: string;
  /** Which client (scheduler) sent it. */
  by: number;
}

/** An axios adapter handing each request to the engine: no sockets, no real time. */
function engineAdapter(
  service: ZkEvmService,
  clock: Clock,
  pushes: Push[],
  by: number,
): AxiosAdapter {
  return async (config) => {
    const url = new URL(config.url ?? '', config.baseURL);
    const body = typeof config.data === 'string' ? config.data : undefined;
    const headers = new Headers();
    for (const [name, value] of Object.entries(AxiosHeaders.from(config.headers).toJSON())) {
      if (value !== undefined && value !== null) headers.set(name, String(value));
    }
    const answer = await service.handle({
      method: (config.method ?? 'get').toUpperCase(),
      path: url.pathname + url.search,
      headers,
      body,
    });
    if (config.method?.toUpperCase() === 'POST' && body !== undefined) {
      const sent = JSON.parse(body) as { nft_metadata?: { token_id: string }[] };
      pushes.push({
        at: clock.now(),
        status: answer.status,
        items: (sent.nft_metadata ?? []).map((i) => i.token_id),
        reset: answer.status === 202 ? answer.headers['imx-refresh-limit-reset'] : undefined,
        by,
      });
    }
    const response: AxiosResponse = {
      data: answer.body,
      status: answer.status,
      statusText: String(answer.status),
      headers: AxiosHeaders.from(answer.headers),
      config,
      request: {},
    };
    return response;
  };
}

interface Rig {
  service: ZkEvmService;
  pushes: Push[];
  client(clock: Clock, by?: number): ZkEvmMetadataClient;
}

function rig(
  limit: number,
  windowMs: number,
  reading: 'window' | 'pacing',
  clock: Clock | undefined,
): Rig {
  const service = createZkEvmService({
    apiKey: API_KEY,
    chainName: CHAIN,
    clock,
    limits: { refreshesPerHour: limit, windowMs, retryAfter: reading },
  });
  const pushes: Push[] = [];
  return {
    service,
    pushes,
    client: (c, by = 0) =>
      new ZkEvmMetadataClient({
        apiKey: API_KEY,
        baseURL: BASE_URL,
        chainName: CHAIN,
        clock: c,
        axiosInstance: axios.create({ adapter: engineAdapter(service, c, pushes, by) }),
      }),
  };
}

/** The game's database; counts the ids it is asked for. */
function countingSource(description = '') {
  const counter = { ids: 0, calls: 0, perId: new Map<string, number>() };
  const source: MetadataSource = async (_contract, tokenIds) => {
    counter.calls++;
    counter.ids += tokenIds.length;
    for (const id of tokenIds) counter.perId.set(id, (counter.perId.get(id) ?? 0) + 1);
    return new Map(
      tokenIds.map((tokenId) => [
        tokenId,
        {
          name: `Hero #${tokenId}`,
          description: description || null,
          attributes: [{ traitType: 'Level', value: 2, displayType: 'number' as const }],
        },
      ]),
    );
  };
  return { counter, source };
}

function scheduler(options: {
  client: ZkEvmMetadataClient;
  metadata: MetadataSource;
  store: SchedulerStore;
  clock?: Clock;
  errors: string[];
}): RefreshScheduler {
  return new RefreshScheduler({
    target: zkEvmTarget({ client: options.client, metadata: options.metadata }),
    store: options.store,
    clock: options.clock,
    onEvent: (e) => {
      if (e.type === 'error' && options.errors.length < 5) options.errors.push(String(e.error));
    },
  });
}

// ---------------------------------------------------------------------------------------------
// 1 and 2: saturation and the backlog's lag, one run per reading

interface BacklogRun {
  reading: 'window' | 'pacing';
  /** Items per engine window, in order, with the learned limit. */
  windows: { items: number; pushes: number }[];
  learned: number | undefined;
  tooManyAfterFirst: number;
  tooManyTotal: number;
  lags: number[];
  floors: number[];
  reads: number;
  pushed: number;
  errors: string[];
}

/** Where item `rank` (0-based) of a backlog enqueued at 0 goes out at best, under `reading`. */
function floorOf(rank: number, limit: number, windowMs: number, reading: string): number {
  const push = Math.floor(rank / MAX_NFTS_PER_REFRESH);
  const window = Math.floor(push / limit) * windowMs;
  return reading === 'window' ? window : window + (push % limit) * Math.ceil(windowMs / limit);
}

async function backlogRun(reading: 'window' | 'pacing'): Promise<BacklogRun> {
  const clock = new VirtualClock();
  const r = rig(SAT_LIMIT, HOUR_MS, reading, clock);
  const db = countingSource();
  const errors: string[] = [];
  const s = scheduler({
    client: r.client(clock),
    metadata: db.source,
    store: new MemoryStore({ windowMs: HOUR_MS }),
    clock,
    errors,
  });
  const t0 = clock.now();
  await s.enqueue(BENCH_COLLECTION, ids(SAT_BACKLOG));
  let drained = false;
  void s.drained().then(() => {
    drained = true;
  });
  s.start();
  await clock.advanceTo(t0 + (SAT_WINDOWS + 2) * HOUR_MS, () => drained);
  const learned = (await s.stats()).budget.limit;
  await s.stop();
  const accepted = r.pushes.filter((p) => p.status === 202);
  const byWindow = new Map<string, { items: number; pushes: number; first: number }>();
  for (const p of accepted) {
    const w = byWindow.get(p.reset ?? '') ?? { items: 0, pushes: 0, first: p.at };
    w.items += p.items.length;
    w.pushes++;
    byWindow.set(p.reset ?? '', w);
  }
  const windows = [...byWindow.values()].sort((a, b) => a.first - b.first);
  const firstWindowEnds = (windows[0]?.first ?? t0) + HOUR_MS;
  const lags = accepted.flatMap((p) => p.items.map(() => p.at - t0));
  return {
    reading,
    windows,
    learned,
    tooManyTotal: r.pushes.filter((p) => p.status === 429).length,
    tooManyAfterFirst: r.pushes.filter((p) => p.status === 429 && p.at >= firstWindowEnds).length,
    lags,
    floors: lags.map((_, rank) => floorOf(rank, SAT_LIMIT, HOUR_MS, reading)),
    reads: db.counter.ids,
    pushed: accepted.reduce((n, p) => n + p.items.length, 0),
    errors,
  };
}

function saturationRow(b: BacklogRun): Row {
  const measured = b.windows.slice(0, SAT_WINDOWS);
  const learned = b.learned ?? Number.NaN;
  const capacity = learned * MAX_NFTS_PER_REFRESH;
  const ratios = measured.map((w) => w.items / capacity);
  const ratio = measured.length === SAT_WINDOWS ? Math.min(...ratios) : Number.NaN;
  return {
    section: SECTION,
    metric: `zkEVM saturation, retry-after read as '${b.reading}': ${fmtInt(SAT_BACKLOG)}-id backlog, limit ${SAT_LIMIT}/h, 1 h windows (virtual clock), windows 1–${SAT_WINDOWS}`,
    ours: `${measured.map((w) => `${fmtInt(w.items)} items / ${w.pushes} pushes`).join('; ')}`,
    baseline: `learned limit ${Number.isFinite(learned) ? learned : '?'} × 250 = ${fmtInt(capacity)} per window`,
    ratio: `${ratios.map((x) => fmt(x, 3)).join(' / ')} (min ${fmt(ratio, 3)})`,
    target: '≥ 0.99',
    ok: check(ratio, '>=', 0.99),
  };
}

function tooManyRow(runs: BacklogRun[]): Row {
  const after = runs.reduce((n, b) => n + b.tooManyAfterFirst, 0);
  return {
    section: SECTION,
    metric: `zkEVM saturation: 429s after the first window (window / pacing reading)`,
    ours: runs.map((b) => String(b.tooManyAfterFirst)).join(' / '),
    baseline: `429s in the whole run: ${runs.map((b) => b.tooManyTotal).join(' / ')}; pushes accepted: ${runs.map((b) => fmtInt(b.windows.reduce((n, w) => n + w.pushes, 0))).join(' / ')}`,
    ratio: String(after),
    target: '0',
    ok: check(after, '<=', 0),
  };
}

function backlogLagRow(b: BacklogRun): Row {
  const p50 = percentile(b.lags, 50);
  const p99 = percentile(b.lags, 99);
  const f50 = percentile(b.floors, 50);
  const f99 = percentile(b.floors, 99);
  const windows = SAT_BACKLOG / (SAT_LIMIT * MAX_NFTS_PER_REFRESH);
  const how =
    b.reading === 'window'
      ? 'every push of a window at its start, windows back to back'
      : `pushes ${fmt(Math.ceil(HOUR_MS / SAT_LIMIT) / 1000, 2)} s apart (the engine's pacing), windows back to back`;
  return {
    section: SECTION,
    metric: `zkEVM freshness lag in a backlog ('${b.reading}'): enqueue → 202 of all ${fmtInt(SAT_BACKLOG)} ids enqueued at once (${fmt(windows, 1)} windows' worth), p50 / p99`,
    ours: `${fmtS(p50)} / ${fmtS(p99)}`,
    baseline: `floor ${fmtS(f50)} / ${fmtS(f99)} (backlog ÷ (limit × 250) per window: ${how})`,
    ratio: `+${fmtS(p50 - f50)} / +${fmtS(p99 - f99)}`,
    target: '',
    ok: undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// 2: a trickle at half the budget

interface TrickleRun {
  reading: 'window' | 'pacing';
  lags: number[];
  pushes: number;
  tooMany: number;
  sent: number;
  errors: string[];
}

async function trickleRun(reading: 'window' | 'pacing'): Promise<TrickleRun> {
  const clock = new VirtualClock();
  const r = rig(TRICKLE_LIMIT, HOUR_MS, reading, clock);
  const errors: string[] = [];
  const s = scheduler({
    client: r.client(clock),
    metadata: countingSource().source,
    store: new MemoryStore({ windowMs: HOUR_MS }),
    clock,
    errors,
  });
  s.start();
  const every = (2 * HOUR_MS) / TRICKLE_LIMIT;
  const count = Math.floor((TRICKLE_WINDOWS * HOUR_MS) / every);
  const t0 = clock.now();
  const enqueuedAt = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    await clock.advanceTo(t0 + Math.round(i * every));
    const id = String(i + 1);
    enqueuedAt.set(id, clock.now());
    await s.enqueue(BENCH_COLLECTION, [id]);
  }
  await clock.advanceTo(clock.now() + HOUR_MS);
  await s.stop();
  const lags: number[] = [];
  for (const p of r.pushes) {
    if (p.status !== 202) continue;
    for (const id of p.items) lags.push(p.at - (enqueuedAt.get(id) ?? Number.NaN));
  }
  return {
    reading,
    lags,
    pushes: r.pushes.filter((p) => p.status === 202).length,
    tooMany: r.pushes.filter((p) => p.status === 429).length,
    sent: count,
    errors,
  };
}

function trickleRow(t: TrickleRun): Row {
  const p50 = percentile(t.lags, 50);
  const p99 = percentile(t.lags, 99);
  const spacing = HOUR_MS / TRICKLE_LIMIT;
  return {
    section: SECTION,
    metric: `zkEVM freshness lag at 50% of the budget ('${t.reading}'): one id every ${fmt((2 * HOUR_MS) / TRICKLE_LIMIT / 1000, 2)} s for ${TRICKLE_WINDOWS} h, limit ${TRICKLE_LIMIT}/h, default maxDelayMs; enqueue → 202, p50 / p99`,
    ours: `${fmtS(p50)} / ${fmtS(p99)} (${fmtInt(t.lags.length)} of ${fmtInt(t.sent)} ids in ${fmtInt(t.pushes)} pushes, ${t.tooMany} × 429)`,
    baseline: `budget's spacing window ÷ limit = ${fmtS(spacing)} (a push's own latency ≈ 0 here)`,
    ratio: `${fmt(p50 / spacing, 2)} / ${fmt(p99 / spacing, 2)} × spacing`,
    target: '',
    ok: undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// 3: metadata reads per item pushed

interface ReadsRun {
  label: string;
  reads: number;
  pushed: number;
  pushes: number;
  tooMany: number;
  errors: string[];
  perPush: number;
  /** Pushes each scheduler made. */
  split: number[];
}

async function readsRunVirtual(processes: 1 | 2, large: boolean): Promise<ReadsRun> {
  const clock = new VirtualClock();
  const r = rig(READS_LIMIT, HOUR_MS, 'window', clock);
  const db = countingSource(large ? 'x'.repeat(LARGE_DESCRIPTION) : '');
  const store = new MemoryStore({ windowMs: HOUR_MS });
  const errors: string[] = [];
  const schedulers = Array.from({ length: processes }, (_, by) =>
    scheduler({ client: r.client(clock, by), metadata: db.source, store, clock, errors }),
  );
  const t0 = clock.now();
  await schedulers[0]?.enqueue(BENCH_COLLECTION, ids(READS_BACKLOG));
  for (const s of schedulers) s.start();
  // Two full windows and the start of a third: the backlog waits throughout.
  await clock.advanceTo(t0 + 2 * HOUR_MS + HOUR_MS / 4);
  for (const s of schedulers) await s.stop();
  return summarizeReads(
    `${processes === 1 ? 'one scheduler' : "two schedulers sharing one MemoryStore (virtual clock: the one that wakes first takes each window's whole burst)"}, ${large ? 'large items (~1.9 KB each)' : 'small items'}`,
    db.counter.perId,
    r.pushes,
    errors,
    processes,
  );
}

function summarizeReads(
  label: string,
  readsById: Map<string, number>,
  pushes: Push[],
  errors: string[],
  processes: number,
): ReadsRun {
  const accepted = pushes.filter((p) => p.status === 202);
  const pushed = accepted.reduce((n, p) => n + p.items.length, 0);
  // Reads of the ids that were pushed: an id read just before the run stopped (its push not
  // made yet) is not counted against the pushes made.
  const pushedIds = new Set(accepted.flatMap((p) => p.items));
  let reads = 0;
  for (const id of pushedIds) reads += readsById.get(id) ?? 0;
  return {
    label,
    reads,
    pushed,
    pushes: accepted.length,
    tooMany: pushes.filter((p) => p.status === 429).length,
    errors,
    perPush: pushed / Math.max(1, accepted.length),
    split: Array.from({ length: processes }, (_, by) => accepted.filter((p) => p.by === by).length),
  };
}

async function readsRunRedis(url: string, large: boolean, prefix: string): Promise<ReadsRun> {
  const r = rig(REDIS_LIMIT, REDIS_WINDOW_MS, 'window', undefined);
  const db = countingSource(large ? 'x'.repeat(LARGE_DESCRIPTION) : '');
  const stores = [0, 1].map(() => createRedisStore({ url, prefix, windowMs: REDIS_WINDOW_MS }));
  const errors: string[] = [];
  try {
    await stores[0]?.clear();
    const schedulers = stores.map((store, by) =>
      scheduler({ client: r.client(systemClockRef, by), metadata: db.source, store, errors }),
    );
    await schedulers[0]?.enqueue(BENCH_COLLECTION, ids(REDIS_BACKLOG));
    for (const s of schedulers) s.start();
    await new Promise((resolve) => setTimeout(resolve, 2 * REDIS_WINDOW_MS + REDIS_WINDOW_MS / 4));
    for (const s of schedulers) await s.stop();
    await stores[0]?.clear();
  } finally {
    for (const store of stores) await store.close();
  }
  return summarizeReads(
    `two schedulers sharing one Redis store (real clock, ${REDIS_LIMIT} per ${REDIS_WINDOW_MS / 1000} s window), ${large ? 'large items' : 'small items'}`,
    db.counter.perId,
    r.pushes,
    errors,
    2,
  );
}

const systemClockRef: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleepReal(ms, signal),
};
function sleepReal(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortError('The operation was aborted', { cause: signal.reason }));
      return;
    }
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError('The operation was aborted', { cause: signal?.reason }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function readsRow(x: ReadsRun): Row {
  const ratio = x.reads / x.pushed;
  return {
    section: SECTION,
    metric: `zkEVM metadata reads per item pushed, budget-limited backlog: ${x.label}`,
    ours: `${fmtInt(x.reads)} reads of the ids pushed`,
    baseline: `${fmtInt(x.pushed)} items pushed in ${fmtInt(x.pushes)} pushes${x.split.length > 1 ? ` (${x.split.join(' + ')} by each scheduler)` : ''}, ${fmt(x.perPush, 0)} items per push, ${x.tooMany} × 429`,
    ratio: fmt(ratio, 3),
    target: '≤ 1.05',
    ok: check(ratio, '<=', 1.05),
  };
}

// ---------------------------------------------------------------------------------------------

export async function zkevmReadings(): Promise<SectionResult> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const errors: string[] = [];
  const took: string[] = [];
  const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await fn();
    } finally {
      took.push(`${label} ${fmt((Date.now() - started) / 1000, 1)} s`);
    }
  };
  const backlogs: BacklogRun[] = [];
  for (const reading of ['window', 'pacing'] as const) {
    backlogs.push(await timed(`backlog '${reading}'`, () => backlogRun(reading)));
  }
  for (const b of backlogs) rows.push(saturationRow(b));
  rows.push(tooManyRow(backlogs));
  const trickles: TrickleRun[] = [];
  for (const reading of ['window', 'pacing'] as const) {
    trickles.push(await timed(`trickle '${reading}'`, () => trickleRun(reading)));
  }
  for (const t of trickles) rows.push(trickleRow(t));
  for (const b of backlogs) rows.push(backlogLagRow(b));
  const reads: ReadsRun[] = [];
  for (const processes of [1, 2] as const) {
    for (const large of [false, true]) {
      reads.push(
        await timed(`reads ${processes}${large ? ' large' : ''}`, () =>
          readsRunVirtual(processes, large),
        ),
      );
    }
  }
  if (redisAvailable) {
    const redis = await startRedis();
    try {
      for (const large of [false, true]) {
        reads.push(
          await timed(`reads redis${large ? ' large' : ''}`, () =>
            readsRunRedis(redis.url, large, `bench-zk-${process.pid}`),
          ),
        );
      }
    } finally {
      await redis.stop();
    }
  } else {
    notes.push('zkEVM readings: redis-server is not installed, so the Redis rows were skipped.');
  }
  for (const x of reads) rows.push(readsRow(x));
  for (const run of [...backlogs, ...trickles, ...reads]) errors.push(...run.errors);
  notes.push(
    `zkEVM readings: engine (createZkEvmService, limits { refreshesPerHour, windowMs, retryAfter }), ZkEvmMetadataClient through an in-process axios adapter, RefreshScheduler + zkEvmTarget on a MemoryStore with default options (no maxDelayMs, windowGuardMs = min(window/100, 5 s)), all on one virtual clock that moves only when everything waits on it: deterministic, and a push takes 0 ms. Saturation counts each 202's items in the window its imx-refresh-limit-reset names; the backlog's floor is where each id would go out if every push the budget allows went out at the earliest moment (all of a window's at its start under 'window'; one per pacing interval under 'pacing').`,
    `zkEVM readings, reads rows: a counting metadata source; virtual-clock rows at limit ${READS_LIMIT}/h with an ${fmtInt(READS_BACKLOG)}-id backlog for 2¼ windows, Redis rows on the real clock (${REDIS_LIMIT} per ${REDIS_WINDOW_MS / 1000} s window, ${fmtInt(REDIS_BACKLOG)}-id backlog, 2¼ windows; the Redis store counts windows by Redis's TIME, which a virtual clock cannot move). Large items carry a ${fmtInt(LARGE_DESCRIPTION)}-character description, so about half of each 250-id batch is deferred by the 228 KiB cap; a deferred id's read is kept with it in the store, so whichever process pushes it next reuses it. Reads counted are those of the ids pushed (an id read just before the run stopped, not pushed yet, is left out).`,
    `zkEVM readings: wall time per run: ${took.join(', ')}.`,
  );
  if (errors.length > 0) {
    notes.push(`zkEVM readings: error events: ${errors.slice(0, 5).join(' | ')}`);
  }
  return { rows, notes };
}
