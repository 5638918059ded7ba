/**
 * Section 8: the RefreshScheduler's metadata reads on zkEVM (issue 13).
 *
 * - Metadata read rate: `metadataApiSource` reading tokens from a Metadata API in a child
 *   process, at its default concurrency (16) and at 1, answering at once and after 20 ms.
 *
 * The scheduler's saturation, freshness and reads per push are section 9 (bench/zkevm-readings.ts):
 * in process on a virtual clock with real one-hour windows, under both readings of a 202's
 * `retry-after`. The saturation rows that were here (a child-process server, 2 s windows,
 * `maxDelayMs` of 1 h) moved there: with 2 s windows their `leaseMs` of 60 s no longer outlives
 * the client's longest send, and a 2 s window says little about a one-hour one.
 */
import { metadataApiSource } from '../src/index.js';
import {
  BENCH_COLLECTION,
  fmt,
  median,
  type Row,
  type SectionResult,
  startChild,
  withChildren,
} from './lib.js';

const READ_RUNS = 3;
/** Delay of the Metadata API's answer → tokens read per run at concurrency 16 and at 1. */
const READS: { delayMs: number; tokens16: number; tokens1: number }[] = [
  { delayMs: 0, tokens16: 1000, tokens1: 300 },
  { delayMs: 20, tokens16: 800, tokens1: 100 },
];

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const elapsedMs = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

// ---------------------------------------------------------------------------------------------
// Metadata read rate

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
  return readRates();
}
