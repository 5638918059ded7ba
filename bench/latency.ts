/**
 * Section 1: per-call latency of getRefresh against the reference server (in a child process) on
 * loopback: ours vs a bare node:http request with precomputed headers (the floor) vs the official
 * @imtbl/core-sdk client.
 */
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import { imxAuthHeaders, MetadataRefreshClient } from '../src/index.js';
import { verifyCostMs } from './diagnostics.js';
import {
  BENCH_PRIVATE_KEY,
  check,
  failedRow,
  fmt,
  fmtMs,
  getJson,
  median,
  percentile,
  type Row,
  reasonOf,
  type SectionResult,
  withChild,
} from './lib.js';

const WARMUP = 200;
const CALLS = 2000;
const ROUNDS = 4;

type Call = () => Promise<unknown>;

interface Contender {
  name: string;
  call: Call;
  samples: number[];
  error?: string;
}

/** A bare keep-alive GET that reads and parses the JSON body: the floor for any client. */
function bareGetter(url: string, headers: Record<string, string>): { call: Call; close(): void } {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const options = {
    host: target.hostname,
    port: target.port,
    path: target.pathname,
    method: 'GET',
    agent,
    headers: { ...headers, accept: 'application/json' },
  };
  const call = () => getJson(options);
  return { call, close: () => agent.destroy() };
}

/** The official client, or the reason it cannot call the local server. */
async function coreSdkCaller(
  url: string,
  refreshId: string,
): Promise<{ call: Call; ethersVersion: string }> {
  const core = await import('@imtbl/core-sdk');
  // core-sdk takes an ethers v5 Signer; load the ethers it depends on (v5), not ours (v6).
  const corePath = createRequire(import.meta.url).resolve('@imtbl/core-sdk');
  const ethers5 = createRequire(corePath)('ethers') as {
    version?: string;
    Wallet: new (key: string) => { address: string };
  };
  const wallet = new ethers5.Wallet(BENCH_PRIVATE_KEY);
  const zero = `0x${'00'.repeat(20)}`;
  const imx = new core.ImmutableX(
    core.Config.createConfig({
      basePath: url,
      chainID: 11155111,
      coreContractAddress: zero,
      registrationContractAddress: zero,
    }),
  );
  // biome-ignore lint/suspicious/noExplicitAny: the v5 Wallet is loaded untyped from core-sdk's tree.
  const signer = wallet as any;
  return {
    call: () => imx.getMetadataRefreshResults(signer, refreshId),
    ethersVersion: ethers5.version ?? 'unknown',
  };
}

async function measure(contenders: Contender[]): Promise<void> {
  for (const c of contenders) {
    try {
      for (let i = 0; i < WARMUP; i++) await c.call();
    } catch (error) {
      c.error = reasonOf(error);
    }
  }
  const perRound = Math.ceil(CALLS / ROUNDS);
  // Interleaved rounds so a drift of the machine (other load, thermal) hits every contender alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of contenders) {
      if (c.error) continue;
      try {
        for (let i = 0; i < perRound; i++) {
          const started = process.hrtime.bigint();
          await c.call();
          c.samples.push(Number(process.hrtime.bigint() - started) / 1e6);
        }
      } catch (error) {
        c.error = reasonOf(error);
      }
    }
  }
}

export async function latency(): Promise<SectionResult> {
  const section = '1';
  const auth = await imxAuthHeaders(BENCH_PRIVATE_KEY);
  const owner = auth['x-imx-eth-address'];
  const server = ['reference', owner, '3'];
  return withChild<{ url: string; id: string }, SectionResult>(server, async ({ url, id }) => {
    const ours = new MetadataRefreshClient({ signer: BENCH_PRIVATE_KEY, baseURL: url });
    const first = await ours.getRefresh(id);
    if (first.refreshId !== id) throw new Error('getRefresh returned another refresh');
    // The same three headers, signed once; the server accepts them for 300 s.
    const bare = bareGetter(`${url}/v1/metadata-refreshes/${encodeURIComponent(id)}`, {
      ...auth,
    });
    const contenders: Contender[] = [
      { name: 'ours', call: () => ours.getRefresh(id), samples: [] },
      { name: 'bare', call: bare.call, samples: [] },
    ];
    let coreSetupError: string | undefined;
    let coreNote = '';
    try {
      const { call, ethersVersion } = await coreSdkCaller(url, id);
      coreNote = ` core-sdk signs with its own ethers (${ethersVersion}) Wallet on every call.`;
      const result = (await call()) as { refresh_id?: string };
      if (result?.refresh_id !== id) throw new Error('core-sdk returned another refresh');
      contenders.push({ name: 'core-sdk', call, samples: [] });
    } catch (error) {
      coreSetupError = `core-sdk could not call the local server: ${reasonOf(error)}`;
    }
    try {
      await measure(contenders);
    } finally {
      bare.close();
    }

    const stats = (c: Contender | undefined) =>
      c && !c.error && c.samples.length > 0
        ? { median: median(c.samples), p99: percentile(c.samples, 99), n: c.samples.length }
        : undefined;
    const [o, b, k] = [contenders[0], contenders[1], contenders[2]];
    const so = stats(o);
    const sb = stats(b);
    const sk = stats(k);
    const show = (s: ReturnType<typeof stats>) =>
      s ? `${fmtMs(s.median)} (p99 ${fmtMs(s.p99)})` : 'n/a';
    const rows: Row[] = [];
    const metric = `getRefresh latency, median (p99), ${CALLS} seq. calls`;
    if (!so) throw new Error(`our client failed: ${o?.error}`);
    if (sb) {
      const ratio = so.median / sb.median;
      rows.push({
        section,
        metric,
        ours: show(so),
        baseline: `bare node:http ${show(sb)}`,
        ratio: `${fmt(ratio)}×`,
        target: '≤ 1.3× bare',
        ok: check(ratio, '<=', 1.3),
      });
    } else {
      rows.push(failedRow(section, metric, `bare request failed: ${b?.error}`, '≤ 1.3× bare'));
    }
    if (sk) {
      const ratio = so.median / sk.median;
      rows.push({
        section,
        metric: 'getRefresh latency vs the official client',
        ours: show(so),
        baseline: `core-sdk ${show(sk)}`,
        ratio: `${fmt(ratio)}×`,
        target: '≤ 0.5× core-sdk',
        ok: check(ratio, '<=', 0.5),
      });
    } else {
      rows.push(
        failedRow(
          section,
          'getRefresh latency vs the official client',
          coreSetupError ?? `core-sdk failed while measured: ${k?.error}`,
          '≤ 0.5× core-sdk',
        ),
      );
    }
    const verify = await verifyCostMs();
    const overhead = (s: ReturnType<typeof stats>) => (s && sb ? s.median - sb.median : Number.NaN);
    const notes = [
      `latency: the floor is mostly the server: one verifyImxSignature (secp256k1 recovery) takes ${fmtMs(verify)} in this process. ` +
        `Client time above the floor (median − bare median): ours ${fmtMs(overhead(so))}` +
        (sk
          ? `, core-sdk ${fmtMs(overhead(sk))} (ours ÷ core-sdk on client time alone: ${fmt(overhead(so) / overhead(sk))}×). ` +
            `Even the bare floor is ${fmt(sb ? sb.median / sk.median : Number.NaN)}× core-sdk end to end.`
          : '.'),
      `latency: ${WARMUP} warm-up calls each, then ${CALLS} timed sequential calls each in ${ROUNDS} interleaved rounds; ` +
        'server in a child process (signature verified on every request, as in production).' +
        coreNote,
    ];
    return { rows, notes };
  });
}
