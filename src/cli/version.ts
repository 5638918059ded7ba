/** The package's version, read from its package.json at runtime. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NAME = 'imx-metadata-refresh';

/**
 * The version in the nearest package.json named `imx-metadata-refresh` above `from`: walked up
 * to, because the bin runs as dist/cli.js (one level down) and as src/cli/bin.ts (two) under tsx.
 */
export function packageVersion(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    try {
      const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (json.name === NAME && typeof json.version === 'string') return json.version;
    } catch {
      // No package.json here (or not JSON): keep walking up.
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
