/**
 * Section 6: throughput of `GET /v1/metadata-refreshes/:id` under autocannon: the reference
 * server vs a bare node:http server answering the same JSON body. Each server runs in a child
 * process; autocannon runs in the bench process, so server and load generator get a core each.
 */
import autocannon, { type Result } from 'autocannon';
import { imxAuthHeaders } from '../src/index.js';
import { verifyCostMs } from './diagnostics.js';
import {
  BENCH_PRIVATE_KEY,
  check,
  fmt,
  fmtMs,
  type SectionResult,
  startChild,
  withChildren,
} from './lib.js';

const CONNECTIONS = 10;
const DURATION_S = 5;
const WARMUP_S = 1;

async function load(url: string, headers: Record<string, string>): Promise<Result> {
  await autocannon({ url, headers, connections: CONNECTIONS, duration: WARMUP_S });
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: DURATION_S });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `autocannon against ${url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return result;
}

export async function throughput(): Promise<SectionResult> {
  // Signed once; the server accepts the timestamp for 300 s, far longer than the run.
  const auth = await imxAuthHeaders(BENCH_PRIVATE_KEY);
  const headers: Record<string, string> = { ...auth, accept: 'application/json' };
  const owner = auth['x-imx-eth-address'];
  return withChildren(async (track) => {
    const ref = track(await startChild<{ url: string; id: string }>(['reference', owner, '3']));
    const path = `/v1/metadata-refreshes/${encodeURIComponent(ref.info.id)}`;
    const response = await fetch(`${ref.info.url}${path}`, { headers });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`reference server answered ${response.status}`);
    const bare = track(await startChild<{ url: string }>(['bare', body]));

    const ours = await load(`${ref.info.url}${path}`, headers);
    const floor = await load(`${bare.info.url}${path}`, headers);
    const ratio = ours.requests.average / floor.requests.average;
    const verify = await verifyCostMs();
    const show = (r: Result) =>
      `${Math.round(r.requests.average).toLocaleString('en-US')} req/s (p99 ${r.latency.p99} ms)`;
    return {
      rows: [
        {
          section: '6',
          metric: `GET /v1/metadata-refreshes/:id, autocannon ${CONNECTIONS} conns × ${DURATION_S} s`,
          ours: show(ours),
          baseline: `bare node:http ${show(floor)}`,
          ratio: `${fmt(ratio)}×`,
          target: '≥ 0.5× bare',
          ok: check(ratio, '>=', 0.5),
        },
      ],
      notes: [
        `throughput: mean req/s over ${DURATION_S} s after a ${WARMUP_S} s warm-up; same ${body.length}-byte JSON body and signed headers to both servers.`,
        `throughput: ${Math.round(ours.requests.average)} req/s on one event loop is ${fmtMs(1000 / ours.requests.average)} of server time per request; ` +
          `the server verifies the signature on every request, and one verifyImxSignature costs ${fmtMs(verify)} in the bench process (alone a ceiling of ~${Math.round(1000 / verify).toLocaleString('en-US')} req/s per core).`,
      ],
    };
  });
}
