/** The built package (dist/): built on demand when missing, flagged when older than src/. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from './lib.js';

export const DIST = resolve(ROOT, 'dist');
export const DIST_ENTRY = join(DIST, 'index.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.isFile()) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

let ensured: Promise<string[]> | undefined;

/**
 * Makes sure dist/index.js exists, running tsup once if it does not. Resolves with notes for the
 * report (a build happened, or dist/ looks older than src/).
 */
export function ensureDist(): Promise<string[]> {
  ensured ??= (async () => {
    const notes: string[] = [];
    if (!existsSync(DIST_ENTRY)) {
      process.stderr.write('bench: dist/ is missing; building it with tsup...\n');
      const tsup = resolve(ROOT, 'node_modules/.bin/tsup');
      const result = spawnSync(tsup, [], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      if (result.status !== 0 || !existsSync(DIST_ENTRY)) {
        throw new Error(
          `could not build dist/ (run \`npm run build\`): ${result.error?.message ?? ''}${result.stderr ?? ''}`.slice(
            0,
            2000,
          ),
        );
      }
      notes.push('dist/ was missing and was built by the bench with tsup.');
    } else if (newestMtime(resolve(ROOT, 'src')) > statSync(DIST_ENTRY).mtimeMs) {
      notes.push(
        'dist/ is older than src/: import time and footprint measure the last build; run `npm run build` for current numbers.',
      );
    }
    return notes;
  })();
  return ensured;
}
