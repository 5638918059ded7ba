/** The built CLI for child-process tests: dist/cli.js when it is fresher than src/, else a fresh build. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Path of a built `imx-metadata-refresh` bin that matches the current source. */
export function builtCli(): string {
  const dist = join(ROOT, 'dist/cli.js');
  if (existsSync(dist) && statSync(dist).mtimeMs >= newestMtime(join(ROOT, 'src'))) return dist;
  const outDir = join(ROOT, 'node_modules/.cache/imx-cli-test');
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/tsup/dist/cli-default.js'),
      'src/cli/bin.ts',
      '--no-config',
      '--format',
      'esm',
      '--out-dir',
      outDir,
      '--silent',
    ],
    { cwd: ROOT, stdio: 'pipe' },
  );
  return join(outDir, 'bin.js');
}
