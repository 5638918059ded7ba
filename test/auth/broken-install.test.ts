/**
 * A broken install (no `@noble`, as after a bad deploy or a bundler told to leave it out) must
 * fail loudly as itself: a hex key reported as "not a valid key", or every valid signature
 * verified as false (a reference server refusing every request, silently), would send an operator
 * the wrong way. `@noble` is imported statically, so the process fails at import, naming it. The
 * built package is copied into a project that has zod but not @noble.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertFreshBuild, PACKAGE_ROOT } from '../support/built-package.js';

let dir: string;

beforeAll(() => {
  assertFreshBuild();
  dir = mkdtempSync(join(tmpdir(), 'imx-broken-install-'));
  const modules = join(dir, 'node_modules');
  const pkg = join(modules, 'imx-metadata-refresh');
  mkdirSync(pkg, { recursive: true });
  // Copied, not linked: a link would resolve @noble from this repository's node_modules.
  cpSync(join(PACKAGE_ROOT, 'dist'), join(pkg, 'dist'), { recursive: true });
  cpSync(join(PACKAGE_ROOT, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(PACKAGE_ROOT, 'node_modules', 'zod'), join(modules, 'zod'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `code` (an ES module) in the project; resolves with its exit status and stderr. */
function run(code: string): { status: number | null; stderr: string } {
  const file = join(dir, 'main.mjs');
  writeFileSync(file, code);
  const result = spawnSync(process.execPath, [file], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('an install without @noble', () => {
  it('fails at import, naming the missing module: never a bad key or a false signature later', () => {
    const result = run(`
      import { imxAuthHeaders, verifyImxSignature } from 'imx-metadata-refresh';
      console.log(verifyImxSignature({
        address: '0x${'00'.repeat(20)}', timestamp: '1', signature: '0x${'ab'.repeat(64)}1b',
      }));
      await imxAuthHeaders('0x${'11'.repeat(32)}', { timestamp: 1 });
    `);

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Cannot find package '@noble\/curves'/);
  });
});
