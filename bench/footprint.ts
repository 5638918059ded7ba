/**
 * Section 3: install footprint, the on-disk size of the production dependency closure: the
 * package's own published files plus every package reached through `dependencies` (and installed
 * `optionalDependencies`), resolved like Node does through node_modules and counted once each.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DIST, ensureDist } from './dist.js';
import { check, fmt, fmtBytes, ROOT, type SectionResult } from './lib.js';

interface PackageJson {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Bytes of every file under `dir`, not following links, skipping nested node_modules. */
function dirSize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') total += dirSize(path);
    } else if (entry.isFile()) {
      total += lstatSync(path).size;
    }
  }
  return total;
}

/** Node's lookup: `<dir>/node_modules/<name>`, then each parent directory's. */
function resolvePackageDir(name: string, fromDir: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

interface Closure {
  bytes: number;
  packages: number;
  missing: string[];
  /** Bytes per package name (versions of one name summed). */
  byName: Map<string, number>;
}

/** Size of the dependency closure of `deps` as resolved from `fromDir` (not counting fromDir). */
function dependencyClosure(deps: string[], fromDir: string, seen = new Set<string>()): Closure {
  const out: Closure = { bytes: 0, packages: 0, missing: [], byName: new Map() };
  const queue: { name: string; from: string; optional: boolean }[] = deps.map((name) => ({
    name,
    from: fromDir,
    optional: false,
  }));
  while (queue.length > 0) {
    const { name, from, optional } = queue.shift() as (typeof queue)[number];
    const dir = resolvePackageDir(name, from);
    if (!dir) {
      if (!optional) out.missing.push(name);
      continue;
    }
    if (seen.has(dir)) continue;
    seen.add(dir);
    out.packages++;
    const size = dirSize(dir);
    out.bytes += size;
    const pkg = readPackage(dir);
    const pkgName = pkg.name ?? name;
    out.byName.set(pkgName, (out.byName.get(pkgName) ?? 0) + size);
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      queue.push({ name: dep, from: dir, optional: false });
    }
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) {
      queue.push({ name: dep, from: dir, optional: true });
    }
  }
  return out;
}

export async function footprint(): Promise<SectionResult> {
  const notes = await ensureDist();
  // Ours as published: dist/ plus the files npm always packs.
  const own =
    dirSize(DIST) +
    ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE']
      .map((f) => resolve(ROOT, f))
      .filter((f) => existsSync(f))
      .reduce((sum, f) => sum + lstatSync(f).size, 0);
  const ourPkg = readPackage(ROOT);
  const ourDeps = dependencyClosure(Object.keys(ourPkg.dependencies ?? {}), ROOT);

  const coreDir = resolvePackageDir('@imtbl/core-sdk', ROOT);
  if (!coreDir) throw new Error('@imtbl/core-sdk is not installed');
  const corePkg = readPackage(coreDir);
  const coreOwn = dirSize(coreDir);
  const coreDeps = dependencyClosure(Object.keys(corePkg.dependencies ?? {}), coreDir);

  const ours = own + ourDeps.bytes;
  const core = coreOwn + coreDeps.bytes;
  const ratio = ours / core;
  const missing = [...ourDeps.missing, ...coreDeps.missing];
  const largest = [...ourDeps.byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([name, bytes]) => `${name} ${fmtBytes(bytes)}`)
    .join(', ');
  return {
    rows: [
      {
        section: '3',
        metric: 'install footprint (production dependency closure)',
        ours: `${fmtBytes(ours)} (${ourDeps.packages + 1} pkgs)`,
        baseline: `core-sdk ${fmtBytes(core)} (${coreDeps.packages + 1} pkgs)`,
        ratio: `${fmt(ratio)}×`,
        target: '≤ 0.3× core-sdk',
        ok: check(ratio, '<=', 0.3),
      },
    ],
    notes: [
      ...notes,
      `footprint: ours = dist/ + package files ${fmtBytes(own)} + deps ${fmtBytes(ourDeps.bytes)}; ` +
        `core-sdk = its dir ${fmtBytes(coreOwn)} + deps ${fmtBytes(coreDeps.bytes)}; apparent file sizes.`,
      `footprint: our largest dependencies: ${largest}.`,
      ...(missing.length > 0
        ? [`footprint: not installed, so not counted: ${[...new Set(missing)].join(', ')}`]
        : []),
    ],
  };
}
