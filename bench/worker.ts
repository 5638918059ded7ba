/**
 * Section 4: the reference server's worker on a 1000-token refresh against a Metadata API (a child
 * process) that answers each token after 20 ms, at the default concurrency (16) and at 32. Time
 * from sending the POST to `service.settled()`, vs the ideal ceil(1000 / concurrency) × 20 ms.
 */
import { imxAuthHeaders, MetadataRefreshClient } from '../src/index.js';
import {
  createReferenceServer,
  type FetchMetadata,
  fetchMetadataOverHttp,
} from '../src/server/index.js';
import {
  BENCH_COLLECTION,
  BENCH_PRIVATE_KEY,
  check,
  fmt,
  fmtMs,
  median,
  percentile,
  type Row,
  type SectionResult,
  startChild,
  withChildren,
} from './lib.js';

const TOKENS = 1000;
const DELAY_MS = 20;
const RUNS = 3;

/** The server's own HTTP fetcher, timing each call (hrtime costs well under a microsecond). */
function timedFetcher(durations: number[]): FetchMetadata {
  return async (request) => {
    const started = process.hrtime.bigint();
    try {
      return await fetchMetadataOverHttp(request);
    } finally {
      durations.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  };
}

async function oneRun(
  metadataApiUrl: string,
  concurrency: number | undefined,
  owner: string,
  durations: number[] = [],
): Promise<number> {
  const server = createReferenceServer({
    owner,
    collections: [{ address: BENCH_COLLECTION, metadataApiUrl }],
    fetchMetadata: timedFetcher(durations),
    ...(concurrency === undefined ? {} : { concurrency }),
  });
  try {
    const { url } = await server.listen(0, '127.0.0.1');
    const client = new MetadataRefreshClient({ signer: BENCH_PRIVATE_KEY, baseURL: url });
    const tokenIds = Array.from({ length: TOKENS }, (_, i) => String(i + 1));
    const started = process.hrtime.bigint();
    const { refreshId } = await client.requestRefresh({
      collectionAddress: BENCH_COLLECTION,
      tokenIds,
    });
    await server.service.settled();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const done = server.service.getRefresh(refreshId);
    if (done?.status !== 'completed' || done.summary.succeeded !== TOKENS) {
      throw new Error(`worker run did not succeed on every token: ${JSON.stringify(done)}`);
    }
    return ms;
  } finally {
    await server.close();
  }
}

/**
 * The floor without the service: `concurrency` loops sharing one counter, each fetching token
 * after token with the global fetch (as the server's fetcher does) and parsing the JSON.
 */
async function fetchPool(metadataApiUrl: string, concurrency: number): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < TOKENS) {
        const tokenId = String(++next);
        const response = await fetch(`${metadataApiUrl}/${tokenId}`, {
          headers: { accept: 'application/json' },
        });
        JSON.parse(await response.text());
      }
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export async function worker(): Promise<SectionResult> {
  const owner = (await imxAuthHeaders(BENCH_PRIVATE_KEY))['x-imx-eth-address'];
  return withChildren(async (track) => {
    const api = track(await startChild<{ url: string }>(['metadata', String(DELAY_MS)]));
    const metadataApiUrl = api.info.url;
    // One untimed run warms the code paths and the Metadata API's connections.
    await oneRun(metadataApiUrl, undefined, owner);
    await fetchPool(metadataApiUrl, 16);
    const rows: Row[] = [];
    const notes: string[] = [];
    for (const concurrency of [undefined, 32]) {
      const effective = concurrency ?? 16;
      const times: number[] = [];
      const pool: number[] = [];
      const durations: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        times.push(await oneRun(metadataApiUrl, concurrency, owner, durations));
        pool.push(await fetchPool(metadataApiUrl, effective));
      }
      const measured = median(times);
      const floor = median(pool);
      const ideal = Math.ceil(TOKENS / effective) * DELAY_MS;
      const ratio = measured / ideal;
      notes.push(
        `worker c=${effective}: one Metadata API fetch inside the worker takes ${fmtMs(median(durations))} median (p99 ${fmtMs(percentile(durations, 99))}) for a ${DELAY_MS} ms answer; ` +
          `a bare fetch pool (same concurrency, no service) needs ${fmt(floor / ideal)}× ideal; the worker takes ${fmt(measured / floor)}× the pool.`,
      );
      rows.push({
        section: '4',
        metric: `worker: ${TOKENS} tokens × ${DELAY_MS} ms, concurrency ${effective}${concurrency === undefined ? ' (default)' : ''}, POST→settled, median of ${RUNS}`,
        ours: fmtMs(measured),
        baseline: `ideal ${fmtMs(ideal)}; bare fetch pool ${fmtMs(floor)}`,
        ratio: `${fmt(ratio)}× ideal`,
        target: '≤ 1.3× ideal',
        ok: check(ratio, '<=', 1.3),
      });
    }
    return {
      rows,
      notes: [
        'worker: reference server in the bench process, Metadata API (setTimeout 20 ms, then 200 JSON) in a child process; a fresh server per run.',
        ...notes,
      ],
    };
  });
}
