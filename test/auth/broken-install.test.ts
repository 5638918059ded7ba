/**
 * A broken install (no `@noble`, as after a bad deploy or a bundler that dropped it) must fail
 * loudly as itself: a hex key reported as "not a valid key", or every valid signature verified as
 * false (a reference server refusing every request, silently), would send an operator the wrong
 * way. The built package is copied into a project that has zod but not @noble.
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

/** Runs `code` (an ES module) in the project; resolves with what it printed as JSON. */
function run(code: string): Record<string, string> {
  const file = join(dir, 'main.mjs');
  writeFileSync(file, code);
  const result = spawnSync(process.execPath, [file], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as Record<string, string>;
}

const outcome = `const outcome = async (f) => {
  try { return \`returned \${JSON.stringify(await f())}\`; }
  catch (e) { return \`\${e.name}: \${e.message.split('\\n')[0]}\`; }
};`;

describe('an install without @noble', () => {
  it('signing and verifying throw the missing module, not a bad key or a false', () => {
    const result = run(`
      import { imxAuthHeaders, verifyImxSignature, InvalidRequestError } from 'imx-metadata-refresh';
      ${outcome}
      console.log(JSON.stringify({
        sign: await outcome(() => imxAuthHeaders('0x${'11'.repeat(32)}', { timestamp: 1 })),
        verify: await outcome(() => verifyImxSignature({
          address: '0x${'00'.repeat(20)}', timestamp: '1', signature: '0x${'ab'.repeat(64)}1b',
        })),
        garbage: await outcome(() => verifyImxSignature({ address: 1, timestamp: '1', signature: '' })),
      }));
    `);

    expect(result.sign).toMatch(/^Error: Cannot find module '@noble\/curves\/secp256k1'/);
    expect(result.verify).toMatch(/^Error: Cannot find module '@noble\/curves\/secp256k1'/);
    // Input that is not a signature is still refused before anything is loaded.
    expect(result.garbage).toBe('returned false');
  });
});
