/**
 * The benchmark suite: `npm run bench`, or `npm run bench -- --only latency,import` for some
 * sections. Every server it talks to is started by the bench on 127.0.0.1; every loop is bounded.
 * Prints one table of medians and ratios from this run, the targets, and the machine.
 */
import { cpus, loadavg } from 'node:os';
import { errors } from './errors.js';
import { footprint } from './footprint.js';
import { importTime } from './import-time.js';
import { latency } from './latency.js';
import { failedRow, type Row, reasonOf, renderTable, type SectionResult } from './lib.js';
import { scheduler } from './scheduler.js';
import { throughput } from './throughput.js';
import { worker } from './worker.js';
import { zkevm } from './zkevm.js';
import { zkevmReadings } from './zkevm-readings.js';

const SECTIONS: Record<string, { n: string; title: string; run: () => Promise<SectionResult> }> = {
  latency: { n: '1', title: 'getRefresh latency', run: latency },
  import: { n: '2', title: 'cold import time', run: importTime },
  footprint: { n: '3', title: 'install footprint', run: footprint },
  worker: { n: '4', title: 'worker completion time', run: worker },
  errors: { n: '5', title: 'iterating 100k errors', run: errors },
  throughput: { n: '6', title: 'server throughput', run: throughput },
  scheduler: { n: '7', title: 'refresh scheduler', run: scheduler },
  zkevm: { n: '8', title: 'zkEVM metadata read rate', run: zkevm },
  'zkevm-readings': {
    n: '9',
    title: "zkEVM: both readings of a 202's retry-after, freshness, reads per push",
    run: zkevmReadings,
  },
};

/** `--only a,b` or `--only=a,b`; names or section numbers. Undefined: every section. */
function selectedSections(argv: string[]): string[] {
  let raw: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--only') raw = argv[i + 1] ?? '';
    else if (arg.startsWith('--only=')) raw = arg.slice('--only='.length);
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`usage: npm run bench [-- --only ${Object.keys(SECTIONS).join(',')}]\n`);
      process.exit(0);
    }
  }
  const all = Object.keys(SECTIONS);
  if (raw === undefined) return all;
  const wanted = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const out: string[] = [];
  for (const name of wanted) {
    const key = all.find((k) => k === name || SECTIONS[k]?.n === name);
    if (!key) {
      process.stderr.write(`bench: unknown section "${name}"; choose from ${all.join(', ')}\n`);
      process.exit(2);
    }
    if (!out.includes(key)) out.push(key);
  }
  if (out.length === 0) {
    process.stderr.write(`bench: --only needs section names: ${all.join(', ')}\n`);
    process.exit(2);
  }
  return all.filter((k) => out.includes(k));
}

async function main(): Promise<void> {
  const selected = selectedSections(process.argv.slice(2));
  const rows: Row[] = [];
  const notes: string[] = [];
  const started = Date.now();
  const loadBefore = loadavg()[0] ?? 0;
  for (const key of selected) {
    const section = SECTIONS[key];
    if (!section) continue;
    process.stderr.write(`bench: ${section.n}. ${section.title}...\n`);
    const t0 = Date.now();
    try {
      const result = await section.run();
      rows.push(...result.rows);
      for (const note of result.notes) if (!notes.includes(note)) notes.push(note);
    } catch (error) {
      rows.push(failedRow(section.n, section.title, `failed: ${reasonOf(error)}`));
      notes.push(`${key}: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    }
    process.stderr.write(
      `bench: ${section.n}. done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
  }
  const cpu = cpus();
  const machine = `machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, Node ${process.version}, ${process.platform}/${process.arch}; load average ${loadBefore.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at end`;
  const out = [
    '',
    renderTable(rows),
    '',
    machine,
    ...notes.map((n) => `- ${n}`),
    `bench took ${((Date.now() - started) / 1000).toFixed(1)} s`,
    '',
  ].join('\n');
  process.stdout.write(out);
  const met = rows.filter((r) => r.ok === true).length;
  const missed = rows.filter((r) => r.ok === false).length;
  const unmeasured = rows.filter((r) => r.ok === undefined && r.target !== '').length;
  // Rows without a target (plain measurements) count as neither met nor missed.
  process.stdout.write(
    `${met} target(s) met, ${missed} missed${unmeasured ? `, ${unmeasured} not measured` : ''}\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : error}\n`);
    process.exit(1);
  },
);
