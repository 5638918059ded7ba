import { readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
// Static imports that load code (not `import type`); lazy `import()`/`require()` are not matched.
const IMPORT = /(?:^|\n)\s*(?:import|export)\s(?!type\s)[^;]*?from\s+'([^']+)'/g;

/** Every module reachable from `entry` by static imports: local files and package names. */
function reach(entry: string): { files: string[]; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, spec] of text.matchAll(IMPORT)) {
      if (!spec) continue;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec);
    }
  };
  visit(resolve(SRC, entry));
  return { files: [...files].map((f) => f.slice(SRC.length + 1)), packages };
}

/** Every .ts file under src/. */
function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = resolve(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('what each entry loads', () => {
  it('the package root loads only the client: no msw, engine, server or cli', () => {
    const { files, packages } = reach('index.ts');
    expect(files.filter((f) => /^(engine|server|msw|cli|redis)\//.test(f))).toEqual([]);
    // axios loads on the first request (client/transport.ts); @noble is imported statically so
    // that bundlers see it (auth/secp256k1.ts).
    expect([...packages].sort()).toEqual(['@noble/curves/secp256k1', '@noble/hashes/sha3', 'zod']);
  });

  it('no source file loads ethers: signing is @noble, and ethers signers are duck-typed', () => {
    // ethers is a dev dependency (the tests' oracle); tsup would bundle it into dist silently.
    const loadsEthers = /(?:from\s+|import\(\s*|require\(\s*)'ethers(?:\/[^']*)?'/;
    const offenders = sourceFiles().filter((file) => loadsEthers.test(readFileSync(file, 'utf8')));
    expect(offenders.map((f) => f.slice(SRC.length + 1))).toEqual([]);
  });

  it('./server never loads msw', () => {
    const { files, packages } = reach('server/index.ts');
    expect(files.some((f) => f.startsWith('msw/'))).toBe(false);
    expect([...packages].some((p) => p.startsWith('msw'))).toBe(false);
  });

  it('the engine imports no HTTP library', () => {
    const { packages } = reach('engine/imx/service.ts');
    expect([...packages].filter((p) => /^(node:)?https?$|^axios$|^msw/.test(p))).toEqual([]);
  });
});
