/**
 * Section 5: iterating 100,000 seeded errors with `client.iterateRefreshErrors(id, { pageSize:
 * 1000 })`. The server runs in one child process and the client loop in another (started with
 * --expose-gc), so the RSS measured is the client's alone and not inflated by earlier sections.
 */
import { imxAuthHeaders } from '../src/index.js';
import {
  BENCH_PRIVATE_KEY,
  check,
  fmt,
  fmtBytes,
  type SectionResult,
  startChild,
  withChildren,
} from './lib.js';

const ERRORS = 100_000;
const PAGE_SIZE = 1000;

interface IterateResult {
  rows: number;
  ms: number;
  rssBefore: number;
  rssPeak: number;
  heapBefore: number;
  heapPeak: number;
  externalBefore: number;
  externalPeak: number;
  rssAfterGc: number;
  heapAfterGc: number;
  gcExposed: boolean;
}

const MB = 1024 * 1024;

export async function errors(): Promise<SectionResult> {
  const owner = (await imxAuthHeaders(BENCH_PRIVATE_KEY))['x-imx-eth-address'];
  return withChildren(async (track) => {
    const server = track(
      await startChild<{ url: string; id: string }>(['reference', owner, String(ERRORS)]),
    );
    const run = async (how: 'ours' | 'bare') => {
      const child = await startChild<IterateResult>(
        ['iterate', server.info.url, server.info.id, String(PAGE_SIZE), how],
        { nodeArgs: ['--expose-gc'], timeoutMs: 120_000 },
      );
      await child.stop();
      if (child.info.rows !== ERRORS) {
        throw new Error(`${how}: iterated ${child.info.rows} errors, expected ${ERRORS}`);
      }
      return child.info;
    };
    const r = await run('ours');
    const b = await run('bare');
    const rate = (x: IterateResult) =>
      `${Math.round(x.rows / (x.ms / 1000)).toLocaleString('en-US')} rows/s`;
    const growth = (x: IterateResult) => (x.rssPeak - x.rssBefore) / MB;
    const growthMb = growth(r);
    return {
      rows: [
        {
          section: '5',
          metric: `iterate ${ERRORS.toLocaleString('en-US')} errors, pageSize ${PAGE_SIZE}`,
          ours: `${rate(r)} (${(r.ms / 1000).toFixed(2)} s), +${fmt(growthMb, 1)} MB RSS`,
          baseline: `bare http+JSON.parse ${rate(b)}, +${fmt(growth(b), 1)} MB RSS`,
          ratio: `+${fmt(growthMb, 1)} MB RSS`,
          target: '< 50 MB growth',
          ok: check(growthMb, '<', 50),
        },
      ],
      notes: [
        `errors: each loop in its own process${r.gcExposed ? ' with global.gc before the baseline' : ' (global.gc not available)'}; RSS sampled every 50 ms; server in another process. ` +
          `Ours: RSS ${fmtBytes(r.rssBefore)} before, peak ${fmtBytes(r.rssPeak)}; heap used peak +${fmt((r.heapPeak - r.heapBefore) / MB, 1)} MB, external (Buffers) peak +${fmt((r.externalPeak - r.externalBefore) / MB, 1)} MB; ` +
          `after the loop and a full GC: RSS +${fmt((r.rssAfterGc - r.rssBefore) / MB, 1)} MB, heap +${fmt((r.heapAfterGc - r.heapBefore) / MB, 1)} MB (retained). ` +
          `Bare: heap used peak +${fmt((b.heapPeak - b.heapBefore) / MB, 1)} MB, external peak +${fmt((b.externalPeak - b.externalBefore) / MB, 1)} MB.`,
      ],
    };
  });
}
