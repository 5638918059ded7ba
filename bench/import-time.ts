/**
 * Section 2: cold import time of the package root, each in a fresh `node` process: ours (the
 * built ESM entry) vs `require('@imtbl/core-sdk')` vs bare `node -e ''`; and a cold start, from a
 * fresh process to the first answered `getRefresh` signed with a hex key, ours vs core-sdk.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { imxAuthHeaders } from '../src/index.js';
import { importBreakdown } from './diagnostics.js';
import { DIST_ENTRY, ensureDist } from './dist.js';
import {
  BENCH_PRIVATE_KEY,
  check,
  fmt,
  fmtMs,
  median,
  ROOT,
  type Row,
  type SectionResult,
  withChild,
} from './lib.js';

const RUNS = 7;

// Every script reports its process's CPU time (user + system, ms) on exit: less sensitive than
// wall time to other load on the machine.
const REPORT_CPU =
  "process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeSync(1, String((u.user + u.system) / 1000)); });";

/** Runs `node -e code` in the repository; returns its stdout, throws with its stderr. */
function runNode(code: string, what: string): string {
  const result = spawnSync(process.execPath, ['-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 30_000,
  });
  if (result.status !== 0) throw new Error(`${what} failed: ${result.stderr.slice(0, 500)}`);
  return result.stdout;
}

/** Wall time of the whole process, and the CPU time it reports on exit. */
function timeNode(script: string): { wall: number; cpu: number } {
  const started = process.hrtime.bigint();
  const stdout = runNode(`${REPORT_CPU}\n${script}`, `node -e ${JSON.stringify(script)}`);
  return { wall: Number(process.hrtime.bigint() - started) / 1e6, cpu: Number(stdout) };
}

/**
 * Milliseconds from the process's start (`performance.now()`, whose origin is the process's
 * start) to the first answered call, with the call's process CPU time: each script prints them
 * as JSON and exits at once, so an idle keep-alive socket does not count.
 */
function timeFirstCall(script: string): { wall: number; cpu: number } {
  const done =
    'const u = process.cpuUsage(); process.stdout.write(JSON.stringify({ wall: performance.now(), cpu: (u.user + u.system) / 1000 })); process.exit(0);';
  const code = `(async () => { ${script} })().then(() => { ${done} }, (e) => { console.error(e); process.exit(1); });`;
  return JSON.parse(runNode(code, 'cold start')) as { wall: number; cpu: number };
}

type Contenders = Record<'ours' | 'core' | 'node', string>;

/**
 * Medians of wall and CPU time per contender: one untimed run each warms the file cache, then
 * RUNS interleaved rounds, so a drift of the machine hits all three alike.
 */
function sample(
  scripts: Contenders,
  time: (script: string) => { wall: number; cpu: number },
): { wall: Record<keyof Contenders, number>; cpu: Record<keyof Contenders, number> } {
  const keys = Object.keys(scripts) as (keyof Contenders)[];
  const wall = { ours: [] as number[], core: [] as number[], node: [] as number[] };
  const cpu = { ours: [] as number[], core: [] as number[], node: [] as number[] };
  for (const key of keys) time(scripts[key]);
  for (let run = 0; run < RUNS; run++) {
    for (const key of keys) {
      const t = time(scripts[key]);
      wall[key].push(t.wall);
      cpu[key].push(t.cpu);
    }
  }
  const medians = (m: typeof wall) => ({
    ours: median(m.ours),
    core: median(m.core),
    node: median(m.node),
  });
  return { wall: medians(wall), cpu: medians(cpu) };
}

/**
 * Cold start against the reference server (a bench child): import, construct with a hex private
 * key, one signed `getRefresh` answered. core-sdk signs with the ethers v5 it ships with.
 */
async function coldStart(oursUrl: string): Promise<{ row: Row; note: string }> {
  const owner = (await imxAuthHeaders(BENCH_PRIVATE_KEY))['x-imx-eth-address'];
  return withChild<{ url: string; id: string }, { row: Row; note: string }>(
    ['reference', owner, '1'],
    async ({ url, id }) => {
      const corePath = createRequire(import.meta.url).resolve('@imtbl/core-sdk');
      const ethers5 = createRequire(corePath).resolve('ethers');
      const scripts: Contenders = {
        ours: `const { MetadataRefreshClient } = await import(${JSON.stringify(oursUrl)});
          const client = new MetadataRefreshClient({ signer: ${JSON.stringify(BENCH_PRIVATE_KEY)}, baseURL: ${JSON.stringify(url)} });
          if ((await client.getRefresh(${JSON.stringify(id)})).refreshId !== ${JSON.stringify(id)}) throw new Error('another refresh');`,
        core: `const core = require('@imtbl/core-sdk');
          const { Wallet } = require(${JSON.stringify(ethers5)});
          const zero = '0x' + '00'.repeat(20);
          const imx = new core.ImmutableX(core.Config.createConfig({ basePath: ${JSON.stringify(url)}, chainID: 11155111, coreContractAddress: zero, registrationContractAddress: zero }));
          const refresh = await imx.getMetadataRefreshResults(new Wallet(${JSON.stringify(BENCH_PRIVATE_KEY)}), ${JSON.stringify(id)});
          if (refresh.refresh_id !== ${JSON.stringify(id)}) throw new Error('another refresh');`,
        node: '',
      };
      const { wall, cpu } = sample(scripts, timeFirstCall);
      const { ours, core, node } = wall;
      const ratio = ours / core;
      return {
        row: {
          section: '2',
          metric: `cold start to the first answered getRefresh (hex key), median of ${RUNS}`,
          ours: `${fmtMs(ours)} (+${fmtMs(ours - node)} net)`,
          baseline: `core-sdk ${fmtMs(core)} (+${fmtMs(core - node)} net); node ${fmtMs(node)}`,
          ratio: `${fmt(ratio)}× (net ${fmt((ours - node) / (core - node))}×)`,
          target: '≤ 0.4× core-sdk',
          ok: check(ratio, '<=', 0.4),
        },
        note: `cold start: from process start (performance.now()) to the first answer, against the reference server in a bench child; CPU medians ours ${fmtMs(cpu.ours)}, core-sdk ${fmtMs(cpu.core)}, node ${fmtMs(cpu.node)}.`,
      };
    },
  );
}

export async function importTime(): Promise<SectionResult> {
  const notes = await ensureDist();
  const oursUrl = pathToFileURL(DIST_ENTRY).href;
  const scripts: Contenders = {
    ours: `import(${JSON.stringify(oursUrl)}).catch((e) => { console.error(e); process.exit(1); })`,
    core: `require('@imtbl/core-sdk')`,
    node: '',
  };
  const { wall, cpu } = sample(scripts, timeNode);
  const { ours, core, node } = wall;
  const ratio = ours / core;
  const netRatio = (ours - node) / (core - node);
  const { ours: cpuOurs, core: cpuCore, node: cpuNode } = cpu;
  const cold = await coldStart(oursUrl);
  const parts = importBreakdown(DIST_ENTRY)
    .map((p) => `${p.name} ${fmtMs(p.ms)}`)
    .join(', ');
  return {
    rows: [
      {
        section: '2',
        metric: `cold import of the package root, median of ${RUNS} processes`,
        ours: `${fmtMs(ours)} (+${fmtMs(ours - node)} net)`,
        baseline: `core-sdk ${fmtMs(core)} (+${fmtMs(core - node)} net); node -e '' ${fmtMs(node)}`,
        ratio: `${fmt(ratio)}× (net ${fmt(netRatio)}×)`,
        target: '≤ 0.25× core-sdk',
        ok: check(ratio, '<=', 0.25),
      },
      cold.row,
    ],
    notes: [
      ...notes,
      'import: ours = node -e "import(\'dist/index.js\')" (ESM build), core-sdk = node -e "require(\'@imtbl/core-sdk\')"; wall time of the whole process; net = minus bare node startup.',
      `import: CPU time (user+sys) medians: ours ${fmtMs(cpuOurs)}, core-sdk ${fmtMs(cpuCore)}, node -e '' ${fmtMs(cpuNode)}: ours ÷ core-sdk ${fmt(cpuOurs / cpuCore)}× (net ${fmt((cpuOurs - cpuNode) / (cpuCore - cpuNode))}×).`,
      cold.note,
      `import: what our root entry loads, each dependency alone in a fresh process (in-process import time, median of 3; they overlap): ${parts}.`,
    ],
  };
}
