/**
 * Section 8: the RefreshScheduler on zkEVM (issue 13).
 *
 * - Saturation: a scheduler on the in-memory store with a backlog against the zkEVM reference
 *   server (a child process) whose budget is 10 pushes per 2 s window, each window opened by its
 *   first push. Items pushed per window ÷ (learned limit × 250), over the first 4 windows; each
 *   push is attributed to the window its answer's reset header names. The metadata comes from
 *   the game's own function (in memory), so the budget, not the reads, is what is measured.
 * - Metadata read rate: `metadataApiSource` reading tokens from a Metadata API in a child
 *   process, at its default concurrency (16) and at 1, answering at once and after 20 ms.
 */
import {
  MemoryStore,
  type MetadataSource,
  metadataApiSource,
  RefreshScheduler,
  ZkEvmMetadataClient,
  zkEvmTarget,
} from '../src/index.js';
import { MAX_NFTS_PER_REFRESH } from '../src/wire/zkevm/limits.js';
import { parseZkEvmRateLimit } from '../src/wire/zkevm/rate-limit.js';
import {
  BENCH_COLLECTION,
  check,
  fmt,
  fmtMs,
  median,
  type Row,
  reasonOf,
  type SectionResult,
  startChild,
  withChildren,
} from './lib.js';

/** A throwaway key: only the bench's own reference server accepts it. */
const API_KEY = 'sk_imapik-bench-local-key';
const CHAIN = 'imtbl-zkevm-testnet';
const LIMIT = 10;
const WINDOW_MS = 2000;
const WINDOWS = 4;
/** Enough for every measured window and the one that opens after them, with room to spare. */
const BACKLOG = MAX_NFTS_PER_REFRESH * LIMIT * (WINDOWS + 2);
/** Gives up on windows that never come (a broken run), so the bench stays bounded. */
const SATURATION_TIMEOUT_MS = (WINDOWS + 2) * (WINDOW_MS + 2000) + 10_000;

const READ_RUNS = 3;
/** Delay of the Metadata API's answer → tokens read per run at concurrency 16 and at 1. */
const READS: { delayMs: number; tokens16: number; tokens1: number }[] = [
  { delayMs: 0, tokens16: 1000, tokens1: 300 },
  { delayMs: 20, tokens16: 800, tokens1: 100 },
];

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const elapsedMs = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

// ---------------------------------------------------------------------------------------------
// 1. Saturation

interface Window {
  /** When the engine said the window ends (ms). */
  endsMs: number;
  pushes: number;
  items: number;
  /** When each accepted push was sent (ms). */
  sentAt: number[];
}

interface Saturation {
  /** Windows in the order they opened. */
  windows: Window[];
  learnedLimit: number | undefined;
  postMs: number[];
  tooMany: number;
  otherStatuses: number[];
  errors: string[];
}

/** The game's own database: every hero's metadata, read at once. */
const gameDatabase: MetadataSource = async (_contract, tokenIds) =>
  new Map(
    tokenIds.map((tokenId) => [
      tokenId,
      {
        name: `Hero #${tokenId}`,
        image: `https://img.invalid/${tokenId}.png`,
        attributes: [{ traitType: 'Level', value: 2, displayType: 'number' as const }],
      },
    ]),
  );

async function saturation(serverUrl: string): Promise<Saturation> {
  const result: Saturation = {
    windows: [],
    learnedLimit: undefined,
    postMs: [],
    tooMany: 0,
    otherStatuses: [],
    errors: [],
  };
  let enough: () => void = () => {};
  const measured = new Promise<void>((resolve) => {
    enough = resolve;
  });
  // The window of each accepted push, in send order: one scheduler sends one push at a time, so
  // the next `batchSent` is that push's.
  const accepted: Window[] = [];
  const client = new ZkEvmMetadataClient({
    apiKey: API_KEY,
    baseURL: serverUrl,
    chainName: CHAIN,
    onResponse: (info) => {
      if (info.method !== 'POST') return;
      if (info.status === 429) {
        result.tooMany++;
        return;
      }
      if (info.status !== 202) {
        result.otherStatuses.push(info.status);
        return;
      }
      const now = Date.now();
      const endsMs = parseZkEvmRateLimit(info.headers, now)?.resetAt.getTime() ?? Number.NaN;
      let window = result.windows.find((w) => w.endsMs === endsMs);
      if (!window) {
        window = { endsMs, pushes: 0, items: 0, sentAt: [] };
        result.windows.push(window);
        // The first answer of the window after the measured ones: those are all answered.
        if (result.windows.length > WINDOWS) enough();
      }
      window.sentAt.push(now - info.durationMs);
      result.postMs.push(info.durationMs);
      accepted.push(window);
    },
  });
  const scheduler = new RefreshScheduler({
    target: zkEvmTarget({ client, metadata: gameDatabase }),
    store: new MemoryStore({ windowMs: WINDOW_MS }),
    // Only full pushes: the backlog alone decides what goes out.
    maxDelayMs: 3_600_000,
    windowGuardMs: 20,
    leaseMs: 60_000,
    onEvent: (event) => {
      if (event.type === 'batchSent') {
        const window = accepted.shift();
        if (!window) {
          result.errors.push('a batchSent without an accepted push before it');
          return;
        }
        window.pushes++;
        window.items += event.tokenIds.length;
      } else if (event.type === 'error' && result.errors.length < 5) {
        result.errors.push(reasonOf(event.error));
      }
    },
  });
  // Warm the client, the connection and the engine's routes with reads (not budgeted).
  for (let i = 0; i < 20; i++) {
    await client.getNft({ contractAddress: BENCH_COLLECTION, tokenId: String(i + 1) });
  }
  const ids = Array.from({ length: BACKLOG }, (_, i) => String(i + 1));
  await scheduler.enqueue(BENCH_COLLECTION, ids);
  scheduler.start();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      measured,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SATURATION_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    result.learnedLimit = (await scheduler.stats()).budget.limit;
    await scheduler.stop();
  }
  return result;
}

function saturationRows(s: Saturation): { rows: Row[]; notes: string[] } {
  const windows = s.windows.slice(0, WINDOWS);
  const complete = s.windows.length > WINDOWS;
  const learned = s.learnedLimit ?? Number.NaN;
  const capacity = learned * MAX_NFTS_PER_REFRESH;
  const items = windows.map((w) => w.items);
  const ratio = complete ? items.reduce((a, b) => a + b, 0) / (capacity * WINDOWS) : Number.NaN;
  const ratios = items.map((n) => n / capacity);
  const opened = windows.map((w) => w.endsMs - WINDOW_MS);
  const lastSend = windows.map((w, i) => Math.max(...w.sentAt) - (opened[i] as number));
  // From a window's end to the first push of the next: the wait the budget imposes between
  // windows (the 202 that spends the last request says `retry-after` in whole seconds).
  const idle = s.windows
    .slice(1, WINDOWS + 1)
    .map((w, i) => Math.min(...w.sentAt) - (s.windows[i] as Window).endsMs);
  const rows: Row[] = [
    {
      section: '8',
      metric: `zkEVM scheduler saturation: ${fmtInt(BACKLOG)}-id backlog, limit ${LIMIT} per ${WINDOW_MS / 1000} s window (learned), first ${WINDOWS} windows`,
      ours: complete
        ? `${items.map(fmtInt).join(' / ')} items in ${windows.map((w) => w.pushes).join(' / ')} pushes`
        : `only ${s.windows.length} window(s) within ${SATURATION_TIMEOUT_MS / 1000} s`,
      baseline: `learned limit ${Number.isFinite(learned) ? learned : 'unknown'} × 250 = ${fmtInt(capacity)} per window`,
      ratio: complete ? `${fmt(ratio, 3)} (min ${fmt(Math.min(...ratios), 3)})` : 'n/a',
      target: '≥ 0.99',
      ok: check(ratio, '>=', 0.99),
    },
    {
      section: '8',
      metric: 'zkEVM scheduler saturation: 429 answers to its pushes',
      ours: String(s.tooMany),
      baseline: `${fmtInt(s.windows.reduce((n, w) => n + w.pushes, 0))} pushes accepted in the whole run`,
      ratio: String(s.tooMany),
      target: '0',
      ok: check(s.tooMany, '<=', 0),
    },
  ];
  const notes = [
    `zkEVM saturation: zkEVM reference server in a child process, scheduler on the MemoryStore in the bench process with the metadata from an in-memory function, windowGuardMs 20 and maxDelayMs 1 h (full pushes only); items counted from batchSent, each push attributed to the window its answer's imx-refresh-limit-reset names; the limit is the one the scheduler learned from the headers (stats().budget.limit).`,
    `zkEVM saturation: the first push took ${fmtMs(s.postMs[0] ?? Number.NaN)}, the others ${fmtMs(median(s.postMs.slice(1)))} median (max ${fmtMs(Math.max(...s.postMs.slice(1)))}); the last push of each window went out at +${lastSend.map((t) => fmt(t, 0)).join(' / ')} ms of ${WINDOW_MS} ms; from a window's end to the next window's first push: ${idle.map((t) => fmt(t, 0)).join(' / ')} ms.`,
  ];
  if (s.otherStatuses.length > 0) {
    notes.push(`zkEVM saturation: other push answers: ${s.otherStatuses.join(', ')}`);
  }
  if (s.errors.length > 0) notes.push(`zkEVM saturation: error events: ${s.errors.join(' | ')}`);
  return { rows, notes };
}

// ---------------------------------------------------------------------------------------------
// 2. Metadata read rate

/** Tokens per second `metadataApiSource` reads `tokens` distinct tokens at `concurrency`. */
async function readRate(
  baseUrl: string,
  concurrency: number | undefined,
  tokens: number,
  /** Distinct per call (ids are uint256, as zkEVM's): the Metadata API cannot cache across calls. */
  offset: number,
  signal: AbortSignal,
): Promise<number> {
  const source = metadataApiSource({ baseUrl, concurrency });
  const ids = Array.from({ length: tokens }, (_, i) => String(offset + i + 1));
  const started = process.hrtime.bigint();
  const read = await source(BENCH_COLLECTION, ids, { signal });
  const ms = elapsedMs(started);
  const failed = ids.filter((id) => read.get(id) === undefined || read.get(id) instanceof Error);
  if (failed.length > 0) throw new Error(`${failed.length} of ${tokens} tokens failed to read`);
  return tokens / (ms / 1000);
}

async function readRates(): Promise<{ rows: Row[]; notes: string[] }> {
  const rows: Row[] = [];
  // One signal for every read, as a scheduler passes its own: Node warns once about its
  // listeners (one per token in flight), not once per run.
  const signal = new AbortController().signal;
  await withChildren(async (track) => {
    for (const { delayMs, tokens16, tokens1 } of READS) {
      const api = track(await startChild<{ url: string }>(['metadata', String(delayMs)]));
      const { url } = api.info;
      // Untimed: warms the code paths and opens the connections.
      await readRate(url, undefined, 200, 0, signal);
      const at16: number[] = [];
      const at1: number[] = [];
      for (let run = 0; run < READ_RUNS; run++) {
        // Distinct ids per run, alternating, so neither side gets a warmer machine.
        at16.push(await readRate(url, undefined, tokens16, 1_000_000 * (2 * run + 1), signal));
        at1.push(await readRate(url, 1, tokens1, 1_000_000 * (2 * run + 2), signal));
      }
      const rate16 = median(at16);
      const rate1 = median(at1);
      const ideal =
        delayMs > 0 ? ` (ideal ${fmtInt(16_000 / delayMs)} / ${fmtInt(1000 / delayMs)})` : '';
      rows.push({
        section: '8',
        metric: `metadataApiSource read rate, Metadata API answering ${delayMs === 0 ? 'at once' : `after ${delayMs} ms`}: concurrency 16 (default) vs 1, median of ${READ_RUNS}${ideal}`,
        ours: `${fmtInt(rate16)} tokens/s (${fmtInt(tokens16)} tokens)`,
        baseline: `concurrency 1: ${fmtInt(rate1)} tokens/s (${fmtInt(tokens1)} tokens)`,
        ratio: `${fmt(rate16 / rate1, 1)}×`,
        target: '',
        ok: undefined,
      });
      await api.stop();
    }
  });
  return {
    rows,
    notes: [
      `metadata read rate: metadataApiSource (global fetch, 3 s per attempt, one retry, body capped) in the bench process, the Metadata API (the package's Metadata API server: JSON of a name and an image after setTimeout) in a child process; time from the call to its Map, every token read.`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------

export async function zkevm(): Promise<SectionResult> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const server = ['zkevm', API_KEY, String(LIMIT), String(WINDOW_MS)];
  const sat = await withChildren(async (track) =>
    saturation(track(await startChild<{ url: string }>(server)).info.url),
  );
  const satOut = saturationRows(sat);
  rows.push(...satOut.rows);
  notes.push(...satOut.notes);
  const reads = await readRates();
  rows.push(...reads.rows);
  notes.push(...reads.notes);
  return { rows, notes };
}
