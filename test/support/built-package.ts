/** The built package (dist/), for tests that use it as a consumer would. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the package itself. */
export const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** The newest modification time of any file under `dir`. */
export function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The type declarations of every public entry, as package.json's exports name them for ESM. */
const ENTRY_TYPES = ['index.d.ts', 'server.d.ts', 'msw.d.ts', 'redis.d.ts'];

/**
 * Throws, saying to run `npm run build`, unless dist/ holds every entry and is newer than src/.
 * Building here instead would hide a minutes-long build inside `npm test`; CI builds first.
 */
export function assertFreshBuild(): void {
  const dist = join(PACKAGE_ROOT, 'dist');
  const missing = ENTRY_TYPES.filter((f) => !existsSync(join(dist, f)));
  if (missing.length > 0)
    throw new Error(
      `dist/ lacks ${missing.join(', ')}: run \`npm run build\` first (this test checks the built package)`,
    );
  const built = Math.min(...ENTRY_TYPES.map((f) => statSync(join(dist, f)).mtimeMs));
  if (built < newestMtime(join(PACKAGE_ROOT, 'src')))
    throw new Error(
      'dist/ is older than src/: run `npm run build` first (this test checks the built package)',
    );
}
