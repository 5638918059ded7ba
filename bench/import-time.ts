/**
 * Section 2: cold import time of the package root, each in a fresh `node` process: ours (the
 * built ESM entry) vs `require('@imtbl/core-sdk')` vs bare `node -e ''`.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { importBreakdown } from './diagnostics.js';
import { DIST_ENTRY, ensureDist } from './dist.js';
import { check, fmt, fmtMs, median, ROOT, type SectionResult } from './lib.js';

const RUNS = 7;

// Every script reports its process's CPU time (user + system, ms) on exit: less sensitive than
// wall time to other load on the machine.
const REPORT_CPU =
  "process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeSync(1, String((u.user + u.system) / 1000)); });";

function timeNode(script: string): { wall: number; cpu: number } {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-e', `${REPORT_CPU}\n${script}`], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 30_000,
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    throw new Error(`node -e ${JSON.stringify(script)} failed: ${result.stderr.slice(0, 500)}`);
  }
  return { wall, cpu: Number(result.stdout) };
}

export async function importTime(): Promise<SectionResult> {
  const notes = await ensureDist();
  const oursUrl = pathToFileURL(DIST_ENTRY).href;
  const scripts = {
    ours: `import(${JSON.stringify(oursUrl)}).catch((e) => { console.error(e); process.exit(1); })`,
    core: `require('@imtbl/core-sdk')`,
    node: '',
  };
  const samples = { ours: [] as number[], core: [] as number[], node: [] as number[] };
  const cpu = { ours: [] as number[], core: [] as number[], node: [] as number[] };
  const keys = Object.keys(scripts) as (keyof typeof scripts)[];
  // One untimed run each warms the file cache; then interleave so drift hits all three alike.
  for (const key of keys) timeNode(scripts[key]);
  for (let run = 0; run < RUNS; run++) {
    for (const key of keys) {
      const t = timeNode(scripts[key]);
      samples[key].push(t.wall);
      cpu[key].push(t.cpu);
    }
  }
  const ours = median(samples.ours);
  const core = median(samples.core);
  const node = median(samples.node);
  const ratio = ours / core;
  const netRatio = (ours - node) / (core - node);
  const [cpuOurs, cpuCore, cpuNode] = [median(cpu.ours), median(cpu.core), median(cpu.node)];
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
    ],
    notes: [
      ...notes,
      'import: ours = node -e "import(\'dist/index.js\')" (ESM build), core-sdk = node -e "require(\'@imtbl/core-sdk\')"; wall time of the whole process; net = minus bare node startup.',
      `import: CPU time (user+sys) medians: ours ${fmtMs(cpuOurs)}, core-sdk ${fmtMs(cpuCore)}, node -e '' ${fmtMs(cpuNode)}: ours ÷ core-sdk ${fmt(cpuOurs / cpuCore)}× (net ${fmt((cpuOurs - cpuNode) / (cpuCore - cpuNode))}×).`,
      `import: what our root entry loads, each dependency alone in a fresh process (in-process import time, median of 3; they overlap): ${parts}.`,
    ],
  };
}
