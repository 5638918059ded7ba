/**
 * Small measurements that explain the headline numbers: what one server-side signature check
 * costs, and how long each dependency of the package root takes to import.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { imxAuthHeaders, verifyImxSignature } from '../src/index.js';
import { BENCH_PRIVATE_KEY, median, ROOT } from './lib.js';

let verifyCost: Promise<number> | undefined;

/** Median ms of one `verifyImxSignature` (what the reference server does on every request). */
export function verifyCostMs(): Promise<number> {
  verifyCost ??= (async () => {
    const h = await imxAuthHeaders(BENCH_PRIVATE_KEY);
    const input = {
      address: h['x-imx-eth-address'],
      timestamp: h['x-imx-eth-timestamp'],
      signature: h['x-imx-eth-signature'],
    };
    const times: number[] = [];
    for (let i = 0; i < 400; i++) {
      const started = process.hrtime.bigint();
      if (!verifyImxSignature(input)) throw new Error('the bench signature does not verify');
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    return median(times.slice(100));
  })();
  return verifyCost;
}

/** Bare package specifiers statically imported by an ESM file and the local chunks it reaches. */
export function packagesImportedBy(entry: string): string[] {
  const builtins = new Set(builtinModules);
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, spec] of text.matchAll(
      /(?:^|[\s;}])(?:import|export)\s[^;'"]*?from\s*['"]([^'"]+)['"]/g,
    )) {
      if (!spec) continue;
      if (spec.startsWith('.')) visit(join(dirname(file), spec));
      else if (!spec.startsWith('node:') && !builtins.has(spec)) packages.add(spec);
    }
  };
  visit(entry);
  return [...packages].sort();
}

/**
 * In-process import time of each package the entry imports (subpaths of one package together),
 * each in fresh `node` processes, median of `runs`. Overlapping transitive modules are counted in
 * each, so the parts do not add up to the whole.
 */
export function importBreakdown(entry: string, runs = 3): { name: string; ms: number }[] {
  const groups = new Map<string, string[]>();
  for (const spec of packagesImportedBy(entry)) {
    const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
    if (!name) continue;
    groups.set(name, [...(groups.get(name) ?? []), spec]);
  }
  const out: { name: string; ms: number }[] = [];
  for (const [name, specs] of groups) {
    const script = `const t = performance.now(); Promise.all(${JSON.stringify(specs)}.map((s) => import(s))).then(() => process.stdout.write(String(performance.now() - t)), (e) => { console.error(e); process.exit(1); });`;
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '' },
        timeout: 30_000,
      });
      if (result.status === 0) times.push(Number(result.stdout));
    }
    if (times.length > 0) out.push({ name, ms: median(times) });
  }
  return out.sort((a, b) => b.ms - a.ms);
}
