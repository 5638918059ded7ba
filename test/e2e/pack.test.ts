/**
 * `npm pack` (and so `npm publish`) from a checkout that was never built ships the code: the
 * package's `prepack` builds dist/ first, and the tarball holds every file `exports` and `bin`
 * name. The sources are copied into an empty folder without dist/, as a fresh clone has them.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../support/built-package.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'imx-pack-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every file path `exports` and `bin` name, without the leading `./`. */
function namedFiles(manifest: { exports: unknown; bin: Record<string, string> }): string[] {
  const found = new Set<string>();
  const walk = (value: unknown) => {
    if (typeof value === 'string') found.add(value.replace(/^\.\//, ''));
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  walk(manifest.bin);
  return [...found].sort();
}

// The tarball is npm's work and tsup's, not the runtime's: it runs once, on the machine's Node,
// and `scripts/with-node.sh` (the suite again on Node 22 and 24) skips it rather than build
// three more times.
const onTheMachinesNode = process.env.WITH_NODE_MAJOR === undefined ? it : it.skip;

onTheMachinesNode(
  'packs a never-built checkout with every entry of exports and bin',
  async () => {
    for (const path of [
      'src',
      'package.json',
      'tsup.config.ts',
      'tsconfig.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
    ]) {
      cpSync(join(PACKAGE_ROOT, path), join(dir, path), { recursive: true });
    }
    symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');

    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: dir,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    // npm prints prepack's output before the JSON report.
    const report = JSON.parse(stdout.slice(stdout.indexOf('\n[') + 1)) as {
      files: { path: string }[];
    }[];
    const packed = new Set(report[0]?.files.map((f) => f.path));
    const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
    const named = namedFiles(manifest);
    expect(named).toContain('dist/index.js');
    expect(named).toContain('dist/cli.js');
    expect(named.filter((path) => !packed.has(path))).toEqual([]);
  },
  180_000,
);
