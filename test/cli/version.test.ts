/** `--version` prints the package's version, from the built bin and from the source under tsx. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtCli } from '../support/built-cli.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
};
const env = { PATH: process.env.PATH ?? '' };

describe('--version', () => {
  it('the built bin prints the package.json version', () => {
    const cli = builtCli();
    for (const flag of ['--version', '-V'])
      expect(execFileSync(process.execPath, [cli, flag], { env, encoding: 'utf8' })).toBe(
        `${version}\n`,
      );
  }, 60_000);

  it('the source under tsx prints the same', () => {
    const tsx = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
    const out = execFileSync(process.execPath, [tsx, 'src/cli/bin.ts', '--version'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    });
    expect(out).toBe(`${version}\n`);
  }, 60_000);
});
